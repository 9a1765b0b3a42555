"""WaveNet (van den Oord et al. 2016) with naive and cached (Paine et al. 2016) generation.

The network (section 2):
  * a causal convolution lifts the input (the mu-law class as a one-hot vector, or the
    scalar sample) to `residual_channels`;
  * residual blocks with dilated causal convolutions (kernel 2, dilations 1, 2, ..., 512
    repeated in stacks) and the gated activation (eq. 2, with conditioning eqs. 3 and 4)

      z = tanh(W_f * x + V_f^T h + V_f * y) . sigmoid(W_g * x + V_g^T h + V_g * y),

    h a global (speaker / class) embedding and y = upsample(local features) the local
    conditioning brought to the audio rate by transposed convolutions (section 2.5);
    each block adds a 1x1 projection of z to its input (residual) and sends another to the
    output (skip, section 2.4);
  * the post-processing ReLU -> 1x1 -> ReLU -> 1x1 on the sum of the skips (fig. 4);
  * the output distribution: a 256-way softmax over mu-law companded samples (section 2.2)
    or a discretised mixture of logistics over 16-bit values (PixelCNN++ eq. 2, used by
    Parallel WaveNet, van den Oord et al. 2018).

Inputs are shifted right by one sample, so output t is the distribution of x_t given
x_{t-R}, ..., x_{t-1}, R = (k - 1)(sum(dilations) + 1) + 1 (`WaveNet.receptive_field`).

Generation (both are pure functions of (params, rng, conditioning), compiled with jax.jit as
one `lax.scan` over time; step t draws x_t by inverse CDF from the uniforms
`step_uniforms(rng, T, batch)[t]`, drawn before the loop, so both paths give the same
samples for the same key and no random bits are generated inside the loop):
  * `generate_naive` re-runs the network on the last R inputs for every sample
    (O(R * layers) per sample);
  * `generate_cached` keeps for every layer a ring buffer of its last (k - 1) d inputs
    (`jaxgen.nn.causal_conv.queue_*`), so a sample costs O(layers) (Paine et al. 2016).

HLO (what we found, `cached_generation_hlo`, `queue_copies`): the caches are carried through
the scan's while loop. Our first layout -- a ring of (k - 1) d rows, reading x_{t-d} from
slot t mod d and then overwriting that slot with x_t -- compiled to a loop body that began
with two `copy` instructions of *every* queue (e.g. `f32[64,3,8] copy(get-tuple-element)`):
nothing in the dataflow orders the read before the in-place dynamic-update-slice, so XLA's
copy insertion protects the read with whole-buffer copies, O(receptive field) per sample.
The layout used here has one extra row and writes before it reads (the reads then consume
the updated buffer), and the compiled body holds no copy of any queue: each step touches one
row per queue for writing and k - 1 for reading (tests/models/test_wavenet.py checks the
HLO, and that the checker finds the copies of the read-then-write layout). Outside the loop,
once: the global-conditioning term V^T h folded into each layer's bias, the stacked local
projections, and each layer's residual and skip 1x1 kernels fused into one [W_res | W_skip]
matrix (one matrix-vector product per layer after the gate; the skips are summed as the loop
goes, where training uses one einsum over the stacked gates). Random numbers are drawn
before the loop too, so the body is only the network.
"""
from __future__ import annotations

import functools
import os
import re
from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jax import lax

from jaxgen.nn import causal_conv
from jaxgen.nn.gated import gated_activation
from jaxgen.nn import logistic_mixture
from jaxgen.nn import mel as mel_lib
from jaxgen.nn import mulaw
from jaxgen.train.config import unknown_variant
from jaxgen.train.task import Task, Variables

OUTPUTS = ('categorical', 'logistic_mixture')
INPUTS = ('one_hot', 'scalar')


