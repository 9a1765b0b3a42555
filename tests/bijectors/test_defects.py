"""Defects 2 to 6 of issue 19, found by cross-checking jaxgen.bijectors against its peers.

Dequantize's log-det for integer pixels, Conv1x1LU's fixed factors, and the clear ValueErrors
(naming the shapes) for a wrong channel count, a latent of the wrong size and an event
narrower than a coupling's mask.
"""
import math

import distrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen import bijectors as bj

PIXELS = [0, 60, 120, 180]


@pytest.mark.parametrize('dtype', [jnp.uint8, jnp.int32, jnp.float32])
def test_dequantize_log_det_is_the_same_float_for_integer_and_float_pixels(dtype):
  v = jnp.array(PIXELS, dtype)
  expected = -len(PIXELS) * 8 * math.log(2.0)          # -22.18
  deq = bj.Dequantize(8, 1)
  for ld in (deq.forward_log_det_jacobian(v), -deq.inverse_log_det_jacobian(v),
             deq.forward_and_log_det(v)[1]):
    assert ld.dtype == jnp.float32, ld.dtype
    np.testing.assert_allclose(ld, expected, rtol=1e-6)
  # Through a sampling-direction flow, integer pixels score like the same pixels as floats.
  flow = distrax.Transformed(distrax.MultivariateNormalDiag(jnp.zeros(len(PIXELS))),
                             distrax.Inverse(bj.Dequantize(8, 1)))
  lp, lp_float = flow.log_prob(v), flow.log_prob(jnp.array(PIXELS, jnp.float32))
  assert lp.dtype == jnp.float32
  np.testing.assert_allclose(lp, lp_float, rtol=1e-6)
  np.testing.assert_allclose(lp_float, -26.24, atol=5e-3)     # the float figure


def _lu(channels=3):
  return bj.lu_params(bj.random_rotation(jax.random.PRNGKey(0), channels))


@pytest.mark.parametrize('sign', [[1.0, 0.0, -1.0], [1.0, 2.0, 1.0], [0.5, -1.0, 1.0]])
def test_conv1x1_lu_refuses_a_sign_that_is_not_plus_or_minus_one(sign):
  params = dict(_lu(), sign=jnp.array(sign))
  with pytest.raises(ValueError, match='sign'):
    bj.Conv1x1LU(**params)


@pytest.mark.parametrize('permutation', [2.0 * np.eye(3), np.ones((3, 3)),
                                         np.array([[1., 0, 0], [1, 0, 0], [0, 0, 1]]),
                                         np.array([[0.5, 0.5, 0], [0.5, 0.5, 0], [0, 0, 1]])],
                         ids=['2eye', 'ones', 'repeated_row', 'doubly_stochastic'])
def test_conv1x1_lu_refuses_a_permutation_that_is_not_a_permutation_matrix(permutation):
  params = dict(_lu(), permutation=jnp.asarray(permutation))
  with pytest.raises(ValueError, match='permutation matrix'):
    bj.Conv1x1LU(**params)


def test_conv1x1_lu_accepts_valid_factors_concrete_and_traced():
  params = _lu(3)
  params['permutation'] = jnp.eye(3)[jnp.array([2, 0, 1])]
  x = jnp.ones((2, 2, 3))
  y = bj.Conv1x1LU(**params).forward(x)
  # Built under jit (traced factors, not checkable) it still runs and agrees.
  y_jit = jax.jit(lambda p: bj.Conv1x1LU(**p).forward(x))(params)
  np.testing.assert_allclose(y, y_jit, atol=1e-6)
  # The log-det is log|det W| with the validated factors.
  b = bj.Conv1x1LU(**params, event_ndims=1)
  np.testing.assert_allclose(b.forward_log_det_jacobian(jnp.ones(3)),
                             jnp.linalg.slogdet(b.weight)[1], atol=1e-5)


@pytest.mark.parametrize('make', [
    lambda: bj.Conv1x1(bj.random_rotation(jax.random.PRNGKey(0), 3)),
    lambda: bj.Conv1x1LU(**_lu(3))], ids=['conv1x1', 'conv1x1_lu'])
@pytest.mark.parametrize('method', ['forward', 'inverse', 'forward_and_log_det',
                                    'inverse_and_log_det'])
def test_conv1x1_wrong_channel_count_raises_a_clear_value_error(make, method):
  with pytest.raises(ValueError, match=r'3 channels; input has 4 \(shape \(2, 2, 4\)\)'):
    getattr(make(), method)(jnp.ones((2, 2, 4)))


def _two_scales():
  """[4, 4, 1] -> squeeze -> [2, 2, 4]: 8 dims out, [2, 2, 2] on -> [1, 1, 8]: 8 dims."""
  squeeze = lambda: distrax.Chain([distrax.Inverse(bj.Squeeze())])
  last = bj.MultiScale(squeeze(), (2, 2, 2))
  return bj.MultiScale(squeeze(), (4, 4, 1), next_level=last)


@pytest.mark.parametrize('make,size', [
    (lambda: bj.MultiScale(distrax.Chain([distrax.Inverse(bj.Squeeze())]), (4, 4, 1),
                           latent_shape=(2, 2, 4)), 16),
    (_two_scales, 16)], ids=['one_scale', 'two_scales'])
@pytest.mark.parametrize('delta', [-1, 1], ids=['short', 'long'])
def test_multiscale_latent_of_the_wrong_size_raises_a_clear_value_error(make, size, delta):
  ms = make()
  assert ms.latent_size() == size
  assert ms.forward(jnp.ones(size)).shape == (4, 4, 1)
  bad = size + delta
  with pytest.raises(ValueError, match=rf'latent of {size} dimensions.*shape \(2, {bad}\)'):
    ms.forward(jnp.ones((2, bad)))


def test_event_narrower_than_the_coupling_mask_names_the_mask_shape():
  cond = lambda x: jnp.zeros(x.shape[:-1] + (10,))
  cond_c = lambda x, c: jnp.zeros(x.shape[:-1] + (10,))
  for b in (bj.AffineCoupling(bj.alternating_mask(5), cond),
            bj.AdditiveCoupling(bj.alternating_mask(5), cond),
            bj.AffineCoupling(bj.alternating_mask(5), cond_c, context=jnp.ones(2))):
    for method in ('forward', 'inverse'):
      with pytest.raises(ValueError, match=r'mask of shape \(5,\).*event shape \(1,\)'):
        getattr(b, method)(jnp.ones((3, 1)))
  # An image mask against an input with the wrong number of channels.
  image = bj.AffineCoupling(bj.checkerboard_mask((4, 4, 2), 0),
                            lambda x: jnp.zeros(x.shape[:-1] + (6,)))
  with pytest.raises(ValueError, match=r'mask of shape \(4, 4, 2\).*event shape \(4, 4, 3\)'):
    image.forward(jnp.ones((4, 4, 3)))
  # A mask that broadcasts to the event (one channel shared by all) is still accepted.
  shared = bj.AffineCoupling(bj.checkerboard_mask((4, 4, 1), 0),
                             lambda x: jnp.zeros(x.shape[:-1] + (6,)), event_ndims=3)
  assert shared.forward(jnp.ones((2, 4, 4, 3))).shape == (2, 4, 4, 3)
