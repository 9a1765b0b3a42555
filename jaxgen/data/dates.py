"""Human-written dates in many languages -> ISO 8601 dates: a real, offline seq2seq dataset.

Every calendar day from 1950-01-01 to 2049-12-31 is written out by babel (CLDR locale data:
month and weekday names, each locale's own 'full' / 'long' / 'medium' / 'short' patterns and
a few custom ones) in one or more (locale, format) renderings, and paired with its ISO date:

    'Montag, 31. Dezember 2018'  -> '2018-12-31'
    '31 de dez. de 2018'         -> '2018-12-31'
    '31.12.18'                   -> '2018-12-31'

Splits are held out *by date* (`jaxgen.data.text.split_of` of the ISO date): a day's every
rendering is on one side, so a test date was never seen in training in any language. The
test share is `TEST_FRACTION` of the dates; `validation_fraction` of the others form the
validation split (0: none, and 'validation' is then an error, as for every dataset in the
registry).

Patterns use the calendar year 'y' / 'yyyy', never 'Y' (CLDR's week-of-year year: babel
renders 2018-12-31 with 'YYYY' as 2019). Two-digit years ('yy', in the locales' short
formats) are unambiguous over this century-wide range: 50..99 are 19xx, 00..49 are 20xx.
Numeric month-first dates (US English 'M/d/yy') are left out: with day-first locales in the
mix, '01/02/03' would have two answers.

Tokens: characters. The source vocabulary is built from the train split's characters (UNK
for a character only the other splits have); the target vocabulary is '0123456789-'. Arrays
follow `jaxgen.data.text`: source [n, S], source_length [n], target [n, T] (the ISO date and
EOS: T = 11), target_length [n]; info['vocab'] = {'source': Vocab, 'target': Vocab}.
Everything is a pure function of the arguments, so every process sees the same splits.
"""
from __future__ import annotations

import datetime
import functools

import numpy as np

from jaxgen.data import text
from jaxgen.data.sources import ArraySource

FIRST, LAST = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)
TEST_FRACTION = 0.1
SALT = 'dates-v1'
LOCALES = ('en', 'en_GB', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'pl', 'ru', 'sv', 'da', 'fi',
           'cs', 'tr')
# babel's named formats plus custom CLDR patterns (calendar year 'y' only).
FORMATS = ('full', 'long', 'medium', 'short', 'd MMM yyyy', 'd MMMM yyyy', 'EEE d MMM yyyy',
           'dd.MM.yyyy', 'yyyy-MM-dd', 'd MMMM')
# (locale, format) pairs left out: month-first numeric dates, and day-month without a year.
EXCLUDED = {('en', 'short')} | {(loc, 'd MMMM') for loc in LOCALES}
TARGET_VOCAB = text.Vocab(text.SPECIALS + tuple('0123456789-'))
SPLITS = ('train', 'validation', 'test')


def renderings() -> tuple[tuple[str, str], ...]:
  """The (locale, format) pairs a date is written in."""
  return tuple((loc, f) for loc in LOCALES for f in FORMATS if (loc, f) not in EXCLUDED)


def render(date: datetime.date, locale: str, fmt: str) -> str:
  """`date` written by babel in `locale` with a named format or a CLDR pattern.

  Raises:
    ValueError: for a pattern with 'Y' (the week-based year: 31 Dec 2018 would read 2019).
  """
  from babel import dates as babel_dates  # pylint: disable=g-import-not-at-top
  if fmt not in ('full', 'long', 'medium', 'short') and 'Y' in fmt:
    raise ValueError(f"Date pattern {fmt!r} uses 'Y', the week-based year; use 'y' (the "
                     'calendar year).')
  s = babel_dates.format_date(date, format=fmt, locale=locale)
  return ' '.join(s.replace('\u202f', ' ').replace('\xa0', ' ').split())


def split_of_date(date: datetime.date, validation_fraction: float = 0.0,
                  validation_seed: int = 0) -> str:
  """'train', 'validation' or 'test' for a calendar date, by stable hashes of its ISO form.

  The test dates depend on nothing else; `validation_fraction` of the other dates (chosen by a
  second hash, salted with `validation_seed`) form the validation split.
  """
  iso = date.isoformat()
  if text.split_of(iso, (TEST_FRACTION, 0.0), salt=SALT) == 'test':
    return 'test'
  if validation_fraction and text.split_of(
      iso, (validation_fraction, 0.0), salt=f'{SALT}-validation-{validation_seed}') == 'test':
    return 'validation'
  return 'train'


