"""Recurrent sequence models as trainer tasks.

config.task 'seq'      language models, taggers and sequence classifiers over `RNNStack`
                       (section 1 of this file);
config.task 'seq2seq'  encoder-decoders with attention (section 2).
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.data.sources import feature
from jaxgen.models.seq import lm as lm_lib
from jaxgen.models.seq import sampling
from jaxgen.models.seq.rnn import CELLS, RNNStack
from jaxgen.train.config import check_choice, read_model_config
from jaxgen.train.task import Task, Variables

LN2 = math.log(2.0)
SEQ_KINDS = ('lm', 'tagger', 'readout', 'tree')


# ============================================================== 1. language models, taggers
LM_KEYS = dict(kind='lm', embed_dim=0, sample_length=256, temperature=1.0, prompt='\n%\n',
               baseline_orders=(1, 3, 5))


def _vocab(info, family: str):
  vocab = (info or {}).get('vocab')
  if vocab is None:
    raise ValueError(f'The {family} task needs text data whose info has a vocab '
                     '(jaxgen.data.text sources: fortunes, gcide_syllables, ...).')
  return vocab


class LMTask(Task):
  """A recurrent language model on token windows (config.task 'seq', model.kind 'lm').

  config.model:
    cell, features, num_layers, input_skip, output_skip, forget_bias, peepholes, truncate,
    dropout   the `RNNStack` (unidirectional): Elman is cell='elman', num_layers=1; the deep
              LSTM of Graves (2013) is cell='lstm', num_layers=N with both skips.
    embed_dim  the input embedding (0: one-hot inputs, Graves 2013).
    sample_length, temperature, prompt
              what `sample` generates: `sample_length` tokens after the prompt text.
    baseline_orders
              the n-gram orders `finalize` fits on the same windows (jaxgen.eval.ngram).

  Data: 'tokens' int [n, L + 1] windows and 'length' [n] (jaxgen.data.text.windows): the
  inputs are `tokens[:, :-1]`, the targets `tokens[:, 1:]`. Metrics: 'loss' (nats per
  token) and 'bits_per_char' (bits per token: per character for byte-level ASCII text), both
  (sum, count) pairs, so padding in the last window never dilutes them.
  """
  sample_kind = 'text'

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, kwargs = read_model_config(config.model, 'seq (kind lm)', LM_KEYS, RNNStack)
    check_choice(kwargs.get('cell', 'lstm'), CELLS, 'model.cell')
    if kwargs.get('bidirectional'):
      raise ValueError('model.bidirectional must be False for a language model (kind lm): a '
                       'backward layer would read the tokens it predicts.')
    self.t = t
    self.vocab = _vocab(info, 'seq (kind lm)')
    shape, _ = feature(info, 'tokens', 'seq')
    self.window = shape[0]
    self.net = lm_lib.RNNLM(len(self.vocab), RNNStack(**kwargs), int(t['embed_dim']))

  # -- helpers -------------------------------------------------------------
  def _split(self, batch):
    tokens = jnp.asarray(batch['tokens'], jnp.int32)
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    n = jnp.clip(jnp.asarray(batch['length'], jnp.int32) - 1, 0, inputs.shape[1])
    mask = jnp.arange(inputs.shape[1])[None] < n[:, None]
    return inputs, targets, n, mask

  def token_nll(self, params, batch, rng=None, train=False):
    """(per-token NLL in nats [b, L], mask [b, L])."""
    inputs, targets, n, mask = self._split(batch)
    rngs = {'dropout': rng} if (train and rng is not None) else None
    logits = self.net.apply({'params': params}, inputs, n, train=train, rngs=rngs)
    logp = jax.nn.log_softmax(logits.astype(jnp.float32))
    nll = -jnp.take_along_axis(logp, targets[..., None], -1)[..., 0]
    return jnp.where(mask, nll, 0.0), mask

  # -- Task ------------------------------------------------------------------
  def init(self, rng, batch) -> Variables:
    inputs, _, n, _ = self._split(batch)
    return Variables(params=self.net.init(rng, inputs[:1], n[:1])['params'])

  def loss(self, params, extra, batch, rng):
    nll, mask = self.token_nll(params, batch, rng, train=True)
    count = jnp.sum(mask)
    loss = jnp.sum(nll) / jnp.maximum(count, 1)
    return loss, ({'bits_per_char': (jnp.sum(nll) / LN2, count)}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    nll, mask = self.token_nll(params, batch)
    total, count = jnp.sum(nll, 1), jnp.sum(mask, 1).astype(jnp.float32)
    return {'loss': (total, count), 'bits_per_char': (total / LN2, count)}

  @functools.partial(jax.jit, static_argnums=(0, 3, 4, 6))
  def generate(self, params, rng, num: int, length: int, prompt, temperature=1.0):
    """int32 [num, length] tokens continuing `prompt` (int [P]) with the fast sampler."""
    step = self.net.step_fn()
    prompt = jnp.broadcast_to(jnp.asarray(prompt, jnp.int32), (num, len(prompt)))
    return sampling.sample_lm(step, params, self.net.initial_carries(num), rng, prompt,
                              length, temperature)

  def sample(self, params, extra, rng, num: int):
    prompt = np.asarray(self.vocab.encode(self.t['prompt']) or [0], np.int32)
    toks = self.generate(params, rng, num, int(self.t['sample_length']), prompt,
                         float(self.t['temperature']))
    return [self.t['prompt'] + self.vocab.decode(row, stop_at_eos=False)
            for row in np.asarray(jax.device_get(toks))]

  def finalize(self, state, workdir, test_data, rng) -> dict:
    """The n-gram baselines of the same windows: fitted on train, scored on test (bits)."""
    del state, workdir, rng
    from jaxgen.data import pipeline  # pylint: disable=g-import-not-at-top
    from jaxgen.eval import ngram  # pylint: disable=g-import-not-at-top
    train, _ = pipeline.make_batchers(self.config.data)
    orders = tuple(int(o) for o in self.t['baseline_orders'])
    out = ngram.baselines(train.source.get(np.arange(len(train.source))),
                          test_data.source.get(np.arange(len(test_data.source))),
                          len(self.vocab), orders)
    return {k.replace('_bits', '_bits_per_char'): v for k, v in out.items()}

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


TAGGER_KEYS = dict(kind='tagger', embed_dim=32)


class TaggerTask(Task):
  """Per-position labels from a recurrent stack (config.task 'seq', model.kind 'tagger').

  The syllabification task (jaxgen.data.text.gcide_syllables): label 1 where a syllable
  ends after a letter. config.model: the `RNNStack` fields (`bidirectional=True`: the BiRNN
  of Schuster & Paliwal 1997; False: the unidirectional baseline, which sees only the
  letters up to the one it labels) and `embed_dim`.

  Data: 'tokens' int [n, T], 'length' [n], 'labels' int [n, T]. Metrics, all summed over the
  split: 'loss' (nats per letter), 'accuracy' (per letter), 'boundary_f1' (F1 of the
  predicted label-1 positions against the true ones: 2 TP / (2 TP + FP + FN) over the whole
  split), 'word_accuracy' (every label of the word right).
  """

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, kwargs = read_model_config(config.model, 'seq (kind tagger)', TAGGER_KEYS, RNNStack)
    check_choice(kwargs.get('cell', 'lstm'), CELLS, 'model.cell')
    self.vocab = _vocab(info, 'seq (kind tagger)')
    feature(info, 'labels', 'seq (kind tagger)')
    self.num_classes = int((info or {}).get('num_classes', 2))
    self.net = lm_lib.Tagger(len(self.vocab), self.num_classes, RNNStack(**kwargs),
                             int(t['embed_dim']))

  def logits(self, params, batch, rng=None, train=False):
    tokens = jnp.asarray(batch['tokens'], jnp.int32)
    rngs = {'dropout': rng} if (train and rng is not None) else None
    return self.net.apply({'params': params}, tokens, jnp.asarray(batch['length']),
                          train=train, rngs=rngs)

  def init(self, rng, batch) -> Variables:
    tokens = jnp.asarray(batch['tokens'], jnp.int32)[:1]
    return Variables(params=self.net.init(rng, tokens, jnp.asarray(batch['length'])[:1])['params'])

  def _metrics(self, logits, batch):
    labels = jnp.asarray(batch['labels'], jnp.int32)
    mask = jnp.arange(labels.shape[1])[None] < jnp.asarray(batch['length'])[:, None]
    logp = jax.nn.log_softmax(logits.astype(jnp.float32))
    nll = jnp.where(mask, -jnp.take_along_axis(logp, labels[..., None], -1)[..., 0], 0.0)
    pred = jnp.argmax(logits, -1)
    right = jnp.logical_and(pred == labels, mask)
    tp = jnp.sum(mask & (pred == 1) & (labels == 1), 1)
    fp = jnp.sum(mask & (pred == 1) & (labels != 1), 1)
    fn = jnp.sum(mask & (pred != 1) & (labels == 1), 1)
    count = jnp.sum(mask, 1).astype(jnp.float32)
    f = lambda a: a.astype(jnp.float32)
    return {'loss': (jnp.sum(nll, 1), count), 'accuracy': (f(jnp.sum(right, 1)), count),
            'boundary_f1': (f(2 * tp), f(2 * tp + fp + fn)),
            'word_accuracy': f(jnp.sum(right, 1) == jnp.sum(mask, 1))}

  def loss(self, params, extra, batch, rng):
    m = self._metrics(self.logits(params, batch, rng, train=True), batch)
    total, count = m['loss']
    loss = jnp.sum(total) / jnp.maximum(jnp.sum(count), 1)
    return loss, ({'accuracy': tuple(jnp.sum(a) for a in m['accuracy'])}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    return self._metrics(self.logits(params, batch), batch)

  def syllabify(self, params, batch) -> list[str]:
    """The words of `batch` with a '-' after every letter the model ends a syllable at."""
    pred = np.asarray(jax.device_get(jnp.argmax(self.logits(params, batch), -1)))
    out = []
    for toks, n, p in zip(np.asarray(batch['tokens']), np.asarray(batch['length']), pred):
      word = self.vocab.decode(toks[:n])
      out.append(''.join(c + ('-' if p[i] == 1 and i + 1 < len(word) else '')
                         for i, c in enumerate(word)))
    return out

  def finalize(self, state, workdir, test_data, rng) -> dict:
    """Writes the first test batch's words as syllabified by the model (syllables.txt)."""
    del rng
    import os  # pylint: disable=g-import-not-at-top
    batch, mask = next(iter(test_data.epoch()))
    words = [w for w, m in zip(self.syllabify(state.params, batch), mask) if m]
    if workdir and jax.process_index() == 0:
      with open(os.path.join(workdir, 'syllables.txt'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(words) + '\n')
    return {}

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


READOUT_KEYS = dict(kind='readout', objective='regress', tolerance=0.04)
OBJECTIVES = ('regress', 'classify')


class ReadoutTask(Task):
  """One output per sequence (config.task 'seq', model.kind 'readout').

  objective 'regress': the adding problem (Hochreiter & Schmidhuber 1997): data 'x' float
    [n, T, F], 'length', 'target' float [n]; loss MSE; metrics 'mse' and 'solved' (the
    share with |error| < `tolerance`, the paper's 0.04 criterion).
  objective 'classify': row-by-row images (e.g. mnist5k: 28 steps of 28 pixels): data
    'image' uint8 [n, h, w, c] read one row per step (scaled to [0, 1]), 'label'; or, for
    data without images, 'tokens' [n, T] (one-hot) and 'length' (the sequential baseline
    of the tree task); loss cross-entropy; metric 'accuracy'.
  config.model: the (unidirectional) `RNNStack` fields.
  """

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, kwargs = read_model_config(config.model, 'seq (kind readout)', READOUT_KEYS, RNNStack)
    check_choice(kwargs.get('cell', 'lstm'), CELLS, 'model.cell')
    self.objective = check_choice(t['objective'], OBJECTIVES, 'model.objective')
    self.tolerance = float(t['tolerance'])
    if self.objective == 'classify':
      feats = (info or {}).get('features', {})
      self.input_key = 'image' if 'image' in feats else 'tokens'
      feature(info, self.input_key, 'seq (kind readout, classify)')
      if self.input_key == 'tokens':
        self.vocab_size = len(_vocab(info, 'seq (kind readout, tokens)'))
      self.num_classes = int((info or {}).get('num_classes') or 0)
      if not self.num_classes:
        raise ValueError("model.objective 'classify' needs labelled data (info num_classes).")
      out = self.num_classes
    else:
      feature(info, 'x', 'seq (kind readout, regress)')
      out = 1
    self.net = lm_lib.SequenceReadout(out, RNNStack(**kwargs))

  def _inputs(self, batch):
    if self.objective == 'classify' and self.input_key == 'tokens':   # one-hot tokens
      x = jax.nn.one_hot(jnp.asarray(batch['tokens'], jnp.int32), self.vocab_size)
      return x, jnp.asarray(batch['length'])
    if self.objective == 'classify':
      img = jnp.asarray(batch['image'], jnp.float32) / 255.0
      x = img.reshape(img.shape[0], img.shape[1], -1)       # one row per step
      return x, None
    return jnp.asarray(batch['x'], jnp.float32), jnp.asarray(batch['length'])

  def init(self, rng, batch) -> Variables:
    x, n = self._inputs(batch)
    return Variables(params=self.net.init(rng, x[:1], None if n is None else n[:1])['params'])

  def _per_example(self, params, batch, rng=None, train=False):
    x, n = self._inputs(batch)
    rngs = {'dropout': rng} if (train and rng is not None) else None
    out = self.net.apply({'params': params}, x, n, train=train, rngs=rngs)
    if self.objective == 'classify':
      labels = jnp.asarray(batch['label'], jnp.int32)
      logp = jax.nn.log_softmax(out.astype(jnp.float32))
      nll = -jnp.take_along_axis(logp, labels[:, None], -1)[:, 0]
      return nll, {'accuracy': (jnp.argmax(out, -1) == labels).astype(jnp.float32)}
    err = out[:, 0] - jnp.asarray(batch['target'], jnp.float32)
    return err ** 2, {'mse': err ** 2,
                      'solved': (jnp.abs(err) < self.tolerance).astype(jnp.float32)}

  def loss(self, params, extra, batch, rng):
    per, metrics = self._per_example(params, batch, rng, train=True)
    return jnp.mean(per), ({k: jnp.mean(v) for k, v in metrics.items()}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    per, metrics = self._per_example(params, batch)
    return dict(metrics, loss=per)

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


TREE_KEYS = dict(kind='tree', arch='treelstm', features=64)


class TreeTask(Task):
  """Classifying trees by their root vector (config.task 'seq', model.kind 'tree').

  The recursive nets of `jaxgen.models.seq.recursive` (arch 'rnn': Socher et al. 2011 with
  per-label composition; 'treelstm': Tai et al. 2015) on `tree_arrays` data (e.g.
  arith_trees: expressions evaluated mod 10). Metrics: 'loss', 'accuracy', and the accuracy
  by tree height ('accuracy_h<k>', averaged over the trees of that height).
  """

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, _ = read_model_config(config.model, 'seq (kind tree)', TREE_KEYS)
    from jaxgen.models.seq import recursive  # pylint: disable=g-import-not-at-top
    check_choice(t['arch'], recursive.ARCHS, 'model.arch')
    info = info or {}
    feature(info, 'node_token', 'seq (kind tree)')
    vocab = _vocab(info, 'seq (kind tree)')
    for key in ('num_classes', 'max_depth', 'num_ops'):
      if key not in info:
        raise ValueError(f"The tree task needs tree data whose info has {key!r} "
                         '(jaxgen.data.synthetic.arith_trees).')
    del vocab
    self.max_height = int(info['max_depth'])
    # Node tokens: digits 0..9 then the operators (jaxgen.data.synthetic.tree_arrays).
    self.net = recursive.TreeClassifier(
        recursive.RecursiveNet(vocab_size=10 + int(info['num_ops']), features=int(t['features']),
                               num_labels=int(info['num_ops']), num_leaf_tokens=10,
                               max_height=self.max_height, arch=t['arch']),
        int(info['num_classes']))

  @staticmethod
  def _args(batch):
    return [jnp.asarray(batch[k], jnp.int32)
            for k in ('node_token', 'left', 'right', 'height', 'num_nodes')]

  def init(self, rng, batch) -> Variables:
    return Variables(params=self.net.init(rng, *[a[:1] for a in self._args(batch)])['params'])

  def _per_example(self, params, batch):
    logits = self.net.apply({'params': params}, *self._args(batch))
    labels = jnp.asarray(batch['label'], jnp.int32)
    nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], -1)[:, 0]
    return nll, (jnp.argmax(logits, -1) == labels).astype(jnp.float32)

  def loss(self, params, extra, batch, rng):
    nll, acc = self._per_example(params, batch)
    return jnp.mean(nll), ({'accuracy': jnp.mean(acc)}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    nll, acc = self._per_example(params, batch)
    args = self._args(batch)
    root_height = jnp.take_along_axis(args[3], (args[4] - 1)[:, None], 1)[:, 0]
    out = {'loss': nll, 'accuracy': acc}
    for k in range(1, self.max_height + 1):
      at = (root_height == k).astype(jnp.float32)
      out[f'accuracy_h{k}'] = (acc * at, at)
    return out

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


def make_seq_task(config: ml_collections.ConfigDict, info=None) -> Task:
  """The task of config.model.kind ('lm', 'tagger', 'readout' or 'tree')."""
  kind = check_choice(config.model.get('kind', 'lm'), SEQ_KINDS, 'model.kind')
  if kind == 'lm':
    return LMTask(config, info)
  if kind == 'readout':
    return ReadoutTask(config, info)
  if kind == 'tree':
    return TreeTask(config, info)
  return TaggerTask(config, info)



# ============================================================== 2. encoder-decoders


def make_task(config: ml_collections.ConfigDict, info=None) -> Task:
  if config.get('task') == 'seq2seq':
    return Seq2SeqTask(config, info)  # noqa: F821  (section 2)
  return make_seq_task(config, info)  # noqa: F821  (section 1)
