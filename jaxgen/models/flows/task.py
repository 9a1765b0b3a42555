"""The flow tasks: maximum likelihood on images or 2-D data, and reverse KL for IAF.

config.model (task 'flow'):
  arch            'nice' | 'realnvp' | 'glow' | 'maf' (maximum likelihood), or 'iaf' (the
                  reverse-KL task below)
  num_classes     > 0: class-conditional (the one-hot label is the flow's context)
  logit_alpha     the logit transform's alpha (None: none; Glow centres instead)
  num_bits        pixel depth (8)
  sample_temperature   scale of the base noise when sampling (Glow uses 0.7)
  ...             the kind's own fields (see `nice.NICE`, `realnvp.RealNVP`, `glow.Glow`,
                  `maf.MAF`); unknown keys raise a ValueError listing the valid ones.

Images arrive as uint8 pixels (`config.data.preprocess = []`): the task adds the uniform
dequantization noise with the step's key, and the model's bijector chain counts the
rescaling and logit log-determinants, so `bits_per_dim` = -log p(v) / (D log 2) for v in
[0, 256)^D, the papers' figure. 2-D data (key 'x') report `nll` in nats.

config.model (arch 'iaf'): target ('u1'..'u4'), num_layers, hidden_sizes,
transformer, scale_activation; `config.data.batch_size` is the number of samples per step
(the batch's contents are unused: the target is a formula, not a dataset).
"""
from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import ml_collections

from jaxgen import bijectors as bj
from jaxgen.data.sources import feature
from jaxgen.train.config import check_choice, read_model_config
from jaxgen.models.flows import glow, iaf, maf, nice, nets, realnvp, targets
from jaxgen.models.flows.sampling import (density_image, grid_points, histogram_image,
                                          sample_images)
from jaxgen.train.task import Task, Variables

MODELS = {'nice': nice.NICE, 'realnvp': realnvp.RealNVP, 'glow': glow.Glow, 'maf': maf.MAF}
VECTOR_KINDS = ('nice', 'maf')       # flatten images to [D]
TASK_KEYS = ('arch', 'num_classes', 'sample_temperature')


def model_kwargs(cls, m: ml_collections.ConfigDict, skip=()) -> dict:
  """The module's fields set in `config.model`; unknown keys are a ValueError."""
  fields = {f.name for f in dataclasses.fields(cls)} - {'parent', 'name', 'event_shape'}
  out = {}
  for key, value in m.items():
    if key in TASK_KEYS or key in skip:
      continue
    if key not in fields:
      raise ValueError(f'config.model.{key} is not a field of {cls.__name__}; valid: '
                       f'{", ".join(sorted(fields | set(TASK_KEYS)))}.')
    out[key] = tuple(value) if isinstance(value, (list, tuple)) else value
  return out


