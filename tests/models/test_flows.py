"""NICE, RealNVP, Glow, MAF and IAF: the whole model's log-density against its Jacobian, exact
samplers (MAF's scan, IAF's one pass, the MADE-MoG base), scan == unrolled steps, the
paper's NICE parameter count, and learning on real data to stated thresholds."""
import math

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxgen import data, experiments, testing
from jaxgen.models import flows
from jaxgen.train.task import TrainState, init_opt_state

IMG = (4, 4, 1)
# Small versions of every model (the unconditional Glow and the affine MAF train in the
# learning tests below; here the class-conditional Glow and a spline MAF with the MoG base).
SMALL = {
    'nice': dict(arch='nice', hidden=(16,)),
    'realnvp': dict(arch='realnvp', num_scales=2, channels=4, num_blocks=1,
                    couplings_per_stage=1),
    'glow_conditional': dict(arch='glow', num_scales=2, depth=2, hidden=8, num_classes=3),
    'maf_spline_mog': dict(arch='maf', num_layers=2, hidden_sizes=(24,), transformer='spline',
                           base_density='mog', num_components=3),
}


def _config(model, **top):
  return ml_collections.ConfigDict(dict(model=model, optimizer=dict(name='adam',
                                                                    learning_rate=1e-3),
                                        num_steps=10, **top))


def _batch(n=8, seed=0):
  rng = np.random.default_rng(seed)
  return {'image': rng.integers(0, 256, (n,) + IMG).astype(np.uint8),
          'label': rng.integers(0, 3, n).astype(np.int32)}


def _make(config):
  """The flow task of `config` for the test images (`_batch`) as the data's info."""
  return flows.make_task(config, {'features': data.features_of(_batch())})


def _init(task, batch, key=None):
  """(params, extra) of a task, initialised under jit as the trainer does."""
  fn = jax.jit(lambda rng, b: (lambda v: (v.params, v.extra))(task.init(rng, b)))
  return fn(jax.random.key(0) if key is None else key, batch)


def _perturb(tree, key, scale=0.05):
  """Random (small) parameters, so that no layer is the identity of its initialisation."""
  leaves, treedef = jax.tree.flatten(tree)
  keys = jax.random.split(key, len(leaves))
  return treedef.unflatten([x + scale * jax.random.normal(k, x.shape, x.dtype)
                            for x, k in zip(leaves, keys)])


@pytest.fixture(scope='module', params=sorted(SMALL))
def small(request):
  task = _make(_config(SMALL[request.param]))
  batch = _batch()
  params, extra = _init(task, batch)
  params = _perturb(params, jax.random.key(1))
  context = None
  if task.num_classes:
    context = jax.nn.one_hot(batch['label'], task.num_classes)
  return request.param, task, params, extra, batch, context


def test_log_prob_is_change_of_variables_with_jacobian(small):
  """log p(v) == log base(z(v)) + log|det dz/dv|, the determinant from jax.jacfwd."""
  _, task, params, extra, batch, context = small
  model, variables = task.model, {'params': params, **extra}
  v, _ = task.inputs(batch, jax.random.key(2))
  v, c = v[:1], None if context is None else context[:1]

  @jax.jit
  def check(variables, v, c):
    def latent(u):
      return model.apply(variables, c, method=lambda m, c: m.bijector(c)).inverse(u)
    z = latent(v).reshape(1, -1)
    log_det = testing.jacobian_log_det(latent, v, event_ndims=v.ndim - 1)   # [1]
    base = model.apply(variables, z, c, method=lambda m, z, c: m.base(c).log_prob(z))
    return model.apply(variables, v, c, method='log_prob'), base + log_det

  lp, expected = check(variables, v, c)
  np.testing.assert_allclose(lp, expected, rtol=1e-4, atol=5e-2)
  # The task reports bits/dim of the same density in 8-bit pixel space.
  metrics = jax.jit(task.eval_step)(params, extra, batch, jax.random.key(2))
  np.testing.assert_allclose(metrics['bits_per_dim'], metrics['nll'] / (16 * math.log(2)),
                             rtol=1e-6)
  assert metrics['nll'].shape == (8,)


def test_sampling_pass_inverts_density_pass(small):
  """Latent -> data (sampling pass: MAF's scan, Glow's triangular solves) -> latent."""
  _, task, params, extra, batch, context = small
  model, variables = task.model, {'params': params, **extra}

  bijector = model.apply(variables, context, method=lambda m, c: m.bijector(c))
  z = 0.5 * jax.random.normal(jax.random.key(3), (8, 16))
  testing.assert_round_trip(bijector, z, atol=2e-3, rtol=1e-3)
  samples = task.sample(params, extra, jax.random.key(4), 6)
  assert samples.shape == (6,) + IMG
  assert bool(jnp.all((samples >= 0) & (samples <= 1)))


