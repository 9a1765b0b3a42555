"""The pixel models as a trainer task: maximum likelihood, samplers, conditional accuracy.

config.model (task 'pixel'):
  arch          'pixelcnn' (2016a), 'gated' (Gated PixelCNN, 2016b; class-conditional when
                num_classes > 0), 'row_lstm' or 'diagonal_bilstm' (PixelRNN, 2016a).
  num_levels    pixel values per channel (2 for binarized data, 256 for 8 bits).
  output        'softmax' (a per-channel num_levels-way softmax) or 'logistic_mixture'
                (PixelCNN++, with num_mixtures components).
  num_classes   > 0 for a class-conditional model (batches need a 'label').
  sampler       'cached' (default) or 'plain'.
  eval_samples  samples scored by the dataset's classifier at the end (conditional models).
  ...           the fields of the arch's module (`PixelCNN`, `GatedPixelCNN`, `PixelRNN`);
                unknown keys raise a ValueError listing the valid ones.
The image shape comes from the data's `info['features']['image']`.
Metrics: nll (nats per image) and bits_per_dim; the loss is nats per dimension.
"""
from __future__ import annotations

import math
from typing import Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.data.sources import feature
from jaxgen.train.config import check_choice, read_model_config
from jaxgen.models.pixel import sampling
from jaxgen.models.pixel.pixelcnn import GatedPixelCNN, PixelCNN
from jaxgen.models.pixel.pixelrnn import PixelRNN
from jaxgen.nn import outputs
from jaxgen.train.task import Task, Variables

ARCHS = {'pixelcnn': PixelCNN, 'gated': GatedPixelCNN, 'row_lstm': PixelRNN,
         'diagonal_bilstm': PixelRNN}
OUTPUTS = ('softmax', 'logistic_mixture')
SAMPLERS = ('cached', 'plain')
TASK_KEYS = dict(arch='pixelcnn', num_levels=256, output='softmax', num_mixtures=5,
                 num_classes=0, sampler='cached', eval_samples=100, classifier_cache_dir=None)


def make_output(name: str, num_levels: int, num_channels: int, num_mixtures: int = 5):
  """The output distribution named by `model.output` (`jaxgen.nn.outputs`)."""
  check_choice(name, OUTPUTS, 'model.output')
  if name == 'softmax':
    return outputs.PixelCategorical(num_levels, num_channels)
  return outputs.PixelLogisticMixture(num_levels, num_channels, num_mixtures)


