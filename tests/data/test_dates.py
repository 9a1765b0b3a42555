"""The dates dataset: held out by calendar date, calendar years, round trips to ISO dates."""
import collections
import datetime

import numpy as np
import pytest

from jaxgen import data
from jaxgen.data import dates, text


@pytest.fixture(scope='module')
def splits():
  return {s: data.load('dates', s, validation_fraction=0.1) for s in dates.SPLITS}


def _isos(source):
  v = source.info['vocab']['target']
  return [v.decode(row) for row in source.arrays['target']]


def test_no_date_is_in_two_splits(splits):
  sets = {s: set(_isos(src)) for s, src in splits.items()}
  assert not sets['train'] & sets['test']
  assert not sets['train'] & sets['validation']
  assert not sets['validation'] & sets['test']
  n = (dates.LAST - dates.FIRST).days + 1
  assert sum(len(v) for v in sets.values()) == n            # every day, once
  assert 0.08 * n < len(sets['test']) < 0.12 * n
  # The test dates do not move with the validation share.
  assert set(_isos(data.load('dates', 'test'))) == sets['test']
  assert set(_isos(data.load('dates', 'train'))) == sets['train'] | sets['validation']


def test_round_trip_target_to_iso_and_source_to_a_rendering(splits):
  src = splits['test']
  vs, vt = src.info['vocab']['source'], src.info['vocab']['target']
  assert src.info['features']['target'] == ((11,), 'int32')
  rows = np.linspace(0, len(src) - 1, 25).astype(int)
  for i in rows:
    iso = vt.decode(src.arrays['target'][i])
    day = datetime.date.fromisoformat(iso)
    assert day.isoformat() == iso
    assert src.arrays['target'][i, src.arrays['target_length'][i] - 1] == text.EOS
    written = vs.decode(src.arrays['source'][i][:src.arrays['source_length'][i]])
    if text.SPECIALS[text.UNK] not in written:
      assert written in {dates.render(day, *r) for r in dates.renderings()}


def test_31_december_2018_is_written_with_its_calendar_year():
  day = datetime.date(2018, 12, 31)                # in ISO week 1 of 2019
  for locale, fmt in dates.renderings():
    s = dates.render(day, locale, fmt)
    assert '2019' not in s and '19' not in s.replace('2018', ''), (locale, fmt, s)
    assert '2018' in s or '18' in s, (locale, fmt, s)
  from babel.dates import format_date
  assert format_date(day, 'YYYY', locale='en') == '2019'   # the week-year hazard is real
  with pytest.raises(ValueError, match='week-based year'):
    dates.render(day, 'en', 'd MMM YYYY')


def test_no_rendering_stands_for_two_dates():
  """Day-first, year-first and month-name formats only: every string has one answer (two
  years of dates in every rendering, the numeric ones the risky part)."""
  seen = collections.defaultdict(set)
  for year in (1951, 2003):
    day = datetime.date(year, 1, 1)
    while day.year == year:
      for r in dates.renderings():
        seen[dates.render(day, *r)].add(day)
      day += datetime.timedelta(days=1)
  clashes = {s: d for s, d in seen.items() if len(d) > 1}
  assert not clashes, list(clashes.items())[:3]


def test_deterministic_and_strict_arguments():
  a = data.load('dates', 'test').arrays
  dates._arrays.cache_clear()
  dates._pairs.cache_clear()
  b = data.load('dates', 'test').arrays
  for k in a:
    np.testing.assert_array_equal(a[k], b[k])
  with pytest.raises(ValueError, match='validation_fraction'):
    data.load('dates', 'validation')
  with pytest.raises(ValueError, match='renderings_per_date'):
    data.load('dates', 'train', renderings_per_date=0)
  with pytest.raises(ValueError, match='Unknown argument'):
    dates.dates('train', locale='en')
  with pytest.raises(ValueError, match='first_year'):
    dates.dates('train', first_year=1900)


def test_a_range_of_years_keeps_each_dates_split():
  small = {s: set(_isos(data.load('dates', s, first_year=2000, last_year=2003)))
           for s in ('train', 'test')}
  full_test = set(_isos(data.load('dates', 'test')))
  assert small['test'] and small['test'] <= full_test
  assert not small['train'] & full_test
  assert all(d[:4] in ('2000', '2001', '2002', '2003') for d in small['train'])