class WaveNet(nn.Module):
  """The WaveNet network: inputs [batch, time, in] -> distribution parameters [batch, time, out].

  Attributes:
    dilations: dilation of every residual layer (`causal_conv.wavenet_dilations`).
    kernel_size: k of every causal convolution (the paper's 2).
    residual_channels: width of the residual stream x.
    dilation_channels: width of the gated output z (filter and gate each).
    skip_channels: width of the skip connections.
    end_channels: hidden width of the post-processing 1x1 layers.
    output_distribution: 'categorical' (softmax over `num_classes` mu-law classes) or
      'logistic_mixture' (`num_mixtures` components over a grid of `num_bins` values).
    input_kind: 'one_hot' (categorical only: the previous class as a one-hot vector) or
      'scalar' (the previous sample's value in [-1, 1]).
    num_global: size of the global-conditioning vocabulary (speakers, classes); 0 for none.
    global_channels: width of the global embedding h.
    local_features: width of the local-conditioning frames (e.g. mel bands); 0 for none.
    upsample_strides: strides of the transposed convolutions bringing frames to the audio
      rate; their product is the hop length.
    local_channels: width of the upsampled conditioning y (default: `local_features`).
  """
  dilations: Sequence[int] = causal_conv.wavenet_dilations(3, 10)
  kernel_size: int = 2
  residual_channels: int = 64
  dilation_channels: int = 64
  skip_channels: int = 256
  end_channels: int = 256
  output_distribution: str = 'categorical'
  num_classes: int = 256
  num_mixtures: int = 10
  num_bins: int = 65536
  input_kind: str = 'one_hot'
  num_global: int = 0
  global_channels: int = 16
  local_features: int = 0
  upsample_strides: Sequence[int] = ()
  local_channels: int = 0

  # ----------------------------------------------------------------------- static facts
  @property
  def receptive_field(self) -> int:
    """Past samples an output sees: (k - 1)(sum(dilations) + 1) + 1 (input conv included)."""
    return causal_conv.receptive_field(tuple(self.dilations) + (1,), self.kernel_size)

  @property
  def in_dim(self) -> int:
    return self.num_classes if self.input_kind == 'one_hot' else 1

  @property
  def out_dim(self) -> int:
    return self.num_classes if self.output_distribution == 'categorical' else 3 * self.num_mixtures

  @property
  def hop_length(self) -> int:
    return int(np.prod(self.upsample_strides)) if self.upsample_strides else 1

  @property
  def cond_channels(self) -> int:
    return self.local_channels or self.local_features

  def setup(self):
    if self.output_distribution not in OUTPUTS:
      raise ValueError(f'Unknown output_distribution {self.output_distribution!r}; '
                       f'valid: {OUTPUTS}.')
    if self.input_kind not in INPUTS or (
        self.input_kind == 'one_hot' and self.output_distribution != 'categorical'):
      raise ValueError(f'input_kind {self.input_kind!r} does not fit output '
                       f'{self.output_distribution!r}; one_hot needs categorical, '
                       f'valid kinds: {INPUTS}.')
    if self.local_features and not self.upsample_strides:
      raise ValueError('Local conditioning needs upsample_strides (the hop length).')
    c, g = self.residual_channels, 2 * self.dilation_channels
    num_layers = len(self.dilations)
    self.input_conv = causal_conv.CausalConv1D(c, self.kernel_size, 1)
    self.dilated = [causal_conv.CausalConv1D(g, self.kernel_size, d) for d in self.dilations]
    self.residual = [nn.Dense(c) for _ in range(num_layers - 1)]  # the last one feeds no block
    if self.num_global:
      self.global_embed = nn.Embed(self.num_global, self.global_channels)
      self.global_proj = [nn.Dense(g, use_bias=False) for _ in range(num_layers)]
    if self.local_features:
      self.upsample = [nn.ConvTranspose(self.cond_channels, (2 * s,), (s,), padding='SAME')
                       for s in self.upsample_strides]
      self.local_proj = [nn.Dense(g, use_bias=False) for _ in range(num_layers)]
    self.skip_kernel = self.param(
        'skip_kernel', nn.initializers.lecun_normal(in_axis=(0, 1), out_axis=2),
        (num_layers, self.dilation_channels, self.skip_channels))
    self.skip_bias = self.param('skip_bias', nn.initializers.zeros_init(), (self.skip_channels,))
    self.post1 = nn.Dense(self.end_channels)
    self.post2 = nn.Dense(self.out_dim)

  # ----------------------------------------------------------------------- conditioning
  def global_embedding(self, global_ids: jax.Array) -> jax.Array:
    """int ids [batch] -> h [batch, global_channels]."""
    return self.global_embed(global_ids)

  def upsample_local(self, features: jax.Array) -> jax.Array:
    """Local frames [batch, frames, local_features] -> y [batch, frames * hop, local_channels].

    Transposed convolutions (kernel 2s, stride s) with leaky ReLUs between them.
    """
    y = features
    for i, layer in enumerate(self.upsample):
      y = layer(y)
      if i < len(self.upsample) - 1:
        y = nn.leaky_relu(y, 0.4)
    return y

  def _check_conditioning(self, t, global_ids, local_features, local_upsampled):
    if bool(self.num_global) != (global_ids is not None):
      raise ValueError(f'This WaveNet has num_global={self.num_global}: pass global_ids '
                       f'[batch] exactly when num_global > 0.')
    if bool(self.local_features) != (local_features is not None or local_upsampled is not None):
      raise ValueError(f'This WaveNet has local_features={self.local_features}: pass local '
                       f'features [batch, frames, {self.local_features}] exactly when > 0.')
    if local_features is not None and local_features.shape[1] * self.hop_length != t:
      raise ValueError(f'{local_features.shape[1]} local frames x hop {self.hop_length} = '
                       f'{local_features.shape[1] * self.hop_length} samples, but the audio '
                       f'has {t}.')

  # ----------------------------------------------------------------------- the network
  def __call__(self, inputs: jax.Array, global_ids: jax.Array | None = None,
               local_features: jax.Array | None = None, *,
               local_upsampled: jax.Array | None = None,
               valid: jax.Array | None = None) -> jax.Array:
    """Distribution parameters for every time step.

    Args:
      inputs: [batch, time, in_dim], the shifted encoded audio (`encode_audio`).
      global_ids: int [batch] (when num_global > 0).
      local_features: [batch, time / hop, local_features] (when local_features > 0), or
      local_upsampled: [batch, time, local_channels], already upsampled.
      valid: optional bool [batch or 1, time]; False marks positions before the signal's
        start, zeroed at every layer's input as a longer sequence's causal padding would
        be (the naive sampler runs on windows with it).
    Returns:
      [batch, time, out_dim]: logits, or packed mixture parameters [..., 3K].
    """
    if inputs.ndim != 3 or inputs.shape[-1] != self.in_dim:
      raise ValueError(f'WaveNet inputs must be [batch, time, {self.in_dim}], got '
                       f'{inputs.shape}.')
    t = inputs.shape[1]
    self._check_conditioning(t, global_ids, local_features, local_upsampled)
    mask = (lambda x: x) if valid is None else (
        lambda x: x * valid[..., None].astype(x.dtype))
    x = self.input_conv(mask(inputs))
    gates = []
    if local_features is not None:
      local_upsampled = self.upsample_local(local_features)
    h = self.global_embedding(global_ids) if self.num_global else None
    for i in range(len(self.dilations)):
      x = mask(x)
      a = self.dilated[i](x)
      if h is not None:
        a = a + self.global_proj[i](h)[:, None, :]
      if local_upsampled is not None:
        a = a + self.local_proj[i](local_upsampled)
      z = gated_activation(a)
      gates.append(z)
      if i < len(self.residual):
        x = x + self.residual[i](z)
    skip = jnp.einsum('lbtc,lcs->bts', jnp.stack(gates), self.skip_kernel) + self.skip_bias
    return self.post2(nn.relu(self.post1(nn.relu(skip))))


