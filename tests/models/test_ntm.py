"""The Neural Turing Machine's addressing on hand-computed cases, its write order, its
gradients from an all-zero memory, and the cell under nn.RNN against a Python loop."""
import math

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen.models import ntm


def test_content_weights_by_hand():
  memory = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
  key = jnp.array([2.0, 0.0])                        # cosines 1, 0, 1/sqrt(2)
  w = ntm.content_weights(memory, key, jnp.array(3.0))
  e = np.exp(3.0 * np.array([1.0, 0.0, 1 / math.sqrt(2)]))
  np.testing.assert_allclose(w, e / e.sum(), rtol=1e-5)
  # beta = 0 is uniform whatever the key
  np.testing.assert_allclose(ntm.content_weights(memory, key, jnp.array(0.0)),
                             np.full(3, 1 / 3), rtol=1e-6)


def test_interpolation_by_hand():
  wc, wp = jnp.array([1.0, 0.0, 0.0]), jnp.array([0.0, 0.5, 0.5])
  np.testing.assert_allclose(ntm.interpolate(wc, wp, jnp.array(0.25)), [0.25, 0.375, 0.375])
  np.testing.assert_allclose(ntm.interpolate(wc, wp, jnp.array(1.0)), wc)
  np.testing.assert_allclose(ntm.interpolate(wc, wp, jnp.array(0.0)), wp)


def test_shift_direction_and_wraparound():
  n = 5
  plus_one = jnp.array([0.0, 0.0, 1.0])              # offsets -1, 0, +1
  minus_one = jnp.array([1.0, 0.0, 0.0])
  for k in range(n):
    w = jax.nn.one_hot(k, n)
    np.testing.assert_allclose(ntm.circular_shift(w, plus_one), jax.nn.one_hot((k + 1) % n, n))
    np.testing.assert_allclose(ntm.circular_shift(w, minus_one), jax.nn.one_hot((k - 1) % n, n))
  # eq. 8 by hand: w~(i) = sum_j w(j) s(i - j), s's index 0, 1, 2 holding offsets -1, 0, +1
  w = jnp.array([0.1, 0.2, 0.3, 0.4, 0.0])
  s = jnp.array([0.2, 0.5, 0.3])
  index = {n - 1: 0, 0: 1, 1: 2}
  expect = [sum(float(w[j]) * float(s[index[(i - j) % n]]) for j in range(n)
                if (i - j) % n in index) for i in range(n)]
  np.testing.assert_allclose(ntm.circular_shift(w, s), expect, rtol=1e-6)
  with pytest.raises(ValueError, match='odd number of offsets'):
    ntm.circular_shift(w, jnp.ones(4) / 4)


def test_sharpening():
  w = jnp.array([0.1, 0.2, 0.7])
  np.testing.assert_allclose(ntm.sharpen(w, jnp.array(1.0)), w, rtol=1e-6)   # identity
  p = np.array([0.1, 0.2, 0.7]) ** 2
  np.testing.assert_allclose(ntm.sharpen(w, jnp.array(2.0)), p / p.sum(), rtol=1e-5)


def test_erase_then_add_with_two_heads():
  memory = jnp.array([[1.0, 2.0], [3.0, 4.0]])
  weights = jnp.array([[1.0, 0.0], [1.0, 0.0]])        # both heads on location 0
  erase = jnp.array([[0.0, 0.0], [1.0, 0.0]])          # head 1 erases component 0
  add = jnp.array([[5.0, 0.0], [0.0, 0.0]])            # head 0 adds 5 to it
  # head by head (head 0 adds, then head 1 erases) would leave 0; erases first leave 5
  np.testing.assert_allclose(ntm.write(memory, weights, erase, add), [[5.0, 2.0], [3.0, 4.0]])
  # partial weights: M(i) (1 - w0 e0)(1 - w1 e1) + w0 a0 + w1 a1
  weights = jnp.array([[0.5, 0.5], [0.25, 0.75]])
  erase = jnp.array([[0.5, 1.0], [1.0, 0.0]])
  add = jnp.array([[1.0, -1.0], [2.0, 0.5]])
  expect = np.zeros((2, 2))
  for i in range(2):
    for c in range(2):
      keep = np.prod([1 - weights[h, i] * erase[h, c] for h in range(2)])
      expect[i, c] = memory[i, c] * keep + sum(weights[h, i] * add[h, c] for h in range(2))
  np.testing.assert_allclose(ntm.write(memory, weights, erase, add), expect, rtol=1e-6)


