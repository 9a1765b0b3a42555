"""The data transforms the papers use, on numpy batches.

Each transform is `fn(batch: dict, rng: np.random.Generator) -> dict`. A batch's images arrive
as uint8 in 0..255 (see `jaxgen.data.sources`); the transforms that read them as levels
(all but `logit`) refuse any other dtype, so float images are never silently divided by 255.

  binarize_static   Bernoulli(x / 255) sampled once per dataset with a fixed seed
                    (Larochelle & Murray 2011; the usual "statically binarized MNIST").
  binarize_dynamic  Bernoulli(x / 255) resampled for every batch (Salakhutdinov & Murray 2008).
  threshold         x / 255 > 0.5.
  to_float          x / 255 in [0, 1].
  dequantize        uniform dequantization (x + u) / 256, u ~ U[0, 1) (Theis et al. 2016).
  logit             y = logit(alpha + (1 - 2 alpha) x) with its log-determinant
                    (Dinh et al. 2017, RealNVP section 4.1).
"""
from __future__ import annotations

import functools
from typing import Callable, Mapping, Sequence

import numpy as np

from jaxgen.data.sources import UINT8_HINT, ArraySource, Source

Transform = Callable[[dict, np.random.Generator], dict]

# Transforms that read 'image' as uint8 levels in 0..255.
LEVEL_TRANSFORMS = ('to_float', 'binarize_dynamic', 'threshold', 'dequantize', 'binarize_static')


def _check_levels(x, name: str) -> None:
  dtype = np.asarray(x).dtype
  if dtype != np.uint8:
    raise ValueError(f"Transform {name!r} reads 'image' as levels 0..255 but got {dtype}: "
                     f'{UINT8_HINT}; an image that is already float (binarize_static, '
                     'to_float, dequantize) must not be followed by another level transform.')


def _on_image(fn):
  @functools.wraps(fn)
  def wrapped(batch, rng):
    batch = dict(batch)
    _check_levels(batch['image'], fn.__name__)
    batch['image'] = fn(batch['image'], rng)
    return batch
  return wrapped


@_on_image
def to_float(x, rng):
  del rng
  return np.asarray(x, np.float32) / 255.0


@_on_image
def binarize_dynamic(x, rng):
  return (rng.random(x.shape, dtype=np.float32) < np.asarray(x, np.float32) / 255.0
          ).astype(np.float32)


@_on_image
def threshold(x, rng):
  del rng
  return (np.asarray(x, np.float32) > 127.5).astype(np.float32)


@_on_image
def dequantize(x, rng):
  return (np.asarray(x, np.float32) + rng.random(x.shape, dtype=np.float32)) / 256.0


def logit_forward(x, alpha: float = 0.05):
  """y = logit(alpha + (1 - 2 alpha) x), and log|dy/dx| summed over all but the batch axis.

  Args:
    x: values in [0, 1], shape [batch, ...].
    alpha: keeps the logit away from 0 and 1 (RealNVP uses 0.05 on MNIST-like data).
  Returns:
    (y, log_det) with log_det of shape [batch].
  """
  xp = np if isinstance(x, np.ndarray) else _jnp()
  p = alpha + (1 - 2 * alpha) * x
  y = xp.log(p) - xp.log1p(-p)
  ldj = np.log(1 - 2 * alpha) - xp.log(p) - xp.log1p(-p)
  return y, ldj.reshape(ldj.shape[0], -1).sum(-1)


def logit_inverse(y, alpha: float = 0.05):
  """Inverse of `logit_forward`: x = (sigmoid(y) - alpha) / (1 - 2 alpha)."""
  xp = np if isinstance(y, np.ndarray) else _jnp()
  return (1 / (1 + xp.exp(-y)) - alpha) / (1 - 2 * alpha)


def _jnp():
  import jax.numpy as jnp  # pylint: disable=g-import-not-at-top
  return jnp


def logit(alpha: float = 0.05) -> Transform:
  """Logit transform of the (already dequantized) image; adds 'logdet' to the batch."""
  def fn(batch, rng):
    del rng
    batch = dict(batch)
    batch['image'], batch['logdet'] = logit_forward(batch['image'], alpha)
    return batch
  return fn


def binarize_static_source(source: Source, seed: int) -> ArraySource:
  """Binarizes a whole split once: Bernoulli(x / 255) with a fixed seed."""
  data = source.get(np.arange(len(source)))
  if 'image' not in data:
    raise ValueError(f"binarize_static needs an 'image' feature; the data has "
                     f'{sorted(data)}.')
  _check_levels(data['image'], 'binarize_static')
  rng = np.random.default_rng(seed)
  data['image'] = (rng.random(data['image'].shape) < data['image'] / 255.0).astype(np.float32)
  return ArraySource(data, getattr(source, 'info', {}))


def check_preprocess(names: Sequence[str], source: Source, where: str = 'the split') -> None:
  """Raises ValueError up front when a level transform would meet non-uint8 images.

  Args:
    names: the preprocessing transform names (`data.preprocess`), in order.
    source: the split they apply to, after any source-level transform (binarize_static).
    where: names the split in the message.
  """
  names = [n for n in ([names] if isinstance(names, str) else names or [])
           if n != 'binarize_static']
  levels = [n for n in names if n in LEVEL_TRANSFORMS]
  features = getattr(source, 'info', {}).get('features', {})
  if not levels or 'image' not in features:
    return
  dtype = features['image'][1]
  if dtype != 'uint8':
    raise ValueError(f"data.preprocess {names} reads images as levels 0..255, but {where} has "
                     f"{dtype} images: {UINT8_HINT}; drop {levels[0]!r} if they are already "
                     'values (e.g. after binarize_static).')


TRANSFORMS: Mapping[str, Transform] = {
    'to_float': to_float,
    'binarize_dynamic': binarize_dynamic,
    'threshold': threshold,
    'dequantize': dequantize,
}


def get_transform(name: str, **kwargs) -> Transform:
  """Looks up a per-batch transform by name (`logit` takes `alpha`)."""
  if name == 'logit':
    return logit(**kwargs)
  if name not in TRANSFORMS:
    valid = sorted(TRANSFORMS) + ['logit', 'binarize_static (a source-level transform)']
    raise ValueError(f'Unknown transform {name!r}. Valid transforms: {", ".join(valid)}.')
  return TRANSFORMS[name]


def compose(transforms: Sequence[Transform]) -> Transform:
  def fn(batch, rng):
    for t in transforms:
      batch = t(batch, rng)
    return batch
  return fn