class PixelTask(Task):
  """Maximum likelihood for a pixel model (see the module docstring for config.model)."""
  sample_kind = 'image'

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    arch = config.model.get('arch', TASK_KEYS['arch'])
    check_choice(arch, tuple(ARCHS), 'model.arch')
    derived = ('num_params', 'num_groups', 'kind', 'num_classes', 'image_size')
    t, kwargs = read_model_config(config.model, 'pixel', TASK_KEYS, ARCHS[arch],
                                         derived)
    self.arch = arch
    self.image_shape, _ = feature(info, 'image', 'pixel')
    if len(self.image_shape) != 3:
      raise ValueError(f'Pixel models need images [height, width, channels]; the data has '
                       f'{self.image_shape}.')
    self.num_levels = int(t['num_levels'])
    self.num_classes = int(t['num_classes'])
    self.eval_samples = int(t['eval_samples'])
    self.classifier_cache_dir = t['classifier_cache_dir']
    self.sampler = check_choice(t['sampler'], SAMPLERS, 'model.sampler')
    self.output = make_output(t['output'], self.num_levels, self.image_shape[-1],
                              int(t['num_mixtures']))
    self.model = self._build_model(kwargs)
    self.num_dims = math.prod(self.image_shape)
    self._samplers = {}

  def _build_model(self, kwargs):
    out = dict(num_params=self.output.num_params, num_groups=self.output.num_groups)
    if self.arch in ('row_lstm', 'diagonal_bilstm'):
      if self.num_classes:
        raise ValueError('PixelRNN is unconditional here (model.num_classes must be 0).')
      return PixelRNN(**out, kind=self.arch, **kwargs)
    if self.arch == 'pixelcnn':
      if self.num_classes:
        raise ValueError("arch='pixelcnn' is unconditional; use arch='gated' with "
                         'num_classes.')
      return PixelCNN(**out, **kwargs)
    return GatedPixelCNN(**out, num_classes=self.num_classes,
                         image_size=tuple(self.image_shape[:2]), **kwargs)

  # -- data ------------------------------------------------------------------
  def levels(self, batch) -> jax.Array:
    """The batch's images as int32 levels [b, H, W, C], with the layout checked."""
    if 'image' not in batch:
      raise ValueError(f"A pixel model needs batches with an 'image' key; got keys "
                       f'{sorted(batch)}.')
    x = batch['image']
    if tuple(x.shape[1:]) != self.image_shape:
      raise ValueError(f'Images of shape {tuple(x.shape[1:])} do not match the data '
                       f'shape {self.image_shape}.')
    if self.num_levels > 2 and jnp.issubdtype(x.dtype, jnp.floating):
      raise ValueError(f'num_levels={self.num_levels} models integer pixel levels, but the '
                       f'images are {x.dtype}: drop float preprocessing (to_float, '
                       f'dequantize, logit) from data.preprocess.')
    if x.dtype == jnp.uint8 and self.num_levels not in (2, 256):
      raise ValueError(f'uint8 images hold 256 levels, but model.num_levels='
                       f'{self.num_levels}: pass int32 levels in [0, {self.num_levels}) or '
                       f'set num_levels=256.')
    if self.num_levels == 2 and not jnp.issubdtype(x.dtype, jnp.floating):
      raise ValueError("num_levels=2 needs binarized images: add 'binarize_static' or "
                       "'binarize_dynamic' to data.preprocess.")
    return jnp.round(x).astype(jnp.int32) if self.num_levels == 2 else x.astype(jnp.int32)

  def labels(self, batch):
    if not self.num_classes:
      return None
    if 'label' not in batch:
      raise ValueError(f"A class-conditional model (model.num_classes={self.num_classes}) "
                       f"needs batches with a 'label' key; got keys {sorted(batch)}.")
    return batch['label'].astype(jnp.int32)

  # -- likelihood --------------------------------------------------------------
  def apply(self, params, x: jax.Array, label=None) -> jax.Array:
    """Network outputs [b, H, W, P] for images x in [-1, 1]."""
    return self.model.apply({'params': params}, x, label)

  def log_likelihood(self, params, levels: jax.Array, label=None) -> jax.Array:
    """log p(x) in nats: levels [b, H, W, C] -> [b]."""
    out = self.apply(params, outputs.to_unit(levels, self.num_levels), label)
    return self.output.log_prob(out, levels).sum((1, 2))

  # -- Task ------------------------------------------------------------------
  def init(self, rng, batch) -> Variables:
    levels, label = self.levels(batch), self.labels(batch)
    params = self.model.init(rng, outputs.to_unit(levels[:1], self.num_levels),
                             None if label is None else label[:1])
    params = dict(params['params'])
    if isinstance(self.output, outputs.PixelCategorical) and 'output' in params:
      # Start from the per-channel level frequencies of the first batch instead of uniform.
      params['output'] = dict(params['output'], bias=self.output.init_bias(levels))
    return Variables(params=params)

  def _metrics(self, params, batch):
    nll = -self.log_likelihood(params, self.levels(batch), self.labels(batch))
    return nll, nll / (self.num_dims * math.log(2.0))

  def loss(self, params, extra, batch, rng):
    del rng
    nll, bpd = self._metrics(params, batch)
    return jnp.mean(nll) / self.num_dims, ({'nll': jnp.mean(nll),
                                            'bits_per_dim': jnp.mean(bpd)}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    nll, bpd = self._metrics(params, batch)
    return {'nll': nll, 'bits_per_dim': bpd, 'loss': nll / self.num_dims}

  # -- sampling --------------------------------------------------------------
  def sample_labels(self, num: int):
    """Class labels of a sample grid: 0, 1, ..., K-1, 0, 1, ... (None if unconditional)."""
    if not self.num_classes:
      return None
    return jnp.arange(num, dtype=jnp.int32) % self.num_classes

  def sample_levels(self, params, rng, num: int, label=None, sampler: str | None = None):
    """Samples as int32 levels [num, H, W, C] with the plain or cached sampler (jitted)."""
    sampler = sampler or self.sampler
    fn = self.sampling_fn(sampler)
    if self.num_classes and label is None:
      label = self.sample_labels(num)
    if label is not None:
      label = jnp.asarray(label, jnp.int32)
      if label.shape != (num,):
        raise ValueError(f'label must have shape ({num},), got {label.shape}.')
    key = (sampler, num, label is None)
    if key not in self._samplers:
      self._samplers[key] = jax.jit(fn, static_argnums=2)
    return self._samplers[key](params, rng, num, label)

  def sampling_fn(self, sampler: str) -> Callable:
    """The pure sampler `(params, rng, num, label) -> levels [num, H, W, C]` (jit it with
    `static_argnums=2`): 'plain' (whole network per step) or 'cached' (Ramachandran et al.)."""
    check_choice(sampler, SAMPLERS, 'sampler')

    def fn(params, rng, num, label):
      return sampling.model_sampler(self.model, params, self.output, self.image_shape, label,
                                    sampler)(rng, num)
    return fn

  def sample(self, params, extra, rng, num: int):
    """Images [num, H, W, C] in [0, 1]; class-conditional models cycle through the classes."""
    del extra
    levels = self.sample_levels(params, rng, num)
    return levels.astype(jnp.float32) / (self.num_levels - 1)

  def finalize(self, state, workdir, test_data, rng) -> dict:
    """Class-conditional models: the share of `model.eval_samples` samples (classes cycling)
    that the dataset's cached classifier (`jaxgen.eval`) assigns to the requested class."""
    del workdir, test_data
    if not self.num_classes:
      return {}
    from jaxgen import eval as eval_lib  # pylint: disable=g-import-not-at-top
    images = np.asarray(self.sample(state.params, state.extra, rng, self.eval_samples))
    clf = eval_lib.get_classifier(self.config.data.name, self.classifier_cache_dir)
    labels = np.asarray(self.sample_labels(self.eval_samples))
    return {'conditional_accuracy': float(np.mean(clf.predict(images) == labels))}


def make_task(config: ml_collections.ConfigDict, info=None) -> PixelTask:
  return PixelTask(config, info)
