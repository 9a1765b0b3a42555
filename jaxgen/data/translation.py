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


@functools.lru_cache(maxsize=4)
def _arrays(path: str, max_words: int, min_count: int, sentences_only: bool,
            validation_fraction: float, validation_seed: int, shared_vocab: bool = False):
  by_split = tokenized_splits(path, max_words, sentences_only, validation_fraction,
                              validation_seed)
  if shared_vocab:        # one vocabulary of both languages' train words (Vaswani 2017)
    joint = text.Vocab.build([t for pair in by_split['train'] for t in pair], min_count)
    vocab = {'source': joint, 'target': joint}
  else:
    vocab = {'source': text.Vocab.build([d for d, _ in by_split['train']], min_count),
             'target': text.Vocab.build([e for _, e in by_split['train']], min_count)}
  s_len = max(len(d) for s in SPLITS for d, _ in by_split[s])
  t_len = max(len(e) for s in SPLITS for _, e in by_split[s]) + 1
  out = {}
  for split in SPLITS:
    rows = by_split[split]
    src, sl = text.pad([vocab['source'].encode(d) for d, _ in rows], s_len)
    tgt, tl = text.pad([vocab['target'].encode(e) for _, e in rows], t_len, eos=True)
    out[split] = dict(source=src, source_length=sl, target=tgt, target_length=tl)
  return out, vocab


def deu_eng(split: str, validation_fraction: float = 0.0, validation_seed: int = 0,
            max_words: int = 20, min_count: int = 2, sentences_only: bool = False,
            path: str = DICT_PATH, shared_vocab: bool = False, **kw) -> ArraySource:
  """Split `split` of the German -> English example sentences (see the module docstring).

  `shared_vocab=True` builds one vocabulary from both sides' train tokens (words seen
  `min_count` times in German and English together), the same `Vocab` for source and
  target, so a model can share one embedding matrix between them (Vaswani et al. 2017).

  Raises:
    ValueError: for an unknown split or argument, or 'validation' without a fraction.
    FileNotFoundError: when the dictionary is not installed.
  """
  if kw:
    raise ValueError(f'Unknown argument(s) {", ".join(sorted(kw))} of the deu_eng dataset; '
                     'valid: validation_fraction, validation_seed, max_words, min_count, '
                     'sentences_only, path, shared_vocab.')
  if split not in SPLITS:
    raise ValueError(f'Unknown split {split!r} for dataset deu_eng; valid: {SPLITS}.')
  from jaxgen.data.registry import require_validation_fraction  # pylint: disable=g-import-not-at-top
  require_validation_fraction('deu_eng', split, validation_fraction)
  if int(max_words) < 2 or int(min_count) < 1:
    raise ValueError(f'max_words must be >= 2 and min_count >= 1, got {max_words}, '
                     f'{min_count}.')
  arrays, vocab = _arrays(path, int(max_words), int(min_count), bool(sentences_only),
                          float(validation_fraction), int(validation_seed), bool(shared_vocab))
  return ArraySource(arrays[split], info={'vocab': vocab, 'join': ' '})


deu_eng.own_validation = True
