"""The discretised mixture of logistics: exact bin probabilities, normalisation, sampling."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import expit, softmax

from jaxgen.nn import logistic_mixture as lm

log_prob = jax.jit(lm.log_prob, static_argnames=('num_bins', 'log_scale_min'))
sample_from_uniforms = jax.jit(lm.sample_from_uniforms, static_argnames=(
    'num_bins', 'temperature', 'log_scale_min'))


def _params(key, shape, k, scale_range=(-4.0, 0.0)):
  a, b, c = jax.random.split(key, 3)
  return (jax.random.normal(a, shape + (k,)), jax.random.uniform(b, shape + (k,), minval=-1.2,
                                                                  maxval=1.2),
          jax.random.uniform(c, shape + (k,), minval=scale_range[0], maxval=scale_range[1]))


def _reference_probs(logits, means, log_scales, num_bins):
  """P(every grid value) in float64 from the CDF differences of the definition."""
  logits, means = np.float64(logits), np.float64(means)
  s = np.exp(np.maximum(np.float64(log_scales), lm.LOG_SCALE_MIN))
  edges = np.concatenate([[-np.inf], -1 + (2 * np.arange(1, num_bins) - 1) / (num_bins - 1),
                          [np.inf]])
  cdf = expit((edges[:, None] - means) / s)                       # [bins + 1, K]
  return (np.diff(cdf, axis=0) * softmax(logits)).sum(-1)


@pytest.mark.parametrize('num_bins', [8, 256])
def test_log_prob_matches_cdf_differences_and_normalises(num_bins):
  logits, means, log_scales = _params(jax.random.key(0), (), 4)
  grid = jnp.linspace(-1, 1, num_bins)
  b = lambda a: jnp.broadcast_to(a, (num_bins,) + a.shape)
  logp = log_prob(grid, b(logits), b(means), b(log_scales), num_bins)
  ref = _reference_probs(logits, means, log_scales, num_bins)
  np.testing.assert_allclose(np.exp(logp), ref, rtol=2e-4, atol=1e-7)
  np.testing.assert_allclose(jnp.sum(jnp.exp(logp)), 1.0, atol=1e-5)


def test_tiny_bins_are_exact_and_gradients_finite():
  """65,536 bins with wide and narrow components: no cancellation, no NaN gradients."""
  num_bins = 65536
  x = jnp.array([-1.0, -0.5, 0.0, 0.3, 1.0, 1.0 - 2.0 / (num_bins - 1)])
  logits = jnp.zeros((6, 2))
  means = jnp.array([[0.0, 0.9]] * 6)
  log_scales = jnp.array([[3.0, -9.0]] * 6)       # huge and clipped-tiny scales
  logp = log_prob(x, logits, means, log_scales, num_bins)
  ref = _reference_probs(logits[0], means[0], log_scales[0], num_bins)
  idx = np.round((np.asarray(x) + 1) / 2 * (num_bins - 1)).astype(int)
  np.testing.assert_allclose(logp, np.log(ref[idx]), rtol=1e-4)
  grads = jax.jit(jax.grad(lambda *p: lm.log_prob(x, *p, num_bins=num_bins).sum(),
                           argnums=(0, 1, 2)))(logits, means, log_scales)
  assert all(bool(jnp.all(jnp.isfinite(g))) for g in grads)


def test_samples_follow_the_distribution():
  num_bins, n = 8, 40000
  logits, means, log_scales = _params(jax.random.key(1), (), 3, (-2.0, -0.5))
  b = lambda a: jnp.broadcast_to(a, (n,) + a.shape)
  x = jax.jit(lm.sample, static_argnums=4)(jax.random.key(2), b(logits), b(means),
                                           b(log_scales), num_bins)
  idx = np.round((np.asarray(x) + 1) / 2 * (num_bins - 1)).astype(int)
  np.testing.assert_allclose(np.asarray(x), -1 + 2 * idx / (num_bins - 1), atol=1e-6)  # on grid
  freq = np.bincount(idx, minlength=num_bins) / n
  probs = _reference_probs(logits, means, log_scales, num_bins)
  assert np.max(np.abs(freq - probs) / np.sqrt(probs * (1 - probs) / n + 1e-12)) < 5.0


def test_temperature_and_uniform_driven_sampling():
  logits, means, log_scales = _params(jax.random.key(3), (5,), 3)
  u = jax.random.uniform(jax.random.key(4), (2, 5))
  a = sample_from_uniforms(u[0], u[1], logits, means, log_scales, 256)
  b = lm.sample_from_uniforms(u[0], u[1], logits, means, log_scales, 256)
  np.testing.assert_array_equal(a, b)
  cold = sample_from_uniforms(u[0], u[1], logits, means, log_scales, 65536, temperature=1e-6)
  best = jnp.take_along_axis(means, jnp.argmax(logits, -1)[:, None], -1)[:, 0]
  np.testing.assert_allclose(cold, jnp.clip(best, -1, 1), atol=1e-3)
  with pytest.raises(ValueError, match='temperature'):
    lm.sample_from_uniforms(u[0], u[1], logits, means, log_scales, 256, temperature=0.0)


def test_packed_params_distrax_distribution_and_errors():
  params = jax.random.normal(jax.random.key(5), (4, 7, 12))

  @jax.jit
  def run(params, key):
    dist = lm.DiscretizedLogisticMixture.from_params(params, num_bins=256)
    x = dist.sample(seed=key)
    return x, dist.log_prob(x), lm.log_prob(x, *lm.split_params(params, 4), 256)

  dist = lm.DiscretizedLogisticMixture.from_params(params, num_bins=256)
  assert dist.batch_shape == (4, 7) and dist.event_shape == ()
  x, logp_dist, logp = run(params, jax.random.key(6))
  assert x.shape == (4, 7)
  np.testing.assert_allclose(logp_dist, logp)
  assert lm.split_params(params, 4)[0].shape == (4, 7, 4)
  with pytest.raises(ValueError, match='3K'):
    lm.split_params(jnp.zeros((3, 10)))
  with pytest.raises(ValueError, match='num_mixtures'):
    lm.split_params(jnp.zeros((3, 9)), 2)
  with pytest.raises(ValueError, match='one shape'):
    lm.log_prob(jnp.zeros(3), jnp.zeros((3, 2)), jnp.zeros((3, 2)), jnp.zeros((3, 3)))
