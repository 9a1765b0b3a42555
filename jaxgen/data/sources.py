"""Random-access data sources: a split of a dataset as a length and a `get(indices)`.

A source yields dicts of numpy arrays. Image datasets use the keys
  image: uint8 [n, height, width, channels] in 0..255
  label: int32 [n]
so every transform and model can rely on one layout.
"""
from __future__ import annotations

from typing import Mapping, Protocol, Sequence

import numpy as np


class Source(Protocol):
  """What the pipeline needs of a split: its length and random access by indices."""

  def __len__(self) -> int:
    ...

  def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
    ...


class ArraySource:
  """A split held in memory as a dict of equally long numpy arrays."""

  def __init__(self, arrays: Mapping[str, np.ndarray], info: Mapping | None = None):
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) != 1:
      raise ValueError(f'All arrays of a source need the same length; got {lengths}.')
    self.arrays = dict(arrays)
    self.info = dict(info or {})

  def __len__(self) -> int:
    return len(next(iter(self.arrays.values())))

  def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[indices] for k, v in self.arrays.items()}

  def __repr__(self):
    shapes = {k: (v.shape, str(v.dtype)) for k, v in self.arrays.items()}
    return f'ArraySource({shapes})'


class TfdsSource:
  """A tensorflow-datasets split read through `tfds.data_source` (no TensorFlow needed).

  Records are decoded on access; images come back as uint8 [n, h, w, c].
  """

  def __init__(self, name: str, split: str, data_dir: str | None = None,
               keys: Sequence[str] | None = None):
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    try:
      self._source = tfds.data_source(name, split=split, data_dir=data_dir)
    except Exception as e:  # tfds raises several types for unknown names/splits.
      raise ValueError(
          f'tensorflow-datasets could not open {name!r} split {split!r}: {e}. '
          'Check the name in the tfds catalogue; downloading needs a network connection '
          '(or prepare it once with `tfds build`).') from e
    self.name, self.split = name, split
    self.keys = keys
    self.info = {'tfds_name': name}

  def __len__(self) -> int:
    return len(self._source)

  def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
    records = [self._source[int(i)] for i in np.asarray(indices)]
    keys = self.keys or list(records[0].keys())
    out = {}
    for k in keys:
      out[k] = np.stack([np.asarray(r[k]) for r in records])
    if 'image' in out and out['image'].ndim == 3:
      out['image'] = out['image'][..., None]
    if 'label' in out:
      out['label'] = out['label'].astype(np.int32)
    return out