def test_mog_base_sampler_is_an_exact_autoregressive_sample():
  """The scan sampler of the MADE-MoG base reaches the fixed point u = m + s * eps."""
  task = _make(_config(SMALL['maf_spline_mog']))
  params, extra = _init(task, _batch())
  variables = {'params': _perturb(params, jax.random.key(1), 0.3), **extra}

  def fn(m, key):
    base = m.base()
    u = base.sample(seed=key, sample_shape=(5,))
    log_w, means, log_scales = base._components(u)
    return u, log_w, means, log_scales, base.log_prob(u)

  u, log_w, means, log_scales, lp = jax.jit(lambda v, k: task.model.apply(v, k, method=fn))(
      variables, jax.random.key(5))
  # Every coordinate is one of its own components' mean + scale * noise: z-scores of the
  # chosen component are the (finite) standard-normal noise; the log-density is finite.
  z = (u[..., None] - means) * jnp.exp(-log_scales)
  assert bool(jnp.all(jnp.isfinite(lp))) and u.shape == (5, 16)
  assert float(jnp.max(jnp.min(jnp.abs(z), -1))) < 6.0
  assert float(jnp.std(means)) > 0.0  # the perturbed MADE made the components differ


def test_maf_density_pass_is_one_pass_and_causal():
  """MAF's latent u_i depends on x_{<=i} only: the density pass is autoregressive."""
  task = _make(_config(dict(arch='maf', num_layers=1, hidden_sizes=(24,),
                                      batch_norm=False)))
  params, _ = _init(task, _batch())
  variables = {'params': _perturb(params, jax.random.key(1), 0.3)}
  latent = lambda x: task.model.apply(variables, method=lambda m: m.flow()).inverse(x)
  # One layer: u = permute(tau^-1(x)) with the reversal, so u_{15-i} depends on x_{<=i}.
  dep = testing.assert_autoregressive(latent, jax.random.normal(jax.random.key(2), (16,)),
                                      output_order=15 - np.arange(16), allow_same=True,
                                      method='fwd')
  assert np.count_nonzero(np.tril(dep[::-1], -1)) > 0


def test_iaf_one_pass_samples_invert_exactly():
  task = _make(_config(dict(arch='iaf', target='u1', num_layers=3, hidden_sizes=(16,))))
  params = _perturb(_init(task, {'x': np.zeros((8, 2))})[0], jax.random.key(1), 0.3)

  @jax.jit
  def run(params, key):
    z, log_q, eps = task.model.apply({'params': params}, key, 64, method='sample_and_log_prob')
    eps_back = task.model.apply({'params': params}, z, method='inverse')
    log_q_scan = task.model.apply({'params': params}, z, method='log_prob')
    return z, log_q, eps, eps_back, log_q_scan

  z, log_q, eps, eps_back, log_q_scan = run(params, jax.random.key(2))
  np.testing.assert_allclose(eps_back, eps, atol=1e-5)
  np.testing.assert_allclose(log_q_scan, log_q, atol=1e-4)
  assert float(jnp.std(z - eps)) > 0.01  # the flow is not the identity


def test_scan_equals_unrolled_steps():
  """nn.scan over stacked step parameters computes exactly the unrolled steps."""
  def make(scan):
    return _make(_config(dict(arch='maf', num_layers=2, hidden_sizes=(24,),
                                        batch_norm=False, scan=scan)))
  scanned, unrolled = make(True), make(False)
  batch = _batch()
  params = _perturb(_init(scanned, batch)[0], jax.random.key(1), 0.3)
  _init(unrolled, batch)
  stacked = params['steps']['steps']
  params_unrolled = {'steps': {f'step_{i}': jax.tree.map(lambda x: x[i], stacked)
                               for i in range(2)}}
  key = jax.random.key(2)
  a = jax.jit(scanned.eval_step)(params, {}, batch, key)['nll']
  b = jax.jit(unrolled.eval_step)(params_unrolled, {}, batch, key)['nll']
  np.testing.assert_allclose(a, b, rtol=1e-5)
  sa = scanned.sample(params, {}, jax.random.key(3), 4)
  sb = unrolled.sample(params_unrolled, {}, jax.random.key(3), 4)
  np.testing.assert_allclose(sa, sb, atol=1e-5)


def test_nice_parameter_count_matches_the_paper():
  """NICE on MNIST: 4 couplings of a 392 -> 5 x 1000 -> 392 ReLU MLP, plus 784 scales."""
  c = experiments.get_config('nice_mnist:paper')
  task = flows.make_task(c, data.load('mnist5k').info)
  batch = {'image': np.zeros((2, 28, 28, 1), np.uint8)}
  shapes = jax.eval_shape(lambda k, b: task.init(k, b).params, jax.random.key(0), batch)
  count = sum(math.prod(x.shape) for x in jax.tree.leaves(shapes))
  mlp = 392 * 1000 + 1000 + 4 * (1000 * 1000 + 1000) + 1000 * 392 + 392
  assert count == 4 * mlp + 784 == 19_158_352


