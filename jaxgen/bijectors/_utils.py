"""Small helpers shared by the bijectors (no Flax, no state)."""
from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

Array = jax.Array
Conditioner = Callable[..., Array]


def sum_last(x: Array, ndims: int) -> Array:
  """Sums the last `ndims` axes of `x` (the event axes of a log-determinant)."""
  if ndims == 0:
    return x
  return jnp.sum(x, axis=tuple(range(-ndims, 0)))


def check_event_ndims(event_ndims: int, minimum: int, name: str) -> int:
  """Validates a static `event_ndims` argument."""
  if not isinstance(event_ndims, int) or event_ndims < minimum:
    raise ValueError(f'{name} needs an integer event_ndims >= {minimum}; got {event_ndims!r}.')
  return event_ndims


def call_conditioner(conditioner: Conditioner, x: Array, context: Any | None) -> Array:
  """`conditioner(x)`, or `conditioner(x, context)` for a conditional bijector."""
  if context is None:
    return conditioner(x)
  return conditioner(x, context)


def split_params(params: Array, width: int, num_params: int, name: str) -> Array:
  """Reshapes a conditioner output `[..., num_params * width]` to `[..., width, num_params]`.

  The layout is MADE's (`jaxgen.nn.masked`): parameter p of element d sits at index
  `p * width + d` of the last axis, so a network's output layer can be one dense or 1x1
  convolution of `num_params * width` features.
  """
  if params.shape[-1] != num_params * width:
    raise ValueError(
        f'{name}: the conditioner returned a last axis of {params.shape[-1]}; the transformer '
        f'needs {num_params} parameters for each of the {width} elements of the last event '
        f'axis, i.e. {num_params * width} (parameter p of element d at index p * {width} + d).')
  shaped = params.reshape(params.shape[:-1] + (num_params, width))
  return jnp.moveaxis(shaped, -2, -1)


def broadcast_batch(event_ndims: int, *arrays: Array) -> list[Array]:
  """Broadcasts the batch axes (all but the last `event_ndims`) of `arrays` against each other.

  The event axes are left as they are, so arrays with different event shapes (the two halves
  a multi-scale level concatenates) can share one batch shape.
  """
  batches = [a.shape[:a.ndim - event_ndims] for a in arrays]
  batch = jnp.broadcast_shapes(*batches)
  return [jnp.broadcast_to(a, batch + a.shape[a.ndim - event_ndims:]) for a in arrays]


def pixels(shape, event_ndims: int) -> int:
  """Number of positions sharing one channel parameter: prod(event_shape[:-1])."""
  event_shape = shape[len(shape) - event_ndims:]
  n = 1
  for s in event_shape[:-1]:
    n *= s
  return n


class Conditioned:
  """Mixin of the bijectors driven by a conditioner (couplings, autoregressive bijectors).

  Holds the conditioner, the element-wise transformer and the optional context, and builds
  the element-wise bijector tau(.; h(z, context)) from a conditioner input z.
  """

  def _set_conditioner(self, conditioner, transformer, context):
    if not callable(conditioner):
      raise ValueError(f'{type(self).__name__}: conditioner must be callable; got '
                       f'{type(conditioner).__name__}.')
    self._conditioner, self._transformer, self._context = conditioner, transformer, context

  @property
  def conditioner(self):
    return self._conditioner

  @property
  def transformer(self):
    return self._transformer

  @property
  def context(self):
    return self._context

  def _transformer_for(self, z: Array, width: int):
    """tau(.; h(z, c)) for an event whose last axis has `width` elements."""
    params = call_conditioner(self._conditioner, z, self._context)
    params = split_params(params, width, self._transformer.num_params, type(self).__name__)
    return self._transformer(params)
