"""Exact causality from the zero pattern of a Jacobian: autoregressive, in time, in raster order.

An autoregressive model (MADE, MAF, PixelCNN, PixelRNN, WaveNet) is correct only if each
output depends on no input at or after its own position. That is a property of the exact
zeros of the Jacobian d output / d input, which `jax.jacrev` (or `jax.jacfwd`) computes
exactly: masked weights give exact zeros, not small numbers. A zero can also be an accident
(a dead ReLU, a zero initialisation), so the dependency pattern is the union over several
random inputs (and, optionally, parameter draws).

The checks raise `AssertionError` naming the first offending (output, input) pair as index
tuples of f(x) and of x, and return the dependency pattern for further checks.

Example:

  dep = assert_raster_causal(lambda v: model.apply(params, v), x, num_groups=3)  # R -> G -> B
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np


def jacobian_dependency(f: Callable[..., jax.Array], x: jax.Array, *,
                        param_draws: Sequence[Any] | None = None, num_draws: int = 2,
                        seed: int = 0, noise: float = 0.5, method: str = 'rev') -> np.ndarray:
  """Which outputs of f depend on which inputs: the exact nonzeros of d f(x) / d x.

  Args:
    f: x -> y (one array), or (params, x) -> y when `param_draws` is given.
    x: a floating-point input (any shape; include the batch axis your function needs).
    param_draws: a sequence of parameter pytrees (e.g. several random draws); the pattern
      is the union over them. None: f takes x only.
    num_draws: input draws: x itself, then x + noise * N(0, 1) for the others.
    seed: seed of the input noise (numpy).
    noise: scale of the input noise.
    method: 'rev' (`jax.jacrev`, cheaper for few outputs) or 'fwd' (`jax.jacfwd`).
  Returns:
    bool [*y.shape, *x.shape]: True where some draw has a nonzero (or NaN) derivative.
  Raises:
    ValueError: x is not floating point, or an unknown method.

  Example:

    dep = jacobian_dependency(made_logits, jnp.full((1, 784), 0.5))   # [1, 784, 1, 784]
  """
  x = jnp.asarray(x)
  if not jnp.issubdtype(x.dtype, jnp.floating):
    raise ValueError(f'x must be floating point to differentiate; got {x.dtype}.')
  if method not in ('rev', 'fwd'):
    raise ValueError(f"method must be 'rev' or 'fwd', got {method!r}.")
  jac_fn = jax.jacrev if method == 'rev' else jax.jacfwd
  if param_draws is None:
    jac, draws = jax.jit(jac_fn(lambda p, v: f(v), argnums=1)), [None]
  else:
    jac, draws = jax.jit(jac_fn(f, argnums=1)), list(param_draws)
    if not draws:
      raise ValueError('param_draws is empty.')
  rng = np.random.default_rng(seed)
  inputs = [x] + [x + jnp.asarray(noise * rng.standard_normal(x.shape), x.dtype)
                  for _ in range(num_draws - 1)]
  dep = None
  for params in draws:
    for v in inputs:
      nonzero = np.asarray(jac(params, v)) != 0
      dep = nonzero if dep is None else dep | nonzero
  return dep


def assert_autoregressive(f: Callable[..., jax.Array], x: jax.Array,
                          order: Any = None, *, output_order: Any = None,
                          allow_same: bool = False, exact: bool = False, batch_ndims: int = 0,
                          param_draws: Sequence[Any] | None = None, num_draws: int = 2,
                          seed: int = 0, method: str = 'rev') -> np.ndarray:
  """Asserts each output depends only on inputs strictly earlier in `order`.

  Positions are the elements of one example: x[b] (after `batch_ndims` batch axes). An output
  at rank r may depend on inputs of rank < r (<= r with `allow_same`, PixelCNN's mask 'B' or
  a flow's own dimension); never on another example's inputs.

  Args:
    f: x -> y, or (params, x) -> y with `param_draws`.
    x: [*batch, *event] floating-point inputs.
    order: rank of every input position, shape `event` or flat (MADE's degrees; lower
      first). Default: natural order 0, 1, 2, ... of the flattened event.
    output_order: rank of every output position of one example; default `order` (when y has
      as many positions as x).
    allow_same: allow an output to depend on inputs of its own rank.
    exact: also require every allowed dependency (no blind spot, a direct connection).
    batch_ndims: leading axes of x and y that index examples.
    param_draws, num_draws, seed, method: as in `jacobian_dependency`.
  Returns:
    The dependency pattern bool [*y.shape, *x.shape].
  Raises:
    AssertionError: 'autoregressive: output I depends on input J ...' for the first
      forbidden pair (or, with exact, the first missing one).

  Example:

    assert_autoregressive(lambda v: net.apply(params, v, masks), x, order=degrees)
  """
  dep = jacobian_dependency(f, x, param_draws=param_draws, num_draws=num_draws, seed=seed,
                            method=method)
  x_shape = tuple(np.shape(x))
  y_shape = dep.shape[:dep.ndim - len(x_shape)]
  n_in = math.prod(x_shape[batch_ndims:])
  n_out = math.prod(y_shape[batch_ndims:])
  rank_in = np.arange(n_in) if order is None else np.asarray(order).reshape(-1)
  if rank_in.size != n_in:
    raise ValueError(f'order has {rank_in.size} ranks for {n_in} input positions.')
  if output_order is None:
    if n_out != n_in:
      raise ValueError(f'f has {n_out} outputs per example for {n_in} inputs: give '
                       'output_order.')
    rank_out = rank_in
  else:
    rank_out = np.asarray(output_order).reshape(-1)
    if rank_out.size != n_out:
      raise ValueError(f'output_order has {rank_out.size} ranks for {n_out} output positions.')
  _assert_pattern('autoregressive', dep, x_shape, batch_ndims, rank_in, rank_out, allow_same,
                  exact)
  return dep


def assert_causal_in_time(f: Callable[..., jax.Array], x: jax.Array, *, strict: bool = False,
                          receptive_field: int | None = None, exact: bool = False,
                          param_draws: Sequence[Any] | None = None, num_draws: int = 2,
                          seed: int = 0, method: str = 'rev') -> np.ndarray:
  """Asserts a sequence model's output at time t depends only on inputs at times <= t.

  Args:
    f: x [batch, time, channels] -> y [batch, time, out_channels] (or (params, x) -> y).
    x: [batch, time, channels] floating-point inputs.
    strict: only inputs before t (< t: a model predicting x_t from x_{<t} without a shift).
    receptive_field: if given, also assert that the earliest input every output (b, t, c)
      depends on is at time t - receptive_field + 1 (t - receptive_field with strict; time 0
      where that is before the start) and the latest at time t (t - 1 with strict): WaveNet's
      (k - 1) sum(dilations) + 1.
    exact: also require every allowed dependency (within the receptive field when given).
    param_draws, num_draws, seed, method: as in `jacobian_dependency`.
  Returns:
    The dependency pattern bool [batch, time, out_channels, batch, time, channels].
  Raises:
    AssertionError: 'causal_in_time: output (b, t, c) depends on input (b', t', c') ...', or
      the first output whose earliest or latest input differs from the receptive field's.

  Example:

    assert_causal_in_time(lambda u: wavenet.apply(params, u), u, receptive_field=1024)
  """
  x_shape = tuple(np.shape(x))
  if len(x_shape) != 3:
    raise ValueError(f'x must have shape [batch, time, channels], got {x_shape}.')
  dep = jacobian_dependency(f, x, param_draws=param_draws, num_draws=num_draws, seed=seed,
                            method=method)
  y_shape = dep.shape[:dep.ndim - 3]
  if len(y_shape) != 3 or y_shape[:2] != x_shape[:2]:
    raise ValueError(f'f(x) must have shape [batch, time, channels] = {x_shape[:2]} + '
                     f'(out_channels,), got {y_shape}.')
  b, t, c = x_shape
  rank_in = np.repeat(np.arange(t), c)
  rank_out = np.repeat(np.arange(t), y_shape[2])
  lag = 1 if strict else 0
  if receptive_field is not None and exact:
    window = (rank_out[:, None] - rank_in[None, :]) <= receptive_field - 1 + lag
    _assert_pattern('causal_in_time', dep, x_shape, 1, rank_in, rank_out, not strict,
                    exact=True, window=window)
  else:
    _assert_pattern('causal_in_time', dep, x_shape, 1, rank_in, rank_out, not strict, exact)
  if receptive_field is not None:
    if receptive_field < 1:
      raise ValueError(f'receptive_field must be positive, got {receptive_field}.')
    per_example = dep[np.arange(b), :, :, np.arange(b)]      # [b, t_out, c_out, t_in, c_in]
    sees = per_example.any(-1)                               # [b, t_out, c_out, t_in]
    for index in np.ndindex(*sees.shape[:3]):
      out_t = index[1]
      latest = out_t - lag
      if latest < 0:
        continue
      earliest = max(0, out_t - receptive_field + 1 - lag)
      seen = np.flatnonzero(sees[index])
      if seen.size == 0 or seen.min() != earliest or seen.max() != latest:
        got = 'no input' if seen.size == 0 else f'inputs at times {seen.min()}..{seen.max()}'
        raise AssertionError(
            f'causal_in_time: output {index} depends on {got}; a receptive field of '
            f'{receptive_field} ({"strict" if strict else "up to t"}) means times '
            f'{earliest}..{latest}.')
  return dep


def raster_order(height: int, width: int, channels: int, num_groups: int = 1) -> np.ndarray:
  """The rank of every (row, column, channel) of an image in raster-then-channel order.

  Channels are split into `num_groups` contiguous blocks (R, G, B for num_groups=3: PixelRNN
  section 3.4; feature maps of 3k channels split into k R-, k G- and k B-features).

  Args:
    height, width, channels: the image (or feature map) shape.
    num_groups: 1 (whole pixels) or the number of colour groups.
  Returns:
    int [height, width, channels]: (i * width + j) * num_groups + group(channel).
  Raises:
    ValueError: channels is not divisible by num_groups.

  Example:

    raster_order(2, 2, 3, num_groups=3)[0, 1]     # [3, 4, 5]
  """
  if num_groups < 1 or channels % num_groups:
    raise ValueError(f'{channels} channels cannot be split into {num_groups} groups.')
  group = np.arange(channels) // (channels // num_groups)
  pixel = np.arange(height * width).reshape(height, width, 1)
  return pixel * num_groups + group


def assert_raster_causal(f: Callable[..., jax.Array], x: jax.Array, *, num_groups: int = 1,
                         allow_same: bool = False, exact: bool = False,
                         param_draws: Sequence[Any] | None = None, num_draws: int = 2,
                         seed: int = 0, method: str = 'rev') -> np.ndarray:
  """Asserts an image model is causal in raster order, with R -> G -> B inside a pixel.

  Output (i, j, group g) may depend on input (i', j', g') only if (i', j') comes before
  (i, j) in raster order, or is (i, j) itself with g' < g (g' <= g with `allow_same`, mask
  'B'). With num_groups=1 whole pixels are the positions (greyscale, or a mixture output
  that couples a pixel's channels).

  Args:
    f: x [batch, height, width, channels] -> y [batch, height, width, out_channels] (or
      (params, x) -> y), e.g. per-channel logits contracted over their levels.
    x: [batch, height, width, channels] floating-point inputs.
    num_groups: colour groups (3 for R, G, B); channels and out_channels split into that
      many contiguous blocks.
    allow_same: allow dependence on the same position and group (mask 'B').
    exact: also require every allowed dependency (no blind spot, full context).
    param_draws, num_draws, seed, method: as in `jacobian_dependency`.
  Returns:
    The dependency pattern bool [*y.shape, *x.shape].
  Raises:
    AssertionError: 'raster_causal: output (b, i, j, c) depends on input (b, i', j', c') ...'.

  Example:

    def logits(v):                      # per-channel softmax over levels: [1, h, w, 3]
      return (pixelcnn.apply(params, v) * r).reshape(1, h, w, 3, -1).sum(-1)
    assert_raster_causal(logits, x, num_groups=3)
  """
  x_shape = tuple(np.shape(x))
  if len(x_shape) != 4:
    raise ValueError(f'x must have shape [batch, height, width, channels], got {x_shape}.')
  dep = jacobian_dependency(f, x, param_draws=param_draws, num_draws=num_draws, seed=seed,
                            method=method)
  y_shape = dep.shape[:dep.ndim - 4]
  if len(y_shape) != 4 or y_shape[:3] != x_shape[:3]:
    raise ValueError(f'f(x) must have shape {x_shape[:3]} + (out_channels,), got {y_shape}.')
  _, h, w, c = x_shape
  rank_in = raster_order(h, w, c, num_groups).reshape(-1)
  rank_out = raster_order(h, w, y_shape[3], num_groups).reshape(-1)
  _assert_pattern('raster_causal', dep, x_shape, 1, rank_in, rank_out, allow_same, exact)
  return dep


def _assert_pattern(name: str, dep: np.ndarray, x_shape: tuple[int, ...], batch_ndims: int,
                    rank_in: np.ndarray, rank_out: np.ndarray, allow_same: bool, exact: bool,
                    window: np.ndarray | None = None) -> None:
  """Raises on the first forbidden (or, with exact, missing) dependency of `dep`."""
  y_shape = dep.shape[:dep.ndim - len(x_shape)]
  n = math.prod(x_shape[:batch_ndims])
  n_out, n_in = rank_out.size, rank_in.size
  dep4 = dep.reshape(n, n_out, n, n_in)
  event = rank_in[None, :] <= rank_out[:, None] if allow_same else (
      rank_in[None, :] < rank_out[:, None])
  allowed = np.eye(n, dtype=bool)[:, None, :, None] & event[None, :, None, :]
  relation = 'at or before' if allow_same else 'strictly before'

  def pair(flat):
    bo, o, bi, i = flat
    out_index = np.unravel_index(bo * n_out + o, y_shape)
    in_index = np.unravel_index(bi * n_in + i, x_shape)
    return (tuple(int(k) for k in out_index), tuple(int(k) for k in in_index),
            bo != bi, int(rank_out[o]), int(rank_in[i]))

  bad = dep4 & ~allowed
  if np.any(bad):
    out_index, in_index, other, r_out, r_in = pair(np.argwhere(bad)[0])
    why = ('another example' if other else
           f'input rank {r_in} is not {relation} output rank {r_out}')
    raise AssertionError(f'{name}: output {out_index} depends on input {in_index} ({why}); '
                         f'{int(bad.sum())} forbidden dependencies in all.')
  if exact:
    required = allowed if window is None else allowed & window[None, :, None, :]
    missing = required & ~dep4
    if np.any(missing):
      out_index, in_index, _, r_out, r_in = pair(np.argwhere(missing)[0])
      raise AssertionError(f'{name}: output {out_index} does not depend on input {in_index} '
                           f'(rank {r_in}, {relation} rank {r_out}): exact=True requires every '
                           f'allowed dependency; {int(missing.sum())} missing in all.')
