"""What PixelCNN and PixelRNN share: output distributions, samplers and the task.

A pixel model is a Linen module called as

  model(x, label=None, *, decode=None, row=0, col=0) -> params [b, H, W, P]

on images scaled to [-1, 1] (x [b, H, W, C]), whose output at pixel (i, j) depends only on the
pixels before (i, j) in raster order (and, for per-channel outputs, on the channels of (i, j)
before the one it predicts). `decode` runs it incrementally (see `sample_cached`).

Outputs (`params` -> a distribution per pixel):
  * `Categorical`: a `num_levels`-way softmax for every channel (PixelRNN section 2.2 and
    5.3: 256 values per colour; 2 for binarized data), channels coupled by the masks.
  * `LogisticMixture`: PixelCNN++'s discretised logistic mixture (Salimans et al. 2017,
    eq. 2-3). One mixture indicator per pixel, and the channel means coupled linearly,
      mu_G = mu_G' + a * x_R,   mu_B = mu_B' + b * x_R + c * x_G,
    so the network predicts whole pixels (one colour group) instead of channel by channel.

Samplers, both one jitted `lax.scan` that fills the image pixel by pixel and channel by
channel, drawing step t's value with the key `fold_in(rng, t)`:
  * `sample_plain`: recomputes the whole network on the whole canvas at every step.
  * `sample_cached`: keeps every causal convolution's input and every recurrent state in a
    cache and computes each layer only at the new pixel (plus, for models whose row-wise parts
    need a finished row, once per row) -- the idea of Ramachandran et al. 2017. For the same
    key it draws the same samples as `sample_plain`.
"""
from __future__ import annotations

import math
from typing import Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.nn import logistic_mixture as lm
from jaxgen.nn.masked_conv import MaskedConv2D
from jaxgen.train.task import Task, Variables

OUTPUTS = ('softmax', 'logistic_mixture')
SAMPLERS = ('cached', 'plain')


def to_input(levels: jax.Array, num_levels: int) -> jax.Array:
  """Pixel levels {0..L-1} -> the network's input grid in [-1, 1] (float32)."""
  return levels.astype(jnp.float32) * (2.0 / (num_levels - 1)) - 1.0


class Categorical:
  """A `num_levels`-way softmax per channel; params [..., C * L] (channel-major blocks)."""

  def __init__(self, num_levels: int, num_channels: int):
    if num_levels < 2:
      raise ValueError(f'num_levels must be >= 2, got {num_levels}.')
    self.num_levels, self.num_channels = num_levels, num_channels
    self.num_groups = num_channels       # channel-by-channel masks (PixelRNN section 3.4)
    self.num_params = num_channels * num_levels
    self.substeps = num_channels         # one sampling step per channel

  def logits(self, params: jax.Array) -> jax.Array:
    return params.reshape(params.shape[:-1] + (self.num_channels, self.num_levels))

  def log_prob(self, params: jax.Array, levels: jax.Array) -> jax.Array:
    """log p(pixel) = sum_c log softmax(logits_c)[x_c].

    params [..., C L], levels [..., C] -> [...].
    """
    logp = jax.nn.log_softmax(self.logits(params), -1)
    return jnp.take_along_axis(logp, levels[..., None].astype(jnp.int32), -1)[..., 0].sum(-1)

  def sample(self, rng, params: jax.Array, pixel: jax.Array, substep) -> jax.Array:
    """Draws channel `substep` of every pixel: params [b, C L], pixel [b, C] int -> [b, C]."""
    logits = jnp.take(self.logits(params), substep, axis=1)
    value = jax.random.categorical(rng, logits, axis=-1).astype(pixel.dtype)
    return jax.lax.dynamic_update_index_in_dim(pixel, value[:, None], substep, axis=1)

  def init_bias(self, levels: jax.Array) -> jax.Array:
    """Output bias: log of the (add-one smoothed) level frequencies of each channel, [C L]."""
    counts = jax.nn.one_hot(levels, self.num_levels).sum(tuple(range(levels.ndim - 1))) + 1.0
    return jnp.log(counts / counts.sum(-1, keepdims=True)).reshape(-1)


