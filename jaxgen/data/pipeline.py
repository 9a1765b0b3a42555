"""Batch pipelines on grain: seeded, reproducible, and stateless in the step.

The training order is a `grain.MapDataset` of example indices,

  MapDataset.range(n).shuffle(seed=s').batch(batch_size, drop_remainder=True).repeat()

read by random access: batch `i` of it is the index batch of training step `i`. grain's
`shuffle` is a Feistel-network index shuffle (`index_shuffle`) that draws epoch `e` with seed
`s' + e`; `batch(..., drop_remainder=True)` after it gives `steps_per_epoch = n // batch_size`
batches per epoch, and `repeat()` maps step `s` to batch `s mod steps_per_epoch` of epoch
`s // steps_per_epoch` (grain re-seeds the shuffle each epoch). So every example appears at
most once per epoch (the last `n mod batch_size` of each epoch's order are left out, a
different few each epoch), and step `s` costs O(batch_size): nothing is iterated from the
start. `s'` is derived from the data seed by `np.random.SeedSequence`, so neighbouring seeds
do not share epochs (seed 7's epoch 1 is not seed 8's epoch 0).

A step's rows are then sorted (faster random access for file-backed sources), each process
keeps only its contiguous block of `batch_size / process_count` rows, reads them with one
`source.get`, and the per-batch transform (dynamic binarization, dequantization) runs with
a generator seeded by (seed, 1, step). The batch of step `s` is therefore a pure function of
(seed, s): a resumed run sees exactly the batches an uninterrupted run would, with no
iterator state to checkpoint, and the processes' batches concatenate to the global one.

Evaluation is one ordered pass, `MapDataset.range(n).batch(batch_size)`, the last batch
padded (mask 0) and transformed with (seed, 2, batch index).
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Iterator

import ml_collections
import numpy as np

from jaxgen.data import registry
from jaxgen.data import transforms as transforms_lib
from jaxgen.data.sources import Source


def _grain():
  import grain  # pylint: disable=g-import-not-at-top  (grain imports jax: keep import fast)
  return grain


def _stack_indices(items) -> np.ndarray:
  return np.asarray(list(items), np.int64)


def shuffle_seed(seed: int) -> int:
  """The 32-bit seed of grain's shuffle for the data seed `seed`."""
  return int(np.random.SeedSequence([int(seed), 0]).generate_state(1)[0])


@dataclasses.dataclass
class Batcher:
  """Batches of a source, read through grain `MapDataset`s.

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
    if self.process_count <= 0 or not 0 <= self.process_index < self.process_count:
      raise ValueError(f'process_index {self.process_index} must lie in [0, '
                       f'process_count={self.process_count}).')
    if self.batch_size % self.process_count:
      raise ValueError(f'batch_size {self.batch_size} is not divisible by the '
                       f'{self.process_count} processes.')
    if len(self.source) < self.batch_size:
      raise ValueError(f'The split has {len(self.source)} examples, fewer than one batch '
                       f'of {self.batch_size}.')

  @property
  def steps_per_epoch(self) -> int:
    return len(self.source) // self.batch_size

  @property
  def info(self) -> dict:
    """The source's info (`features`, `num_classes`, `sample_rate`, ...)."""
    return getattr(self.source, 'info', {})

  @property
  def per_process(self) -> int:
    """Rows of every batch this process reads: batch_size / process_count."""
    return self.batch_size // self.process_count

  # ------------------------------------------------------------------ grain datasets
  @functools.cached_property
  def index_dataset(self):
    """grain MapDataset: element s is the int64 [batch_size] global indices of step s."""
    grain = _grain()
    return (grain.MapDataset.range(len(self.source))
            .shuffle(seed=shuffle_seed(self.seed))
            .batch(self.batch_size, drop_remainder=True, batch_fn=_stack_indices)
            .repeat())

  @functools.cached_property
  def dataset(self):
    """grain MapDataset: element s is the process-local training batch of step s."""
    return self.index_dataset.map_with_index(self._read_train)

  @functools.cached_property
  def eval_dataset(self):
    """grain MapDataset: element b is (batch, mask) of evaluation batch b (see `epoch`)."""
    grain = _grain()
    return (grain.MapDataset.range(len(self.source))
            .batch(self.batch_size, drop_remainder=False, batch_fn=_stack_indices)
            .map_with_index(self._read_eval))

  def _local(self, x: np.ndarray) -> np.ndarray:
    return x[self.process_index * self.per_process:(self.process_index + 1) * self.per_process]

  def _finish(self, batch: dict, rng_seed) -> dict:
    if self.transform is not None:
      batch = self.transform(batch, np.random.default_rng(rng_seed))
    return batch

  def _read_train(self, step: int, idx: np.ndarray) -> dict:
    # Sorted (faster random access for file-backed sources), then this process's rows.
    return self._finish(self.source.get(self._local(np.sort(idx))), [self.seed, 1, int(step)])

  def _read_eval(self, b: int, idx: np.ndarray) -> tuple[dict, np.ndarray]:
    mask = np.ones(self.batch_size, np.float32)
    if len(idx) < self.batch_size:
      mask[len(idx):] = 0
      idx = np.concatenate([idx, np.full(self.batch_size - len(idx), idx[0])])
    return (self._finish(self.source.get(self._local(idx)), [self.seed, 2, int(b)]),
            self._local(mask))

  # ------------------------------------------------------------------ public API
  def indices(self, step: int) -> np.ndarray:
    """The global example indices (int64 [batch_size], in grain's order) of step `step`."""
    if step < 0:
      raise ValueError(f'step must be non-negative, got {step}.')
    return self.index_dataset[int(step)]

  def permutation(self, epoch: int) -> np.ndarray:
    """The example order of `epoch`: int64 [steps_per_epoch * batch_size] (each once)."""
    first = int(epoch) * self.steps_per_epoch
    return np.concatenate([self.indices(s) for s in range(first, first + self.steps_per_epoch)])

  def batch(self, step: int) -> dict:
    """The (process-local) training batch of `step`: shuffled, fixed size.

    A pure function of (seed, step), read in O(batch_size). Arrays are
    [batch_size / process_count, ...].
    """
    if step < 0:
      raise ValueError(f'step must be non-negative, got {step}.')
    return self.dataset[int(step)]

  def epoch(self) -> Iterator[tuple[dict, np.ndarray]]:
    """One ordered pass for evaluation: (batch, mask) pairs.

    The last batch is padded to full size by repeating its first row; `mask` (float32
    [batch_size / process_count]) is 1 for real rows, so metrics can be averaged over exactly
    the split.
    """
    ds = self.eval_dataset
    for b in range(len(ds)):
      yield ds[b]


