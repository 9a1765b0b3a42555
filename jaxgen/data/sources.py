"""Random-access data sources: a split of a dataset as a length, a `get(indices)` and an `info`.

A source yields dicts of numpy arrays. Image datasets use the keys
  image: uint8 [n, height, width, channels] in 0..255
  label: int32 [n]
so every transform and model can rely on one layout.

Every source carries `info`, a dict with at least
  features     {key: (per-example shape, dtype name)} for every key `get` yields,
               e.g. {'image': ((28, 28, 1), 'uint8'), 'label': ((), 'int32')}
and, where known, 'num_classes' (labelled images), 'shape' (the image shape) and
'sample_rate' (audio). Tasks read event shapes from `info['features']`, not from a batch.
"""
from __future__ import annotations

from typing import Mapping, Protocol, Sequence

import numpy as np

IMAGE_CHANNELS = (1, 3, 4)
UINT8_HINT = ('images must be uint8 0..255; to convert floats in [0, 1] use '
              '(x * 255).round().astype(np.uint8)')


class Source(Protocol):
  """What the pipeline needs of a split: its length, random access by indices, and `info`."""

  info: dict

  def __len__(self) -> int:
    ...

  def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
    ...


def features_of(arrays: Mapping[str, np.ndarray]) -> dict[str, tuple[tuple, str]]:
  """{key: (per-example shape, dtype name)} of a dict of [n, ...] arrays."""
  return {k: (tuple(int(d) for d in np.shape(v)[1:]), np.asarray(v).dtype.name)
          for k, v in arrays.items()}


def check_image_levels(images: np.ndarray, where: str = 'image') -> None:
  """Raises ValueError unless `images` are uint8 [n, h, w, c] levels with c in 1, 3, 4.

  Args:
    images: the array to check, [n, height, width, channels].
    where: names the array in the message (a dataset, a file).
  """
  images = np.asarray(images)
  if images.dtype != np.uint8:
    raise ValueError(f"{where}: 'image' is {images.dtype}, but {UINT8_HINT}.")
  if images.ndim != 4:
    raise ValueError(f"{where}: 'image' has shape {images.shape}; expected "
                     '[n, height, width, channels] (or [n, height, width] for greyscale).')
  if images.shape[-1] not in IMAGE_CHANNELS:
    raise ValueError(f"{where}: 'image' has {images.shape[-1]} channels (shape "
                     f'{images.shape}); expected 1 (grey), 3 (RGB) or 4 (RGBA) on the last axis.')


def _check_array_image(images: np.ndarray) -> None:
  """ArraySource's image rule: uint8 levels, or floats already mapped into [0, 1].

  Floats in [0, 1] (a statically binarized split, an already scaled one) are values, not
  levels: the level transforms (`to_float`, `dequantize`, ...) refuse them. Float arrays with
  values above 1 and integer arrays other than uint8 are levels in the wrong dtype.
  """
  if images.dtype == np.uint8:
    return
  if np.issubdtype(images.dtype, np.integer) or images.dtype == np.bool_:
    raise ValueError(f"ArraySource: 'image' is {images.dtype}; {UINT8_HINT} (integer levels "
                     'in 0..255: x.astype(np.uint8)).')
  if np.issubdtype(images.dtype, np.floating) and images.size:
    with np.errstate(invalid='ignore'):
      top, bottom = np.nanmax(images), np.nanmin(images)
    if top > 1 or bottom < 0:
      raise ValueError(f"ArraySource: 'image' is {images.dtype} with values in "
                       f'[{bottom:g}, {top:g}], i.e. levels stored as floats; {UINT8_HINT} '
                       '(levels in 0..255: x.round().astype(np.uint8)).')