class LogisticMixture:
  """PixelCNN++'s discretised logistic mixture with linear channel coupling.

  params [..., P], P = K (mixture logits) + 2 C K (means, log-scales) + C (C - 1) / 2 K
  (coupling coefficients, squashed by tanh as in PixelCNN++).
  """

  def __init__(self, num_levels: int, num_channels: int, num_mixtures: int):
    if num_mixtures < 1:
      raise ValueError(f'num_mixtures must be >= 1, got {num_mixtures}.')
    self.num_levels, self.num_channels, self.num_mixtures = num_levels, num_channels, num_mixtures
    self.num_coeffs = num_channels * (num_channels - 1) // 2
    self.num_groups = 1                  # whole pixels: the coupling orders the channels
    self.num_params = num_mixtures * (1 + 2 * num_channels + self.num_coeffs)
    self.substeps = 1

  def unpack(self, params: jax.Array):
    """params [..., P] -> (logit_probs [..., K], means [..., C, K], log_scales [..., C, K],
    coeffs [..., C(C-1)/2, K])."""
    k, c = self.num_mixtures, self.num_channels
    lead = params.shape[:-1]
    logit_probs = params[..., :k]
    means = params[..., k:k + c * k].reshape(lead + (c, k))
    log_scales = params[..., k + c * k:k + 2 * c * k].reshape(lead + (c, k))
    coeffs = jnp.tanh(params[..., k + 2 * c * k:].reshape(lead + (self.num_coeffs, k)))
    return logit_probs, means, log_scales, coeffs

  def coupled_mean(self, means, coeffs, x, c: int):
    """mu_c + sum_{c' < c} coeff_{c, c'} x_{c'} (PixelCNN++ section 2.2); x [..., C] -> [..., K]."""
    mean = means[..., c, :]
    for prev in range(c):
      index = c * (c - 1) // 2 + prev
      mean = mean + coeffs[..., index, :] * x[..., prev, None]
    return mean

  def log_prob(self, params: jax.Array, levels: jax.Array) -> jax.Array:
    """log p(pixel) = logsumexp_k [log pi_k + sum_c log P(x_c | k, x_{<c})]; -> [...]."""
    logit_probs, means, log_scales, coeffs = self.unpack(params)
    x = to_input(levels, self.num_levels)
    total = jax.nn.log_softmax(logit_probs, -1)
    for c in range(self.num_channels):
      mean = self.coupled_mean(means, coeffs, x, c)
      total = total + lm.bin_log_probs(x[..., c], mean, log_scales[..., c, :], self.num_levels)
    return jax.nn.logsumexp(total, -1)

  def sample(self, rng, params: jax.Array, pixel: jax.Array, substep) -> jax.Array:
    """Draws a whole pixel: one component k, then the channels in order with coupled means."""
    del substep
    logit_probs, means, log_scales, coeffs = self.unpack(params)
    k_rng, u_rng = jax.random.split(rng)
    k = jax.random.categorical(k_rng, logit_probs, axis=-1)[:, None]
    pick = lambda a: jnp.take_along_axis(a, k, -1)[:, 0]
    u = jax.random.uniform(u_rng, pixel.shape, minval=1e-5, maxval=1.0 - 1e-5)
    x = jnp.zeros(pixel.shape, jnp.float32)
    for c in range(self.num_channels):
      mean = pick(self.coupled_mean(means, coeffs, x, c))
      scale = jnp.exp(jnp.maximum(pick(log_scales[:, c]), lm.LOG_SCALE_MIN))
      value = lm.quantize(mean + scale * (jnp.log(u[:, c]) - jnp.log1p(-u[:, c])),
                          self.num_levels)
      x = x.at[:, c].set(value)
    return jnp.round((x + 1.0) * 0.5 * (self.num_levels - 1)).astype(pixel.dtype)


def make_output(model_cfg: ml_collections.ConfigDict, num_channels: int):
  """The output distribution named by `model.output`."""
  name = model_cfg.get('output', 'softmax')
  num_levels = int(model_cfg.get('num_levels', 256))
  if name == 'softmax':
    return Categorical(num_levels, num_channels)
  if name == 'logistic_mixture':
    return LogisticMixture(num_levels, num_channels, int(model_cfg.get('num_mixtures', 5)))
  raise ValueError(f'Unknown model.output {name!r}; valid: {OUTPUTS}.')


# --------------------------------------------------------------------------- samplers
def _step_position(t, width: int, substeps: int):
  pos, sub = jnp.divmod(t, substeps)
  i, j = jnp.divmod(pos, width)
  return i, j, sub


