"""A user's own data: `data.name='file:PATH'` with PATH a `.npz` of named arrays or a folder of images.

npz files hold one array per key, one row per example:
  image        uint8 [n, h, w, c] (c = 1, 3 or 4) or [n, h, w] (greyscale: a channel axis is
               added), levels 0..255
  label        integer [n], class ids 0..num_classes - 1
  x            float [n, d] (or any other float array), finite
  audio        float [n, time] in [-1, 1]
  sample_rate  optional scalar: the audio's rate (default 8000)
Splits: keys prefixed `train/` and `test/` (and optionally `validation/`) give the splits;
without prefixes a test split of 20% is carved deterministically (stratified by label when
there is one, seed 0), as for mnist5k. Floats are stored as float32.

A folder of PNG / JPEG images (read with PIL) is one example per file, in sorted order.
Sub-folders are classes: 'label' is the index of the sub-folder in sorted order (the names
are in `info['classes']`). All images must have the same size; greyscale images give c = 1,
colour c = 3, images with transparency c = 4 (a folder mixing them is converted to the
widest). The test split is carved as above.

Every problem is caught up front with one ValueError (FileNotFoundError for a missing path)
whose single-line message names the file, what is wrong and how to fix it.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import zipfile

import numpy as np

from jaxgen.data.sources import ArraySource, check_image_levels

SPLITS = ('train', 'validation', 'test')
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg')
TEST_FRACTION = 0.2
DEFAULT_SAMPLE_RATE = 8000
USAGE = ("data.name='file:PATH' takes a .npz file of named arrays (np.savez(PATH, image=..., "
         'label=...)) or a folder of PNG/JPEG images')


def _fail(where: str, what: str, cls=ValueError):
  raise cls(f'{where}: {what}'.replace('\n', ' '))


@dataclasses.dataclass
class FileData:
  """The splits of a user's file.

  Attributes:
    path: the file or folder.
    splits: {split: {key: [n, ...] array}}, with 'train' and 'test' (and 'validation' when
      the file has its own).
    info: metadata shared by the splits (num_classes, classes, shape, sample_rate).
  """
  path: str
  splits: dict
  info: dict

  def source(self, split: str) -> ArraySource:
    """Split `split` ('train', 'validation', 'test') as an ArraySource."""
    if split not in self.splits:
      _fail(f'file:{self.path}', f'has no {split!r} split (it has {sorted(self.splits)}).')
    return ArraySource(self.splits[split], self.info)


def read(path: str, test_fraction: float = TEST_FRACTION, seed: int = 0) -> FileData:
  """Reads and checks a `.npz` file or an image folder (cached while the file is unchanged).

  Args:
    path: the .npz file or the folder.
    test_fraction: the share carved as the test split when the file has no split prefixes.
    seed: seeds that carve.
  Returns:
    The splits and their info.
  Raises:
    FileNotFoundError: the path does not exist.
    ValueError: anything else wrong with the file, in one line.
  """
  path = os.path.expanduser(path)
  where = f'file:{path}'
  if not path:
    _fail('file:', f'no path given; {USAGE}.')
  if not os.path.exists(path):
    _fail(where, f'no such file or folder; {USAGE}.', FileNotFoundError)
  try:
    stamp = os.stat(path).st_mtime_ns
  except OSError as e:
    _fail(where, f'cannot be read ({type(e).__name__}: {e}).')
  return _read(os.path.abspath(path), stamp, float(test_fraction), int(seed))


@functools.lru_cache(maxsize=8)
def _read(path: str, stamp: int, test_fraction: float, seed: int) -> FileData:
  del stamp  # part of the cache key only
  where = f'file:{path}'
  if os.path.isdir(path):
    arrays, info = _read_folder(path, where)
    splits = None
  else:
    splits, meta = _read_npz(path, where)
    info = {}
    if 'sample_rate' in meta:
      info['sample_rate'] = meta['sample_rate']
    if None in splits:          # no prefixes: one set of arrays
      arrays, splits = splits[None], None
  if splits is None:
    arrays = _check_arrays(arrays, where)
    splits = _carve_test(arrays, test_fraction, seed, where)
  else:
    for split in list(splits):
      splits[split] = _check_arrays(splits[split], f'{where} ({split}/)')
    _check_same_keys(splits, where)
  _add_info(splits, info)
  return FileData(path, splits, info)


# --------------------------------------------------------------------------- npz
def _read_npz(path: str, where: str):
  """{split or None: {key: array}} and scalar metadata of an npz file."""
  try:
    is_zip = zipfile.is_zipfile(path)
  except OSError as e:
    _fail(where, f'cannot be read ({type(e).__name__}: {e}).')
  if not is_zip:
    _fail(where, f'is not an .npz archive (np.save writes .npy: use np.savez); {USAGE}.')
  try:
    npz = np.load(path, allow_pickle=False)
    keys = list(npz.files)
  except Exception as e:  # pylint: disable=broad-except
    _fail(where, f'cannot be read as .npz ({type(e).__name__}: {e}).')
  if not keys:
    _fail(where, 'holds no arrays; save them with np.savez(PATH, image=..., label=...).')
  meta, by_split = {}, {}
  for key in keys:
    try:
      value = npz[key]
    except ValueError as e:
      _fail(where, f'array {key!r} cannot be loaded without pickle ({e}); store numeric '
            'arrays only, not objects or ragged lists.')
    except Exception as e:  # pylint: disable=broad-except
      _fail(where, f'array {key!r} is unreadable ({type(e).__name__}: {e}).')
    if key == 'sample_rate':
      if value.ndim != 0 or not np.issubdtype(value.dtype, np.number) or value <= 0:
        _fail(where, f"'sample_rate' must be one positive number, got {value!r}.")
      meta['sample_rate'] = int(value)
      continue
    if '/' in key:
      split, name = key.split('/', 1)
      if split not in SPLITS or not name or '/' in name:
        _fail(where, f'array {key!r} has an unknown split prefix; use train/, test/ and '
              'optionally validation/ (e.g. train/image), or no prefixes at all.')
    else:
      split, name = None, key
    by_split.setdefault(split, {})[name] = value
  if not by_split:
    _fail(where, 'holds no data arrays (only sample_rate).')
  if None in by_split and len(by_split) > 1:
    _fail(where, f'mixes arrays with split prefixes and without ({sorted(by_split[None])}); '
          'prefix every array (train/..., test/...) or none.')
  if None not in by_split:
    missing = [s for s in ('train', 'test') if s not in by_split]
    if missing:
      _fail(where, f'has split prefixes {sorted(by_split)} but no {missing[0]}/ arrays; '
            'give both train/ and test/ (validation/ is optional), or no prefixes to carve '
            'a test split.')
  return by_split, meta


# --------------------------------------------------------------------------- folders
def _image_files(directory: str) -> list[str]:
  return sorted(f for f in os.listdir(directory)
                if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith('.')
                and os.path.isfile(os.path.join(directory, f)))


def _read_folder(path: str, where: str):
  """{'image': uint8 [n, h, w, c], 'label'?: int32 [n]} and info of an image folder."""
  try:
    entries = sorted(os.listdir(path))
  except OSError as e:
    _fail(where, f'cannot be read ({type(e).__name__}: {e}).')
  classes = [e for e in entries if os.path.isdir(os.path.join(path, e)) and not e.startswith('.')]
  top = _image_files(path)
  if classes and top:
    _fail(where, f'mixes images at the top level ({top[0]}, ...) with class sub-folders '
          f'({classes[0]}, ...); put every image in a class folder, or use no sub-folders.')
  files, labels = [], []
  if classes:
    for label, c in enumerate(classes):
      names = _image_files(os.path.join(path, c))
      if not names:
        _fail(where, f'class folder {c!r} holds no PNG/JPEG images; remove it or add images.')
      files += [os.path.join(c, n) for n in names]
      labels += [label] * len(names)
  else:
    files = top
  if not files:
    _fail(where, f'is a folder without PNG/JPEG images ({", ".join(IMAGE_EXTENSIONS)}); '
          f'{USAGE}.')
  from PIL import Image  # pylint: disable=g-import-not-at-top
  sizes, modes = [], []
  for f in files:     # headers first: sizes and modes are checked before any decoding
    try:
      with Image.open(os.path.join(path, f)) as im:
        sizes.append(im.size)
        modes.append(_target_mode(im))
    except Exception as e:  # pylint: disable=broad-except
      _fail(where, f'image {f} is unreadable ({type(e).__name__}: {e}).')
    if sizes[-1] != sizes[0]:
      _fail(where, f'images differ in size: {files[0]} is {sizes[0][0]}x{sizes[0][1]} '
            f'(width x height) but {f} is {sizes[-1][0]}x{sizes[-1][1]}; resize them to one '
            'size first.')
  mode = 'RGBA' if 'RGBA' in modes else 'RGB' if 'RGB' in modes else 'L'
  images = np.zeros((len(files), sizes[0][1], sizes[0][0], len(mode)), np.uint8)
  for i, f in enumerate(files):
    try:
      with Image.open(os.path.join(path, f)) as im:
        x = np.asarray(im.convert(mode), np.uint8)
    except Exception as e:  # pylint: disable=broad-except
      _fail(where, f'image {f} is unreadable ({type(e).__name__}: {e}).')
    images[i] = x.reshape(images.shape[1:])
  arrays = {'image': images}
  info = {}
  if classes:
    arrays['label'] = np.asarray(labels, np.int32)
    info.update(classes=classes, num_classes=len(classes))
  return arrays, info


def _target_mode(im) -> str:
  """'L', 'RGB' or 'RGBA': what a PIL image becomes."""
  if im.mode in ('RGBA', 'LA', 'PA') or (im.mode == 'P' and 'transparency' in im.info):
    return 'RGBA'
  if im.mode in ('1', 'L', 'I', 'I;16', 'F'):
    return 'L'
  return 'RGB'


# --------------------------------------------------------------------------- checks
def _check_arrays(arrays: dict, where: str) -> dict:
  """Checks one split's arrays; returns them with images [n, h, w, c] and floats float32."""
  if not arrays:
    _fail(where, 'holds no arrays; save them with np.savez(PATH, image=..., label=...).')
  out = {}
  for k, v in arrays.items():
    v = np.asarray(v)
    if v.ndim == 0:
      _fail(where, f'array {k!r} is a scalar; every array needs one row per example '
            '([n, ...]).')
    if not (np.issubdtype(v.dtype, np.number) or v.dtype == np.bool_):
      _fail(where, f'array {k!r} has dtype {v.dtype}; store numeric arrays.')
    out[k] = v
  lengths = {k: len(v) for k, v in out.items()}
  if len(set(lengths.values())) != 1:
    _fail(where, f'arrays have different lengths {lengths}; every array needs one row per '
          'example.')
  if 'image' in out:
    x = out['image']
    if x.ndim == 3:
      x = x[..., None]
    if x.dtype == np.uint8 and x.ndim != 4:
      _fail(where, f"'image' has shape {out['image'].shape}; expected [n, height, width, "
            'channels] or [n, height, width] for greyscale.')
    check_image_levels(x, where)
    out['image'] = x
  if 'label' in out:
    y = out['label']
    if not np.issubdtype(y.dtype, np.integer):
      _fail(where, f"'label' is {y.dtype}; labels must be integer class ids 0..K-1 "
            '(y.astype(np.int32)).')
    if y.ndim != 1:
      _fail(where, f"'label' has shape {y.shape}; labels must be 1-D [n] class ids.")
    if y.size and y.min() < 0:
      _fail(where, f"'label' holds negative values (min {y.min()}); labels must be class ids "
            '0..K-1.')
    out['label'] = y.astype(np.int32)
  if 'audio' in out and (out['audio'].ndim != 2
                         or not np.issubdtype(out['audio'].dtype, np.floating)):
    _fail(where, f"'audio' is {out['audio'].dtype} {out['audio'].shape}; audio must be float "
          '[n, time] in [-1, 1] (int16 PCM: x.astype(np.float32) / 32768).')
  for k, v in out.items():
    if np.issubdtype(v.dtype, np.floating):
      bad = int(np.size(v) - np.count_nonzero(np.isfinite(v)))
      if bad:
        _fail(where, f'array {k!r} holds {bad} non-finite values (NaN or inf); remove or '
              'replace those examples.')
      out[k] = v.astype(np.float32)
  if 'audio' in out and np.abs(out['audio']).max(initial=0) > 1:
    _fail(where, f"'audio' reaches {np.abs(out['audio']).max():g}; audio must lie in [-1, 1] "
          '(divide by its peak, or by 32768 for int16 PCM).')
  if not lengths[next(iter(lengths))]:
    _fail(where, 'holds 0 examples.')
  return out


