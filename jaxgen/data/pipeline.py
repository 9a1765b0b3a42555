"""Batch pipelines: seeded, reproducible, and stateless in the step.

The batch for training step `s` is a pure function of (seed, s): epoch `e = s // steps_per_epoch`
is a permutation drawn from `default_rng([seed, e])`, and per-batch randomness (dynamic
binarization, dequantization noise) from `default_rng([seed, 1, s])`. A resumed run therefore
sees exactly the batches an uninterrupted run would, with no iterator state to checkpoint.

In a multi-process run each process reads only its own rows of every global batch.
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

import ml_collections
import numpy as np

from jaxgen.data import registry
from jaxgen.data import transforms as transforms_lib
from jaxgen.data.sources import Source


@dataclasses.dataclass
class Batcher:
  """Batches of a source.

  Attributes:
    source: the split.
    batch_size: the global batch size (over all processes).
    seed: the data seed.
    transform: applied to every batch, with a generator seeded by (seed, step).
    process_index, process_count: which rows of each global batch this process reads.
  """
  source: Source
  batch_size: int
  seed: int = 0
  transform: transforms_lib.Transform | None = None
  process_index: int = 0
  process_count: int = 1

  def __post_init__(self):
    if self.batch_size <= 0:
      raise ValueError(f'batch_size must be positive, got {self.batch_size}.')
    if self.batch_size % self.process_count:
      raise ValueError(f'batch_size {self.batch_size} is not divisible by the '
                       f'{self.process_count} processes.')
    if len(self.source) < self.batch_size:
      raise ValueError(f'The split has {len(self.source)} examples, fewer than one batch '
                       f'of {self.batch_size}.')

  @property
  def steps_per_epoch(self) -> int:
    return len(self.source) // self.batch_size

  def _local(self, idx: np.ndarray) -> np.ndarray:
    per = len(idx) // self.process_count
    return idx[self.process_index * per:(self.process_index + 1) * per]

  def _finish(self, batch: dict, rng_seed) -> dict:
    if self.transform is not None:
      batch = self.transform(batch, np.random.default_rng(rng_seed))
    return batch

  def permutation(self, epoch: int) -> np.ndarray:
    """The example order of `epoch` (the last one is kept, so each is drawn once)."""
    cached = getattr(self, '_perm', None)
    if cached is None or cached[0] != epoch:
      self._perm = (epoch, np.random.default_rng([self.seed, 0, epoch]).permutation(
          len(self.source)))
    return self._perm[1]

  def indices(self, step: int) -> np.ndarray:
    """The global example indices of the training batch for `step`."""
    epoch, i = divmod(int(step), self.steps_per_epoch)
    return self.permutation(epoch)[i * self.batch_size:(i + 1) * self.batch_size]

  def batch(self, step: int) -> dict:
    """The (process-local) training batch for `step`: shuffled, fixed size."""
    # Sorted (faster random access for file-backed sources), then this process's rows.
    idx = self._local(np.sort(self.indices(step)))
    return self._finish(self.source.get(idx), [self.seed, 1, int(step)])

  def epoch(self) -> Iterator[tuple[dict, np.ndarray]]:
    """One ordered pass for evaluation: (batch, mask) pairs.

    The last batch is padded to full size by repeating its first row; `mask` is 1 for real
    rows, so metrics can be averaged over exactly the split.
    """
    n = len(self.source)
    for b, start in enumerate(range(0, n, self.batch_size)):
      idx = np.arange(start, min(start + self.batch_size, n))
      mask = np.ones(self.batch_size, np.float32)
      if len(idx) < self.batch_size:
        mask[len(idx):] = 0
        idx = np.concatenate([idx, np.full(self.batch_size - len(idx), idx[0])])
      yield (self._finish(self.source.get(self._local(idx)), [self.seed, 2, b]),
             self._local(mask))


def make_transform(names, alpha: float = 0.05):
  """A composed transform from a list of names (see `jaxgen.data.transforms`)."""
  if isinstance(names, str):
    names = [names] if names else []
  ts = [transforms_lib.get_transform(n, alpha=alpha) if n == 'logit'
        else transforms_lib.get_transform(n) for n in names if n != 'binarize_static']
  return transforms_lib.compose(ts) if ts else None


def make_batchers(data: ml_collections.ConfigDict, seed: int = 0,
                  process_index: int = 0, process_count: int = 1):
  """Train and test `Batcher`s from a data config.

  The config has `name`, `batch_size`, optional `eval_batch_size`, `preprocess` (a list of
  transform names; `binarize_static` binarizes each split once), `logit_alpha` and `kwargs`
  (passed to the dataset loader).
  """
  kwargs = dict(data.get('kwargs', {}) or {})
  preprocess = list(data.get('preprocess', []) or [])
  out = []
  for split, bs, split_seed in (('train', data.batch_size, seed),
                                ('test', data.get('eval_batch_size', data.batch_size), 0)):
    source = registry.load(data.name, split, **kwargs)
    if 'binarize_static' in preprocess:
      source = transforms_lib.binarize_static_source(source, seed={'train': 1, 'test': 2}[split])
    bs = min(bs, len(source)) if split == 'test' else bs
    out.append(Batcher(source, bs, seed=split_seed,
                       transform=make_transform(preprocess, data.get('logit_alpha', 0.05)),
                       process_index=process_index, process_count=process_count))
  return tuple(out)