def sample_plain(apply_fn: Callable, output, shape, rng: jax.Array, num: int) -> jax.Array:
  """Ancestral sampling, the whole network per step: one `lax.scan` over H W S steps.

  Args:
    apply_fn: x [num, H, W, C] in [-1, 1] -> params [num, H, W, P].
    output: the output distribution (`Categorical` or `LogisticMixture`).
    shape: (H, W, C).
    rng: key; step t (pixel t // S, substep t % S) draws with `fold_in(rng, t)`.
    num: number of images.
  Returns:
    int32 levels [num, H, W, C].
  """
  height, width, channels = shape
  num_levels = output.num_levels

  def step(canvas, t):
    i, j, sub = _step_position(t, width, output.substeps)
    params = apply_fn(to_input(canvas, num_levels))
    params = jax.lax.dynamic_slice(params, (0, i, j, 0), (num, 1, 1, params.shape[-1]))[:, 0, 0]
    pixel = jax.lax.dynamic_slice(canvas, (0, i, j, 0), (num, 1, 1, channels))[:, 0, 0]
    pixel = output.sample(jax.random.fold_in(rng, t), params, pixel, sub)
    return jax.lax.dynamic_update_slice(canvas, pixel[:, None, None], (0, i, j, 0)), None

  canvas = jnp.zeros((num, height, width, channels), jnp.int32)
  canvas, _ = jax.lax.scan(step, canvas, jnp.arange(height * width * output.substeps))
  return canvas


def sample_cached(init_fn: Callable, pixel_fn: Callable, row_fn: Callable | None, output, shape,
                  rng: jax.Array, num: int) -> jax.Array:
  """Ancestral sampling that computes every layer only where a new pixel changes it.

  A scan over rows, and inside it a scan over the row's pixels and substeps.

  Args:
    init_fn: () -> cache (the model's 'cache' collection for `num` images).
    pixel_fn: (cache, x [num, H, W, C] in [-1, 1], i, j) -> (params [num, P], cache): the
      outputs at (i, j). x is the canvas so far: the input layer reads its window from it,
      every later layer from its cache, which earlier steps filled.
    row_fn: (cache, x, i) -> cache, run once row i is complete (parts of the model that need
      a whole row: the Gated PixelCNN's vertical stack, the right-to-left Diagonal LSTM), or
      None.
    output, shape, rng, num: as in `sample_plain`; the same key gives the same samples.
  Returns:
    int32 levels [num, H, W, C].
  """
  height, width, channels = shape
  num_levels, substeps = output.num_levels, output.substeps

  def row_step(carry, i):
    def pixel_step(carry, js):
      canvas, cache = carry
      j, sub = jnp.divmod(js, substeps)
      params, cache = pixel_fn(cache, to_input(canvas, num_levels), i, j)
      pixel = jax.lax.dynamic_slice(canvas, (0, i, j, 0), (num, 1, 1, channels))[:, 0, 0]
      t = (i * width + j) * substeps + sub
      pixel = output.sample(jax.random.fold_in(rng, t), params, pixel, sub)
      canvas = jax.lax.dynamic_update_slice(canvas, pixel[:, None, None], (0, i, j, 0))
      return (canvas, cache), None

    (canvas, cache), _ = jax.lax.scan(pixel_step, carry, jnp.arange(width * substeps))
    if row_fn is not None:
      cache = row_fn(cache, to_input(canvas, num_levels), i)
    return (canvas, cache), None

  canvas = jnp.zeros((num, height, width, channels), jnp.int32)
  (canvas, _), _ = jax.lax.scan(row_step, (canvas, init_fn()), jnp.arange(height))
  return canvas


