"""The helpers around the bijectors: masks, data-dependent init, dequantization noise, and the
ValueErrors a user gets for bad inputs. Also runs the package docstring's no-Flax example."""
import distrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen import bijectors as bj


def test_masks():
  np.testing.assert_array_equal(bj.alternating_mask(5, 0), [1, 0, 1, 0, 1])
  board = bj.checkerboard_mask((2, 3, 2), 1)
  np.testing.assert_array_equal(board[..., 0], [[0, 1, 0], [1, 0, 1]])
  assert np.all(board[..., 0] == board[..., 1])
  np.testing.assert_array_equal(bj.channel_mask((1, 1, 4), 1)[0, 0], [0, 0, 1, 1])
  with pytest.raises(ValueError, match='image shape'):
    bj.checkerboard_mask((4, 4))


def test_actnorm_data_init_standardizes_each_channel():
  x = 3.0 + 2.0 * jax.random.normal(jax.random.key(0), (32, 4, 4, 3)) * jnp.arange(1, 4)
  u = bj.ActNorm(*bj.actnorm_init(x)).inverse(x)
  np.testing.assert_allclose(jnp.mean(u, (0, 1, 2)), 0.0, atol=1e-4)
  np.testing.assert_allclose(jnp.std(u, (0, 1, 2)), 1.0, atol=1e-3)


def test_uniform_dequantization_noise_stays_in_its_bin():
  k = np.arange(256, dtype=np.uint8).reshape(16, 16)
  v = bj.uniform_noise(jax.random.key(0), k)
  assert bool(jnp.all((v >= k) & (v < k.astype(np.float32) + 1)))
  # The rescaling's log-det is -D log 256 for D = 256 elements.
  np.testing.assert_allclose(bj.Dequantize(8, event_ndims=2).forward_log_det_jacobian(v),
                             -256 * np.log(256.0), rtol=1e-6)


def test_bad_inputs_raise_value_errors():
  cond = lambda x: jnp.zeros(x.shape[:-1] + (3,))          # 3 is not 2 x 4
  with pytest.raises(ValueError, match='last axis of 3'):
    bj.AffineCoupling(bj.alternating_mask(4), cond).forward(jnp.ones(4))
  with pytest.raises(ValueError, match='boolean'):
    bj.AffineCoupling(np.ones(4), cond)
  with pytest.raises(ValueError, match='callable'):
    bj.MAF(conditioner=3)
  with pytest.raises(ValueError, match='divisible by 2'):
    bj.Squeeze().forward(jnp.ones((3, 4, 1)))
  with pytest.raises(ValueError, match='permutation'):
    bj.Permute([0, 0, 1])
  with pytest.raises(ValueError, match='scale_activation'):
    bj.Affine('softplus')
  with pytest.raises(ValueError, match='direction'):
    bj.MaskedAutoregressive(cond, direction='forward')
  with pytest.raises(ValueError, match='alpha'):
    bj.Logit(0.5)
  level = distrax.Chain([distrax.Inverse(bj.Squeeze())])
  ms = bj.MultiScale(level, (4, 4, 1), latent_shape=(2, 2, 4))
  with pytest.raises(ValueError, match='built for images of shape'):
    ms.inverse(jnp.ones((4, 2, 1)))


def test_package_docstring_example_runs_without_flax():
  namespace = {}
  doc = bj.__doc__
  code = doc[doc.index('  import distrax'):].split('\n')
  exec('\n'.join(line[2:] for line in code), namespace)  # pylint: disable=exec-used
  key = jax.random.key(0)
  params = [dict(w1=jax.random.normal(jax.random.fold_in(key, i), (2, 8)),
                 w2=0.1 * jax.random.normal(jax.random.fold_in(key, 9 + i), (8, 4)))
            for i in range(3)]
  lp = namespace['log_prob'](params, jnp.ones((5, 2)))
  assert lp.shape == (5,) and bool(jnp.all(jnp.isfinite(lp)))
