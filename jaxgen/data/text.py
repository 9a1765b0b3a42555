"""Text data: vocabularies, padded token arrays, and the offline English corpora.

Conventions every text source follows (so one task reads them all):
  tokens         int32 [n, T] token ids, padded with PAD = 0 after each sequence's end;
  length         int32 [n], the number of real tokens (EOS included where there is one);
  source / target (+ source_length / target_length) for pairs (seq2seq);
  info['vocab']  the `Vocab` (or {'source': Vocab, 'target': Vocab} for pairs), so a task can
                 size its embeddings and decode ids back to text.

Vocabularies reserve PAD = 0, BOS = 1, EOS = 2 and UNK = 3; `Vocab.bytes()` is the byte-level
vocabulary (every UTF-8 byte is a token, nothing is unknown), the one the character language
models use: on ASCII text a byte is a character, so bits per byte are bits per character.
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import hashlib
from typing import Iterable, Sequence

import numpy as np

from jaxgen.data.registry import require_validation_fraction

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ('<pad>', '<s>', '</s>', '<unk>')


@dataclasses.dataclass(frozen=True)
class Vocab:
  """Token strings by id; ids 0..3 are the specials (pad, bos, eos, unk).

  Attributes:
    tokens: every token by id, the specials first.
    byte_level: ids 4..259 are the bytes 0..255 (`encode` takes text, UTF-8 encoded).
    word_marker: for a subword vocabulary (sentencepiece's pieces, `jaxgen.data.translation`),
      the character that starts a word ('\u2581'): `decode` joins the pieces and turns each
      marker into a space, whatever `join` says.
  """
  tokens: tuple[str, ...]
  byte_level: bool = False
  word_marker: str = ''

  @classmethod
  def bytes(cls) -> Vocab:
    return cls(SPECIALS + tuple(f'<0x{b:02x}>' for b in range(256)), byte_level=True)

  @classmethod
  def build(cls, sequences: Iterable[Sequence[str]], min_count: int = 1,
            max_size: int | None = None) -> Vocab:
    """A vocabulary of the tokens seen at least `min_count` times (most frequent first)."""
    counts = collections.Counter(t for s in sequences for t in s)
    items = sorted((t for t, c in counts.items() if c >= min_count),
                   key=lambda t: (-counts[t], t))
    if max_size is not None:
      items = items[:max(0, max_size - len(SPECIALS))]
    return cls(SPECIALS + tuple(items))

  def __len__(self) -> int:
    return len(self.tokens)

  @property
  def index(self) -> dict[str, int]:
    return _index(self.tokens)

  def encode(self, seq) -> list[int]:
    """Ids of `seq`: text (UTF-8 bytes) for a byte vocabulary, else a sequence of tokens."""
    if self.byte_level:
      return [b + len(SPECIALS) for b in seq.encode('utf-8')]
    index = self.index
    return [index.get(t, UNK) for t in seq]

  def decode(self, ids, stop_at_eos: bool = True, join: str = '') -> str:
    """Text of `ids`, stopping at the first EOS; specials other than UNK are dropped."""
    out = []
    for i in np.asarray(ids).tolist():
      if i == EOS and stop_at_eos:
        break
      if i in (PAD, BOS, EOS):
        continue
      out.append(i)
    if self.byte_level:
      return bytes(i - len(SPECIALS) for i in out if i >= len(SPECIALS)).decode(
          'utf-8', errors='replace')
    pieces = (self.tokens[i] if 0 <= i < len(self.tokens) else SPECIALS[UNK] for i in out)
    if self.word_marker:
      return ''.join(pieces).replace(self.word_marker, ' ').strip()
    return join.join(pieces)


@functools.lru_cache(maxsize=16)
def _index(tokens: tuple[str, ...]) -> dict[str, int]:
  """{token: id}, cached per vocabulary (keyed by the token tuple itself)."""
  return {t: i for i, t in enumerate(tokens)}


def pad(sequences: Sequence[Sequence[int]], length: int | None = None,
        eos: bool = False, bos: bool = False) -> tuple[np.ndarray, np.ndarray]:
  """(int32 [n, length] ids padded with PAD, int32 [n] lengths), optional BOS / EOS added.

  Raises ValueError if a sequence (with its BOS / EOS) is longer than `length`.
  """
  seqs = [([BOS] if bos else []) + list(s) + ([EOS] if eos else []) for s in sequences]
  lengths = np.array([len(s) for s in seqs], np.int32)
  width = int(lengths.max(initial=0)) if length is None else int(length)
  if len(seqs) and lengths.max() > width:
    raise ValueError(f'A sequence of {lengths.max()} tokens does not fit length {width}.')
  out = np.zeros((len(seqs), width), np.int32)
  for i, s in enumerate(seqs):
    out[i, :len(s)] = s
  return out, lengths


def split_of(key: str, fractions: tuple[float, float] = (0.1, 0.1), salt: str = '') -> str:
  """'test', 'validation' or 'train' for an item, by a stable hash of its key.

  A hash split keeps every copy of an item (a fortune printed twice, a word listed under two
  entries) on one side, and does not move when the corpus grows.
  """
  h = int.from_bytes(hashlib.sha1((salt + key).encode('utf-8')).digest()[:8], 'big') / 2**64
  test, validation = fractions
  if h < test:
    return 'test'
  if h < test + validation:
    return 'validation'
  return 'train'


# --------------------------------------------------------------------------- corpora
FORTUNES_DIR = '/usr/share/games/fortunes'
GCIDE_DICT = '/usr/share/dictd/gcide.dict.dz'
TEST_FRACTION = 0.1


def _require(path: str, package: str, what: str) -> None:
  import os  # pylint: disable=g-import-not-at-top
  if not os.path.exists(path):
    raise FileNotFoundError(
        f'{what} not found at {path}: install the Debian package {package!r} '
        f'(sudo apt-get install {package}, or bash scripts/install_test_data.sh).')


def read_fortunes(directory: str = FORTUNES_DIR) -> list[str]:
  """Every fortune (text between '%' lines) of the Debian `fortunes` files, in file order.

  The `.dat` indexes and the `.u8` links (copies of the same files) are skipped; trailing
  whitespace is stripped and empty entries dropped.
  """
  import os  # pylint: disable=g-import-not-at-top
  _require(directory, 'fortunes', 'The fortunes text')
  out = []
  for name in sorted(os.listdir(directory)):
    path = os.path.join(directory, name)
    if name.endswith('.dat') or os.path.islink(path) or not os.path.isfile(path):
      continue
    with open(path, encoding='utf-8', errors='replace') as f:
      text = f.read()
    out.extend(t.strip('\n').rstrip() for t in text.split('\n%\n'))
  return [t for t in out if t.strip()]


def windows(ids: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
  """Cuts a token stream into [n, length + 1] windows that overlap by one token.

  Window i holds ids[i * length : (i + 1) * length + 1]: inputs `w[:-1]`, targets `w[1:]`, so
  every token of the stream after the first is a target exactly once. The last window is
  padded (PAD) and its `length` (tokens in the window) says where it ends.
  """
  ids = np.asarray(ids, np.int32)
  n = max(1, -(-(len(ids) - 1) // length))
  out = np.zeros((n, length + 1), np.int32)
  lengths = np.zeros(n, np.int32)
  for i in range(n):
    w = ids[i * length:(i + 1) * length + 1]
    out[i, :len(w)] = w
    lengths[i] = len(w)
  return out, lengths


def _held_out(key: str, split_salt: str, validation_fraction: float, validation_seed: int
              ) -> str:
  """The split of an item: 10% test by hash, then `validation_fraction` of the rest."""
  s = split_of(key, (TEST_FRACTION, 0.0), salt=split_salt)
  if s != 'test' and validation_fraction:
    hit = split_of(key, (validation_fraction, 0.0),
                   salt=f'{split_salt}validation-{validation_seed}') == 'test'
    s = 'validation' if hit else 'train'
  return s


def stream_source(items: Sequence[str], split: str, separator: str, seq_len: int,
                  max_chars: int | None, info: dict | None = None):
  """Byte windows (`windows`) of `items` joined by `separator` (ending with it too)."""
  from jaxgen.data.sources import ArraySource  # pylint: disable=g-import-not-at-top
  vocab = Vocab.bytes()
  ids = np.asarray(vocab.encode(separator.join(items) + separator), np.int32)
  if max_chars is not None:
    ids = ids[:int(max_chars)]
  tokens, lengths = windows(ids, int(seq_len))
  return ArraySource({'tokens': tokens, 'length': lengths},
                     info=dict(info or {}, vocab=vocab, num_chars=int(len(ids)), split=split))


def fortunes(split: str, validation_fraction: float = 0.0, validation_seed: int = 0,
             seq_len: int = 128, max_chars: int | None = None,
             max_eval_chars: int | None = None, directory: str = FORTUNES_DIR):
  """Byte-level windows of Debian's `fortunes` text (2.5 MB of English), for character LMs.

  Whole fortunes are held out by a hash of their text (`split_of`): 10% test, then
  `validation_fraction` of the rest as validation (a fortune printed twice, in two files,
  stays on one side). Each split's fortunes are joined in file order by '\\n%\\n' (the
  files' own separator, so a model learns where fortunes end) and cut into windows of
  `seq_len + 1` bytes (`windows`).

  Args:
    split: 'train', 'validation' or 'test'.
    validation_fraction: the share of non-test fortunes held out as validation.
    validation_seed: salts the validation carve (the test split never moves).
    seq_len: predictions per window.
    max_chars: keep only the first `max_chars` bytes of the train split (smaller runs).
    max_eval_chars: the same for validation and test (default: `max_chars`).
  Returns:
    An ArraySource with 'tokens' int32 [n, seq_len + 1] and 'length' int32 [n]; info has
    'vocab' (the byte vocabulary) and 'num_chars' (bytes in the split, before windowing).
  """
  require_validation_fraction('fortunes', split, validation_fraction)
  parts = [t for t in read_fortunes(directory)
           if _held_out(t, '', validation_fraction, validation_seed) == split]
  cap = max_chars if split == 'train' or max_eval_chars is None else max_eval_chars
  return stream_source(parts, split, '\n%\n', seq_len, cap)


fortunes.own_validation = True


# GCIDE marks syllable breaks in its headwords' pronunciation field: '*' a plain break, '"'
# after a syllable with primary stress, '`' (and the rarer "'") after one with secondary
# stress. `\Ab`di*ca"tion\` is ab-di-ca-tion.
_GCIDE_MARKS = '*"`\''


def parse_gcide_syllables(raw: str) -> list[tuple[str, tuple[int, ...]]]:
  """(word, boundaries) of every usable GCIDE headword, first entry of each word kept.

  `boundaries` are the letter indices i after which a syllable ends (0 < i + 1 < len). Kept:
  headwords of letters only whose marked form, marks removed, spells the headword, with at
  least one mark (GCIDE leaves many derived words and most monosyllables unmarked: an
  unmarked form says nothing about its syllables, so those are dropped).
  """
  import re  # pylint: disable=g-import-not-at-top
  out, seen = [], set()
  for word, form in re.findall(r'^([A-Za-z]+) \\([^\\\n]+)\\', raw, re.M):
    if not any(m in form for m in _GCIDE_MARKS):
      continue
    letters, bounds = [], []
    ok = True
    for ch in form:
      if ch in _GCIDE_MARKS:
        if letters and (not bounds or bounds[-1] != len(letters) - 1):
          bounds.append(len(letters) - 1)
      elif ch.isalpha():
        letters.append(ch)
      else:
        ok = False
        break
    w = ''.join(letters)
    if not ok or w.lower() != word.lower():
      continue
    key = w.lower()
    bounds = tuple(b for b in bounds if b + 1 < len(w))
    if key in seen or not bounds and len(w) > 1 and '"' not in form:
      continue
    seen.add(key)
    out.append((key, bounds))
  return out


def _read_gcide(path: str = GCIDE_DICT) -> str:
  import gzip  # pylint: disable=g-import-not-at-top
  _require(path, 'dict-gcide', 'The GCIDE dictionary')
  with gzip.open(path, 'rt', encoding='utf-8', errors='replace') as f:
    return f.read()


@functools.lru_cache(maxsize=2)
def _gcide_words(path: str) -> tuple:
  return tuple(parse_gcide_syllables(_read_gcide(path)))


def gcide_syllables(split: str, validation_fraction: float = 0.0, validation_seed: int = 0,
                    max_len: int = 24, max_words: int | None = None, path: str = GCIDE_DICT):
  """English words and their syllable breaks from Debian's `dict-gcide` (a tagging task).

  Words are held out by a hash of the word (10% test, then `validation_fraction` of the
  rest). Per example: 'tokens' int32 [max_len] (the lower-cased letters, byte vocabulary),
  'length' int32, and 'labels' int32 [max_len]: 1 at a letter after which a syllable ends
  (never the last letter), 0 elsewhere and on padding. Words longer than `max_len` are
  dropped. info: 'vocab' (bytes), 'num_classes' 2.
  """
  from jaxgen.data.sources import ArraySource  # pylint: disable=g-import-not-at-top
  require_validation_fraction('gcide_syllables', split, validation_fraction)
  words = []
  for w, bounds in _gcide_words(path):
    if len(w) > max_len:
      continue
    s = split_of(w, (TEST_FRACTION, 0.0), salt='gcide')
    if s != 'test' and validation_fraction:
      s = 'validation' if split_of(w, (validation_fraction, 0.0),
                                   salt=f'gcide-validation-{validation_seed}') == 'test' else 'train'
    if s == split:
      words.append((w, bounds))
  if max_words is not None:
    words = words[:int(max_words)]
  vocab = Vocab.bytes()
  tokens, lengths = pad([vocab.encode(w) for w, _ in words], max_len)
  labels = np.zeros_like(tokens)
  for i, (_, bounds) in enumerate(words):
    labels[i, list(bounds)] = 1
  return ArraySource({'tokens': tokens, 'length': lengths, 'labels': labels},
                     info={'vocab': vocab, 'num_classes': 2})


gcide_syllables.own_validation = True


def read_gcide_entries(path: str = GCIDE_DICT) -> list[str]:
  """The GCIDE dictionary's entries (headword line and definitions), indentation removed.

  The database header (the '00-database-*' entries and the licence text before the first
  entry of letter A) is skipped.
  """
  raw = _read_gcide(path)
  start = raw.find('\nA \\')
  body = raw[start + 1:] if start >= 0 else raw
  out = []
  for entry in body.split('\n\n'):
    lines = [ln.strip() for ln in entry.strip('\n').splitlines()]
    text = '\n'.join(ln for ln in lines if ln)
    if text:
      out.append(text)
  return out


def gcide_text(split: str, validation_fraction: float = 0.0, validation_seed: int = 0,
               seq_len: int = 128, max_chars: int | None = 4_000_000,
               max_eval_chars: int | None = 400_000, path: str = GCIDE_DICT):
  """Byte windows of the GCIDE dictionary's text (definitions), for character LMs.

  Entries are held out by hash (10% test, then `validation_fraction` of the rest), joined
  by blank lines. The whole text is 40 MB; by default train keeps its first 4 MB and
  validation / test their first 400 kB (`max_chars`, `max_eval_chars`; None: all).
  """
  require_validation_fraction('gcide_text', split, validation_fraction)
  parts = [e for e in read_gcide_entries(path)
           if _held_out(e, 'gcide-text', validation_fraction, validation_seed) == split]
  cap = max_chars if split == 'train' else max_eval_chars
  return stream_source(parts, split, '\n\n', seq_len, cap)


gcide_text.own_validation = True