# --------------------------------------------------------------------------- the task
class PixelTask(Task):
  """Maximum likelihood for a pixel model; subclasses provide `build_model`.

  config.model (shared keys):
    image_shape: (H, W, C) of the data.
    num_levels: pixel values per channel (2 for binarized data, 256 for 8 bits).
    output: 'softmax' (per-channel num_levels-way softmax) or 'logistic_mixture'
      (PixelCNN++, with num_mixtures components).
    num_classes: > 0 for a class-conditional model (batches need a 'label').
    sampler: 'cached' (default) or 'plain'.
  Metrics: nll (nats per image) and bits_per_dim; the loss is nats per dimension.
  """

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    m = config.model
    self.image_shape = tuple(int(s) for s in m.get('image_shape', (28, 28, 1)))
    if len(self.image_shape) != 3:
      raise ValueError(f'model.image_shape must be (height, width, channels), got '
                       f'{self.image_shape}.')
    self.num_levels = int(m.get('num_levels', 256))
    self.num_classes = int(m.get('num_classes', 0))
    self.sampler = m.get('sampler', 'cached')
    if self.sampler not in SAMPLERS:
      raise ValueError(f'Unknown model.sampler {self.sampler!r}; valid: {SAMPLERS}.')
    self.output = make_output(m, self.image_shape[-1])
    self.model = self.build_model()
    self.num_dims = math.prod(self.image_shape)
    self._samplers = {}

  def build_model(self):
    raise NotImplementedError

  # -- data ------------------------------------------------------------------
  def levels(self, batch) -> jax.Array:
    """The batch's images as int32 levels [b, H, W, C], with the layout checked."""
    if 'image' not in batch:
      raise ValueError(f"A pixel model needs batches with an 'image' key; got keys "
                       f'{sorted(batch)}.')
    x = batch['image']
    if tuple(x.shape[1:]) != self.image_shape:
      raise ValueError(f'Images of shape {tuple(x.shape[1:])} do not match '
                       f'model.image_shape={self.image_shape}.')
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
    out = self.apply(params, to_input(levels, self.num_levels), label)
    return self.output.log_prob(out, levels).sum((1, 2))

  # -- Task ------------------------------------------------------------------
  def init(self, rng, batch) -> Variables:
    levels, label = self.levels(batch), self.labels(batch)
    params = self.model.init(rng, to_input(levels[:1], self.num_levels),
                             None if label is None else label[:1])
    params = dict(params['params'])
    if isinstance(self.output, Categorical) and 'output' in params:
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
    if sampler not in SAMPLERS:
      raise ValueError(f'Unknown sampler {sampler!r}; valid: {SAMPLERS}.')
    return self._cached_sampler if sampler == 'cached' else self._plain_sampler

  def _plain_sampler(self, params, rng, num, label):
    return sample_plain(lambda x: self.apply(params, x, label), self.output, self.image_shape,
                        rng, num)

  def _cached_sampler(self, params, rng, num, label):
    model = self.model

    def init_fn():
      x = jnp.zeros((num,) + self.image_shape, jnp.float32)
      _, variables = model.apply({'params': params}, x, label, decode='init', mutable=['cache'])
      return variables['cache']

    def pixel_fn(cache, x, i, j):
      out, variables = model.apply({'params': params, 'cache': cache}, x, label,
                                   decode='pixel', row=i, col=j, mutable=['cache'])
      return out[:, 0, 0], variables['cache']

    def row_fn(cache, x, i):
      _, variables = model.apply({'params': params, 'cache': cache}, x, label, decode='row',
                                 row=i, mutable=['cache'])
      return variables['cache']

    return sample_cached(init_fn, pixel_fn, row_fn if model.row_phase else None, self.output,
                         self.image_shape, rng, num)

  def sample(self, params, extra, rng, num: int):
    """Images [num, H, W, C] in [0, 1]; class-conditional models cycle through the classes."""
    del extra
    levels = self.sample_levels(params, rng, num)
    return levels.astype(jnp.float32) / (self.num_levels - 1)

  def finalize(self, state, workdir, test_batches) -> dict:
    """Class-conditional models: the share of `model.eval_samples` samples (classes cycling)
    that the dataset's cached classifier (`jaxgen.eval`) assigns to the requested class."""
    del workdir, test_batches
    if not self.num_classes:
      return {}
    from jaxgen import eval as eval_lib  # pylint: disable=g-import-not-at-top
    num = int(self.config.model.get('eval_samples', 100))
    rng = jax.random.fold_in(jax.random.key(self.config.seed), 0xC1A5)
    images = np.asarray(self.sample(state.params, state.extra, rng, num))
    clf = eval_lib.get_classifier(self.config.data.name,
                                  self.config.model.get('classifier_cache_dir', None))
    labels = np.asarray(self.sample_labels(num))
    return {'final/conditional_accuracy': float(np.mean(clf.predict(images) == labels))}


