"""Batches of contexts broadcast against the input batch (issue 19, defect 1).

distrax lets a bijector add batch axes: a conditional flow scores one x under several
contexts and samples a batch of contexts. For every bijector that takes a context
(couplings, MAF, IAF, MultiScale) and several (input batch, context batch) pairs, in both
directions: the output and log-det have the broadcast batch shape, and each entry equals the
same bijector built with that entry's single context applied to that entry's single input.
The coupling is also checked against distrax's own `MaskedCoupling` with the same
conditioner, including `Transformed(...).sample(sample_shape=2)` with 3 contexts -> [2, 3, 5].
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

D, CTX = 5, 2
IMG = (4, 4, 2)


def _dense(key, n_in, n_out, scale=1.0):
  return jax.random.normal(key, (n_in, n_out)) * scale / math.sqrt(n_in)


def issue_conditioner(num_params=2):
  """The issue's reproduction: tanh(x @ w + c @ wc), [..., D] and [..., 2] -> [..., P * D]."""
  w = 0.1 * jnp.ones((D, num_params * D))
  wc = 0.1 * jnp.ones((CTX, num_params * D))
  return lambda x, c: jnp.tanh(x @ w + c @ wc)


def autoregressive_conditioner(key, num_params=2):
  """Parameters of element d from x_{<d} and the context (MADE's layout p * D + d)."""
  k1, k2 = jax.random.split(key)
  strict = np.tile(np.triu(np.ones((D, D)), 1), (1, num_params))     # [i, p * D + d]: i < d
  w, wc = _dense(k1, D, num_params * D, 0.5) * strict, _dense(k2, CTX, num_params * D, 0.5)
  return lambda x, c: jnp.tanh(x @ w + c @ wc)


def image_conditioner(key, event_shape, num_params):
  """An MLP over the flattened image and the context; the batch is the broadcast one."""
  k1, k2, k3 = jax.random.split(key, 3)
  d = math.prod(event_shape)
  w1, wc = _dense(k1, d, 16), _dense(k3, CTX, 16)
  w2 = _dense(k2, 16, d * num_params, 0.5)

  def conditioner(x, c):
    h = x.reshape(x.shape[:x.ndim - 3] + (d,)) @ w1 + c @ wc
    out = jnp.tanh(h) @ w2
    return out.reshape(out.shape[:-1] + event_shape[:-1] + (num_params * event_shape[-1],))
  return conditioner


def _multiscale(key, ctx, outer_context=True):
  """Two scales on [4, 4, 2] (as the bijector table's case); the outer level's coupling is
  conditional only when `outer_context` (the inner one always is)."""
  k1, k2 = jax.random.split(key)
  inner = bj.AffineCoupling(bj.checkerboard_mask((2, 2, 4), 0),
                            image_conditioner(k2, (2, 2, 4), 2), context=ctx)
  last = bj.MultiScale(inner, (2, 2, 4))
  outer = image_conditioner(k1, (2, 2, 8), 2)
  if not outer_context:
    outer_fn, outer = outer, lambda x: outer_fn(x, jnp.zeros(CTX))
  level = distrax.Chain([
      distrax.Inverse(bj.Squeeze()),
      bj.AffineCoupling(bj.channel_mask((2, 2, 8), 1), outer,
                        context=ctx if outer_context else None)])
  return bj.MultiScale(level, IMG, next_level=last)


@dataclasses.dataclass
class Case:
  name: str
  make: Callable          # (key, context) -> bijector
  x_event: tuple          # event of the forward input
  y_event: tuple          # event of the forward output

  def __str__(self):
    return self.name


KEY = jax.random.PRNGKey(0)
CASES = [
    Case('additive_coupling', lambda k, c: bj.AdditiveCoupling(
        bj.alternating_mask(D), issue_conditioner(1), context=c), (D,), (D,)),
    Case('affine_coupling', lambda k, c: bj.AffineCoupling(
        bj.alternating_mask(D), issue_conditioner(), context=c), (D,), (D,)),
    Case('maf', lambda k, c: bj.MAF(autoregressive_conditioner(k), context=c), (D,), (D,)),
    Case('iaf', lambda k, c: bj.IAF(autoregressive_conditioner(k), bj.Affine('tanh'),
                                    context=c), (D,), (D,)),
    Case('multiscale', _multiscale, (32,), IMG),
    Case('multiscale_inner_context', lambda k, c: _multiscale(k, c, outer_context=False),
         (32,), IMG),
]
# (input batch, context batch): contexts add axes, the input adds axes, both, and equal.
BATCHES = [((), (3,)), ((4,), ()), ((4, 1), (3,)), ((2, 3), (3,))]
# MultiScale compiles slowly on CPU: its cases run the two batches where contexts add axes.
SLOW = ('multiscale', 'multiscale_inner_context')
PAIRS = [pytest.param(case, xb, cb, id=f'{case}-{xb}-{cb}')
         for case in CASES for xb, cb in BATCHES
         if case.name not in SLOW or (xb, cb) in (((), (3,)), ((4, 1), (3,)))]


def _inputs(case, x_batch, c_batch, event, seed=1):
  kx, kc = jax.random.split(jax.random.PRNGKey(seed))
  x = jax.random.uniform(kx, x_batch + event, minval=-1.5, maxval=1.5)
  return x, jax.random.normal(kc, c_batch + (CTX,))


def _per_example(case, method, x, ctx, batch, event):
  """Each entry computed alone: the bijector built with one context, applied to one input."""
  flat_x = jnp.broadcast_to(x, batch + event).reshape((-1,) + event)
  flat_c = jnp.broadcast_to(ctx, batch + (CTX,)).reshape(-1, CTX)
  out, ld = jax.vmap(lambda v, c: getattr(case.make(KEY, c), method)(v))(flat_x, flat_c)
  return out.reshape(batch + out.shape[1:]), ld.reshape(batch)


