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

Encodings (`encode_audio`, `embed_codes`, ...) map audio to targets and network inputs; the
output distributions are `jaxgen.nn.outputs.Categorical` and `DiscretizedLogisticMixture`.
Generation is in `jaxgen.models.wavenet.sampling`.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxgen.nn import causal_conv
from jaxgen.nn import mulaw
from jaxgen.nn import outputs as outputs_lib
from jaxgen.nn.gated import gated_activation
from jaxgen.nn import logistic_mixture

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


def output_distribution(model: WaveNet):
  """The model's output distribution (`jaxgen.nn.outputs`): a softmax over the mu-law
  classes, or the discretised logistic mixture over the 16-bit grid."""
  if model.output_distribution == 'categorical':
    return outputs_lib.Categorical(model.num_classes)
  return outputs_lib.DiscretizedLogisticMixture(model.num_mixtures, model.num_bins)


def log_prob(model: WaveNet, outputs: jax.Array, targets: jax.Array) -> jax.Array:
  """log p(x_t | x_<t) [batch, t] from network outputs [batch, t, out] and targets [batch, t]."""
  return output_distribution(model).log_prob(outputs, targets)


def sample_output(model: WaveNet, uniforms: jax.Array, outputs: jax.Array,
                  temperature: float = 1.0) -> jax.Array:
  """Draws targets [...] from outputs [..., out], driven by uniforms [..., 2] (inverse CDF).

  `temperature` divides the logits (softmax) or scales the mixture (see
  `logistic_mixture.sample_from_uniforms`); 0 is greedy (argmax class / most likely
  component's mean).
  """
  dist = output_distribution(model)
  return dist.sample(outputs, uniforms[..., :dist.num_uniforms], temperature)


def step_uniforms(rng: jax.Array, num_samples: int, batch: int) -> jax.Array:
  """The uniforms driving generation, [T, batch, 2], drawn in parallel before the scan.

  Step t's come from `fold_in(rng, t)`, so the first n samples of a stream do not depend on
  how many are generated.
  """
  return jax.vmap(lambda t: jax.random.uniform(jax.random.fold_in(rng, t), (batch, 2)))(
      jnp.arange(num_samples))

