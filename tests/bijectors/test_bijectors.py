"""Every bijector of jaxgen.bijectors and its conditional form, checked on random inputs.

For each case, through jaxgen.testing.check_bijector: the round trip is within 1e-5
(float32); the separate methods equal the combined ones (1e-6, log-dets 1e-5); the log-dets
match slogdet(jax.jacfwd(...)) within 1e-4 in both directions and sum to zero; jit (with the
bijector as a pytree argument) agrees with eager. Here: vmap agrees with eager, and the
bijector works inside distrax.Transformed, Chain and Inverse, under grad. Conditioners are
plain JAX functions: nothing here needs Flax.
"""
import dataclasses
import functools
import math
from typing import Callable

import distrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen import bijectors as bj
from jaxgen import testing
from jaxgen.nn import masked

CTX = 3        # context width of the conditional forms
BATCH = 3


def _dense(key, n_in, n_out, scale):
  return jax.random.normal(key, (n_in, n_out)) * scale / math.sqrt(n_in)


def mlp_conditioner(key, event_shape, num_params, hidden=16, out_scale=0.5):
  """A plain-JAX MLP conditioner: flattened event (+ context) -> [..., *event[:-1], P*C]."""
  k1, k2, k3 = jax.random.split(key, 3)
  d = math.prod(event_shape)
  w1, wc = _dense(k1, d, hidden, 1.0), _dense(k3, CTX, hidden, 1.0)
  w2 = _dense(k2, hidden, d * num_params, out_scale)
  nd = len(event_shape)

  def conditioner(x, context=None):
    batch = x.shape[:x.ndim - nd]
    h = x.reshape(batch + (d,)) @ w1
    if context is not None:
      h = h + context @ wc
    out = jnp.tanh(h) @ w2
    return out.reshape(batch + tuple(event_shape[:-1]) + (num_params * event_shape[-1],))
  return conditioner


def made_conditioner(key, dim, num_params, hidden=12, out_scale=0.5):
  """A plain-JAX MADE (masks from jaxgen.nn.masked) over a random ordering, with context."""
  ko, k1, k2, k3, k4 = jax.random.split(key, 5)
  degrees = masked.ordering(ko, dim, 'random')
  (m1,), mo, md = masked.made_masks(degrees, masked.hidden_degrees(None, degrees, [hidden],
                                                                   random=False),
                                    num_outputs_per_dim=num_params)
  w1, wc = _dense(k1, dim, hidden, 1.0) * m1, _dense(k3, CTX, hidden, 1.0)
  wo = _dense(k2, hidden, dim * num_params, out_scale) * mo
  wd = _dense(k4, dim, dim * num_params, out_scale) * md

  def conditioner(x, context=None):
    h = x @ w1
    if context is not None:
      h = h + context @ wc
    return jnp.tanh(h) @ wo + x @ wd
  return conditioner


@dataclasses.dataclass
class Case:
  name: str
  make: Callable          # (key, context or None) -> bijector
  event_shape: tuple      # input event of `forward`
  conditional: bool = False
  low: float = -2.0       # inputs drawn uniformly in [low, high]
  high: float = 2.0

  def __str__(self):
    return self.name + ('-conditional' if self.conditional else '')


V, IMG = (4,), (4, 4, 2)


def _coupling(cls, mask, shape, num_params, **kw):
  return lambda key, c: cls(mask, mlp_conditioner(key, shape, num_params), context=c,
                            event_ndims=len(shape), **kw)


def _multiscale(key, c):
  k1, k2 = jax.random.split(key)
  inner = bj.AffineCoupling(bj.checkerboard_mask((2, 2, 4), 0),
                            mlp_conditioner(k2, (2, 2, 4), 2), context=c)
  last = bj.MultiScale(inner, (2, 2, 4))
  level = distrax.Chain([
      distrax.Inverse(bj.Squeeze()),
      bj.AffineCoupling(bj.channel_mask((2, 2, 8), 1), mlp_conditioner(k1, (2, 2, 8), 2),
                        context=c)])
  return bj.MultiScale(level, IMG, next_level=last)


def _batch_norm(key, c):
  del c
  k1, k2, k3, k4 = jax.random.split(key, 4)
  return bj.BatchNorm(jax.random.normal(k1, V), jax.random.uniform(k2, V, minval=0.5, maxval=2),
                      0.3 * jax.random.normal(k3, V), 0.3 * jax.random.normal(k4, V))


