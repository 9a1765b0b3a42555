"""deu_eng: German-English example sentences from Debian's FreeDict dictionary."""
import numpy as np
import pytest

from jaxgen import data
from jaxgen.data import text, translation


def test_cleaning_keeps_whole_pairs_and_drops_placeholders():
  raw = [('Das ist Musik in meinen Ohren.', 'This is music to my ears.'),
         ('etw. tun müssen', 'to have to do sth.'),
         ('ein (gutes) Ohr haben', 'have a good ear'),
         ('Das ist Musik in meinen Ohren.', 'That is music to my ears.'),     # repeated
         ('Ich fand ihn abstoßend.', 'I was put off by him., He put me off.'),
         ('unter der Auflage', 'on condition'),
         ('Ja', 'Yes')]                                                    # one word
  assert translation.clean_pairs(raw) == [
      ('Das ist Musik in meinen Ohren.', 'This is music to my ears.'),
      ('Ich fand ihn abstoßend.', 'I was put off by him.'),
      ('unter der Auflage', 'on condition')]
  assert translation.clean_pairs(raw, sentences_only=True) == [
      ('Das ist Musik in meinen Ohren.', 'This is music to my ears.'),
      ('Ich fand ihn abstoßend.', 'I was put off by him.')]
  assert translation.tokenize("Don't stop, Herr Müller!") == [
      "don't", 'stop', ',', 'herr', 'müller', '!']


def test_splits_are_disjoint_by_german_sentence_and_round_trip():
  splits = {s: data.load('deu_eng', s, validation_fraction=0.1)
            for s in ('train', 'validation', 'test')}
  vocab = splits['train'].info['vocab']
  tokens = translation.tokenized_splits(validation_fraction=0.1)
  german = {s: {' '.join(d) for d, _ in rows} for s, rows in tokens.items()}
  assert not german['train'] & german['test'] and not german['validation'] & german['test']
  assert not german['train'] & german['validation']
  assert {s: len(v) for s, v in splits.items()} == {s: len(v) for s, v in tokens.items()}
  assert 18_000 < sum(len(v) for v in splits.values()) < 30_000
  # The arrays are the tokens: a test sentence decodes to its tokens (UNK where unseen).
  d, e = tokens['test'][0]
  known = lambda toks, v: ' '.join(t if t in v.index else text.SPECIALS[text.UNK] for t in toks)
  assert vocab['source'].decode(splits['test'].arrays['source'][0], join=' ') == known(
      d, vocab['source'])
  assert vocab['target'].decode(splits['test'].arrays['target'][0], join=' ') == known(
      e, vocab['target'])
  test = splits['test']
  assert np.all(test.arrays['target'][np.arange(len(test)), test.arrays['target_length'] - 1]
                == text.EOS)


def test_shared_vocab_is_one_vocabulary_of_both_languages():
  """shared_vocab=True (for the Transformer's shared embeddings): one Vocab for both sides,
  with every word of either language seen min_count times in train, the same arrays'
  tokens as the separate vocabularies give (UNK aside)."""
  shared = data.load('deu_eng', 'test', max_words=6, min_count=2, shared_vocab=True)
  separate = data.load('deu_eng', 'test', max_words=6, min_count=2)
  v = shared.info['vocab']
  assert v['source'] is v['target']
  sep = separate.info['vocab']
  assert set(sep['source'].tokens) | set(sep['target'].tokens) <= set(v['source'].tokens)
  for side in ('source', 'target'):
    a, b = shared.arrays[side][:50], separate.arrays[side][:50]
    for x, y in zip(a, b):
      assert v[side].decode(x, join=' ') == sep[side].decode(y, join=' ') or (
          text.SPECIALS[text.UNK] in sep[side].decode(y, join=' '))


def test_missing_dictionary_says_how_to_install_it(tmp_path):
  with pytest.raises(FileNotFoundError, match='apt-get install dict-freedict-deu-eng'):
    data.load('deu_eng', 'train', path=str(tmp_path / 'missing.dict.dz'))
  with pytest.raises(ValueError, match='validation_fraction'):
    data.load('deu_eng', 'validation')


def test_bpe_pieces_cover_every_sentence_and_decode_back_to_its_tokens():
  """vocab='bpe': sentencepiece BPE on train; every sentence of every split (test included)
  decodes back to exactly its tokens, with no UNK, in at most vocab_size pieces; shorter
  encodings than characters; the same pieces from a second, independent training."""
  kw = dict(max_words=6, min_count=2, shared_vocab=True, vocab='bpe', vocab_size=600)
  test = data.load('deu_eng', 'test', **kw)
  v = test.info['vocab']
  assert v['source'] is v['target'] and len(v['target']) <= 600
  assert v['target'].tokens[:4] == text.SPECIALS and v['target'].word_marker == '\u2581'
  rows = translation.tokenized_splits(max_words=6)['test']
  a = test.arrays
  for i, (d, e) in enumerate(rows):
    assert v['source'].decode(a['source'][i]) == ' '.join(d)
    assert v['target'].decode(a['target'][i]) == ' '.join(e)
  assert not np.any(a['source'] == text.UNK) and not np.any(a['target'] == text.UNK)
  chars = np.mean([len(' '.join(e)) for _, e in rows])
  assert np.mean(a['target_length']) < chars / 2
  # merges learned from scratch again give the same pieces (one thread, no input sampling)
  train = tuple(' '.join(t) for p in translation.tokenized_splits(max_words=6)['train']
                for t in p)
  translation.train_subwords.cache_clear()
  _, again = translation.train_subwords(train, 600)
  assert again == v['target']
  # the word vocabulary at min_count rides along for word-level BLEU
  assert test.info['word_vocab'] == data.load('deu_eng', 'test', max_words=6,
                                              min_count=2).info['vocab']['target']


def test_separate_bpe_models_per_language_and_bad_vocab_arguments():
  kw = dict(max_words=6, vocab='bpe', vocab_size=400)
  v = data.load('deu_eng', 'test', **kw).info['vocab']
  assert v['source'] != v['target'] and 'ich' in {t.lstrip('\u2581') for t in v['source'].tokens}
  with pytest.raises(ValueError, match="Unknown vocab 'bep'.*valid: \\('word', 'bpe'\\)"):
    data.load('deu_eng', 'test', vocab='bep')
  with pytest.raises(ValueError, match='vocab_size must exceed the 4 special tokens'):
    data.load('deu_eng', 'test', vocab='bpe', vocab_size=3)


def test_subword_vocab_decodes_by_word_marker():
  v = text.Vocab(text.SPECIALS + ('\u2581the', '\u2581ho', 'use', '\u2581.'),
                 word_marker='\u2581')
  assert v.decode([4, 5, 6, 7, text.EOS, 4]) == 'the house .'
  assert v.decode([4, 5, 6], join=' ') == 'the house'       # the marker decides, not join