def _broadcasting(case, batch, b, x, y_in, ctx):
  """Both directions batched, the per-example references, and the round trip: one jit."""
  out = {}
  out['y'], out['fldj'] = b.forward_and_log_det(x)
  out['u'], out['ildj'] = b.inverse_and_log_det(y_in)
  out['ref_y'], out['ref_fldj'] = _per_example(case, 'forward_and_log_det', x, ctx, batch,
                                               case.x_event)
  out['ref_u'], out['ref_ildj'] = _per_example(case, 'inverse_and_log_det', y_in, ctx, batch,
                                               case.y_event)
  out['x2'], out['ildj2'] = b.inverse_and_log_det(out['y'])
  return out


@pytest.mark.parametrize('case,x_batch,c_batch', PAIRS)
def test_context_batch_broadcasts_against_input_batch(case, x_batch, c_batch):
  batch = jnp.broadcast_shapes(x_batch, c_batch)
  x, ctx = _inputs(case, x_batch, c_batch, case.x_event)
  y_in, _ = _inputs(case, x_batch, c_batch, case.y_event, seed=2)   # the inverse's input
  run = jax.jit(functools.partial(_broadcasting, case, batch))
  r = run(case.make(KEY, ctx), x, y_in, ctx)
  assert r['y'].shape == batch + case.y_event and r['fldj'].shape == batch
  assert r['u'].shape == batch + case.x_event and r['ildj'].shape == batch
  np.testing.assert_allclose(r['y'], r['ref_y'], atol=1e-5)
  np.testing.assert_allclose(r['fldj'], r['ref_fldj'], atol=1e-4)
  np.testing.assert_allclose(r['u'], r['ref_u'], atol=1e-5)
  np.testing.assert_allclose(r['ildj'], r['ref_ildj'], atol=1e-4)
  # The round trip of the broadcast output recovers the (broadcast) input.
  np.testing.assert_allclose(r['x2'], jnp.broadcast_to(x, batch + case.x_event), atol=1e-5)
  np.testing.assert_allclose(r['ildj2'], -r['fldj'], atol=1e-4)


def _base(event):
  return distrax.Independent(distrax.Normal(jnp.zeros(event), 1.0), len(event))


@pytest.mark.parametrize('case', CASES, ids=str)
def test_transformed_samples_and_scores_under_a_batch_of_contexts(case):
  ctx = jax.random.normal(jax.random.PRNGKey(3), (3, CTX))
  flow = distrax.Transformed(_base(case.x_event), case.make(KEY, ctx))

  @jax.jit
  def run(flow, y1, ctx):
    s = flow.sample(seed=jax.random.PRNGKey(4), sample_shape=2)
    s2, lp2 = flow.sample_and_log_prob(seed=jax.random.PRNGKey(4), sample_shape=2)
    alone = jax.vmap(   # y1 scored by each context's flow alone
        lambda c: distrax.Transformed(_base(case.x_event), case.make(KEY, c)).log_prob(y1))(ctx)
    return s, s2, lp2, flow.log_prob(s2), flow.log_prob(y1), alone

  y1 = jax.random.uniform(jax.random.PRNGKey(5), case.y_event, minval=-1.0, maxval=1.0)
  s, s2, lp2, lp2_again, lp1, alone = run(flow, y1, ctx)
  assert s.shape == (2, 3) + case.y_event and lp2.shape == (2, 3)
  np.testing.assert_allclose(s, s2, atol=1e-6)
  np.testing.assert_allclose(lp2, lp2_again, atol=2e-3, rtol=1e-4)
  # One input scored under three contexts: one log-prob per context, each the flow's alone.
  assert lp1.shape == (3,)
  np.testing.assert_allclose(lp1, alone, atol=1e-4, rtol=1e-5)


def test_affine_coupling_matches_distrax_masked_coupling_under_a_batch_of_contexts():
  """The issue's reproduction against distrax's own `MaskedCoupling`, same conditioner."""
  cond, ctx, mask = issue_conditioner(), jnp.ones((3, CTX)), bj.alternating_mask(D)
  ours = bj.AffineCoupling(mask, cond, context=ctx, scale_activation='exp')
  peer = distrax.MaskedCoupling(
      mask, lambda x: cond(x, ctx),
      lambda p: distrax.ScalarAffine(shift=p[..., :D], log_scale=p[..., D:]))
  base = distrax.MultivariateNormalDiag(jnp.zeros(D))

  @jax.jit
  def run(x1, x2):
    out = []
    for x in (x1, x2):
      for method in ('forward_and_log_det', 'inverse_and_log_det'):
        out.append((getattr(ours, method)(x), getattr(peer, method)(x)))
    seed = jax.random.PRNGKey(0)
    samples = [distrax.Transformed(base, b).sample(seed=seed, sample_shape=2)
               for b in (ours, peer)]
    return out, samples

  pairs, (s, s_peer) = run(jnp.ones(D), jnp.linspace(-1.0, 1.0, 4 * D).reshape(4, 1, D))
  for (a, la), (b, lb) in pairs:
    assert a.shape == b.shape and la.shape == lb.shape
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(la, lb, atol=1e-6)
  assert pairs[0][0][0].shape == (3, D) and pairs[2][0][0].shape == (4, 3, D)
  assert s.shape == s_peer.shape == (2, 3, D)
  np.testing.assert_allclose(s, s_peer, atol=1e-6)
