"""German-English sentence pairs from the example sentences of Debian's `dict-freedict-deu-eng`.

The FreeDict German-English dictionary (from the Ding dictionary, TU Chemnitz; GPL) quotes
example sentences under its entries, in dictd format:

      "Das ist Musik in meinen Ohren."  - This is music to my ears.

`deu_eng` reads them from /usr/share/dictd/freedict-deu-eng.dict.dz at run time (nothing is
committed) and keeps the clean ones: no dictionary placeholders ('etw.', 'jdn.', 'sb.',
'sth.', '...'), no optional words in parentheses, no slashes, brackets or braces, between 2
and `max_words` words on each side; where the English lists alternatives ('I was put off.,
It put me off.') the first is kept. Each German example appears once (the first English
translation quoted for it). That leaves about 23k pairs, whole sentences and phrases ('unter
der Auflage' -> 'on condition'); `sentences_only=True` keeps the ~5.8k whole sentences (a
capital letter first and a full stop, question or exclamation mark last on both sides).

Splits are by a stable hash of the German sentence (`jaxgen.data.text.split_of`): 10% test,
`validation_fraction` of the rest validation (0: none, as everywhere in the registry).

Tokens: lowercased words and punctuation marks (`tokenize`), a vocabulary per language built
from the train split (words seen at least `min_count` times; UNK for the rest); arrays in the
`jaxgen.data.text` pair layout (source = German, target = English with EOS), info['vocab'] =
{'source': Vocab, 'target': Vocab}. BLEU on these token strings (sacrebleu) is a tokenized,
lowercased BLEU, comparable between our runs, not with published detokenized scores.

Subwords (`vocab='bpe'`): byte-pair encoding (Sennrich et al. 2016) learned by sentencepiece
(Kudo & Richardson 2018) on the train split's tokenized sentences, `vocab_size` pieces, one
model for both languages with `shared_vocab` (as Vaswani et al. 2017 share 37k BPE pieces),
else one per language. Nothing is unknown (every train character is a piece), so the 24% of
German tokens that are UNK at `min_count` 3 reach the model. info['word_vocab'] is then the
target side's word vocabulary at `min_count`: the words a word-level model of the same data
can write, so a task can also score BLEU on what the word models are scored on.
"""
from __future__ import annotations

import functools
import gzip
import os
import re

from jaxgen.data import text
from jaxgen.data.sources import ArraySource

DICT_PATH = '/usr/share/dictd/freedict-deu-eng.dict.dz'
TEST_FRACTION = 0.1
SALT = 'deu-eng-v1'
SPLITS = ('train', 'validation', 'test')
VOCABS = ('word', 'bpe')
_EXAMPLE = re.compile(r'^ {6}"(.+)"  - (.+)$')
_PLACEHOLDERS = re.compile(r'etw\.|jdn\.|jdm\.|jds\.|jd\.|\bsb\b|\bsth\b|\bsb\.|sth\.|…|\.\.\.|'
                           r'[/\[\]{}<>|=;~]')
_ALTERNATIVES = re.compile(r'(?<=[.!?]), (?=[A-Z"])')
_TOKEN = re.compile(r"\w+(?:'\w+)?|[^\w\s]", re.UNICODE)


def tokenize(sentence: str) -> list[str]:
  """Lowercased words (with an inner apostrophe: "don't") and single punctuation marks."""
  return _TOKEN.findall(sentence.lower())


def read_examples(path: str = DICT_PATH) -> list[tuple[str, str]]:
  """Every (German, English) example sentence pair quoted in the dictd file, in file order.

  Raises:
    FileNotFoundError: with how to install the dictionary.
  """
  if not os.path.exists(path):
    raise FileNotFoundError(
        f'{path} not found: the deu_eng dataset reads the FreeDict German-English dictionary. '
        'Install it with `sudo apt-get install dict-freedict-deu-eng` (Debian/Ubuntu), or pass '
        'path= (data.kwargs.path) to a copy of freedict-deu-eng.dict.dz.')
  out = []
  with gzip.open(path, 'rt', encoding='utf-8') as f:
    for line in f:
      m = _EXAMPLE.match(line.rstrip('\n'))
      if m:
        out.append((m.group(1).strip(), m.group(2).strip()))
  return out


