"""SAGAN: the self-attention block, spectral normalisation, and the networks' structure."""
import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen.models.gan import dcgan, sagan
from jaxgen.models.gan.attention import UnscaledSelfAttention2D
from jaxgen.nn.spectral import spectral_norms

X = jax.random.normal(jax.random.key(0), (2, 6, 5, 16))


def _init(block, x=X):
  return block.init(jax.random.key(1), x)


def _with_gamma(variables, gamma):
  params = dict(variables['params'])
  params['gamma'] = jnp.asarray(gamma, jnp.float32)
  return {**variables, 'params': params}


def _naive_attention(params, x, sigmas):
  """Eqs. 1-2 of Zhang et al. 2018 with explicit loops over positions j and i."""
  w = {k: np.asarray(params[k]['kernel'])[0, 0] / sigmas[k] for k in 'fghv'}
  b, hgt, wid, c = x.shape
  xs = np.asarray(x, np.float64).reshape(b, hgt * wid, c)
  y = np.zeros_like(xs)
  for n in range(b):
    f, g, h = xs[n] @ w['f'], xs[n] @ w['g'], xs[n] @ w['h']
    for j in range(hgt * wid):
      s = np.array([f[i] @ g[j] for i in range(hgt * wid)])
      beta = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
      o = (beta[:, None] * h).sum(0) @ w['v']
      y[n, j] = float(params['gamma']) * o + xs[n, j]
  return y.reshape(x.shape)


def test_attention_with_gamma_zero_is_exactly_the_identity():
  block = UnscaledSelfAttention2D()
  variables = _init(block)
  assert float(variables['params']['gamma']) == 0.0   # initialised to 0 (section 3)
  np.testing.assert_array_equal(block.apply(variables, X), X)
  np.testing.assert_array_equal(block.apply(variables, X, update_stats=True,
                                            mutable=['batch_stats'])[0], X)