def _carve_test(arrays: dict, test_fraction: float, seed: int, where: str) -> dict:
  """{'train', 'test'} carved from one set of arrays (stratified by label if there is one)."""
  from jaxgen.data.registry import _stratified_split  # pylint: disable=g-import-not-at-top
  n = len(next(iter(arrays.values())))
  labels = arrays.get('label', np.zeros(n, np.int32))
  train, test = _stratified_split(labels, test_fraction, seed)
  if not len(test) or not len(train):
    need = int(np.ceil(1.5 / min(test_fraction, 1 - test_fraction)))
    _fail(where, f'has {n} examples, too few to carve a {test_fraction:.0%} test split (at '
          f'least {need} are needed); add examples, or store train/ and test/ arrays.')
  return {'train': {k: v[train] for k, v in arrays.items()},
          'test': {k: v[test] for k, v in arrays.items()}}


def _check_same_keys(splits: dict, where: str) -> None:
  ref = splits['train']
  for split, arrays in splits.items():
    if set(arrays) != set(ref):
      _fail(where, f'split {split}/ has arrays {sorted(arrays)} but train/ has {sorted(ref)}; '
            'every split needs the same keys.')
    for k, v in arrays.items():
      if v.shape[1:] != ref[k].shape[1:] or v.dtype != ref[k].dtype:
        _fail(where, f'{split}/{k} is {v.dtype} {v.shape[1:]} per example but train/{k} is '
              f'{ref[k].dtype} {ref[k].shape[1:]}; every split needs the same layout.')


def _add_info(splits: dict, info: dict) -> None:
  train = splits['train']
  if 'image' in train:
    info['shape'] = tuple(train['image'].shape[1:])
  if 'label' in train and 'num_classes' not in info:
    info['num_classes'] = int(max(s['label'].max(initial=0) for s in splits.values())) + 1
  if 'audio' in train:
    info.setdefault('sample_rate', DEFAULT_SAMPLE_RATE)
