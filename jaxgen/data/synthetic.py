"""Synthetic sequence tasks that the papers define by a generator.

  adding   the adding problem of Hochreiter & Schmidhuber (1997, Sec. 5.4, "Experiment 4").
"""
from __future__ import annotations

import numpy as np

ADDING_SIZES = {'train': 20_000, 'validation': 2_000, 'test': 2_000}
_ADDING_SEEDS = {'train': 0, 'validation': 1, 'test': 2}


def adding_problem(n: int, T: int, rng: np.random.Generator):
  """n sequences of the adding problem exactly as Hochreiter & Schmidhuber (1997) define it.

  Each step is a pair (value, marker): values uniform in [-1, 1]; lengths uniform in
  [T, T + T // 10]; one of the first ten pairs is marked 1 (its value X1), then one of the
  first T/2 - 1 still unmarked pairs (X2); the first and last pairs are marked -1 unless
  marked 1; X1 is set to 0 when the first pair is the one marked. The target, given at
  the sequence's end, is 0.5 + (X1 + X2) / 4, in [0, 1]; a sequence counts as processed
  correctly when the absolute error is below 0.04.

  Returns:
    x float32 [n, T + T // 10, 2] (zero past each length), length int32 [n], target
    float32 [n].
  """
  if T < 20:
    raise ValueError(f'The adding problem needs T >= 20 (its second mark lies in the first '
                     f'T/2 - 1 pairs, after one of the first ten), got T={T}.')
  width = T + T // 10
  x = np.zeros((n, width, 2), np.float32)
  lengths = rng.integers(T, width + 1, size=n).astype(np.int32)
  values = rng.uniform(-1.0, 1.0, size=(n, width)).astype(np.float32)
  target = np.zeros(n, np.float32)
  for i in range(n):
    L = lengths[i]
    x[i, :L, 0] = values[i, :L]
    first = rng.integers(0, 10)
    rest = [j for j in range(T // 2 - 1) if j != first]
    second = rest[rng.integers(0, len(rest))]
    x[i, 0, 1] = -1.0
    x[i, L - 1, 1] = -1.0
    x[i, first, 1] = 1.0
    x[i, second, 1] = 1.0
    if first == 0 or second == 0:
      x[i, 0, 0] = 0.0            # "we set X1 to zero"
    target[i] = 0.5 + (x[i, first, 0] + x[i, second, 0]) / 4.0
  return x, lengths, target


def adding(split: str, T: int = 100, num_examples: int | None = None,
           validation_fraction: float = 0.0, validation_seed: int = 0):
  """The adding problem as a dataset: fixed seeded splits (20k train, 2k validation, 2k test).

  The validation split has its own seed (it is never carved from train); `validation_fraction`
  only switches it on, as for the other datasets.
  """
  from jaxgen.data.sources import ArraySource  # pylint: disable=g-import-not-at-top
  if split == 'validation' and not validation_fraction:
    from jaxgen.data.registry import no_validation_message  # pylint: disable=g-import-not-at-top
    raise ValueError(no_validation_message('adding'))
  del validation_seed
  n = int(num_examples or ADDING_SIZES[split])
  x, lengths, target = adding_problem(n, int(T), np.random.default_rng([_ADDING_SEEDS[split], T]))
  return ArraySource({'x': x, 'length': lengths, 'target': target}, info={'T': int(T)})


adding.own_validation = True