# --------------------------------------------------------------------------- encodings
def _model_kwargs(cfg) -> dict:
  """WaveNet attributes from a `config.model` ConfigDict (unknown keys are ignored)."""
  dilations = cfg.get('dilations') or causal_conv.wavenet_dilations(
      cfg.get('num_stacks', 3), cfg.get('dilation_cycle', 10))
  fields = {f.name for f in WaveNet.__dataclass_fields__.values()} - {'parent', 'name'}
  kwargs = {k: cfg[k] for k in cfg.keys() if k in fields and k != 'dilations'}
  for key in ('upsample_strides',):
    if key in kwargs:
      kwargs[key] = tuple(kwargs[key])
  return dict(kwargs, dilations=tuple(dilations))


def audio_to_targets(model: WaveNet, audio: jax.Array) -> jax.Array:
  """Audio in [-1, 1] [batch, t] -> what the output models: int classes or grid values."""
  if model.output_distribution == 'categorical':
    return mulaw.mu_law_encode(audio, model.num_classes - 1)
  return logistic_mixture.quantize(audio, model.num_bins)


def targets_to_audio(model: WaveNet, targets: jax.Array) -> jax.Array:
  """Inverse of `audio_to_targets` (classes -> mu-law decoded audio; grid values as is)."""
  if model.output_distribution == 'categorical':
    return mulaw.mu_law_decode(targets, model.num_classes - 1)
  return targets


def start_code(model: WaveNet):
  """The code of 'no previous sample' (input position 0): class -1 (zero one-hot) or 0.0."""
  return -1 if model.output_distribution == 'categorical' else 0.0


def embed_codes(model: WaveNet, codes: jax.Array) -> jax.Array:
  """Codes (previous targets) [..., t] -> network inputs [..., t, in_dim].

  One-hot classes (class -1 gives the zero vector), the class's companded value in [-1, 1],
  or the grid value itself.
  """
  if model.input_kind == 'one_hot':
    return jax.nn.one_hot(codes, model.num_classes, dtype=jnp.float32)
  if model.output_distribution == 'categorical':
    codes = jnp.where(codes < 0, 0.0, mulaw.classes_to_unit(codes, model.num_classes))
  return jnp.asarray(codes, jnp.float32)[..., None]


def shift_right(model: WaveNet, targets: jax.Array) -> jax.Array:
  """Codes of the inputs: input t is target t - 1 (input 0 is `start_code`)."""
  pad = jnp.full(targets.shape[:-1] + (1,), start_code(model), targets.dtype)
  return jnp.concatenate([pad, targets[..., :-1]], axis=-1)


def encode_audio(model: WaveNet, audio: jax.Array) -> tuple[jax.Array, jax.Array]:
  """(targets [batch, t], network inputs [batch, t, in_dim]) of audio [batch, t]."""
  targets = audio_to_targets(model, audio)
  return targets, embed_codes(model, shift_right(model, targets))


