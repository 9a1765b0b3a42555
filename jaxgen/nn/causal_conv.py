"""Causal dilated 1-D convolutions and the queues of their fast generation.

WaveNet (van den Oord et al. 2016, section 2.1) stacks causal convolutions with kernel size k
and dilation d:

  y_t = b + sum_{j=0}^{k-1} W_j^T x_{t - (k - 1 - j) d},

so y_t depends on x_t and the k - 1 inputs d, 2d, ... steps before it (inputs before the start
of the signal are zero). A stack of layers with dilations d_1..d_L has the receptive field
(k - 1) sum_l d_l + 1 samples.

Fast generation (Paine et al. 2016, "Fast Wavenet Generation Algorithm") runs one time step
at a time and keeps, per layer, a queue of the layer's past inputs. We store each queue as a
ring buffer of n = (k - 1) d + 1 rows, `[n, batch, channels]`, where slot s mod n holds x_s.
Step t first writes x_t into slot t mod n (`lax.dynamic_update_slice`), then reads the taps
at slots (t - j d) mod n, j = k-1..1, from the *updated* buffer (`lax.dynamic_slice`); the
one extra row keeps x_{t-(k-1)d} alive until it is read. Writing before reading matters: the
reads then depend on the write, so XLA can update the scan-carried buffer in place. With
n = (k - 1) d rows and read-then-write, nothing orders the reads before the in-place write,
and XLA's copy insertion copies every whole queue on every step (seen in the compiled HLO;
see `jaxgen.models.wavenet`).
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax


def receptive_field(dilations: Sequence[int], kernel_size: int = 2) -> int:
  """Samples a stack of causal convolutions sees: (k - 1) * sum(dilations) + 1."""
  if kernel_size < 1 or any(d < 1 for d in dilations):
    raise ValueError(f'kernel_size and dilations must be positive; got {kernel_size}, '
                     f'{list(dilations)}.')
  return (kernel_size - 1) * sum(dilations) + 1


def wavenet_dilations(num_stacks: int, dilation_cycle: int) -> tuple[int, ...]:
  """The WaveNet schedule 1, 2, 4, ..., 2^(cycle-1), repeated `num_stacks` times (section 2.1)."""
  return tuple(2**i for i in range(dilation_cycle)) * num_stacks


class CausalConv1D(nn.Module):
  """A causal dilated convolution: x [batch, time, in] -> y [batch, time, features].

  Attributes:
    features: output channels.
    kernel_size: k (WaveNet uses 2).
    dilation: d.
    use_bias: add a bias b.
  Parameters: `kernel` [k, in, features] (tap j multiplies x_{t-(k-1-j)d}) and `bias`.
  """
  features: int
  kernel_size: int = 2
  dilation: int = 1
  use_bias: bool = True
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    if x.ndim != 3:
      raise ValueError(f'CausalConv1D expects x of shape [batch, time, channels], got {x.shape}.')
    return nn.Conv(self.features, kernel_size=(self.kernel_size,),
                   kernel_dilation=(self.dilation,), padding='CAUSAL', use_bias=self.use_bias,
                   kernel_init=self.kernel_init, name='conv')(x)


def causal_conv_step(kernel: jax.Array, bias: jax.Array | None, taps: jax.Array) -> jax.Array:
  """One output step of a causal convolution from its k input taps.

  Args:
    kernel: [k, in, out], as in `CausalConv1D`.
    bias: [out] or None.
    taps: [batch, k, in]: x_{t-(k-1)d}, ..., x_{t-d}, x_t (oldest first).
  Returns:
    y_t: [batch, out].
  """
  k, cin, cout = kernel.shape
  y = taps.reshape(taps.shape[0], k * cin) @ kernel.reshape(k * cin, cout)
  return y if bias is None else y + bias


# ----------------------------------------------------------------------------- ring buffers
def queue_init(batch: int, channels: int, dilation: int, kernel_size: int = 2,
               dtype=jnp.float32) -> jax.Array:
  """An empty (zero, i.e. causal padding) ring buffer: [(k - 1) * d + 1, batch, channels]."""
  return jnp.zeros(((kernel_size - 1) * dilation + 1, batch, channels), dtype)


def queue_push_taps(queue: jax.Array, t: jax.Array, x: jax.Array, dilation: int
                    ) -> tuple[jax.Array, jax.Array]:
  """Writes x_t into the ring buffer, then reads the conv's k taps x_{t-(k-1)d}, ..., x_t.

  Args:
    queue: [n, batch, channels] with n = (k - 1) d + 1 (`queue_init`); slot s mod n holds x_s.
    t: the current time step (int scalar).
    x: x_t, [batch, channels].
    dilation: d.
  Returns:
    (the updated queue, taps [batch, k, channels], oldest first).
  """
  n = queue.shape[0]
  if (n - 1) % dilation:
    raise ValueError(f'A queue of {n} slots does not fit dilation {dilation}: '
                     f'it needs (k - 1) * dilation + 1 slots.')
  queue = lax.dynamic_update_index_in_dim(queue, x.astype(queue.dtype), t % n, axis=0)
  taps = [lax.dynamic_index_in_dim(queue, (t - j * dilation) % n, axis=0, keepdims=False)
          for j in range((n - 1) // dilation, 0, -1)]
  return queue, jnp.stack(taps + [x], axis=1)
