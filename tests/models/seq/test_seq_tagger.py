"""Syllabification as tagging: the GCIDE parse, the split, the F1 metric, and a tiny BiLSTM
that beats the unidirectional LSTM."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen.data import registry, text


def test_gcide_marks_become_syllable_boundaries():
  raw = ('Abdication \\Ab`di*ca"tion\\, n. [L.]\n'
         'Machine \\Ma*chine"\\, n.\n'
         'Unattired \\Unattired\\, a.\n'         # unmarked: dropped
         'Double-quick \\Dou"ble-quick`\\, a.\n'  # not letters only: dropped
         'Oddity \\Odd"i*ty\\, n.\n'
         'oddity \\od"di*ty\\, n.\n')             # the first entry of a word is kept
  words = dict(text.parse_gcide_syllables(raw))
  assert words == {'abdication': (1, 3, 5), 'machine': (1,), 'oddity': (2, 3)}


def test_gcide_syllables_split_by_word():
  train = registry.load('gcide_syllables', 'train', validation_fraction=0.05)
  val = registry.load('gcide_syllables', 'validation', validation_fraction=0.05)
  test = registry.load('gcide_syllables', 'test')
  vocab = test.info['vocab']
  sets = [{vocab.decode(t[:n]) for t, n in zip(s.arrays['tokens'], s.arrays['length'])}
          for s in (train, val, test)]
  assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
  assert sum(map(len, sets)) > 80_000
  lab, n = test.arrays['labels'], test.arrays['length']
  assert not lab[np.arange(len(n)), n - 1].any()           # never after the last letter
  assert not (lab * (np.arange(lab.shape[1])[None] >= n[:, None])).any()


def test_boundary_f1_is_counted_over_the_split():
  import ml_collections
  from jaxgen.models.seq.task import TaggerTask
  src = registry.load('gcide_syllables', 'test', max_words=4)
  c = ml_collections.ConfigDict({'task': 'seq', 'model': {'kind': 'tagger', 'features': 4,
                                                          'bidirectional': True}})
  task = TaggerTask(c, src.info)
  batch = src.get(np.arange(4))
  labels = batch['labels']
  # A perfect logit map: F1 1; predicting all zeros: TP 0, F1 0.
  onehot = jax.nn.one_hot(labels, 2) * 10.0
  m = task._metrics(onehot, batch)
  assert float(jnp.sum(m['boundary_f1'][0])) == float(jnp.sum(m['boundary_f1'][1])) > 0
  m0 = task._metrics(jax.nn.one_hot(jnp.zeros_like(labels), 2), batch)
  assert float(jnp.sum(m0['boundary_f1'][0])) == 0.0
  np.testing.assert_array_equal(m['word_accuracy'], 1.0)


@pytest.mark.learning
def test_tiny_bilstm_syllabifies_better_than_the_unidirectional_lstm(tmp_path):
  from jaxgen import experiments
  f1 = {}
  for d in ('bi', 'uni'):
    config = experiments.get_config(f'syllables_gcide:tiny,dir={d}')
    config.progress = False
    out = experiments.train_and_evaluate(config, str(tmp_path / d))
    f1[d] = out['eval/boundary_f1']
  # Measured: BiLSTM 0.70, unidirectional 0.37 (6,000 words, 300 steps).
  assert f1['bi'] > 0.6, f1
  assert f1['bi'] > f1['uni'] + 0.15, f1
  assert (tmp_path / 'bi' / 'syllables.txt').read_text().count('-') > 100