def test_read_by_hand():
  memory = jnp.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
  np.testing.assert_allclose(ntm.read(memory, jnp.array([0.5, 0.5, 0.0])), [2.0, 3.0])


def test_gradients_finite_from_zero_memory():
  def loss(args):
    key, beta, gate, shift, gamma = args
    memory = jnp.zeros((4, 3))
    w = ntm.address(memory, jax.nn.one_hot(0, 4), key, beta, gate, jax.nn.softmax(shift),
                    gamma)
    return jnp.sum(ntm.read(memory + w[:, None], w) ** 2) + jnp.sum(w ** 3)
  args = (jnp.zeros(3), jnp.array(1.0), jnp.array(0.5), jnp.zeros(3), jnp.array(1.5))
  grads = jax.jit(jax.grad(loss))(args)
  chex.assert_tree_all_finite(grads)
  # and the whole cell, from the constant initial memory and from all-zero memory
  cell = ntm.NTMCell(memory_size=6, memory_width=4, controller_features=8, num_read_heads=2,
                     num_write_heads=2)
  x = jnp.ones((2, 3))
  carry = cell.initialize_carry(jax.random.key(0), x.shape)
  params = cell.init(jax.random.key(1), carry, x)
  grad = jax.jit(jax.grad(lambda p, c: jnp.sum(cell.apply(p, c, x)[1] ** 2)))
  for memory in (carry['memory'], jnp.zeros_like(carry['memory'])):
    chex.assert_tree_all_finite(grad(params, dict(carry, memory=memory)))


@pytest.mark.parametrize('controller', ['lstm', 'feedforward'])
def test_cell_under_nn_rnn_equals_a_python_loop(controller):
  cell = ntm.NTMCell(memory_size=8, memory_width=5, controller_features=12,
                     controller=controller, num_read_heads=2, num_write_heads=1)
  xs = jax.random.normal(jax.random.key(2), (3, 7, 4))
  rnn = nn.RNN(cell, return_carry=True)
  variables = rnn.init(jax.random.key(3), xs)
  final, ys = rnn.apply(variables, xs)
  carry = cell.initialize_carry(jax.random.key(0), xs[:, 0].shape)
  outs = []
  step = jax.jit(cell.apply)   # the same cell, one compiled step called from Python
  for t in range(xs.shape[1]):
    carry, y = step({'params': variables['params']['cell']}, carry, xs[:, t])
    outs.append(y)
  np.testing.assert_allclose(ys, jnp.stack(outs, 1), rtol=1e-5, atol=1e-6)
  chex.assert_trees_all_close(final, carry, rtol=1e-5, atol=1e-6)
  assert ys.shape == (3, 7, 12 + 2 * 5)
  # each step's weightings are distributions over the memory locations
  np.testing.assert_allclose(jnp.sum(final['read_weights'], -1), 1.0, rtol=1e-5)
  np.testing.assert_allclose(jnp.sum(final['write_weights'], -1), 1.0, rtol=1e-5)


def test_cell_rejects_bad_sizes():
  with pytest.raises(ValueError, match='Unknown controller'):
    ntm.NTMCell(controller='gru').initialize_carry(jax.random.key(0), (1, 3))
  with pytest.raises(ValueError, match='needs at least 5 memory locations'):
    ntm.NTMCell(memory_size=4, shift_range=2).initialize_carry(jax.random.key(0), (1, 3))


def test_ntm_module_is_the_cell_under_nn_rnn_then_a_dense():
  net = ntm.NTM(out_features=3, memory_size=8, memory_width=4, controller_features=10)
  xs = jax.random.normal(jax.random.key(4), (2, 6, 5))
  params = net.init(jax.random.key(5), xs)['params']
  logits, read_w, write_w = net.apply({'params': params}, xs, return_weights=True)
  cell = ntm.NTMCell(memory_size=8, memory_width=4, controller_features=10)
  final, h = nn.RNN(cell, return_carry=True).apply({'params': {'cell': params['cell']}}, xs)
  out = params['output']
  np.testing.assert_allclose(logits, h @ out['kernel'] + out['bias'], rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(read_w[:, -1], final['read_weights'], rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(write_w[:, -1], final['write_weights'], rtol=1e-5, atol=1e-6)
  assert read_w.shape == (2, 6, 1, 8)
