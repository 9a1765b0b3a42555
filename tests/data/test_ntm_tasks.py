"""The Neural Turing Machine's four tasks: layouts checked against the papers' definitions."""
import numpy as np
import pytest

from jaxgen import data
from jaxgen.data import synthetic


def test_copy_layout():
  x, y, mask, lengths = synthetic.copy_task(50, 1, 6, 8, np.random.default_rng(0))
  assert x.shape == (50, 13, 9) and y.shape == (50, 13, 8) and mask.shape == (50, 13)
  assert set(lengths) <= set(range(1, 7)) and len(set(lengths)) > 1
  for i, L in enumerate(lengths):
    np.testing.assert_array_equal(y[i, L + 1:2 * L + 1], x[i, :L, :8])     # the copy
    assert x[i, L, 8] == 1 and x[i, :, 8].sum() == 1                        # one delimiter
    assert not x[i, L + 1:].any() and not x[i, :L, 8].any()                 # no input after it
    assert mask[i].sum() == L and mask[i, L + 1:2 * L + 1].all()
    assert not y[i, :L + 1].any()
  assert set(np.unique(x[:, :, :8])) == {0.0, 1.0}


def test_repeat_copy_layout():
  x, y, mask, lr = synthetic.repeat_copy_task(40, 1, 4, 1, 3, 5, np.random.default_rng(1))
  assert x.shape[-1] == 7 and y.shape[-1] == 6
  for i, (L, R) in enumerate(lr):
    seq = x[i, :L, :5]
    np.testing.assert_allclose(x[i, L + 1, 6], R / synthetic.REPEAT_NORM)
    out = y[i, L + 2:L + 2 + L * R, :5]
    np.testing.assert_array_equal(out, np.tile(seq, (R, 1)))
    assert y[i, L + 2 + L * R, 5] == 1 and y[i, :, 5].sum() == 1            # end marker
    assert mask[i].sum() == L * R + 1
  assert len(set(lr[:, 1])) == 3


def test_associative_recall_layout():
  x, y, mask, counts = synthetic.associative_recall_task(30, 2, 5, 3, 6, np.random.default_rng(2))
  for i, K in enumerate(counts):
    items = [x[i, k * 4 + 1:k * 4 + 4, :6] for k in range(K)]
    assert all(x[i, k * 4, 6] == 1 for k in range(K))
    t = K * 4
    assert x[i, t, 7] == 1 and x[i, t + 4, 7] == 1
    query = x[i, t + 1:t + 4, :6]
    matches = [k for k in range(K - 1) if np.array_equal(items[k], query)]
    assert matches                                     # the query is one of the first K - 1
    target = y[i, t + 5:t + 8]
    assert any(np.array_equal(items[k + 1], target) for k in matches)
    assert mask[i].sum() == 3 and mask[i, t + 5:t + 8].all()


def test_priority_sort_layout():
  x, y, mask, _ = synthetic.priority_sort_task(20, 10, 6, 4, np.random.default_rng(3))
  for i in range(20):
    priority = x[i, :10, 4]
    assert (-1 <= priority).all() and (priority <= 1).all()
    best = np.argsort(-priority)[:6]
    np.testing.assert_array_equal(y[i, 11:17], x[i, best, :4])
    assert x[i, 10, 5] == 1 and mask[i].sum() == 6


def test_datasets_are_seeded_per_split_and_size():
  a = data.load('copy', 'test', max_length=5, num_examples=10)
  b = data.load('copy', 'test', max_length=5, num_examples=10)
  c = data.load('copy', 'train', max_length=5, num_examples=10)
  np.testing.assert_array_equal(a.arrays['x'], b.arrays['x'])
  assert not np.array_equal(a.arrays['x'], c.arrays['x'])
  long = data.load('copy', 'test', min_length=21, max_length=40, num_examples=5)
  assert long.arrays['x'].shape == (5, 81, 9)
  assert len(data.load('priority_sort', 'validation', validation_fraction=0.1)) == 1000


@pytest.mark.parametrize('name, kw, message', [
    ('copy', dict(min_length=5, max_length=3), 'min_length \\(5\\) must be <= max_length'),
    ('copy', dict(max_length=0), 'must be >= 1'),
    ('associative_recall', dict(min_items=1), 'min_items >= 2'),
    ('priority_sort', dict(num_outputs=30), 'num_outputs \\(30\\) must be <= num_inputs'),
    ('copy', dict(split='dev'), 'Unknown split'),
])
def test_bad_sizes_fail_in_one_line(name, kw, message):
  split = kw.pop('split', 'train')
  with pytest.raises(ValueError, match=message):
    data.load(name, split, **kw)