def log_prob(model: WaveNet, outputs: jax.Array, targets: jax.Array) -> jax.Array:
  """log p(x_t | x_<t) [batch, t] from network outputs [batch, t, out] and targets [batch, t]."""
  if model.output_distribution == 'categorical':
    logp = jax.nn.log_softmax(outputs, axis=-1)
    return jnp.take_along_axis(logp, targets[..., None].astype(jnp.int32), -1)[..., 0]
  return logistic_mixture.log_prob(targets, *logistic_mixture.split_params(outputs),
                                   num_bins=model.num_bins)


def sample_output(model: WaveNet, uniforms: jax.Array, outputs: jax.Array,
                  temperature: float = 1.0) -> jax.Array:
  """Draws targets [...] from outputs [..., out], driven by uniforms [..., 2] (inverse CDF).

  `temperature` divides the logits (softmax) or scales the mixture (see
  `logistic_mixture.sample_from_uniforms`); 0 is greedy (argmax class / most likely
  component's mean).
  """
  if model.output_distribution == 'categorical':
    if temperature == 0:
      return jnp.argmax(outputs, -1).astype(jnp.int32)
    return logistic_mixture.categorical_from_uniform(uniforms[..., 0], outputs / temperature)
  return logistic_mixture.sample_from_uniforms(
      uniforms[..., 0], uniforms[..., 1], *logistic_mixture.split_params(outputs),
      num_bins=model.num_bins, temperature=temperature or 1e-4)


def step_uniforms(rng: jax.Array, num_samples: int, batch: int) -> jax.Array:
  """The uniforms driving generation, [T, batch, 2], drawn in parallel before the scan.

  Step t's come from `fold_in(rng, t)`, so the first n samples of a stream do not depend on
  how many are generated.
  """
  return jax.vmap(lambda t: jax.random.uniform(jax.random.fold_in(rng, t), (batch, 2)))(
      jnp.arange(num_samples))


# --------------------------------------------------------------------------- generation
def _conditioning(model: WaveNet, params, batch: int, num_samples: int, global_ids,
                  local_features):
  """(h [batch, G] or None, y [batch, T, C] or None): conditioning computed once, in parallel."""
  model._check_conditioning(  # pylint: disable=protected-access
      num_samples, global_ids, local_features, None)
  h = y = None
  if global_ids is not None:
    global_ids = jnp.asarray(global_ids, jnp.int32)
    if global_ids.shape != (batch,):
      raise ValueError(f'global_ids must be [batch={batch}], got {global_ids.shape}.')
    h = model.apply({'params': params}, global_ids, method=WaveNet.global_embedding)
  if local_features is not None:
    if local_features.shape[0] != batch:
      raise ValueError(f'local_features has batch {local_features.shape[0]}, not {batch}.')
    y = model.apply({'params': params}, local_features, method=WaveNet.upsample_local)
  return h, y


@functools.partial(jax.jit, static_argnames=('model', 'num_samples', 'batch', 'temperature',
                                             'return_outputs'))
def generate_naive(model: WaveNet, params, rng: jax.Array, num_samples: int, batch: int = 1,
                   global_ids=None, local_features=None, temperature: float = 1.0,
                   return_outputs: bool = False):
  """Generation by re-running the network on the last R inputs for every sample.

  Args:
    model: the WaveNet.
    params: its parameters.
    rng: key; step t draws with the uniforms `step_uniforms(rng, T, batch)[t]`.
    num_samples: T, samples per stream.
    batch: number of streams.
    global_ids: int [batch] (global conditioning).
    local_features: [batch, T / hop, local_features] (local conditioning).
    temperature: softmax / logistic temperature.
    return_outputs: also return the network outputs [batch, T, out] of every step.
  Returns:
    audio [batch, T] in [-1, 1] (and the outputs).
  """
  r = model.receptive_field
  h, y = _conditioning(model, params, batch, num_samples, global_ids, local_features)
  del h
  gids = None if global_ids is None else jnp.asarray(global_ids, jnp.int32)
  if y is not None:   # pad so window [t - R + 1, t] of y exists for every t
    y = jnp.pad(y, ((0, 0), (r - 1, 0), (0, 0)))
  code_dtype = jnp.int32 if model.output_distribution == 'categorical' else jnp.float32
  # codes[:, r - 1 + s] is input s (the code of x_{s-1}); earlier slots are padding.
  codes = jnp.full((batch, r + num_samples), start_code(model), code_dtype)
  uniforms = step_uniforms(rng, num_samples, batch)

  def step(codes, inp):
    t, u = inp
    window = lax.dynamic_slice_in_dim(codes, t, r, axis=1)
    valid = (jnp.arange(r) + t - (r - 1) >= 0)[None, :]
    y_win = None if y is None else lax.dynamic_slice_in_dim(y, t, r, axis=1)
    out = model.apply({'params': params}, embed_codes(model, window), gids,
                      local_upsampled=y_win, valid=valid)[:, -1]
    x = sample_output(model, u, out, temperature)
    codes = lax.dynamic_update_slice_in_dim(codes, x[:, None].astype(code_dtype), t + r, axis=1)
    return codes, (x, out) if return_outputs else x

  codes, ys = lax.scan(step, codes, (jnp.arange(num_samples), uniforms))
  return _finish(model, ys, return_outputs)