def _actnorm(key, c):
  del c
  k1, k2 = jax.random.split(key)
  return bj.ActNorm(0.3 * jax.random.normal(k1, (2,)), jax.random.normal(k2, (2,)))


def _conv1x1_lu(key, c):
  del c
  k1, k2 = jax.random.split(key)
  params = bj.lu_params(bj.random_rotation(k1, 4))
  params['lower'] = params['lower'] + 0.1 * jnp.tril(jax.random.normal(k2, (4, 4)), -1)
  params['log_s'] = params['log_s'] + 0.2
  return bj.Conv1x1LU(**params, event_ndims=3)


UNCONDITIONAL = [
    Case('additive_coupling', _coupling(bj.AdditiveCoupling, bj.alternating_mask(4), V, 1), V),
    Case('affine_coupling_tanh', _coupling(bj.AffineCoupling, bj.alternating_mask(4, 1), V, 2), V),
    Case('affine_coupling_sigmoid', _coupling(bj.AffineCoupling, bj.alternating_mask(4), V, 2,
                                              scale_activation='sigmoid'), V),
    Case('affine_coupling_exp', _coupling(bj.AffineCoupling, bj.alternating_mask(4), V, 2,
                                          scale_activation='exp'), V),
    Case('affine_coupling_checkerboard',
         _coupling(bj.AffineCoupling, bj.checkerboard_mask(IMG, 1), IMG, 2), IMG),
    Case('affine_coupling_channel',
         _coupling(bj.AffineCoupling, bj.channel_mask(IMG, 0), IMG, 2), IMG),
    Case('spline_coupling', lambda k, c: bj.spline_coupling(
        bj.alternating_mask(4), mlp_conditioner(k, V, 3 * 4 + 1), num_bins=4, context=c), V),
    Case('diagonal_scaling', lambda k, c: bj.DiagonalScaling(0.5 * jax.random.normal(k, V)), V),
    Case('squeeze', lambda k, c: bj.Squeeze(), IMG),
    Case('multiscale', _multiscale, (32,)),
    Case('batch_norm', _batch_norm, V),
    Case('actnorm', _actnorm, IMG),
    Case('conv1x1', lambda k, c: bj.Conv1x1(
        bj.random_rotation(k, 2) * jnp.array([1.3, 0.7]), event_ndims=3), IMG),
    Case('conv1x1_lu', _conv1x1_lu, (2, 2, 4)),
    Case('permute_reverse', lambda k, c: bj.Permute(bj.reverse_permutation(4)), V),
    Case('permute_random_channels', lambda k, c: bj.Permute(
        bj.random_permutation(k, 2), event_ndims=3), IMG),
    Case('maf_affine', lambda k, c: bj.MAF(made_conditioner(k, 4, 2), context=c), V),
    Case('maf_spline', lambda k, c: bj.MAF(made_conditioner(k, 4, 3 * 4 + 1),
                                           bj.RationalQuadratic(4, 3.0), context=c), V),
    Case('iaf_affine', lambda k, c: bj.IAF(made_conditioner(k, 4, 2),
                                           bj.Affine('tanh'), context=c), V),
    Case('logit', lambda k, c: bj.Logit(0.05, event_ndims=1), V, low=0.02, high=0.98),
    Case('dequantize', lambda k, c: bj.Dequantize(8, event_ndims=3), IMG, low=0.0, high=256.0),
]
CONDITIONAL_NAMES = ('additive_coupling', 'affine_coupling_tanh', 'affine_coupling_checkerboard',
                     'affine_coupling_channel', 'spline_coupling', 'multiscale', 'maf_affine',
                     'maf_spline', 'iaf_affine')
# Spline transformers compile slowly on CPU (~10 s per case): they run in their conditional
# form only (context=None is the path the affine cases cover); IAF's direction is
# transformer-agnostic and covered by iaf_affine.
SPLINES = ('spline_coupling', 'maf_spline')
CASES = ([c for c in UNCONDITIONAL if c.name not in SPLINES]
         + [dataclasses.replace(c, conditional=True) for c in UNCONDITIONAL
            if c.name in CONDITIONAL_NAMES])


def _inputs(case, batch=(BATCH,), seed=1):
  kx, kc = jax.random.split(jax.random.PRNGKey(seed))
  x = jax.random.uniform(kx, batch + case.event_shape, minval=case.low, maxval=case.high)
  c = jax.random.normal(kc, batch + (CTX,)) if case.conditional else None
  return x, c


def _make(case, c):
  return case.make(jax.random.PRNGKey(0), c)