def clean_pairs(pairs, max_words: int = 20, sentences_only: bool = False
                ) -> list[tuple[str, str]]:
  """The clean pairs of `read_examples` (see the module docstring), one per German example."""
  seen, out = set(), []
  for de, en in pairs:
    en = _ALTERNATIVES.split(en)[0].strip()
    key = ' '.join(tokenize(de))          # the same German up to case and spacing: once
    if key in seen:
      continue
    seen.add(key)
    if _PLACEHOLDERS.search(de) or _PLACEHOLDERS.search(en) or '(' in de + en:
      continue
    if sentences_only and not (
        de[:1].isupper() and (en[:1].isupper() or en[:1] == '"') and de[-1] in '.!?'
        and en.rstrip('"')[-1:] in ('.', '!', '?')):
      continue
    if not all(2 <= len(s.split()) <= max_words for s in (de, en)):
      continue
    out.append((de, en))
  return out


def split_of_sentence(german: str, validation_fraction: float = 0.0,
                      validation_seed: int = 0) -> str:
  """'train', 'validation' or 'test' by stable hashes of the tokenized German sentence."""
  key = ' '.join(tokenize(german))
  if text.split_of(key, (TEST_FRACTION, 0.0), salt=SALT) == 'test':
    return 'test'
  if validation_fraction and text.split_of(
      key, (validation_fraction, 0.0), salt=f'{SALT}-validation-{validation_seed}') == 'test':
    return 'validation'
  return 'train'


@functools.lru_cache(maxsize=4)
def tokenized_splits(path: str = DICT_PATH, max_words: int = 20, sentences_only: bool = False,
                     validation_fraction: float = 0.0, validation_seed: int = 0):
  """{split: [(German tokens, English tokens)]} of the clean pairs."""
  by_split = {s: [] for s in SPLITS}
  for de, en in clean_pairs(read_examples(path), max_words, sentences_only):
    by_split[split_of_sentence(de, validation_fraction, validation_seed)].append(
        (tokenize(de), tokenize(en)))
  return by_split


WORD_MARKER = '\u2581'     # sentencepiece's word-start mark


def _check_vocab_size(vocab_size) -> int:
  if int(vocab_size) <= len(text.SPECIALS):
    raise ValueError(f'vocab_size must exceed the {len(text.SPECIALS)} special tokens, got '
                     f'{vocab_size}.')
  return int(vocab_size)


@functools.lru_cache(maxsize=8)
def train_subwords(sentences: tuple[str, ...], vocab_size: int):
  """A BPE model of `vocab_size` pieces learned by sentencepiece on `sentences` (each a string
  of space-separated tokens): (encode: str -> list of ids, Vocab).

  The ids are the Vocab's: sentencepiece is told jaxgen's specials (pad 0, bos 1, eos 2,
  unk 3), so its piece ids need no mapping. Every character of `sentences` is a piece
  (character_coverage 1) and the text is not normalised (decoding gives the tokens back
  exactly), one thread and no sampling of the input, so the same sentences
  give the same pieces on every machine; `vocab_size` is an upper bound where the text has
  fewer merges to make.
  """
  import io  # pylint: disable=g-import-not-at-top
  import sentencepiece as spm  # pylint: disable=g-import-not-at-top
  _check_vocab_size(vocab_size)
  model = io.BytesIO()
  spm.SentencePieceTrainer.train(
      sentence_iterator=iter(sentences), model_writer=model, vocab_size=int(vocab_size),
      model_type='bpe', character_coverage=1.0, hard_vocab_limit=False, num_threads=1,
      pad_id=text.PAD, bos_id=text.BOS, eos_id=text.EOS, unk_id=text.UNK,
      pad_piece=text.SPECIALS[0], bos_piece=text.SPECIALS[1], eos_piece=text.SPECIALS[2],
      unk_piece=text.SPECIALS[3], split_digits=False, normalization_rule_name='identity',
      minloglevel=2)
  sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
  vocab = text.Vocab(text.SPECIALS + tuple(sp.id_to_piece(i) for i in range(
      len(text.SPECIALS), sp.get_piece_size())), word_marker=WORD_MARKER)
  return (lambda tokens: sp.encode(' '.join(tokens), out_type=int)), vocab