def _finish(model, ys, return_outputs):
  if return_outputs:
    x, out = ys
    return targets_to_audio(model, x.T), jnp.swapaxes(out, 0, 1)
  return targets_to_audio(model, ys.T)


def _step_params(model: WaveNet, params, h, y):
  """The parameters of one generation step, rearranged once outside the scan.

  Per layer: the dilated conv kernel, its bias plus the (time-constant) global term V^T h,
  and one fused output matrix [W_res | W_skip] [C_z, C + S] so each layer needs a single
  matrix-vector product after the gate; the local projections of all layers are stacked into
  one [C_y, L * 2C_z] matrix.
  """
  num_layers = len(model.dilations)
  p = params
  layers = []
  for i in range(num_layers):
    conv = p[f'dilated_{i}']['conv']
    bias = conv['bias']
    if h is not None:   # V^T h is constant over time: fold it into the conv bias.
      bias = bias + h @ p[f'global_proj_{i}']['kernel']
    skip = p['skip_kernel'][i]
    if i < num_layers - 1:
      out_kernel = jnp.concatenate([p[f'residual_{i}']['kernel'], skip], axis=1)
      out_bias = jnp.concatenate([p[f'residual_{i}']['bias'], jnp.zeros_like(p['skip_bias'])])
    else:   # the last layer feeds only the skip sum
      out_kernel, out_bias = skip, None
    layers.append({'kernel': conv['kernel'], 'bias': bias, 'out_kernel': out_kernel,
                   'out_bias': out_bias})
  sp = {
      'input_kernel': p['input_conv']['conv']['kernel'],
      'input_bias': p['input_conv']['conv']['bias'],
      'layers': layers,
      'skip_bias': p['skip_bias'],
      'post1': p['post1'], 'post2': p['post2'],
  }
  if y is not None:
    sp['local_kernel'] = jnp.concatenate(
        [p[f'local_proj_{i}']['kernel'] for i in range(num_layers)], axis=1)
  return sp


def _cached_step(model: WaveNet, sp, queues, t, u, y_t):
  """Network outputs [batch, out] at time t from input u [batch, in] and the queues."""
  def conv(kernel, bias, queue, dilation, x):
    queue, taps = causal_conv.queue_push_taps(queue, t, x, dilation)
    return causal_conv.causal_conv_step(kernel, bias, taps), queue

  new_queues = []
  x, q = conv(sp['input_kernel'], sp['input_bias'], queues[0], 1, u)
  new_queues.append(q)
  g, c = 2 * model.dilation_channels, model.residual_channels
  local = None if y_t is None else y_t @ sp['local_kernel']
  skip = sp['skip_bias']
  for i, (d, layer) in enumerate(zip(model.dilations, sp['layers'])):
    a, q = conv(layer['kernel'], layer['bias'], queues[i + 1], d, x)
    new_queues.append(q)
    if local is not None:
      a = a + local[:, i * g:(i + 1) * g]
    out = gated_activation(a) @ layer['out_kernel']
    if layer['out_bias'] is None:
      skip = skip + out
    else:
      out = out + layer['out_bias']
      x, skip = x + out[:, :c], skip + out[:, c:]
  hidden = nn.relu(nn.relu(skip) @ sp['post1']['kernel'] + sp['post1']['bias'])
  return hidden @ sp['post2']['kernel'] + sp['post2']['bias'], new_queues


def init_queues(model: WaveNet, batch: int) -> list[jax.Array]:
  """Zero ring buffers: the input conv's [k, batch, in], layer l's [(k-1) d_l + 1, batch, C]."""
  k = model.kernel_size
  return ([causal_conv.queue_init(batch, model.in_dim, 1, k)] +
          [causal_conv.queue_init(batch, model.residual_channels, d, k)
           for d in model.dilations])


@functools.partial(jax.jit, static_argnames=('model', 'num_samples', 'batch', 'temperature',
                                             'return_outputs'))