def _base(event_shape):
  return distrax.Independent(distrax.Normal(jnp.zeros(event_shape), 1.0), len(event_shape))


def _everything(case, b, x, c):
  """The traced quantities of one case beyond the kit's checks, in one jitted function.

  `b` (for the batch x with context c) is built outside and passed in as a pytree argument.
  """
  out = {}
  out['y'], out['fldj'] = b.forward_and_log_det(x)
  # vmap over examples, the bijector built per example as inside a vmapped model.
  out['vm_y'], out['vm_fldj'] = jax.vmap(
      lambda v, ctx: _make(case, ctx).forward_and_log_det(v))(x, c)
  out['vm_x'], out['vm_ildj'] = jax.vmap(
      lambda v, ctx: _make(case, ctx).inverse_and_log_det(v))(out['y'], c)
  # Inside Transformed, Chain and Inverse, under grad.
  base = _base(case.event_shape)
  flow = distrax.Transformed(_base(out['y'].shape[1:]), distrax.Chain([b, distrax.Inverse(b)]))
  out['chain_lp'] = flow.log_prob(out['y'])
  out['base_lp_y'] = flow.distribution.log_prob(out['y'])
  flow = distrax.Transformed(base, b)
  out['lp'], out['base_lp'] = flow.log_prob(out['y']), base.log_prob(x)
  out['grad'] = jax.grad(lambda v: flow.log_prob(v).sum())(out['y'])
  if not case.conditional:   # a context is per example: sampling needs a matching batch.
    out['samples'], out['samples_lp'] = flow.sample_and_log_prob(
        seed=jax.random.PRNGKey(2), sample_shape=(2,))
    out['samples_lp_again'] = flow.log_prob(out['samples'])
  return out


@pytest.fixture(params=CASES, ids=str, scope='module')
def case(request):
  return request.param


@pytest.fixture(scope='module')
def res(case):
  x, c = _inputs(case)
  out = jax.jit(functools.partial(_everything, case))(_make(case, c), x, c)
  out['x'] = x
  out['eager_y'], out['eager_fldj'] = _make(case, c).forward_and_log_det(x)
  return jax.tree.map(np.asarray, out)


def test_kit_checks(case):
  """Round trip, separate == combined methods (with batch-shaped log-dets), log-dets against
  slogdet(jax.jacfwd) per example in both directions and their sum, jit == eager."""
  x, c = _inputs(case)
  testing.check_bijector(_make(case, c), x, atol=1e-5, log_det_atol=1e-4,
                         tolerances={'forward_and_log_det': (1e-6, 1e-5)})


def test_vmap_agrees_with_eager(res):
  np.testing.assert_allclose(res['vm_y'], res['eager_y'], atol=1e-5)
  np.testing.assert_allclose(res['vm_fldj'], res['eager_fldj'], atol=1e-4)
  np.testing.assert_allclose(res['vm_x'], res['x'], atol=1e-5)
  np.testing.assert_allclose(res['vm_ildj'], -res['eager_fldj'], atol=1e-4)


def test_inside_transformed_chain_and_inverse(res, case):
  # Change of variables: log q(y) = log p(x) - log|det df/dx|.
  np.testing.assert_allclose(res['lp'], res['base_lp'] - res['fldj'], atol=2e-4, rtol=1e-5)
  # Chain([b, Inverse(b)]) is the identity, with zero total log-det.
  np.testing.assert_allclose(res['chain_lp'], res['base_lp_y'], atol=2e-4, rtol=1e-5)
  assert np.all(np.isfinite(res['grad'])) and np.any(res['grad'] != 0)
  if not case.conditional:
    assert res['samples'].shape == (2,) + res['y'].shape[1:]
    if case.name != 'logit':   # Gaussian samples fall outside the logit's domain [0, 1].
      np.testing.assert_allclose(res['samples_lp'], res['samples_lp_again'], atol=2e-3,
                                 rtol=1e-4)


def test_every_bijector_is_covered():
  exported = {n for n in bj.__all__ if isinstance(getattr(bj, n), type)
              and issubclass(getattr(bj, n), distrax.Bijector)}
  covered = {type(_make(c, None)).__name__ for c in UNCONDITIONAL}
  covered |= {'MaskedCoupling', 'MaskedAutoregressive'}   # bases of the covered classes
  assert exported <= covered, exported - covered
  conditional = {type(_make(c, None)).__name__ for c in CASES if c.conditional}
  assert {'AdditiveCoupling', 'AffineCoupling', 'MaskedCoupling', 'MAF', 'IAF',
          'MultiScale'} <= conditional
