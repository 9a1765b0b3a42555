"""RealNVP's multi-scale architecture: factor out half the dimensions at each scale.

Dinh et al. 2017, "Density estimation using Real NVP", s.3.6, eq. 13-15. In the density
direction (data -> latent) scale i applies its transformation g_i, keeps half of the result
as final latent variables and sends the other half to the next scale:

  (z_i, h_i) = split(g_i(h_{i-1})),     h_0 = x,     z = concat(z_1, ..., z_L)

This bijector is one level of that recursion, written in distrax's sampling direction
(forward: latent -> data), with `level` = g_i^{-1} (its forward maps the level's latent tensor
[h', w', c'] back to its input [h, w, c]) and `next_level` the rest of the recursion (its
forward maps a flat latent to the kept half [h', w', c' - c'/2]):

  forward:  z [D] -> (z_i, z_rest) = (z[:n_i], z[n_i:]),
            x = level.forward(concat(reshape(z_i), next_level.forward(z_rest)), axis=-1)
  inverse:  u = level.inverse(x);  z = concat(flatten(u[..., :c'/2]),
                                              next_level.inverse(u[..., c'/2:]))
  log-dets: forward = level.fldj + next_level.fldj;  inverse = the negatives, summed the same
            way (the split and the reshapes are permutations).

The factored-out half is the first c'/2 channels. Nest levels to get L scales; the last
level has `next_level=None` (its whole latent tensor is flattened).

Batches of contexts: a level (or the next one) whose conditioners take a batch of contexts
may add batch axes. The two halves are broadcast to a common batch before they are
concatenated, so outputs and log-dets have the broadcast batch shape of the input and of
every level's contexts: a latent [D] under contexts [3, k] gives an image [3, h, w, c].
"""
from __future__ import annotations

import math

import distrax
import jax
import jax.numpy as jnp

from jaxgen.bijectors import _utils