def generate_cached(model: WaveNet, params, rng: jax.Array, num_samples: int, batch: int = 1,
                    global_ids=None, local_features=None, temperature: float = 1.0,
                    return_outputs: bool = False):
  """Fast generation (Paine et al. 2016): one `lax.scan` step per sample, O(layers) each.

  Same arguments and results as `generate_naive`; for the same key the samples are the same.
  The scan carries (input code, per-layer ring buffers); see the module docstring for the
  layout and what the compiled HLO does with it.
  """
  h, y = _conditioning(model, params, batch, num_samples, global_ids, local_features)
  sp = _step_params(model, params, h, y)
  code_dtype = jnp.int32 if model.output_distribution == 'categorical' else jnp.float32
  uniforms = step_uniforms(rng, num_samples, batch)
  y_steps = None if y is None else jnp.swapaxes(y, 0, 1)   # [T, batch, C]

  def step(carry, inp):
    code, queues = carry
    t, u, y_t = inp
    out, queues = _cached_step(model, sp, queues, t, embed_codes(model, code)
                               .reshape(batch, model.in_dim), y_t)
    x = sample_output(model, u, out, temperature)
    return (x.astype(code_dtype), queues), (x, out) if return_outputs else x

  code = jnp.full((batch,), start_code(model), code_dtype)
  _, ys = lax.scan(step, (code, init_queues(model, batch)),
                   (jnp.arange(num_samples), uniforms, y_steps))
  return _finish(model, ys, return_outputs)


def cached_generation_hlo(model: WaveNet, params, num_samples: int = 16, batch: int = 1,
                          global_ids=None, local_features=None) -> str:
  """The optimised HLO text of `generate_cached` (to inspect what the loop body copies)."""
  return generate_cached.lower(model, params, jax.random.key(0), num_samples, batch,
                               global_ids, local_features).compile().as_text()


def _computations(hlo: str) -> dict[str, list[str]]:
  """HLO text -> {computation name: its instruction lines}."""
  comps, name = {}, None
  for line in hlo.splitlines():
    m = re.match(r'^(?:ENTRY\s+)?%?([\w.\-]+)\s.*\{\s*$', line)
    if m and not line.startswith(' '):
      name = m.group(1)
      comps[name] = []
    elif name is not None and line.startswith('  '):
      comps[name].append(line.strip())
  return comps


def while_body_copies(hlo: str, shapes: set[str]) -> list[str]:
  """`copy` instructions producing one of `shapes` (e.g. 'f32[513,1,64]') in a while body."""
  comps = _computations(hlo)
  bodies = set()
  for lines in comps.values():
    for line in lines:
      bodies.update(re.findall(r'body=%?([\w.\-]+)', line))
  out = []
  for body in sorted(bodies):
    for line in comps.get(body, []):
      m = re.search(r'=\s*(f32\[[\d,]+\])\S*\s+copy\(', line)
      if m and m.group(1) in shapes:
        out.append(f'{body}: {line}')
  return out


def queue_copies(hlo: str, model: WaveNet, batch: int) -> list[str]:
  """Copies of a generation queue inside the scan's loop body (none are expected).

  One would mean a whole cache is copied for every generated sample; a one-off copy at
  initialisation, outside the loop, is harmless and not reported.
  """
  shapes = {f'f32[{(model.kernel_size - 1) * d + 1},{batch},{model.residual_channels}]'
            for d in model.dilations}
  return while_body_copies(hlo, shapes)


