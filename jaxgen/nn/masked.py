"""Masked dense layers and MADE connectivity (Germain et al. 2015, "MADE").

MADE gives every unit a degree. Inputs carry their position in the ordering,
m^0(d) in {1, ..., D}; hidden unit k of layer l gets m^l(k) drawn uniformly from
{min_k' m^{l-1}(k'), ..., D - 1} (eq. 13). The masks are

  hidden:  M^l[k', k] = 1[m^l(k) >= m^{l-1}(k')]            (eq. 12)
  output:  M^V[k, d]  = 1[m^0(d) >  m^L(k)]                  (eq. 14)
  direct:  M^A[d', d] = 1[m^0(d) >  m^0(d')]                 (optional input-to-output path)

so output d depends only on inputs that come before it in the ordering. Masks are ordinary
arrays, passed in at call time: the paper's connectivity-agnostic training resamples them
(from a finite set of K seeds) at every update, inside the jitted step.

Kernels are laid out [in, out], as in `flax.linen.Dense`.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class MaskedDense(nn.Module):
  """`y = x @ (W * mask) + b`: a dense layer whose connectivity is given by `mask`.

  Attributes:
    features: output width.
    use_bias: whether to add a bias.
    kernel_init: initialiser of the (unmasked) kernel.
  """
  features: int
  use_bias: bool = True
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
  dtype: jnp.dtype | None = None

  @nn.compact
  def __call__(self, x: jax.Array, mask: jax.Array) -> jax.Array:
    """x: [..., in]; mask: [in, features] of 0/1 (any float or bool dtype)."""
    if mask.shape != (x.shape[-1], self.features):
      raise ValueError(f'MaskedDense mask has shape {mask.shape}; expected '
                       f'{(x.shape[-1], self.features)} for input width {x.shape[-1]} and '
                       f'features={self.features}.')
    kernel = self.param('kernel', self.kernel_init, (x.shape[-1], self.features))
    y = x @ (kernel * mask.astype(kernel.dtype))
    if self.use_bias:
      y = y + self.param('bias', nn.initializers.zeros_init(), (self.features,))
    return y


def ordering(rng: jax.Array | None, dim: int, kind: str = 'natural') -> jax.Array:
  """Input degrees m^0 in {1..D}: 'natural' (1, 2, ..., D), 'reverse', or 'random'.

  Returns int32 [dim]; m^0(d) is the position of input d in the autoregressive ordering.
  """
  natural = jnp.arange(1, dim + 1, dtype=jnp.int32)
  if kind == 'natural':
    return natural
  if kind == 'reverse':
    return natural[::-1]
  if kind == 'random':
    if rng is None:
      raise ValueError("ordering(kind='random') needs an rng.")
    return jax.random.permutation(rng, natural)
  raise ValueError(f"Unknown ordering {kind!r}; valid: 'natural', 'reverse', 'random'.")


def hidden_degrees(rng: jax.Array | None, input_degrees: jax.Array,
                   hidden_sizes: Sequence[int], random: bool = True) -> list[jax.Array]:
  """Degrees of every hidden layer (MADE eq. 13).

  With `random=False` degrees cycle deterministically over {min, ..., D-1}, a common
  choice when a single fixed connectivity is wanted (as in MAF's conditioner).
  """
  dim = input_degrees.shape[0]
  degrees, prev = [], input_degrees
  keys = (jax.random.split(rng, len(hidden_sizes)) if random and rng is not None
          else [None] * len(hidden_sizes))
  for size, key in zip(hidden_sizes, keys):
    low = jnp.minimum(jnp.min(prev), dim - 1)
    if random and key is not None:
      m = jax.random.randint(key, (size,), low, max(dim, 2), dtype=jnp.int32)
    else:
      span = max(dim - 1, 1)
      m = (jnp.arange(size, dtype=jnp.int32) % jnp.maximum(dim - low, 1)) + low
      m = jnp.clip(m, 1, span)
    degrees.append(m)
    prev = m
  return degrees


def made_masks(input_degrees: jax.Array, hidden: Sequence[jax.Array],
               output_degrees: jax.Array | None = None, num_outputs_per_dim: int = 1):
  """The masks of a MADE: one per hidden layer, the output mask, and the direct mask.

  Args:
    input_degrees: int [D], m^0.
    hidden: degrees of each hidden layer.
    output_degrees: degrees of the outputs, m^0 by default. Each output unit d of the
      network is repeated `num_outputs_per_dim` times (e.g. shift and log-scale of MAF):
      the output layout is [num_outputs_per_dim * D] with parameter p of dimension d at
      index p * D + d.
  Returns:
    (hidden_masks, output_mask, direct_mask), float32, kernels laid out [in, out].
  """
  out_deg = input_degrees if output_degrees is None else output_degrees
  masks, prev = [], input_degrees
  for m in hidden:
    masks.append((m[None, :] >= prev[:, None]).astype(jnp.float32))
    prev = m
  out_deg = jnp.tile(out_deg, num_outputs_per_dim)
  output_mask = (out_deg[None, :] > prev[:, None]).astype(jnp.float32)
  direct_mask = (out_deg[None, :] > input_degrees[:, None]).astype(jnp.float32)
  return masks, output_mask, direct_mask


def natural_made_masks(dim: int, hidden_sizes: Sequence[int], num_outputs_per_dim: int = 1):
  """One fixed connectivity: the natural order, evenly cycled hidden degrees (no randomness).

  What a flow's MADE conditioner uses (MAF, IAF, a VAE's IAF steps); `made_masks` takes any
  degrees.
  """
  degrees = ordering(None, dim, 'natural')
  hidden = hidden_degrees(None, degrees, hidden_sizes, random=False)
  return made_masks(degrees, hidden, num_outputs_per_dim=num_outputs_per_dim)


class MADE(nn.Module):
  """A MADE network: masked MLP whose output d depends only on inputs before d.

  Attributes:
    hidden_sizes: widths of the hidden layers.
    num_outputs_per_dim: outputs per input dimension (1 for Bernoulli logits, 2 for the
      shift and log-scale of an affine MAF, 3K+... for mixtures / splines).
    direct: add a masked direct input-to-output connection.
    context_features: unused unless a context is passed; a context enters every hidden layer
      unmasked (it is not part of the autoregressive ordering).
    activation: hidden non-linearity.
    context_to_output: also add an unmasked projection of the context to the outputs. Without
      it the first dimension in the ordering (no hidden unit feeds it) has constant outputs
      and ignores the context; an IAF posterior's first latent then could not depend on h.
  """
  hidden_sizes: Sequence[int] = (500,)
  num_outputs_per_dim: int = 1
  direct: bool = False
  activation: callable = nn.relu
  output_kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
  context_to_output: bool = False

  @nn.compact
  def __call__(self, x: jax.Array, masks, context: jax.Array | None = None) -> jax.Array:
    """x: [..., D]; masks from `made_masks`; context: [..., C] or None.

    Returns: [..., num_outputs_per_dim * D], parameter p of dimension d at p * D + d.
    """
    hidden_masks, output_mask, direct_mask = masks
    if len(hidden_masks) != len(self.hidden_sizes):
      raise ValueError(f'Got {len(hidden_masks)} hidden masks for '
                       f'{len(self.hidden_sizes)} hidden layers.')
    h = x
    for i, (size, mask) in enumerate(zip(self.hidden_sizes, hidden_masks)):
      h = MaskedDense(size, name=f'hidden_{i}')(h, mask)
      if context is not None:
        h = h + nn.Dense(size, use_bias=False, name=f'context_{i}')(context)
      h = self.activation(h)
    out = MaskedDense(output_mask.shape[1], kernel_init=self.output_kernel_init,
                      name='output')(h, output_mask)
    if self.direct:
      out = out + MaskedDense(direct_mask.shape[1], use_bias=False, name='direct')(
          x, direct_mask)
    if self.context_to_output and context is not None:
      out = out + nn.Dense(output_mask.shape[1], use_bias=False,
                           kernel_init=self.output_kernel_init, name='context_output')(context)
    return out