class MultiScale(distrax.Bijector):
  """One scale of the multi-scale architecture: flat latent [D] <-> image [h, w, c].

  Args:
    level: bijector with event_ndims 3; forward maps the level's latent [h', w', c'] to the
      data shape [h, w, c] (e.g. `Chain([Inverse(Squeeze()), *steps])`).
    event_shape: the data shape (h, w, c) this level acts on.
    next_level: None, or a bijector with event_ndims_in 1 and event_ndims_out 3 whose
      forward maps a flat latent to the kept half [h', w', c' - c'//2] (another MultiScale).
    latent_shape: [h', w', c'], the shape of `level.inverse` of an image. Inferred with
      `jax.eval_shape` at call time when omitted; pass it when the level's conditioners
      cannot be traced on their own (Flax submodules inside a parent's `__call__`).

  Batch axes added by the levels (a batch of contexts in their conditioners) broadcast
  against the input's batch: outputs and log-dets have the broadcast batch shape.
  """

  def __init__(self, level: distrax.Bijector, event_shape, next_level=None,
               latent_shape=None):
    event_shape = tuple(int(s) for s in event_shape)
    if len(event_shape) != 3:
      raise ValueError(f'MultiScale needs an image event_shape (h, w, c); got {event_shape}.')
    if level.event_ndims_in != 3 or level.event_ndims_out != 3:
      raise ValueError(f'MultiScale level must act on images (event_ndims 3); got '
                       f'{level.event_ndims_in} -> {level.event_ndims_out}.')
    if next_level is not None and (next_level.event_ndims_in != 1
                                   or next_level.event_ndims_out != 3):
      raise ValueError('MultiScale next_level must map a flat latent (event_ndims_in=1) to an '
                       f'image (event_ndims_out=3); got {next_level.event_ndims_in} -> '
                       f'{next_level.event_ndims_out}.')
    if latent_shape is not None:
      latent_shape = tuple(int(d) for d in latent_shape)
      if len(latent_shape) != 3:
        raise ValueError(f'MultiScale latent_shape must be (h, w, c); got {latent_shape}.')
    super().__init__(event_ndims_in=1, event_ndims_out=3)
    self._level = level
    self._next = next_level
    self._event_shape = event_shape
    self._latent_shape = latent_shape

  @property
  def event_shape(self):
    return self._event_shape

  def latent_shape(self, batch_shape=()) -> tuple[int, int, int]:
    """Shape [h', w', c'] of the level's latent tensor (traced once if not given)."""
    if self._latent_shape is not None:
      return self._latent_shape
    shape = jax.eval_shape(self._level.inverse, jax.ShapeDtypeStruct(
        tuple(batch_shape) + self._event_shape, jnp.float32)).shape
    return tuple(shape[-3:])

  def _split_sizes(self, batch_shape):
    """(latent shape, channels factored out, number of factored-out dimensions n_i)."""
    latent = self.latent_shape(batch_shape)
    c = latent[-1]
    if self._next is not None and c < 2:
      raise ValueError(f'MultiScale cannot factor out half of {c} channel(s); squeeze first.')
    num_out = c // 2 if self._next is not None else c
    return latent, num_out, math.prod(latent[:-1]) * num_out

  def latent_size(self, batch_shape=()) -> int | None:
    """D, the number of latent dimensions of this level and the levels after it.

    None when `next_level` is neither None nor a `MultiScale` (its size is its own to check).
    """
    _, _, n = self._split_sizes(batch_shape)
    if self._next is None:
      return n
    if isinstance(self._next, MultiScale):
      rest = self._next.latent_size(batch_shape)
      return None if rest is None else n + rest
    return None

  def _check_latent(self, z: jax.Array, n: int) -> None:
    """Raises a ValueError naming the shapes when z is not a latent of this level."""
    size = self.latent_size(z.shape[:-1])
    if size is not None and z.shape[-1] != size:
      raise ValueError(f'MultiScale expected a latent of {size} dimensions ([..., {size}]) for '
                       f'images of shape {self._event_shape}; got shape {tuple(z.shape)}.')
    if size is None and z.shape[-1] <= n:
      raise ValueError(f'MultiScale factors out {n} dimensions and passes the rest to '
                       f'next_level; got a latent of shape {tuple(z.shape)}.')

  def forward_and_log_det(self, z: jax.Array):
    """z: [..., D] -> (x [..., h, w, c], log|det dx/dz| [...])."""
    self._check_forward_input_shape(z)
    batch = z.shape[:-1]
    (h, w, _), num_out, n = self._split_sizes(batch)
    self._check_latent(z, n)
    z_out = z[..., :n].reshape(*batch, h, w, num_out)
    if self._next is None:
      u, log_det = z_out, jnp.zeros(batch, z.dtype)
    else:
      kept, log_det = self._next.forward_and_log_det(z[..., n:])
      u = jnp.concatenate(_utils.broadcast_batch(3, z_out, kept), axis=-1)
    x, ld = self._level.forward_and_log_det(u)
    return x, log_det + ld

  def inverse_and_log_det(self, x: jax.Array):
    """x: [..., h, w, c] -> (z [..., D], log|det dz/dx| [...])."""
    self._check_inverse_input_shape(x)
    if tuple(x.shape[-3:]) != self._event_shape:
      raise ValueError(f'MultiScale was built for images of shape {self._event_shape}; got '
                       f'{tuple(x.shape[-3:])}.')
    u, log_det = self._level.inverse_and_log_det(x)
    batch = u.shape[:-3]
    if self._next is not None and u.shape[-1] < 2:
      raise ValueError(f'MultiScale cannot factor out half of {u.shape[-1]} channel(s); '
                       'squeeze first.')
    num_out = u.shape[-1] // 2 if self._next is not None else u.shape[-1]
    z_out = u[..., :num_out].reshape(*batch, -1)
    if self._next is None:
      return z_out, log_det
    z_rest, ld = self._next.inverse_and_log_det(u[..., num_out:])
    return jnp.concatenate(_utils.broadcast_batch(1, z_out, z_rest), axis=-1), log_det + ld
