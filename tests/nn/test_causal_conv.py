"""Causal dilated convolutions: the formula, exact causality, receptive field, ring buffers."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from jaxgen import testing
from jaxgen.nn import causal_conv


def _reference(x, kernel, bias, dilation):
  """y_t = b + sum_j W_j^T x_{t-(k-1-j)d}, zeros before the start (numpy, float64)."""
  x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
  k = kernel.shape[0]
  y = np.zeros(x.shape[:2] + (kernel.shape[2],)) + np.asarray(bias)
  for t in range(x.shape[1]):
    for j in range(k):
      s = t - (k - 1 - j) * dilation
      if s >= 0:
        y[:, t] += x[:, s] @ kernel[j]
  return y


@pytest.mark.parametrize('kernel_size,dilation', [(2, 1), (2, 4), (3, 2)])
def test_causal_conv_matches_formula(kernel_size, dilation):
  x = jax.random.normal(jax.random.key(0), (2, 13, 3))
  layer = causal_conv.CausalConv1D(5, kernel_size, dilation)
  shapes = jax.eval_shape(layer.init, jax.random.key(1), x)
  params = jax.tree.map(lambda p: np.random.default_rng(2).standard_normal(p.shape), shapes)
  y = jax.jit(layer.apply)(params, x)
  conv = params['params']['conv']
  np.testing.assert_allclose(y, _reference(x, conv['kernel'], conv['bias'], dilation),
                             rtol=1e-5, atol=1e-5)


def test_stack_is_exactly_causal_with_the_formula_receptive_field():
  dilations = (1, 2, 4, 8)
  t = 40

  def stack(params, x):
    h = x
    for layer, p in zip(layers, params):
      h = jnp.tanh(layer.apply(p, h))
    return h

  layers = [causal_conv.CausalConv1D(2, 2, d) for d in dilations]
  x = jax.random.normal(jax.random.key(0), (1, t, 2))
  rng = np.random.default_rng(0)
  params = [jax.tree.map(lambda p: rng.standard_normal(p.shape),
                         jax.eval_shape(layer.init, jax.random.key(0), x)) for layer in layers]
  r = causal_conv.receptive_field(dilations, 2)
  assert r == 16
  # Every output (t, channel) sees inputs t - r + 1..t exactly: never the future.
  testing.assert_causal_in_time(stack, x, receptive_field=r, param_draws=[params], num_draws=1)


def test_receptive_field_and_dilation_schedule():
  assert causal_conv.wavenet_dilations(2, 3) == (1, 2, 4, 1, 2, 4)
  assert causal_conv.receptive_field(causal_conv.wavenet_dilations(1, 10)) == 1024
  assert causal_conv.receptive_field((1, 2), kernel_size=3) == 7
  with pytest.raises(ValueError, match='positive'):
    causal_conv.receptive_field((0, 1))


@pytest.mark.parametrize('kernel_size,dilation', [(2, 1), (2, 8), (3, 3)])
def test_ring_buffer_steps_equal_the_full_convolution(kernel_size, dilation):
  batch, t, c = 2, 30, 3
  x = jax.random.normal(jax.random.key(0), (batch, t, c))
  layer = causal_conv.CausalConv1D(4, kernel_size, dilation)
  params = jax.tree.map(lambda p: np.random.default_rng(1).standard_normal(p.shape),
                        jax.eval_shape(layer.init, jax.random.key(1), x))
  kernel, bias = params['params']['conv']['kernel'], params['params']['conv']['bias']

  def step(queue, inp):
    s, x_t = inp
    queue, taps = causal_conv.queue_push_taps(queue, s, x_t, dilation)
    return queue, causal_conv.causal_conv_step(kernel, bias, taps)

  queue = causal_conv.queue_init(batch, c, dilation, kernel_size)
  assert queue.shape == ((kernel_size - 1) * dilation + 1, batch, c)
  steps = jax.jit(lambda q: jnp.swapaxes(
      lax.scan(step, q, (jnp.arange(t), jnp.swapaxes(x, 0, 1)))[1], 0, 1))
  testing.assert_same_samples(steps, lambda q: jax.jit(layer.apply)(params, x), queue,
                              rtol=1e-5, atol=1e-5)


def test_bad_inputs_raise_value_errors():
  with pytest.raises(ValueError, match='batch, time, channels'):
    causal_conv.CausalConv1D(2).init(jax.random.key(0), jnp.zeros((4, 3)))
  with pytest.raises(ValueError, match='slots'):
    causal_conv.queue_push_taps(jnp.zeros((4, 1, 2)), 0, jnp.zeros((1, 2)), 2)
