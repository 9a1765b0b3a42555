"""The GAN task in the trainer: two optimisers, the alternating step, EMA, resume, learning.

Runs use `mesh.data = 1`: the 8 virtual CPU devices share 2 cores, where the data-parallel
step of these conv nets is about 10x slower; 1-vs-8-device agreement is the trainer's test.
"""
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen import data, experiments
from jaxgen import train
from jaxgen.models.gan import task as gan_task
from jaxgen.train.task import TrainState, init_opt_state


def _config(name, **overrides):
  c = experiments.get_config(name)
  c.mesh.data = 1
  c.progress = False
  return train.apply_overrides(c, [f'{k}={v!r}' for k, v in overrides.items()])


def test_toy_step_alternates_updates_and_keeps_an_ema():
  config = _config('gan_8gaussians:tiny')
  task = gan_task.make_task(config)
  batch = {'x': np.random.default_rng(0).standard_normal((16, 2)).astype(np.float32)}
  v = task.init(jax.random.key(0), batch)
  assert set(v.params) == set(task.tx) == {'generator', 'discriminator'}
  state = TrainState(jnp.zeros((), jnp.int32), v.params, init_opt_state(task.tx, v.params),
                     v.extra)
  new, metrics = jax.jit(task.train_step)(state, batch, jax.random.key(1))
  for name in ('generator', 'discriminator'):
    changed = jax.tree.map(lambda a, b: bool(jnp.any(a != b)), state.params[name],
                           new.params[name])
    assert all(jax.tree.leaves(changed)), name
    assert int(new.opt_state[name][0].count) == 1
  # EMA at step 0: decay min(0.999, 1/10) = 0.1.
  expected = jax.tree.map(lambda e, g: 0.1 * e + 0.9 * g, state.extra['ema'],
                          new.params['generator'])
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6), new.extra['ema'],
               expected)
  assert {'d_loss', 'g_loss', 'd_real', 'd_fake', 'loss'} <= set(metrics)
  # The D loss reported is the minimax one for the batch: -V(D, G).
  np.testing.assert_allclose(metrics['d_loss'], -metrics['value'], rtol=1e-6)
  # k = 2 discriminator updates per generator update (Algorithm 1's inner loop).
  task2 = gan_task.make_task(_config('gan_8gaussians:tiny', **{'model.d_steps': 2}))
  new2, _ = jax.jit(task2.train_step)(state, batch, jax.random.key(1))
  assert int(new2.opt_state['discriminator'][0].count) == 2
  assert int(new2.opt_state['generator'][0].count) == 1


def test_config_errors_are_value_errors():
  with pytest.raises(ValueError, match='Unknown GAN loss'):
    gan_task.make_task(_config('gan_8gaussians:tiny', **{'model.loss': 'wgan'}))
  with pytest.raises(ValueError, match='Unknown GAN arch'):
    gan_task.make_task(_config('gan_8gaussians:tiny', **{'model.arch': 'stylegan'}))
  task = gan_task.make_task(_config('dcgan_mnist:tiny'), data.load('mnist5k').info)
  with pytest.raises(ValueError, match="batch key 'image'"):
    task.real({'x': np.zeros((2, 2))})


def _leaves_equal(a, b):
  a, b = jax.tree.leaves(jax.device_get(a)), jax.tree.leaves(jax.device_get(b))
  assert len(a) == len(b)
  for x, y in zip(a, b):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_killed_run_resumes_to_the_uninterrupted_parameters(tmp_path):
  # Two Adam states, both networks' batch-norm statistics and the generator EMA.
  config = _config('dcgan_mnist:tiny', num_steps=4, checkpoint_every=2, eval_every=2,
                   log_every=1, num_samples=4, **{'model.eval_samples': 50,
                                                  'data.eval_batch_size': 500})
  killed, straight = str(tmp_path / 'killed'), str(tmp_path / 'straight')
  assert experiments.train_and_evaluate(config, killed, stop_after=2) == {}
  assert not os.path.exists(os.path.join(killed, 'final_metrics.json'))
  resumed = experiments.train_and_evaluate(config, killed)
  experiments.train_and_evaluate(config, straight)
  _, a = experiments.load_state(config, killed)
  _, b = experiments.load_state(config, straight)
  assert int(a.step) == int(b.step) == 4
  for field in ('params', 'opt_state', 'extra'):
    _leaves_equal(getattr(a, field), getattr(b, field))
  assert set(a.opt_state) == {'generator', 'discriminator'}
  assert 'ema' in a.extra and 'batch_stats' in a.extra['discriminator']
  # A sample grid at each evaluation, from the EMA generator.
  for tag in ('step_0000002', 'final'):
    assert os.path.exists(os.path.join(killed, 'samples', f'{tag}.png'))
  assert {'final/frechet_distance', 'final/class_coverage', 'final/mean_confidence'} <= set(
      resumed)


# ------------------------------------------------------------------------------- learning
# Each tiny config on real data, scored by `finalize` on 1,000 samples (2,500 for 2-D) of the
# EMA generator. For scale: untrained DCGAN / SAGAN generators score a Fréchet distance of ~1800
# / ~2500 with 1-2 classes covered; 1,000 real test digits score 2.9 with all 10 classes. The
# tiny runs reach ~170 (DCGAN, 300 steps) and ~190 (SAGAN, 200 steps); the 2-D GAN all 8 modes.
LEARNING = {
    'dcgan_mnist:tiny': {'frechet_distance': ('<', 300), 'class_coverage': ('>=', 0.6),
                           'mean_confidence': ('>=', 0.7)},
    'sagan_mnist:tiny': {'frechet_distance': ('<', 300), 'class_coverage': ('>=', 0.7),
                           'mean_confidence': ('>=', 0.7)},
    'gan_8gaussians:tiny': {'modes_covered': ('>=', 7), 'high_quality_fraction': ('>=', 0.6)},
}


@pytest.mark.learning
@pytest.mark.parametrize('name', sorted(LEARNING))
def test_tiny_config_reaches_its_threshold(name, tmp_path):
  m = experiments.train_and_evaluate(_config(name), str(tmp_path))
  with open(tmp_path / 'final_metrics.json', encoding='utf-8') as f:
    assert json.load(f)['step'] == m['step']
  for key, (op, bound) in LEARNING[name].items():
    value = m[f'final/{key}']
    assert (value < bound) if op == '<' else (value >= bound), (key, value, op, bound, m)