# --------------------------------------------------------------------------- the task
class WaveNetTask(Task):
  """WaveNet as a trainer task.

  Batches: {'audio': float32 [b, t] in [-1, 1], optional 'speaker': int32 [b] (global
  conditioning), optional 'mel': [b, t / hop, n_mels] (local; computed in JAX from the
  audio with `config.model.mel` when absent)}.
  Metrics: `nll` (nats per sample) and `bits_per_sample` of the model's output distribution
  (256 mu-law classes or the 65,536-value grid; the two are not comparable).
  """

  def __init__(self, config):
    super().__init__(config)
    m = config.model
    self.model = WaveNet(**_model_kwargs(m))
    self.sample_rate = int(m.get('sample_rate', 8000))
    self.sample_length = int(m.get('sample_length', self.sample_rate))
    self.temperature = float(m.get('temperature', 1.0))
    self.mel = dict(m.get('mel', {}) or {})
    if self.model.local_features:
      self.mel.setdefault('num_mels', self.model.local_features)
      self.mel.setdefault('hop_length', self.model.hop_length)
      self.mel.setdefault('sample_rate', self.sample_rate)
      if (self.mel['num_mels'] != self.model.local_features or
          self.mel['hop_length'] != self.model.hop_length):
        raise ValueError(f'model.mel {self.mel} must match local_features='
                         f'{self.model.local_features} and the upsampling hop '
                         f'{self.model.hop_length}.')
    self._sample_conditioning = None

  # -- batches
  def conditioning(self, batch) -> dict:
    """The model's keyword conditioning from a batch (mel computed from audio if absent)."""
    kw = {}
    if self.model.num_global:
      if 'speaker' not in batch:
        raise ValueError(f'num_global={self.model.num_global} needs batch key "speaker"; '
                         f'the batch has {sorted(batch)}.')
      kw['global_ids'] = jnp.asarray(batch['speaker'], jnp.int32)
    if self.model.local_features:
      mel = batch.get('mel')
      kw['local_features'] = (mel_lib.log_mel_spectrogram(batch['audio'], **self.mel)
                              if mel is None else mel)
    return kw

  def _audio(self, batch):
    if 'audio' not in batch:
      raise ValueError(f'WaveNet batches need key "audio" [batch, time]; got {sorted(batch)}.')
    audio = jnp.asarray(batch['audio'], jnp.float32)
    if audio.ndim != 2:
      raise ValueError(f'batch["audio"] must be [batch, time], got {audio.shape}.')
    return audio

  def nll(self, params, batch) -> jax.Array:
    """Per-example NLL in nats per sample, [batch]."""
    audio = self._audio(batch)
    targets, inputs = encode_audio(self.model, audio)
    out = self.model.apply({'params': params}, inputs, **self.conditioning(batch))
    return -jnp.mean(log_prob(self.model, out, targets), axis=-1)

  # -- Task interface
  def init(self, rng, batch):
    audio = self._audio(batch)[:1]
    cond = self.conditioning({k: v[:1] for k, v in batch.items()})
    _, inputs = encode_audio(self.model, audio)
    return Variables(self.model.init(rng, inputs, **cond)['params'], {})

  def loss(self, params, extra, batch, rng):
    del rng
    nll = jnp.mean(self.nll(params, batch))
    return nll, ({'nll': nll, 'bits_per_sample': nll / np.log(2)}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    nll = self.nll(params, batch)
    return {'nll': nll, 'bits_per_sample': nll / np.log(2), 'loss': nll}

  def sample_conditioning(self, num: int) -> dict:
    """Conditioning of `sample`: ids 0, 1, ... (cycled) and log-mels of held-out crops."""
    kw = {}
    if self.model.num_global:
      kw['global_ids'] = jnp.arange(num, dtype=jnp.int32) % self.model.num_global
    if self.model.local_features:
      kw['local_features'] = self.mel_of(self.heldout_audio(num))
    return kw

  def mel_of(self, audio) -> jax.Array:
    return mel_lib.jit_log_mel(jnp.asarray(audio), **self.mel)

  def heldout_audio(self, num: int) -> np.ndarray:
    """`num` test-split crops of `sample_length` samples (the vocoder resynthesises them)."""
    if self._sample_conditioning is None or len(self._sample_conditioning) < num:
      from jaxgen import data  # pylint: disable=g-import-not-at-top
      kwargs = dict(self.config.data.get('kwargs', {}) or {})
      kwargs['crop_length'] = self.sample_length
      source = data.load(self.config.data.name, 'test', **kwargs)
      idx = np.linspace(0, len(source) - 1, num).round().astype(int)
      self._sample_conditioning = np.asarray(source.get(idx)['audio'], np.float32)
    return self._sample_conditioning[:num]

  def sample(self, params, extra, rng, num):
    del extra
    if self.model.local_features and self.sample_length % self.model.hop_length:
      raise ValueError(f'model.sample_length {self.sample_length} must be a multiple of the '
                       f'hop {self.model.hop_length}.')
    return generate_cached(self.model, params, rng, self.sample_length, num,
                           temperature=self.temperature, **self.sample_conditioning(num))

  def finalize(self, state, workdir, test_batches):
    """Spectra of generated audio against real test speech (and the vocoder's mel error)."""
    del test_batches
    num = min(int(self.config.get('num_samples', 4) or 4), 8)
    rng = jax.random.fold_in(jax.random.key(self.config.seed), 7)
    audio = np.asarray(self.sample(state.params, state.extra, rng, num))
    real = self.heldout_audio(num)
    gen_spec = np.asarray(mel_lib.log_spectrum(audio))
    real_spec = np.asarray(mel_lib.log_spectrum(real))
    out = {'spectrum_l1_db': float(np.mean(np.abs(gen_spec - real_spec)))}
    bands = np.array_split(np.arange(len(gen_spec)), 4)
    nyq = self.sample_rate / 2
    for b in bands:
      lo, hi = int(b[0] / (len(gen_spec) - 1) * nyq), int(b[-1] / (len(gen_spec) - 1) * nyq)
      out[f'spectrum_db_gen_minus_real_{lo}_{hi}hz'] = float(np.mean(gen_spec[b] - real_spec[b]))
    if self.model.local_features:
      out['vocoder_mel_l1'] = float(np.mean(np.abs(np.asarray(self.mel_of(audio)) -
                                                   np.asarray(self.mel_of(real)))))
    from jaxgen.train import artifacts  # pylint: disable=g-import-not-at-top
    artifacts.save_wav(real, os.path.join(workdir, 'samples', 'heldout_real.wav'),
                       self.sample_rate)
    return out


def model_config(**overrides) -> ml_collections.ConfigDict:
  """The family's `config.model` schema with defaults (the paper's sizes); overrides applied.

  Network: num_stacks x dilation_cycle layers (dilations 1..2^(cycle-1), or an explicit
  `dilations` tuple), kernel_size, residual/dilation/skip/end channels.
  Output: output_distribution ('categorical' with num_classes mu-law classes, or
  'logistic_mixture' with num_mixtures components over num_bins values), input_kind.
  Conditioning: num_global ids embedded in global_channels; local_features mel bands upsampled
  by upsample_strides (product = hop) to local_channels (0: = local_features); `mel` holds
  the log-mel analysis (`jaxgen.nn.mel.log_mel_spectrogram` arguments).
  Sampling: sample_rate, sample_length (samples per generated stream), temperature.
  """
  c = ml_collections.ConfigDict(dict(
      num_stacks=3, dilation_cycle=10, dilations=(), kernel_size=2,
      residual_channels=64, dilation_channels=64, skip_channels=256, end_channels=256,
      output_distribution='categorical', num_classes=256, num_mixtures=10, num_bins=65536,
      input_kind='one_hot', num_global=0, global_channels=16, local_features=0,
      upsample_strides=(), local_channels=0,
      mel=ml_collections.ConfigDict(dict(n_fft=512, fmin=50.0)),
      sample_rate=8000, sample_length=8000, temperature=1.0))
  c.update(overrides)
  return c


def experiment_config(**model_overrides) -> ml_collections.ConfigDict:
  """The WaveNet experiments' shared config: speech8k crops, Adam with warm-up and cosine
  decay, clipping at 1, evaluation and WAV samples every 2,000 of 10,000 steps."""
  from jaxgen.train.config import base_config  # pylint: disable=g-import-not-at-top
  c = base_config()
  c.task = 'wavenet'
  c.data.name = 'speech8k'
  c.data.batch_size = 16
  c.data.eval_batch_size = 64
  c.data.kwargs = dict(crop_length=4000, max_test_examples=128)
  c.model = model_config(**model_overrides)
  c.optimizer.learning_rate = 1e-3
  c.optimizer.schedule = 'warmup_cosine'
  c.optimizer.warmup_steps = 200
  c.optimizer.grad_clip_norm = 1.0
  c.num_steps = 10000
  c.log_every = 100
  c.eval_every = 2000
  c.checkpoint_every = 1000
  c.num_samples = 4
  return c


def cpu_budget(c: ml_collections.ConfigDict, crop_length: int = 2000, num_steps: int = 800
               ) -> ml_collections.ConfigDict:
  """The default run: the experiment's network with one stack of its dilation cycle instead
  of two, batches of 8 crops of `crop_length`, `num_steps` steps at a 2e-3 peak rate: about
  ten minutes on a 2-core CPU. The 'long' variant skips this (two stacks, 16 crops of 4,000,
  10,000 steps: an accelerator's job, ~15 hours on that CPU)."""
  c.data.kwargs = dict(c.data.kwargs, crop_length=crop_length)
  c.data.batch_size = 8
  c.model.num_stacks = 1
  c.optimizer.learning_rate = 2e-3
  c.optimizer.warmup_steps = 50
  c.num_steps = num_steps
  c.log_every = 50
  c.eval_every = 0
  c.checkpoint_every = 200
  return c


def apply_variant(c: ml_collections.ConfigDict, variant: str, name: str, crop_length: int = 2000,
                  tiny_crop_length: int = 1000, extra: tuple[str, ...] = ()
                  ) -> ml_collections.ConfigDict:
  """'' (the default run, `cpu_budget`), 'long' or 'tiny'; `extra` names the experiment's own
  variants, which the caller applies (they get the default budget). Else a ValueError."""
  if variant == 'tiny':
    return tiny_variant(c, crop_length=tiny_crop_length)
  if variant == 'long':
    return c
  if variant and variant not in extra:
    raise unknown_variant(name, variant, ('', 'long', 'tiny', *extra))
  return cpu_budget(c, crop_length=crop_length)


def tiny_variant(c: ml_collections.ConfigDict, crop_length: int = 1000
                 ) -> ml_collections.ConfigDict:
  """Shrinks an experiment to seconds on a CPU: one stack of dilations 1..32 (receptive
  field 65), 16 channels, crops of `crop_length`, batch 8, 150 steps at a 1e-2 peak rate."""
  c.data.kwargs = dict(c.data.kwargs, crop_length=crop_length, max_test_examples=64)
  c.data.batch_size = 8
  c.data.eval_batch_size = 64
  c.model.update(dict(num_stacks=1, dilation_cycle=6, residual_channels=16,
                      dilation_channels=16, skip_channels=32, end_channels=64,
                      sample_length=2 * crop_length))
  c.optimizer.learning_rate = 1e-2
  c.optimizer.warmup_steps = 10
  c.num_steps = 150
  c.log_every = 25
  c.eval_every = 0
  c.checkpoint_every = 75
  c.num_samples = 2
  return c


def make_task(config: ml_collections.ConfigDict) -> WaveNetTask:
  return WaveNetTask(config)


def count_params(params: Any) -> int:
  return sum(int(np.prod(p.shape)) for p in jax.tree.leaves(params))
