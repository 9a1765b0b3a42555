"""The GAN game's mathematics: losses on logits, D*, and V(D*, G) = -log 4 + 2 JSD."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import special
from scipy import stats

from jaxgen.models.gan import math as gm
from jaxgen.models.gan import toy

# p_data = N(0, 1) and a fixed generator G(z) = 1.5 + 0.6 z, so p_g = N(1.5, 0.6^2).
MU_G, SIGMA_G = 1.5, 0.6
GRID = np.linspace(-8.0, 8.0, 20001)


def _densities(x):
  return stats.norm.pdf(x, 0.0, 1.0), stats.norm.pdf(x, MU_G, SIGMA_G)


def _optimal_logit(x):
  return gm.optimal_discriminator_logit(stats.norm.logpdf(x, 0.0, 1.0),
                                        stats.norm.logpdf(x, MU_G, SIGMA_G))


def test_losses_match_their_definitions_on_probabilities():
  real = jnp.array([-3.0, -0.5, 0.0, 2.0])
  fake = jnp.array([-1.0, 0.3, 1.5, 4.0])
  d_real, d_fake = jax.nn.sigmoid(real), jax.nn.sigmoid(fake)
  v = jnp.mean(jnp.log(d_real)) + jnp.mean(jnp.log(1 - d_fake))
  np.testing.assert_allclose(gm.value_function(real, fake), v, rtol=1e-6)
  for kind in ('minimax', 'non_saturating'):
    np.testing.assert_allclose(gm.discriminator_loss(kind, real, fake), -v, rtol=1e-6)
  np.testing.assert_allclose(gm.generator_loss('minimax', fake),
                             jnp.mean(jnp.log(1 - d_fake)), rtol=1e-6)
  np.testing.assert_allclose(gm.generator_loss('non_saturating', fake),
                             -jnp.mean(jnp.log(d_fake)), rtol=1e-6)
  hinge_d = np.mean(np.maximum(0, 1 - np.asarray(real))) + np.mean(
      np.maximum(0, 1 + np.asarray(fake)))
  np.testing.assert_allclose(gm.discriminator_loss('hinge', real, fake), hinge_d, rtol=1e-6)
  np.testing.assert_allclose(gm.generator_loss('hinge', fake), -np.mean(fake), rtol=1e-6)


def test_losses_are_finite_at_extreme_logits_and_non_saturating_keeps_its_gradient():
  extreme = jnp.array([-200.0, 200.0])
  for kind in gm.LOSSES:
    assert jnp.isfinite(gm.discriminator_loss(kind, extreme, extreme))
    assert jnp.all(jnp.isfinite(jax.grad(lambda f, k=kind: gm.generator_loss(k, f))(extreme)))
  # When D confidently rejects a sample (logit -10), the minimax generator loss saturates
  # (gradient ~ sigmoid(-10) ~ 5e-5) while the non-saturating one does not (~ 1).
  rejected = jnp.array([-10.0])
  g_mm = jax.grad(lambda f: gm.generator_loss('minimax', f))(rejected)
  g_ns = jax.grad(lambda f: gm.generator_loss('non_saturating', f))(rejected)
  assert abs(float(g_mm[0])) < 1e-4 and abs(float(g_ns[0])) > 0.99


def test_unknown_loss_is_a_value_error():
  with pytest.raises(ValueError, match='Unknown GAN loss'):
    gm.generator_loss('wasserstein', jnp.zeros(2))
  with pytest.raises(ValueError, match='grid'):
    gm.jensen_shannon(np.zeros((2, 2)), np.zeros(4), np.zeros(4))


def test_jsd_limits():
  p, _ = _densities(GRID)
  assert abs(gm.jensen_shannon(GRID, p, p)) < 1e-10
  far = stats.norm.pdf(GRID, 7.0, 0.1)  # disjoint supports: JSD = log 2
  near = stats.norm.pdf(GRID, -7.0, 0.1)
  np.testing.assert_allclose(gm.jensen_shannon(GRID, near, far), math.log(2), rtol=1e-6)
  # Theorem 1: the value at D* is -log 4 exactly when p_g = p_data.
  np.testing.assert_allclose(gm.value_integral(GRID, p, p, np.zeros_like(GRID)),
                             -math.log(4), rtol=1e-8)


def test_optimal_value_is_minus_log4_plus_twice_jsd():
  p_data, p_g = _densities(GRID)
  jsd = gm.jensen_shannon(GRID, p_data, p_g)
  assert 0.1 < jsd < math.log(2)
  v_quadrature = gm.value_integral(GRID, p_data, p_g, _optimal_logit(GRID))
  np.testing.assert_allclose(v_quadrature, gm.optimal_value(jsd), atol=1e-6)
  # The same value by Monte Carlo from D*'s logit (the log density ratio) on samples.
  rng = np.random.default_rng(0)
  xr, xf = rng.standard_normal(400_000), MU_G + SIGMA_G * rng.standard_normal(400_000)
  v_mc = float(gm.value_function(jnp.asarray(_optimal_logit(xr)),
                                 jnp.asarray(_optimal_logit(xf))))
  np.testing.assert_allclose(v_mc, gm.optimal_value(jsd), atol=5e-3)
  # D* in probability space is the same function.
  np.testing.assert_allclose(gm.optimal_discriminator(p_data, p_g),
                             special.expit(_optimal_logit(GRID)), atol=1e-12)
  # Any other discriminator does worse (D* maximises V for fixed G).
  for other in (np.zeros_like(GRID), _optimal_logit(GRID) + 0.3, 0.8 * _optimal_logit(GRID)):
    assert gm.value_integral(GRID, p_data, p_g, other) < v_quadrature - 1e-3


@pytest.fixture(scope='module')
def trained_discriminator():
  """An MLP discriminator trained by the minimax D loss against the fixed generator."""
  disc = toy.MLPDiscriminator(hidden=(32, 32))
  params = disc.init(jax.random.key(0), jnp.zeros((1, 1)))['params']
  tx = optax.adam(3e-3)

  def step(carry, key):
    params, opt = carry
    kr, kf = jax.random.split(key)
    xr = jax.random.normal(kr, (512, 1))
    xf = MU_G + SIGMA_G * jax.random.normal(kf, (512, 1))     # G(z), G fixed
    loss_fn = lambda p: gm.discriminator_loss('minimax', disc.apply({'params': p}, xr),
                                              disc.apply({'params': p}, xf))
    grads = jax.grad(loss_fn)(params)
    updates, opt = tx.update(grads, opt, params)
    return (optax.apply_updates(params, updates), opt), None

  keys = jax.random.split(jax.random.key(1), 3000)
  (params, _), _ = jax.jit(lambda c: jax.lax.scan(step, c, keys))((params, tx.init(params)))
  return lambda x: np.asarray(
      disc.apply({'params': params}, jnp.asarray(x, jnp.float32)[:, None]), np.float64)


def test_trained_discriminator_approaches_the_closed_form_optimum(trained_discriminator):
  x = np.linspace(-2.5, 3.0, 221)   # where both densities have mass
  p_data, p_g = _densities(x)
  d = jax.nn.sigmoid(trained_discriminator(x))
  err = np.abs(d - gm.optimal_discriminator(p_data, p_g))
  assert err.max() < 0.06, err.max()
  assert err.mean() < 0.02, err.mean()
  # Its value is close to (and, up to quadrature error, below) the optimum.
  grid = np.linspace(-6.0, 6.0, 4001)
  p_data, p_g = _densities(grid)
  v_trained = gm.value_integral(grid, p_data, p_g, trained_discriminator(grid))
  v_star = gm.optimal_value(gm.jensen_shannon(grid, p_data, p_g))
  assert v_star - 5e-3 < v_trained <= v_star + 1e-6, (v_trained, v_star)
