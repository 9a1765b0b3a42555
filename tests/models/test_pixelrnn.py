"""PixelRNN (Row LSTM, Diagonal BiLSTM): skewing, exact causality, the receptive fields,
plain == cached sampling, and learning on real binarized MNIST."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen import data, testing
from jaxgen.models import pixel
from jaxgen.models.pixel import configs as pixel_configs
from jaxgen.nn import outputs
from jaxgen.nn import pixel_lstm
from param_draws import random_params

LEVELS = 4


def make_task(kind, shape=(5, 6, 1), output='softmax', num_levels=LEVELS, **model):
  config = pixel_configs.pixel_config('mnist5k', num_levels, tiny=True)
  config.model.update(dict(arch=kind, output=output, num_mixtures=2,
                           features=12, num_layers=2, output_features=48))
  config.model.update(model)
  x = jax.random.randint(jax.random.key(1), (2,) + tuple(shape), 0, num_levels)
  task = pixel.make_task(config, {'features': data.features_of({'image': np.asarray(x)})})
  return task, random_params(task, {'image': x}), x


def dependencies(task, params, x):
  """nonzero[(i, j, c) out, (i', j', c') in] of the first image's outputs (see test_pixelcnn)."""
  h, w, c = task.image_shape
  r = jax.random.normal(jax.random.key(2), (h, w, task.output.num_params))

  def f(v):
    out = task.apply(params, v)[0] * r
    if isinstance(task.output, outputs.PixelCategorical):
      return out.reshape(h, w, c, -1).sum(-1)
    return jnp.broadcast_to(out.sum(-1)[..., None], (h, w, c))

  jac = jax.jit(jax.jacrev(f))(outputs.to_unit(x, task.num_levels))[:, :, :, 0]
  return np.abs(np.asarray(jac)).reshape(h * w * c, h * w * c) > 0


def earlier(task):
  h, w, c = task.image_shape
  rank = np.arange(h * w * c)
  if isinstance(task.output, outputs.PixelLogisticMixture):
    rank = rank // c
  return rank[None, :] < rank[:, None]


def test_skew_shifts_row_i_right_by_i_and_unskew_inverts_it():
  x = jnp.arange(2 * 3 * 4 * 1, dtype=jnp.float32).reshape(2, 3, 4, 1) + 1
  s = pixel_lstm.skew(x)
  assert s.shape == (2, 3, 6, 1)
  for i in range(3):
    np.testing.assert_array_equal(s[:, i, i:i + 4], x[:, i])
    assert float(jnp.abs(s[:, i, :i]).sum() + jnp.abs(s[:, i, i + 4:]).sum()) == 0.0
  np.testing.assert_array_equal(pixel_lstm.unskew(s, 4), x)


# Greyscale causality is checked by the receptive-field test.
CASES = {
    'row_rgb': dict(kind='row_lstm', shape=(4, 5, 3)),
    'diagonal_rgb': dict(kind='diagonal_bilstm', shape=(4, 5, 3)),
    'diagonal_rgb_logistic': dict(kind='diagonal_bilstm', shape=(4, 5, 3),
                                  output='logistic_mixture'),
}


@pytest.fixture(scope='module', params=sorted(CASES))
def case(request):
  return (request.param,) + make_task(**CASES[request.param])


def test_jacobian_is_exactly_causal(case):
  """d logits(i, c) / d x(i', c') == 0 for every input at or after (i, c) (raster, then R G B)."""
  name, task, params, x = case
  h, w, c = task.image_shape
  r = jax.random.normal(jax.random.key(2), (h, w, task.output.num_params))
  per_channel = isinstance(task.output, outputs.PixelCategorical)

  def f(v):      # [1, h, w, c] -> per output channel, [1, h, w, c]
    out = task.apply(params, v) * r
    if per_channel:
      return out.reshape(1, h, w, c, -1).sum(-1)
    return jnp.broadcast_to(out.sum(-1)[..., None], (1, h, w, c))

  dep = testing.assert_raster_causal(f, outputs.to_unit(x[:1], task.num_levels),
                                     num_groups=c if per_channel else 1)
  if c == 3 and per_channel:
    np.testing.assert_array_equal(dep.reshape(h * w * c, -1)[:3, :3],
                                  [[0, 0, 0], [1, 0, 0], [1, 1, 0]], err_msg=name)


def test_receptive_fields_row_triangle_and_diagonal_full_context():
  """Row LSTM (section 3.1): a triangle, so (i-1, W-1) is out of reach of (i, 0).
  Diagonal BiLSTM (section 3.2): every earlier pixel except one: the last pixel of the row
  above is reached only through the 7x7 mask-A input convolution (k0 // 2 = 3 columns), since
  no layer input carries the value of its own pixel; the rest of the context is complete."""
  h, w = 5, 6
  dep = {}
  for kind in ('row_lstm', 'diagonal_bilstm'):
    task, params, x = make_task(kind, shape=(h, w, 1))
    dep[kind] = dependencies(task, params, x)
    assert not np.any(dep[kind] & ~earlier(task)), kind
    dep[kind] = dep[kind].reshape(h, w, h, w)
  assert dep['row_lstm'][2, 0, 1, w - 1] == 0 and dep['row_lstm'][2, 0, 1, 1]
  allowed = earlier(task).reshape(h, w, h, w)
  gap = np.zeros_like(allowed)
  for i in range(1, h):
    gap[i, :w - 1 - 3, i - 1, w - 1] = True
  np.testing.assert_array_equal(dep['diagonal_bilstm'], allowed & ~gap)


def test_cached_sampler_draws_the_same_samples_as_the_plain_one(case):
  name, task, params, _ = case
  draw = lambda sampler: lambda key: task.sample_levels(params, key, 2, sampler=sampler)
  cached = testing.assert_same_samples(draw('cached'), draw('plain'), jax.random.key(5))
  assert cached.min() >= 0 and cached.max() < task.num_levels
  other = task.sample_levels(params, jax.random.key(6), 2, sampler='cached')
  assert np.any(np.asarray(other) != np.asarray(cached))


def test_bad_configs_raise_clear_errors():
  with pytest.raises(ValueError, match='arch'):
    make_task('grid_lstm')
  with pytest.raises(ValueError, match='unconditional'):
    make_task('row_lstm', num_classes=10)
  with pytest.raises(ValueError, match='odd'):
    make_task('row_lstm', kernel_size=4)


@pytest.mark.learning
@pytest.mark.parametrize('experiment', ['pixelrnn_mnist:tiny', 'pixelrnn_mnist:tiny,row'])
def test_tiny_config_learns_binarized_mnist(experiment, tmp_path):
  """The tiny Diagonal BiLSTM and Row LSTM (100 steps) reach < 125 nats (0.23 bits/dim) on
  the 1,000 held-out mnist5k digits (independent Bernoulli pixels: 207 nats; the paper's 7-layer
  Diagonal BiLSTM: 79.2 nats with 12x the data)."""
  from jaxgen import experiments, train  # pylint: disable=g-import-not-at-top
  config = experiments.get_config(experiment)
  config.progress = False
  final = experiments.train_and_evaluate(config, str(tmp_path))
  assert final['eval/nll'] < 125.0, final
  np.testing.assert_allclose(final['eval/bits_per_dim'],
                             final['eval/nll'] / (784 * math.log(2)), rtol=1e-5)
  assert (tmp_path / 'samples' / 'final.png').exists()