class ArraySource:
  """A split held in memory as a dict of equally long numpy arrays.

  Args:
    arrays: {key: [n, ...] array}; an 'image' must be uint8 levels (or floats in [0, 1]
      that are values already, such as a binarized split).
    info: metadata (num_classes, shape, ...); 'features' is computed from `arrays`.
  """

  def __init__(self, arrays: Mapping[str, np.ndarray], info: Mapping | None = None):
    if not arrays:
      raise ValueError('An ArraySource needs at least one array.')
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) != 1:
      raise ValueError(f'All arrays of a source need the same length; got {lengths}.')
    self.arrays = {k: np.asarray(v) for k, v in arrays.items()}
    if 'image' in self.arrays:
      _check_array_image(self.arrays['image'])
    self.info = dict(info or {})
    self.info['features'] = features_of(self.arrays)

  def __len__(self) -> int:
    return len(next(iter(self.arrays.values())))

  def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[indices] for k, v in self.arrays.items()}

  def subset(self, indices: np.ndarray) -> ArraySource:
    """The examples at `indices` (int [m]) as a new ArraySource with the same info."""
    return ArraySource(self.get(np.asarray(indices)), self.info)

  def __repr__(self):
    shapes = {k: (v.shape, str(v.dtype)) for k, v in self.arrays.items()}
    return f'ArraySource({shapes})'


class SubsetSource:
  """The examples of another source at fixed indices (a carved split of a lazy source).

  Args:
    source: the parent source.
    indices: int [m], the parent's rows in this split's order.
  """

  def __init__(self, source: Source, indices: np.ndarray):
    self.source = source
    self.indices = np.asarray(indices, np.int64)
    self.info = dict(getattr(source, 'info', {}))

  def __len__(self) -> int:
    return len(self.indices)

  def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
    return self.source.get(self.indices[np.asarray(indices)])

  def __repr__(self):
    return f'SubsetSource({len(self)} of {self.source!r})'


def subset(source: Source, indices: np.ndarray) -> Source:
  """The rows `indices` of `source`: an ArraySource for in-memory sources, else a view."""
  if isinstance(source, ArraySource):
    return source.subset(indices)
  return SubsetSource(source, indices)


def _tfds_features(features, keys: Sequence[str] | None) -> tuple[dict, dict]:
  """(info['features'], extra info) of a tfds FeaturesDict, in TfdsSource's layout."""
  out, extra = {}, {}
  names = list(keys or features.keys())
  for k in names:
    f = features[k]
    shape = tuple(None if d is None else int(d) for d in f.shape)
    dtype = np.dtype(f.np_dtype).name
    if k == 'image' and len(shape) == 2:
      shape = shape + (1,)
    if k == 'label':
      dtype = 'int32'
      if getattr(f, 'num_classes', None):
        extra['num_classes'] = int(f.num_classes)
    if k == 'image' and None not in shape:
      extra['shape'] = shape
    out[k] = (shape, dtype)
  return out, extra


class TfdsSource:
  """A tensorflow-datasets split read through `tfds.data_source` (no TensorFlow needed).

  Records are decoded on access; images come back as uint8 [n, h, w, c]. `info['features']`
  comes from the dataset's tfds features (None for a dimension of variable size).
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
    dataset_info = getattr(self._source, 'dataset_info', None)
    if dataset_info is not None:
      features, extra = _tfds_features(dataset_info.features, keys)
      self.info.update(extra, features=features,
                       splits=sorted(getattr(dataset_info, 'splits', {}) or {}))

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


def feature(info: Mapping | None, key: str, family: str) -> tuple[tuple[int, ...], str]:
  """(per-example shape, dtype name) of batch key `key`, from a data source's `info`.

  Raises a ValueError naming the keys the data has when `key` is missing.
  """
  features = dict((info or {}).get('features', {}))
  if key not in features:
    raise ValueError(f'The {family} family needs data with a {key!r} feature; the dataset '
                     f'has {sorted(features) or "no feature information"}.')
  shape, dtype = features[key]
  return tuple(int(s) for s in shape), str(dtype)