@functools.lru_cache(maxsize=4)
def _arrays(path: str, max_words: int, min_count: int, sentences_only: bool,
            validation_fraction: float, validation_seed: int, shared_vocab: bool = False,
            subwords: int = 0):
  by_split = tokenized_splits(path, max_words, sentences_only, validation_fraction,
                              validation_seed)
  train = by_split['train']
  words = {'source': text.Vocab.build([d for d, _ in train], min_count),
           'target': text.Vocab.build([e for _, e in train], min_count)}
  if subwords:
    if shared_vocab:
      enc, joint = train_subwords(tuple(' '.join(t) for pair in train for t in pair), subwords)
      encoders, vocab = {'source': enc, 'target': enc}, {'source': joint, 'target': joint}
    else:
      (es, vs), (et, vt) = (train_subwords(tuple(' '.join(p[i]) for p in train), subwords)
                            for i in (0, 1))
      encoders, vocab = {'source': es, 'target': et}, {'source': vs, 'target': vt}
  else:
    if shared_vocab:      # one vocabulary of both languages' train words (Vaswani 2017)
      joint = text.Vocab.build([t for pair in train for t in pair], min_count)
      vocab = {'source': joint, 'target': joint}
    else:
      vocab = words
    encoders = {side: vocab[side].encode for side in vocab}
  rows = {s: [(encoders['source'](d), encoders['target'](e)) for d, e in by_split[s]]
          for s in SPLITS}
  s_len = max(len(d) for s in SPLITS for d, _ in rows[s])
  t_len = max(len(e) for s in SPLITS for _, e in rows[s]) + 1
  out = {}
  for split in SPLITS:
    src, sl = text.pad([d for d, _ in rows[split]], s_len)
    tgt, tl = text.pad([e for _, e in rows[split]], t_len, eos=True)
    out[split] = dict(source=src, source_length=sl, target=tgt, target_length=tl)
  return out, vocab, words['target']


def deu_eng(split: str, validation_fraction: float = 0.0, validation_seed: int = 0,
            max_words: int = 20, min_count: int = 2, sentences_only: bool = False,
            path: str = DICT_PATH, shared_vocab: bool = False, vocab: str = 'word',
            vocab_size: int = 4000, **kw) -> ArraySource:
  """Split `split` of the German -> English example sentences (see the module docstring).

  `shared_vocab=True` builds one vocabulary from both sides' train tokens (words seen
  `min_count` times in German and English together), the same `Vocab` for source and
  target, so a model can share one embedding matrix between them (Vaswani et al. 2017).
  `vocab='bpe'` tokenizes into `vocab_size` BPE pieces instead of words (`train_subwords`).

  Raises:
    ValueError: for an unknown split or argument, or 'validation' without a fraction.
    FileNotFoundError: when the dictionary is not installed.
  """
  if kw:
    raise ValueError(f'Unknown argument(s) {", ".join(sorted(kw))} of the deu_eng dataset; '
                     'valid: validation_fraction, validation_seed, max_words, min_count, '
                     'sentences_only, path, shared_vocab, vocab, vocab_size.')
  if split not in SPLITS:
    raise ValueError(f'Unknown split {split!r} for dataset deu_eng; valid: {SPLITS}.')
  from jaxgen.data.registry import require_validation_fraction  # pylint: disable=g-import-not-at-top
  require_validation_fraction('deu_eng', split, validation_fraction)
  if int(max_words) < 2 or int(min_count) < 1:
    raise ValueError(f'max_words must be >= 2 and min_count >= 1, got {max_words}, '
                     f'{min_count}.')
  if vocab not in VOCABS:
    raise ValueError(f'Unknown vocab {vocab!r} for dataset deu_eng; valid: {VOCABS}.')
  subwords = _check_vocab_size(vocab_size) if vocab == 'bpe' else 0   # before reading
  arrays, vocabs, words = _arrays(path, int(max_words), int(min_count), bool(sentences_only),
                                  float(validation_fraction), int(validation_seed),
                                  bool(shared_vocab), subwords)
  info = {'vocab': vocabs, 'join': ' '}
  if subwords:
    info['word_vocab'] = words
  return ArraySource(arrays[split], info=info)


deu_eng.own_validation = True
