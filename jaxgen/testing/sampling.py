"""Fast samplers against naive ones: the same key must give the same samples.

A fast sampler (a cached WaveNet, a cached PixelCNN, MAF inversion by a scan) computes the
same ancestral sample as the naive one, which reruns the whole network for every step. With
the same key and the same uniforms per step, the two draws are identical, not just close.
"""
from __future__ import annotations

from typing import Any, Callable

import jax
import numpy as np


def assert_same_samples(fast_fn: Callable[..., Any], naive_fn: Callable[..., Any], *args: Any,
                        atol: float = 0.0, rtol: float = 0.0, **kwargs: Any) -> Any:
  """Asserts that `fast_fn(*args, **kwargs)` equals `naive_fn(*args, **kwargs)`.

  Exact by default: discrete samples (levels, mu-law codes) must agree bit for bit. Give
  `atol` / `rtol` for continuous outputs that go through different floating-point paths.

  Args:
    fast_fn: the fast sampler; returns an array or a pytree of arrays.
    naive_fn: the reference sampler with the same signature and output structure.
    *args: passed to both (include the PRNG key: the same key for both).
    atol: absolute tolerance; 0 means exact.
    rtol: relative tolerance (relative to the naive output).
    **kwargs: passed to both.
  Returns:
    The fast sampler's output, for further checks.
  Raises:
    AssertionError: the outputs differ in structure, in shape, or at some element; the
      message names the first differing index (row-major), both values and the count.

  Example:

    samples = assert_same_samples(sample_cached, sample_plain, params, jax.random.key(0), 16)
  """
  fast, naive = fast_fn(*args, **kwargs), naive_fn(*args, **kwargs)
  fast_leaves, fast_def = jax.tree_util.tree_flatten_with_path(fast)
  naive_leaves, naive_def = jax.tree_util.tree_flatten_with_path(naive)
  if fast_def != naive_def:
    raise AssertionError(f'same_samples: the fast and naive outputs have different structures: '
                         f'{fast_def} vs {naive_def}.')
  for (path, a), (_, b) in zip(fast_leaves, naive_leaves):
    where = f' in {jax.tree_util.keystr(path)}' if path else ''
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
      raise AssertionError(f'same_samples: fast and naive samples{where} have shapes {a.shape} '
                           f'and {b.shape}.')
    bad = _differ(a, b, atol, rtol)
    if np.any(bad):
      idx = tuple(int(i) for i in np.argwhere(bad)[0])
      raise AssertionError(
          f'same_samples: fast and naive samples{where} differ first at index {idx}: fast '
          f'{a[idx]!r} vs naive {b[idx]!r}; {int(bad.sum())} of {bad.size} elements differ '
          f'(atol={atol:g}, rtol={rtol:g}).')
  return fast


def _differ(a: np.ndarray, b: np.ndarray, atol: float, rtol: float) -> np.ndarray:
  """Elements where a and b differ beyond atol + rtol |b| (NaN equals NaN)."""
  both_nan = np.zeros(a.shape, bool)
  if np.issubdtype(a.dtype, np.inexact) and np.issubdtype(b.dtype, np.inexact):
    both_nan = np.isnan(a) & np.isnan(b)
  if atol == 0 and rtol == 0:
    return (a != b) & ~both_nan
  a64, b64 = a.astype(np.float64), b.astype(np.float64)
  with np.errstate(invalid='ignore'):
    close = np.abs(a64 - b64) <= atol + rtol * np.abs(b64)
  return ~(close | both_nan)
