"""Checks of a bijector's maths: round trip, log-dets against jax.jacfwd, jit against eager.

Works for any `distrax.Bijector` (distrax's own and jaxgen.bijectors; no Flax needed): the
bijector is passed to `jax.jit` as a pytree argument, as inside a user's jitted model. Each
check raises `AssertionError` naming the check, the largest error and the tolerance.

  round_trip            inverse(forward(x)) == x
  forward_and_log_det   forward / inverse and their log-dets equal the combined methods,
                        and the log-dets have the batch shape of their input
  log_det_jacobian      forward_log_det_jacobian(x) == log|det J_forward(x)| (jax.jacfwd)
  inverse_log_det       inverse_log_det_jacobian(y) == log|det J_inverse(y)| (jax.jacfwd),
                        and it sums to zero with forward_log_det_jacobian(inverse(y))
  jit                   jitted forward_and_log_det / inverse_and_log_det == eager

The Jacobians are dense: keep x small (a batch of a few examples of at most a few hundred
numbers each, e.g. [3, 4, 4, 2] images).

Example:

  import distrax, jax, jax.numpy as jnp
  from jaxgen.testing import bijectors as bt

  x = jax.random.normal(jax.random.key(0), (3, 4))
  bt.check_bijector(distrax.Block(distrax.ScalarAffine(1.0, 2.0), 1), x)
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

CHECKS = ('round_trip', 'forward_and_log_det', 'log_det_jacobian', 'inverse_log_det', 'jit')


def jacobian_log_det(f: Callable[[jax.Array], jax.Array], x: jax.Array,
                     event_ndims: int) -> jax.Array:
  """log|det df/dx| of every example, from the dense Jacobian (`jax.jacfwd`, then slogdet).

  Args:
    f: a bijective map x -> y applied to a batch; y has as many numbers per example as x.
    x: [*batch, *event] with `event_ndims` event axes (0: elementwise, 1: vectors, 3: images).
    event_ndims: how many trailing axes of x form one example's event (flattened here).
  Returns:
    log|det| with x's batch shape. The Jacobian of the whole batch is formed (examples may
    share a per-example context); only its diagonal blocks are used.
  Raises:
    ValueError: f changes the number of elements.

  Example:

    ld = jacobian_log_det(bijector.forward, x, event_ndims=3)     # x: [2, 4, 4, 2]
  """
  x = jnp.asarray(x)
  if not 0 <= event_ndims <= x.ndim:
    raise ValueError(f'event_ndims={event_ndims} for an input of shape {x.shape}.')
  batch = x.shape[:x.ndim - event_ndims]
  n, d = math.prod(batch), math.prod(x.shape[x.ndim - event_ndims:])
  flat = lambda v: jnp.reshape(f(v.reshape(x.shape)), (-1,))
  jac = jax.jacfwd(flat)(x.reshape(-1))
  if jac.shape != (n * d, n * d):
    raise ValueError(f'f maps {n * d} numbers to {jac.shape[0]}: not a bijection of the event '
                     f'(input shape {x.shape}, event_ndims={event_ndims}).')
  index = jnp.arange(n)
  blocks = jac.reshape(n, d, n, d)[index, :, index, :]            # [n, d, d]
  return jnp.linalg.slogdet(blocks)[1].reshape(batch)


def assert_round_trip(bijector: Any, x: jax.Array, *, atol: float = 1e-5, rtol: float = 0.0,
                      jit: bool = True) -> None:
  """Asserts inverse(forward(x)) == x within atol + rtol |x|.

  Args:
    bijector: a `distrax.Bijector` (or any object with its methods and a pytree structure).
    x: [*batch, *event] inputs in the bijector's domain.
    atol: absolute tolerance.
    rtol: relative tolerance.
    jit: compute under `jax.jit` with the bijector as an argument (else eagerly).
  Raises:
    AssertionError: 'round_trip: ...' with the largest error, its index and the tolerance.

  Example:

    assert_round_trip(bijectors.Squeeze(), jnp.ones((2, 4, 4, 1)), atol=0.0)
  """
  check_bijector(bijector, x, atol=atol, rtol=rtol, jit=jit, checks=('round_trip',))


def assert_log_det_matches_jacobian(bijector: Any, x: jax.Array, *, atol: float = 1e-4,
                                    rtol: float = 0.0, event_ndims: int | None = None,
                                    jit: bool = True) -> None:
  """Asserts forward_log_det_jacobian(x) == slogdet(jax.jacfwd(forward)(x)) per example.

  Args:
    bijector: a `distrax.Bijector`.
    x: [*batch, *event] inputs (small: the Jacobian is dense).
    atol: absolute tolerance on the log-dets.
    rtol: relative tolerance on the log-dets.
    event_ndims: event axes of x; default `bijector.event_ndims_in`.
    jit: compute under `jax.jit` with the bijector as an argument (else eagerly).
  Raises:
    AssertionError: 'log_det_jacobian: ...' with the largest error and the tolerance.

  Example:

    assert_log_det_matches_jacobian(bijectors.Conv1x1(w, event_ndims=3), x)
  """
  check_bijector(bijector, x, log_det_atol=atol, rtol=rtol, event_ndims=event_ndims, jit=jit,
                 checks=('log_det_jacobian',))


def assert_inverse_log_det(bijector: Any, y: jax.Array, *, atol: float = 1e-4,
                           rtol: float = 0.0, event_ndims: int | None = None,
                           jit: bool = True) -> None:
  """Asserts the inverse log-det against jax.jacfwd of `inverse`, and the sign symmetry.

  inverse_log_det_jacobian(y) == slogdet(jax.jacfwd(inverse)(y)) per example, and
  inverse_log_det_jacobian(y) + forward_log_det_jacobian(inverse(y)) == 0.

  Args:
    bijector: a `distrax.Bijector`.
    y: [*batch, *event] points in the bijector's range (small: the Jacobian is dense).
    atol: absolute tolerance on the log-dets.
    rtol: relative tolerance on the log-dets.
    event_ndims: event axes of y; default `bijector.event_ndims_out`.
    jit: compute under `jax.jit` with the bijector as an argument (else eagerly).
  Raises:
    AssertionError: 'inverse_log_det: ...' with the largest error and the tolerance.

  Example:

    assert_inverse_log_det(bijectors.Logit(0.05, event_ndims=1), y)
  """
  _run(bijector, y, atol=0.0, log_det_atol=atol, rtol=rtol, event_ndims=event_ndims, jit=jit,
       checks=('inverse_log_det',), tolerances=None, from_range=True)


def assert_forward_and_log_det_consistent(bijector: Any, x: jax.Array, *, atol: float = 1e-6,
                                          log_det_atol: float = 1e-5, rtol: float = 0.0,
                                          jit: bool = True) -> None:
  """Asserts the separate methods equal the combined ones, in both directions.

  forward(x) and forward_log_det_jacobian(x) against forward_and_log_det(x);
  inverse(y) and inverse_log_det_jacobian(y) against inverse_and_log_det(y), y = forward(x);
  both log-dets have the batch shape of their input.

  Args:
    bijector: a `distrax.Bijector`.
    x: [*batch, *event] inputs.
    atol: absolute tolerance on forward / inverse values.
    log_det_atol: absolute tolerance on the log-dets.
    rtol: relative tolerance on both.
    jit: compute under `jax.jit` with the bijector as an argument (else eagerly).
  Raises:
    AssertionError: 'forward_and_log_det: ...' naming the method that disagrees.

  Example:

    assert_forward_and_log_det_consistent(my_bijector, x)
  """
  check_bijector(bijector, x, atol=atol, log_det_atol=log_det_atol, rtol=rtol, jit=jit,
                 checks=('forward_and_log_det',))


def assert_jit_consistent(bijector: Any, x: jax.Array, *, atol: float = 1e-5,
                          log_det_atol: float = 1e-4, rtol: float = 0.0) -> None:
  """Asserts jitted forward_and_log_det and inverse_and_log_det equal eager ones.

  The bijector is an argument of `jax.jit` (a pytree), as inside a user's jitted model.

  Args:
    bijector: a `distrax.Bijector`.
    x: [*batch, *event] inputs.
    atol: absolute tolerance on the values.
    log_det_atol: absolute tolerance on the log-dets.
    rtol: relative tolerance on both.
  Raises:
    AssertionError: 'jit: ...' with the largest error and the tolerance.

  Example:

    assert_jit_consistent(bijectors.MAF(conditioner), x)
  """
  check_bijector(bijector, x, atol=atol, log_det_atol=log_det_atol, rtol=rtol, jit=True,
                 checks=('jit',))


def check_bijector(bijector: Any, x: jax.Array, *, atol: float = 1e-5,
                   log_det_atol: float = 1e-4, rtol: float = 0.0,
                   event_ndims: int | None = None, jit: bool = True,
                   checks: Sequence[str] = CHECKS,
                   tolerances: Mapping[str, tuple[float, float]] | None = None) -> None:
  """Runs every check of this module on one bijector, in one compiled pass (plus eager).

  The inverse checks run at y = forward(x). Every failing check is reported, not just the
  first.

  Args:
    bijector: a `distrax.Bijector` (distrax's, jaxgen.bijectors', a user's).
    x: [*batch, *event] inputs in the bijector's domain (small: the Jacobians are dense).
    atol: absolute tolerance on values (round trip, separate vs combined methods, jit).
    log_det_atol: absolute tolerance on log-dets.
    rtol: relative tolerance on both.
    event_ndims: event axes of x; default `bijector.event_ndims_in` (those of y are then
      `bijector.event_ndims_out`, or the same number when given).
    jit: compute under `jax.jit` with the bijector as an argument (else eagerly; the 'jit'
      check always compiles).
    checks: which of `CHECKS` to run.
    tolerances: per-check (atol, log_det_atol) overrides, e.g.
      {'forward_and_log_det': (1e-6, 1e-5)}.
  Raises:
    AssertionError: one line per failing check: '<check>: <what>: max error E > tolerance T
      (atol=..., rtol=...) at index I: got A, expected B'.
    ValueError: an unknown check name.

  Example:

    check_bijector(bijectors.AffineCoupling(mask, conditioner), x, log_det_atol=1e-4)
  """
  _run(bijector, x, atol=atol, log_det_atol=log_det_atol, rtol=rtol, event_ndims=event_ndims,
       jit=jit, checks=checks, tolerances=tolerances, from_range=False)


def _run(bijector, x, *, atol, log_det_atol, rtol, event_ndims, jit, checks, tolerances,
         from_range):
  """check_bijector, or (from_range) the inverse checks at points x of the range."""
  unknown = set(checks) - set(CHECKS)
  if unknown:
    raise ValueError(f'Unknown checks {sorted(unknown)}; valid: {list(CHECKS)}.')
  tolerances = dict(tolerances or {})
  x = jnp.asarray(x)
  nd_in = bijector.event_ndims_in if event_ndims is None else event_ndims
  nd_out = bijector.event_ndims_out if event_ndims is None else event_ndims
  compute = functools.partial(_compute, checks=tuple(checks), nd_in=nd_in, nd_out=nd_out,
                              from_range=from_range)
  values = jax.jit(compute)(bijector, x) if jit else compute(bijector, x)
  if 'jit' in checks:
    if not jit:
      values['jit'] = jax.jit(compute)(bijector, x)['jit']
    eager = (bijector.forward_and_log_det(x), bijector.inverse_and_log_det(values['y']))
    values['jit_eager'] = eager
  values = jax.tree.map(np.asarray, values)

  failures = []
  for name in checks:
    a, ld = tolerances.get(name, (atol, log_det_atol))
    failures += _compare(name, values, a, ld, rtol, x.ndim - nd_in, nd_out)
  if failures:
    raise AssertionError('\n'.join(failures))


def _compute(bijector, x, checks, nd_in, nd_out, from_range):
  """All traced quantities the requested checks compare."""
  if from_range:   # assert_inverse_log_det: x holds points y of the range
    y = x
    x_of_y, ildj = bijector.inverse_and_log_det(y)
    return {'y': y, 'inverse_log_det': dict(
        ildj=ildj, fldj_back=bijector.forward_log_det_jacobian(x_of_y),
        jac=jacobian_log_det(bijector.inverse, y, nd_out))}
  out = {}
  y, fldj = bijector.forward_and_log_det(x)
  out['y'] = y
  if 'round_trip' in checks:
    out['round_trip'] = dict(x=x, x2=bijector.inverse(y))
  if 'forward_and_log_det' in checks:
    x2, ildj = bijector.inverse_and_log_det(y)
    out['forward_and_log_det'] = dict(
        y=y, fldj=fldj, y_sep=bijector.forward(x), fldj_sep=bijector.forward_log_det_jacobian(x),
        x2=x2, ildj=ildj, x2_sep=bijector.inverse(y),
        ildj_sep=bijector.inverse_log_det_jacobian(y))
  if 'log_det_jacobian' in checks:
    out['log_det_jacobian'] = dict(fldj=fldj, jac=jacobian_log_det(bijector.forward, x, nd_in))
  if 'inverse_log_det' in checks:
    x_of_y, ildj = bijector.inverse_and_log_det(y)
    out['inverse_log_det'] = dict(
        ildj=ildj, fldj_back=bijector.forward_log_det_jacobian(x_of_y),
        jac=jacobian_log_det(bijector.inverse, y, nd_out))
  if 'jit' in checks:
    out['jit'] = (bijector.forward_and_log_det(x), bijector.inverse_and_log_det(y))
  return out


def _compare(name, values, atol, log_det_atol, rtol, batch_ndims_in, nd_out):
  """Failure lines of one check."""
  v = values.get(name)
  fails = []

  def close(what, got, expected, tol):
    line = _mismatch(f'{name}: {what}', got, expected, tol, rtol)
    if line:
      fails.append(line)

  if name == 'round_trip':
    close('inverse(forward(x)) vs x', v['x2'], v['x'], atol)
  elif name == 'forward_and_log_det':
    y = values['y']
    for what, ld, shape in (
        ('forward_log_det_jacobian', v['fldj'], v['x2'].shape[:batch_ndims_in]),
        ('inverse_log_det_jacobian', v['ildj'], y.shape[:y.ndim - nd_out])):
      if np.shape(ld) != shape:
        fails.append(f'{name}: {what} has shape {np.shape(ld)}, expected the batch shape '
                     f'{shape} of its input.')
    close('forward(x) vs forward_and_log_det(x)[0]', v['y_sep'], v['y'], atol)
    close('forward_log_det_jacobian(x) vs forward_and_log_det(x)[1]', v['fldj_sep'], v['fldj'],
          log_det_atol)
    close('inverse(y) vs inverse_and_log_det(y)[0]', v['x2_sep'], v['x2'], atol)
    close('inverse_log_det_jacobian(y) vs inverse_and_log_det(y)[1]', v['ildj_sep'], v['ildj'],
          log_det_atol)
  elif name == 'log_det_jacobian':
    close('forward_log_det_jacobian vs slogdet(jax.jacfwd(forward))', v['fldj'], v['jac'],
          log_det_atol)
  elif name == 'inverse_log_det':
    close('inverse_log_det_jacobian vs slogdet(jax.jacfwd(inverse))', v['ildj'], v['jac'],
          log_det_atol)
    close('inverse_log_det_jacobian(y) + forward_log_det_jacobian(inverse(y)) vs 0',
          v['ildj'] + v['fldj_back'], np.zeros_like(v['ildj']), log_det_atol)
  elif name == 'jit':
    ((y, fldj), (x2, ildj)), ((ey, efldj), (ex2, eildj)) = v, values['jit_eager']
    close('jitted forward vs eager', y, ey, atol)
    close('jitted forward log-det vs eager', fldj, efldj, log_det_atol)
    close('jitted inverse vs eager', x2, ex2, atol)
    close('jitted inverse log-det vs eager', ildj, eildj, log_det_atol)
  return fails


def _mismatch(what: str, got, expected, atol: float, rtol: float) -> str | None:
  """A failure line when got and expected differ beyond atol + rtol |expected|, else None."""
  got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
  if got.shape != expected.shape:
    try:
      got, expected = np.broadcast_arrays(got, expected)
    except ValueError:
      return f'{what}: shapes {got.shape} and {expected.shape} differ.'
  with np.errstate(invalid='ignore'):
    err = np.abs(got - expected)
    tol = atol + rtol * np.abs(expected)
    err = np.where(np.isnan(got) & np.isnan(expected), 0.0, np.where(np.isnan(err), np.inf, err))
    excess = err - tol
  if not np.any(excess > 0):
    return None
  idx = np.unravel_index(np.argmax(excess), excess.shape) if excess.ndim else ()
  idx = tuple(int(i) for i in idx)
  return (f'{what}: max error {np.max(err):.3g} > tolerance {np.max(tol):.3g} (atol={atol:g}, '
          f'rtol={rtol:g}) at index {idx}: got {got[idx]:.6g}, expected {expected[idx]:.6g}; '
          f'{int(np.sum(excess > 0))} of {excess.size} elements out of tolerance.')