def test_batch_norm_running_statistics_follow_the_data():
  """A training step moves the running moments by momentum toward the batch's moments."""
  from jaxgen import bijectors as bj  # pylint: disable=g-import-not-at-top
  task = _make(_config(dict(arch='maf', num_layers=1, hidden_sizes=(8,),
                                      bn_momentum=0.5)))
  batch = _batch()
  params, extra0 = _init(task, batch)
  _, (_, extra) = jax.jit(task.loss)(params, extra0, batch, jax.random.key(1))
  after = jax.tree.map(lambda a: a[0], extra['batch_stats']['steps']['steps']['batch_norm'])
  # At initialisation the MADE's output layer is zero, so the MAF layer is the identity and
  # batch norm sees the logit-space pixels of the step's dequantized batch.
  v, _ = task.inputs(batch, jax.random.key(1))
  x = bj.Logit(task.model.logit_alpha).forward(v / 256.0)
  np.testing.assert_allclose(after['mean'], 0.5 * jnp.mean(x, 0), rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(after['var'], 0.5 + 0.5 * jnp.var(x, 0), rtol=1e-4)


def test_conditional_glow_depends_on_the_label():
  task = _make(_config(SMALL['glow_conditional']))
  batch = _batch()
  params, extra = _init(task, batch)
  params = _perturb(params, jax.random.key(1))
  other = dict(batch, label=(batch['label'] + 1) % 3)
  evaluate = jax.jit(task.eval_step)
  a = evaluate(params, extra, batch, jax.random.key(2))['nll']
  b = evaluate(params, extra, other, jax.random.key(2))['nll']
  assert float(jnp.min(jnp.abs(a - b))) > 1e-4


def test_bad_configs_and_inputs_raise_value_errors():
  with pytest.raises(ValueError, match='arch'):
    _make(_config(dict(arch='planar')))
  with pytest.raises(ValueError, match='not a field of RealNVP'):
    _make(_config(dict(arch='realnvp', depth=3)))
  task = _make(_config(SMALL['realnvp']))
  with pytest.raises(ValueError, match='uint8'):
    task.init(jax.random.key(0), {'image': np.zeros((2,) + IMG, np.float32)})
  with pytest.raises(ValueError, match="'image'"):
    task.init(jax.random.key(0), {'pixels': np.zeros((2,) + IMG, np.uint8)})
  with pytest.raises(ValueError, match='Unknown target'):
    _make(_config(dict(arch='iaf', target='u9')))


# --------------------------------------------------------------------------- learning
def train_tiny(name: str, num_steps: int | None = None):
  """Trains experiment `name`'s tiny variant on one device; returns test-split metrics."""
  c = experiments.get_config(f'{name}:tiny' if ':' not in name else name)
  if num_steps:
    c.num_steps = num_steps
  train_data, test_data = data.make_batchers(c.data, c.seed)
  task = experiments.make_task(c, train_data.info)
  params, extra = _init(task, train_data.batch(0))
  state = TrainState(step=jnp.zeros((), jnp.int32), params=params,
                     opt_state=init_opt_state(task.tx, params), extra=extra)
  step = jax.jit(task.train_step, donate_argnums=0)
  for s in range(c.num_steps):
    state, _ = step(state, train_data.batch(s), jax.random.fold_in(jax.random.key(1), s))
  evaluate = jax.jit(task.eval_step)
  totals, n = {}, 0.0
  for b, (batch, mask) in enumerate(test_data.epoch()):
    for k, v in evaluate(state.params, state.extra, batch, jax.random.key(b)).items():
      totals[k] = totals.get(k, 0.0) + float(jnp.sum(v * mask) if v.ndim else v * mask.sum())
    n += float(mask.sum())
  return {k: v / n for k, v in totals.items()}


# name -> (metric, threshold). Reference points on mnist5k's test digits: the identity flow
# at initialisation scores 8-10 bits/dim; NICE (paper, full MNIST, long training) 4.36.
THRESHOLDS = {
    'nice_mnist': ('bits_per_dim', 6.5),
    'realnvp_mnist': ('bits_per_dim', 4.6),
    'glow_mnist': ('bits_per_dim', 6.6),
    'maf_mnist': ('bits_per_dim', 3.2),
    # moons: the best full-covariance Gaussian scores 3.27 nats; the data's entropy is ~1.6.
    'maf_mog_2d': ('nll', 2.9),
    # u1 (a ring): KL(q || p) in nats; N(0, I), the flow at initialisation, scores ~2.8.
    'iaf_target': ('kl', 0.6),
}


@pytest.mark.learning
@pytest.mark.parametrize('name', sorted(THRESHOLDS))
def test_tiny_config_learns_on_real_data(name):
  metric, threshold = THRESHOLDS[name]
  metrics = train_tiny(name)
  assert metrics[metric] < threshold, metrics