def test_attention_rows_sum_to_one_and_channels_follow_the_paper():
  for pool in (False, True):
    block = UnscaledSelfAttention2D(pool_keys=pool, spectral_norm=False)
    x = X[:, :6, :4]
    variables = _with_gamma(_init(block, x), 0.5)
    _, inter = block.apply(variables, x, mutable=['intermediates'])
    beta = inter['intermediates']['attention'][0]
    n = 6 * 4
    assert beta.shape == (2, n, n // 4 if pool else n)
    assert jnp.all(beta >= 0)
    np.testing.assert_allclose(beta.sum(-1), 1.0, rtol=1e-5)
  p = variables['params']
  assert p['f']['kernel'].shape == p['g']['kernel'].shape == (1, 1, 16, 2)   # C / 8
  assert p['v']['kernel'].shape == (1, 1, 2, 16)


def test_attention_matches_the_papers_equations_and_is_non_local():
  block = UnscaledSelfAttention2D(spectral_norm=True)
  variables = _with_gamma(_init(block), 0.7)
  y, state = block.apply(variables, X, update_stats=True, mutable=['batch_stats'])
  # The layer used W / sigma with sigma from this call's power iteration (stored in state).
  sigmas = {k: float(state['batch_stats'][f'SpectralNorm_{i}'][f'{k}/kernel/sigma'])
            for i, k in enumerate('fghv')}
  np.testing.assert_allclose(y, _naive_attention(variables['params'], X, sigmas), atol=1e-5)
  # Every output position sees every input position.
  jac = jax.jacfwd(lambda x: block.apply(variables, x)[0, 0, 0, 0])(X)
  assert float(jnp.abs(jac[0, -1, -1]).sum()) > 0


def test_attention_rejects_bad_input():
  with pytest.raises(ValueError, match='batch, height, width, channels'):
    UnscaledSelfAttention2D().init(jax.random.key(0), jnp.zeros((2, 8, 16)))
  with pytest.raises(ValueError, match='even height'):
    UnscaledSelfAttention2D(pool_keys=True).init(jax.random.key(0), jnp.zeros((1, 5, 4, 8)))


@pytest.fixture(scope='module')
def sagan_variables():
  g = sagan.Generator((28, 28, 1), base_features=8, num_classes=10)
  d = sagan.Discriminator(base_features=8, num_classes=10)
  z, y = jax.random.normal(jax.random.key(0), (4, 16)), jnp.arange(4)
  gv = jax.jit(functools.partial(g.init, train=False))(jax.random.key(1), z, y)
  x = jax.jit(functools.partial(g.apply, train=False))(gv, z, y)
  dv = jax.jit(functools.partial(d.init, train=False))(jax.random.key(2), x, y)
  return g, d, gv, dv, z, y, x


def _kernels(params):
  flat = jax.tree_util.tree_flatten_with_path(params)[0]
  # Conditional batch norm's class gains and biases are embeddings, not convolutions: they
  # are the one weight SAGAN leaves unnormalised.
  return {'/'.join(k.key for k in path) for path, v in flat
          if path[-1].key in ('kernel', 'embedding') and
          not any(k.key.startswith('ConditionalBatchNorm') for k in path)}


def test_every_sagan_weight_is_spectrally_normalised_to_one(sagan_variables):
  g, d, gv, dv, z, y, x = sagan_variables

  @jax.jit
  def power_iterations(gv, dv):
    def body(_, vs):
      gv, dv = vs
      _, gs = g.apply(gv, z, y, train=True, mutable=['batch_stats'])
      _, ds = d.apply(dv, x, y, train=True, mutable=['batch_stats'])
      return {**gv, **gs}, {**dv, **ds}
    return jax.lax.fori_loop(0, 100, body, (gv, dv))

  gv, dv = power_iterations(gv, dv)
  for variables, count in ((gv, 12), (dv, 15)):
    norms = spectral_norms(variables)
    assert set(norms) == _kernels(variables['params'])   # every conv, linear and embedding
    assert len(norms) == count
    ratios = np.array([top / sigma for top, sigma in norms.values()])
    # Before the iterations the estimate is far off for some layers; after, W / sigma has
    # largest singular value ~ 1.
    np.testing.assert_allclose(ratios, 1.0, atol=2e-2)


def test_sagan_shapes_and_conditioning(sagan_variables):
  g, d, gv, dv, z, y, x = sagan_variables
  assert x.shape == (4, 28, 28, 1) and jnp.all(jnp.abs(x) <= 1)
  g_apply = jax.jit(functools.partial(g.apply, train=False))
  d_apply = jax.jit(functools.partial(d.apply, train=False))
  logits = d_apply(dv, x, y)
  assert logits.shape == (4,)
  # The label changes the logit (projection) ...
  assert not np.allclose(d_apply(dv, x, (y + 1) % 10), logits)
  # ... and, once its class gains are not zero (they start at 0), the sample (conditional BN).
  np.testing.assert_array_equal(g_apply(gv, z, (y + 1) % 10), x)
  gains = jax.tree_util.tree_map_with_path(
      lambda p, v: v + 0.5 * jax.random.normal(jax.random.key(5), v.shape)
      if 'gain' in jax.tree_util.keystr(p) else v, gv)
  assert not np.allclose(g_apply(gains, z, (y + 1) % 10), g_apply(gains, z, y))
  # Attention sits on the 14x14 maps of both networks.
  assert 'attention' in gv['params'] and 'attention' in dv['params']
  with pytest.raises(ValueError, match='pass labels'):
    d.apply(dv, x, None, train=False)


def test_dcgan_structure_and_parameter_count():
  g, d = dcgan.Generator((28, 28, 1), base_features=64), dcgan.Discriminator(base_features=64)
  z = jnp.zeros((3, 100))
  gv = jax.jit(functools.partial(g.init, train=False))(jax.random.key(0), z)
  x = jax.eval_shape(functools.partial(g.apply, train=False), gv, z)
  assert x.shape == (3, 28, 28, 1)
  dv = jax.jit(functools.partial(d.init, train=False))(jax.random.key(1), jnp.zeros(x.shape))
  count = lambda v: sum(p.size for p in jax.tree.leaves(v['params']))
  # G: project z to 7x7x128 (no bias; BN follows), BN, 5x5 transposed convs 128->64 (BN) and
  # 64->1 (bias, tanh). D: 5x5 convs 1->64 (bias, no BN) and 64->128 (BN), linear 7*7*128->1.
  assert count(gv) == 100 * 7 * 7 * 128 + 2 * 128 + 25 * 128 * 64 + 2 * 64 + 25 * 64 + 1
  assert count(dv) == 25 * 64 + 64 + 25 * 64 * 128 + 2 * 128 + 7 * 7 * 128 + 1
  # BN on G's hidden layers only and on D's hidden layers only (not its input layer).
  assert set(gv['batch_stats']) == {'BatchNorm_0', 'BatchNorm_1'}
  assert set(dv['batch_stats']) == {'BatchNorm_0'}
  # N(0, 0.02) initialisation.
  np.testing.assert_allclose(np.std(gv['params']['project']['kernel']), 0.02, rtol=0.05)
  with pytest.raises(ValueError, match='cannot be reached'):
    dcgan.num_doublings(7)


def test_flax_spectral_norm_divides_by_the_stored_sigma():
  layer = nn.SpectralNorm(nn.Dense(5, use_bias=False))
  x = jax.random.normal(jax.random.key(3), (2, 7))
  v = layer.init(jax.random.key(4), x, update_stats=False)
  for _ in range(60):
    _, s = layer.apply(v, x, update_stats=True, mutable=['batch_stats'])
    v = {**v, **s}
  w = v['params']['layer_instance']['kernel']
  sigma = np.linalg.svd(np.asarray(w), compute_uv=False)[0]
  np.testing.assert_allclose(layer.apply(v, x, update_stats=False), x @ w / sigma, rtol=1e-4)