class FlowTask(Task):
  """Maximum likelihood for NICE, RealNVP, Glow and MAF (`config.model.kind`)."""

  sample_kind = 'image'

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    m = config.model
    self.kind = m.get('arch', '')
    if self.kind not in MODELS:
      raise ValueError(f'config.model.arch={self.kind!r}; valid: {sorted(MODELS) + ["iaf"]}.')
    self.cls = MODELS[self.kind]
    self.num_classes = int(m.get('num_classes', 0))
    if self.num_classes and self.kind == 'nice':
      raise ValueError('NICE has no class-conditional form here; use realnvp, glow or maf.')
    self.temperature = float(m.get('sample_temperature', 1.0))
    self.kwargs = model_kwargs(self.cls, m)
    if self.kind in ('glow', 'maf') and self.num_classes:
      self.kwargs['num_classes'] = self.num_classes
    features = dict((info or {}).get('features', {}))
    key = 'image' if 'image' in features else 'x'
    # One example as the data pipeline gives it, from the data's info.
    self.data_shape, _ = feature(info, key, 'flows')
    self.is_image = key == 'image'

  # -- data ------------------------------------------------------------------
  def _observe(self, batch):
    if 'image' in batch:
      key, is_image = 'image', True
    elif 'x' in batch:
      key, is_image = 'x', False
    else:
      raise ValueError(f"A flow needs batches with 'image' (uint8 pixels) or 'x' (vectors); "
                       f'got keys {sorted(batch)}.')
    shape = tuple(batch[key].shape[1:])
    if shape != self.data_shape or is_image != self.is_image:
      raise ValueError(f'This flow was built for examples of shape {self.data_shape}; got '
                       f'{shape}.')
    return batch[key]

  @property
  def event_shape(self):
    if self.kind in VECTOR_KINDS:
      return (math.prod(self.data_shape),)
    if len(self.data_shape) != 3:
      raise ValueError(f'{self.kind} needs images [h, w, c]; got examples of shape '
                       f'{self.data_shape}.')
    return self.data_shape

  @functools.cached_property
  def model(self):
    kwargs = dict(self.kwargs)
    kwargs.setdefault('pixels', self.is_image)
    return self.cls(event_shape=self.event_shape, **kwargs)

  def inputs(self, batch, rng):
    """(v [B, *event_shape] in data space, context or None) of a batch."""
    x = self._observe(batch)
    if self.is_image:
      if jnp.issubdtype(x.dtype, jnp.floating):
        raise ValueError('Flows dequantize raw pixels themselves: use uint8 images '
                         "(config.data.preprocess = []), got floats.")
      x = bj.uniform_noise(rng, x)
    x = jnp.asarray(x, jnp.float32).reshape((x.shape[0],) + self.event_shape)
    context = None
    if self.num_classes:
      if 'label' not in batch:
        raise ValueError("A class-conditional flow needs 'label' in the batch.")
      context = nets.one_hot(batch['label'], self.num_classes)
    return x, context

  # -- Task --------------------------------------------------------------------
  def init(self, rng, batch) -> Variables:
    k_params, k_noise = jax.random.split(rng)
    v, context = self.inputs(batch, k_noise)
    variables = dict(self.model.init({'params': k_params}, v, context, True,
                                     method='log_prob'))
    params = variables.pop('params')
    return Variables(params=params, extra=variables)

  def log_prob(self, params, extra, batch, rng, train: bool = False):
    """(log p(v) [B] in data space, updated extra state)."""
    v, context = self.inputs(batch, rng)
    variables = {'params': params, **extra}
    if train and 'batch_stats' in extra:
      lp, updates = self.model.apply(variables, v, context, True, method='log_prob',
                                     mutable=['batch_stats'])
      return lp, {**extra, **updates}
    return self.model.apply(variables, v, context, train, method='log_prob'), extra

  def _metrics(self, lp):
    nll = -lp
    out = {'nll': nll}
    if self.is_image:
      out['bits_per_dim'] = nll / (math.prod(self.data_shape) * math.log(2.0))
    return out

  def loss(self, params, extra, batch, rng):
    lp, extra = self.log_prob(params, extra, batch, rng, train=True)
    metrics = {k: jnp.mean(v) for k, v in self._metrics(lp).items()}
    return metrics['nll'], (metrics, extra)

  def eval_step(self, params, extra, batch, rng):
    lp, _ = self.log_prob(params, extra, batch, rng, train=False)
    out = self._metrics(lp)
    out['loss'] = out['nll']
    return out

  def sample(self, params, extra, rng, num: int):
    """Images [num, h, w, c] in [0, 1]; for 2-D data, [2, 64, 64, 1]: density, samples."""
    variables = {'params': params, **extra}
    if not self.is_image:
      return self._plots(variables, rng, max(num, 20_000))
    context = None
    if self.num_classes:
      context = nets.one_hot(jnp.arange(num) % self.num_classes, self.num_classes)
    v = self._sample(variables, rng, num, context)
    return jnp.clip(v / 2.0 ** self.model.num_bits, 0.0, 1.0).reshape(
        (num,) + self.data_shape)

  @functools.partial(jax.jit, static_argnums=(0, 3))
  def _sample(self, variables, rng, num, context):
    return sample_images(self.model, variables, rng, num, context, self.temperature)

  @functools.partial(jax.jit, static_argnums=(0, 3))
  def _plots(self, variables, rng, num):
    log_p = self.model.apply(variables, grid_points(), method='log_prob')
    x = self.model.apply(variables, rng, num, method='sample')
    return jnp.stack([density_image(log_p), histogram_image(x)])

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


class IAFTargetTask(Task):
  """IAF fitted to exp(-U) by reverse KL; `kl` in nats uses a grid estimate of log Z."""
  sample_kind = 'image'

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    del info   # the target is a formula, not a dataset
    m = config.model
    self.target = m.get('target', 'u1')
    self.energy = targets.energy(self.target)
    self.log_z = targets.log_normalizer(self.target)
    self.model = iaf.IAF(**model_kwargs(iaf.IAF, m, skip=('target',)))

  def _num(self, batch):
    return next(iter(batch.values())).shape[0]

  def init(self, rng, batch) -> Variables:
    k_params, k_noise = jax.random.split(rng)
    variables = self.model.init({'params': k_params}, k_noise, self._num(batch),
                                method='sample_and_log_prob')
    return Variables(params=variables['params'])

  def _kl_terms(self, params, rng, num):
    z, log_q, _ = self.model.apply({'params': params}, rng, num, method='sample_and_log_prob')
    return log_q + self.energy(z)          # log q - log p~, per sample

  def loss(self, params, extra, batch, rng):
    terms = self._kl_terms(params, rng, self._num(batch))
    loss = jnp.mean(terms)
    return loss, ({'kl': loss + self.log_z}, extra)

  def eval_step(self, params, extra, batch, rng):
    terms = self._kl_terms(params, rng, self._num(batch))
    # Per-sample terms: their mean over the split is the KL estimate.
    return {'loss': terms, 'kl': terms + self.log_z}

  @functools.partial(jax.jit, static_argnums=(0, 3))
  def _plots(self, params, rng, num):
    variables = {'params': params}
    grid = grid_points()
    log_q = self.model.apply(variables, grid, method='log_prob')
    z, _, _ = self.model.apply(variables, rng, num, method='sample_and_log_prob')
    return jnp.stack([density_image(-self.energy(grid)), density_image(log_q),
                      histogram_image(z)])

  def sample(self, params, extra, rng, num: int):
    """[3, 64, 64, 1]: the target exp(-U), the flow's density q, a histogram of samples."""
    return self._plots(params, rng, max(num, 20_000))

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


def make_task(config: ml_collections.ConfigDict, info=None) -> Task:
  """The flow task of `config.model.arch`: maximum likelihood, or reverse KL for 'iaf'."""
  if config.model.get('arch', '') == 'iaf':
    return IAFTargetTask(config, info)
  return FlowTask(config, info)