def output_layers(x: jax.Array, features: int, num_params: int, num_groups: int) -> jax.Array:
  """ReLU, 1x1 mask-B conv, ReLU, 1x1 mask-B conv to the distribution's parameters.

  The output stack of PixelRNN / PixelCNN (van den Oord et al. 2016a, Table 2). Call it from a
  compact module: it creates the parent's 'output_hidden' and 'output' layers.
  """
  y = MaskedConv2D(features, (1, 1), mask_type='B', num_groups=num_groups,
                   name='output_hidden')(jax.nn.relu(x))
  return MaskedConv2D(num_params, (1, 1), mask_type='B', num_groups=num_groups,
                      name='output')(jax.nn.relu(y))


# --------------------------------------------------------------------------- experiment configs
def variant_flags(variant: str, valid, experiment: str) -> set[str]:
  """Comma-separated variant flags ('tiny,256'), checked against `valid`."""
  flags = {f.strip() for f in (variant or '').split(',') if f.strip()}
  unknown = flags - set(valid)
  if unknown:
    raise ValueError(f'Unknown variant flag(s) {sorted(unknown)} of {experiment}; valid flags '
                     f'(comma-separated): {sorted(valid)}.')
  return flags


# The networks of the pixel experiments, {key: (default, tiny)} per model kind: 3x3 mask-B
# convolutions after a 7x7 mask-A one.
NETWORKS = {
    'pixelcnn': dict(features=(32, 16), num_layers=(6, 2), output_features=(64, 32)),
    'gated': dict(features=(32, 16), num_layers=(8, 3), skip_features=(64, 32),
                  output_features=(64, 32)),
    'row_lstm': dict(features=(16, 8), num_layers=(7, 1), output_features=(64, 32)),
    'diagonal_bilstm': dict(features=(16, 8), num_layers=(7, 1), output_features=(64, 32)),
}


def pixel_experiment(flags: set[str], dataset: str, kind: str, num_steps: int,
                     num_levels: int | None = None) -> ml_collections.ConfigDict:
  """A pixel experiment's config from its variant `flags` ('tiny', 'long', '256'): the
  `NETWORKS[kind]` network on `dataset` (binarized unless '256' or `num_levels` says
  otherwise), `num_steps` in the default run."""
  tiny = 'tiny' in flags
  if num_levels is None:
    num_levels = 256 if '256' in flags else 2
  task = 'pixelrnn' if kind in ('row_lstm', 'diagonal_bilstm') else 'pixelcnn'
  c = pixel_config(task, dataset, num_levels, tiny, num_steps=num_steps, long='long' in flags)
  c.model.kind = kind
  c.model.kernel_size = 3
  c.model.first_kernel_size = 7
  for key, (default, small) in NETWORKS[kind].items():
    c.model[key] = small if tiny else default
  return c


def pixel_config(task: str, dataset: str, num_levels: int, tiny: bool, num_steps: int = 1000,
                 long: bool = False) -> ml_collections.ConfigDict:
  """The training set-up shared by the pixel experiments (model keys are set by each one).

  Images are 28x28x1; `num_levels=2` binarizes the split once (static binarization), 256 keeps
  the 8-bit levels. Adam with a cosine schedule and gradient clipping, batch 32 (divisible by 8
  devices). The default run trains `num_steps` steps, chosen per experiment so that it takes
  about ten minutes on a 2-core CPU; `long` (the 'long' variant flag) trains 6,000 steps, an
  accelerator's job; `tiny` trains a hundred steps and evaluates once at the end.
  """
  from jaxgen.train.config import base_config  # pylint: disable=g-import-not-at-top
  c = base_config()
  c.task = task
  c.data.name = dataset
  c.data.preprocess = ['binarize_static'] if num_levels == 2 else []
  c.data.batch_size = 32
  c.data.eval_batch_size = 400
  c.model.image_shape = (28, 28, 1)
  c.model.num_levels = num_levels
  c.model.output = 'softmax'
  c.model.num_mixtures = 5
  c.model.num_classes = 0
  c.model.sampler = 'cached'
  c.optimizer.learning_rate = 1e-3
  c.optimizer.schedule = 'cosine'
  c.optimizer.final_lr_fraction = 0.1
  c.optimizer.grad_clip_norm = 1.0
  c.num_steps = 6000 if long else num_steps
  c.log_every = 100 if long else 50
  c.eval_every = 2000 if long else 0   # the default run evaluates once, at the end
  c.checkpoint_every = 1000 if long else 250
  c.num_samples = 64
  if tiny:
    c.optimizer.learning_rate = 3e-3
    c.num_steps = 100
    c.log_every = 25
    c.eval_every = 0
    c.checkpoint_every = 50
    c.num_samples = 16
  return c