def all_dates(first_year: int = FIRST.year, last_year: int = LAST.year
              ) -> list[datetime.date]:
  """Every calendar day of the years first_year..last_year."""
  first, last = datetime.date(first_year, 1, 1), datetime.date(last_year, 12, 31)
  return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]


@functools.lru_cache(maxsize=8)
def _pairs(validation_fraction: float, validation_seed: int, renderings_per_date: int,
           seed: int, years: tuple[int, int] = (FIRST.year, LAST.year)):
  """{split: [(rendering, iso)]}, each date's renderings drawn by a seeded generator."""
  pairs_ = renderings()
  out = {s: [] for s in SPLITS}
  rng = np.random.default_rng([seed, renderings_per_date])
  for date in all_dates(*years):
    picks = rng.choice(len(pairs_), size=renderings_per_date, replace=False)
    split = split_of_date(date, validation_fraction, validation_seed)
    for p in picks:
      out[split].append((render(date, *pairs_[p]), date.isoformat()))
  return out


@functools.lru_cache(maxsize=8)
def _arrays(validation_fraction: float, validation_seed: int, renderings_per_date: int,
            seed: int, years: tuple[int, int] = (FIRST.year, LAST.year)):
  pairs = _pairs(validation_fraction, validation_seed, renderings_per_date, seed, years)
  source_vocab = text.Vocab.build([s for s, _ in pairs['train']])
  width = max(len(s) for split in SPLITS for s, _ in pairs[split])
  out = {}
  for split in SPLITS:
    src, src_len = text.pad([source_vocab.encode(s) for s, _ in pairs[split]], width)
    tgt, tgt_len = text.pad([TARGET_VOCAB.encode(t) for _, t in pairs[split]], 11, eos=True)
    out[split] = dict(source=src, source_length=src_len, target=tgt, target_length=tgt_len)
  return out, source_vocab


def dates(split: str, validation_fraction: float = 0.0, validation_seed: int = 0,
          renderings_per_date: int = 1, seed: int = 0, first_year: int = FIRST.year,
          last_year: int = LAST.year, **kw) -> ArraySource:
  """Split `split` of the dates dataset (see the module docstring).

  Args:
    split: 'train', 'validation' or 'test'.
    validation_fraction: the share of the non-test dates held out for validation (0: none).
    validation_seed: salts the choice of validation dates.
    renderings_per_date: how many different (locale, format) renderings of each date.
    seed: seeds the choice of renderings (not the split, which is by date only).
    first_year, last_year: a sub-range of 1950..2049 (a smaller dataset for quick runs; a
      date's split does not depend on the range).
  Raises:
    ValueError: for an unknown split or argument, or 'validation' without a fraction.
  """
  if kw:
    raise ValueError(f'Unknown argument(s) {", ".join(sorted(kw))} of the dates dataset; '
                     'valid: validation_fraction, validation_seed, renderings_per_date, seed, '
                     'first_year, last_year.')
  if split not in SPLITS:
    raise ValueError(f'Unknown split {split!r} for dataset dates; valid: {SPLITS}.')
  from jaxgen.data.registry import require_validation_fraction  # pylint: disable=g-import-not-at-top
  require_validation_fraction('dates', split, validation_fraction)
  n = len(renderings())
  if not 1 <= int(renderings_per_date) <= n:
    raise ValueError(f'renderings_per_date must lie in [1, {n}], got {renderings_per_date}.')
  if not FIRST.year <= int(first_year) <= int(last_year) <= LAST.year:
    raise ValueError(f'first_year and last_year must satisfy {FIRST.year} <= first_year <= '
                     f'last_year <= {LAST.year} (two-digit years are read in that century); '
                     f'got {first_year}, {last_year}.')
  arrays, source_vocab = _arrays(float(validation_fraction), int(validation_seed),
                                 int(renderings_per_date), int(seed),
                                 (int(first_year), int(last_year)))
  return ArraySource(arrays[split], info={
      'vocab': {'source': source_vocab, 'target': TARGET_VOCAB}})


dates.own_validation = True