def make_transform(names, alpha: float = 0.05):
  """A composed transform from a list of names (see `jaxgen.data.transforms`)."""
  if isinstance(names, str):
    names = [names] if names else []
  ts = [transforms_lib.get_transform(n, alpha=alpha) if n == 'logit'
        else transforms_lib.get_transform(n) for n in names if n != 'binarize_static']
  return transforms_lib.compose(ts) if ts else None


_BINARIZE_SEEDS = {'train': 1, 'test': 2, 'validation': 3}


def make_batchers(data: ml_collections.ConfigDict, seed: int = 0,
                  process_index: int = 0, process_count: int = 1,
                  with_validation: bool = False):
  """Train and test `Batcher`s from a data config (and a validation one on request).

  The config has `name`, `batch_size`, optional `eval_batch_size`, `preprocess` (a list of
  transform names; `binarize_static` binarizes each split once), `logit_alpha`, `kwargs`
  (passed to the dataset loader), `validation_fraction` (default 0: the training split is
  the dataset's whole train split) and `validation_seed` (default 0).

  Args:
    data: the data config.
    seed: the data seed of the training order.
    process_index, process_count: this process's share of every batch.
    with_validation: also return the validation Batcher (None when
      `data.validation_fraction` is 0).

  Returns:
    (train, test), or (train, validation_or_None, test) with `with_validation=True`.
  """
  kwargs = dict(data.get('kwargs', {}) or {})
  preprocess = list(data.get('preprocess', []) or [])
  fraction = float(data.get('validation_fraction', 0.0) or 0.0)
  if fraction:
    kwargs.update(validation_fraction=fraction,
                  validation_seed=int(data.get('validation_seed', 0) or 0))
  eval_bs = data.get('eval_batch_size', data.batch_size)
  transform = make_transform(preprocess, data.get('logit_alpha', 0.05))
  splits = [('train', data.batch_size, seed)]
  if fraction:
    splits.append(('validation', eval_bs, 0))
  splits.append(('test', eval_bs, 0))
  out = {}
  for split, bs, split_seed in splits:
    source = registry.load(data.name, split, **kwargs)
    if 'binarize_static' in preprocess:
      source = transforms_lib.binarize_static_source(source, seed=_BINARIZE_SEEDS[split])
    transforms_lib.check_preprocess(preprocess, source, f'{data.name!r} split {split!r}')
    bs = bs if split == 'train' else min(bs, len(source))
    try:
      out[split] = Batcher(source, bs, seed=split_seed, transform=transform,
                           process_index=process_index, process_count=process_count)
    except ValueError as e:
      raise ValueError(f'Dataset {data.name!r} split {split!r}: {e}') from None
  if with_validation:
    return out['train'], out.get('validation'), out['test']
  return out['train'], out['test']
