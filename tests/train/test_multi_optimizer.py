"""A task with two optimisers uses the same TrainState, jitted step and checkpoints."""
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from jaxgen import train
from jaxgen.train.task import Task, Variables, apply_updates


class TwoPlayer(Task):
  """Alternating updates of two parameter groups with their own optimisers (a GAN's shape)."""

  def init(self, rng, batch):
    k1, k2 = jax.random.split(rng)
    return Variables(params={'a': {'w': jax.random.normal(k1, (2, 2))},
                             'b': {'w': jax.random.normal(k2, (2,))}},
                     extra={'ema': jnp.zeros((2, 2))})

  def optimizer(self):
    return {'a': optax.adam(1e-2), 'b': optax.sgd(1e-2, momentum=0.9)}

  def train_step(self, state, batch, rng):
    x = batch['x'] + 0.01 * jax.random.normal(rng, batch['x'].shape)
    loss_b = lambda pb: jnp.mean((x @ state.params['a']['w'] - pb['w']) ** 2)
    lb, gb = jax.value_and_grad(loss_b)(state.params['b'])
    pb, ob = apply_updates(self.tx['b'], gb, state.opt_state['b'], state.params['b'])
    loss_a = lambda pa: -jnp.mean((x @ pa['w'] - pb['w']) ** 2) + jnp.sum(pa['w'] ** 2)
    la, ga = jax.value_and_grad(loss_a)(state.params['a'])
    pa, oa = apply_updates(self.tx['a'], ga, state.opt_state['a'], state.params['a'])
    ema = 0.9 * state.extra['ema'] + 0.1 * pa['w']
    return state.replace(step=state.step + 1, params={'a': pa, 'b': pb},
                         opt_state={'a': oa, 'b': ob}, extra={'ema': ema}), \
        {'loss': la + lb, 'loss_a': la, 'loss_b': lb}

  def eval_step(self, params, extra, batch, rng):
    return {'loss': jnp.mean((batch['x'] @ params['a']['w'] - params['b']['w']) ** 2, -1)}


def _config():
  cfg = train.base_config()
  cfg.task = 'two_player'
  cfg.data.name = 'moons'
  cfg.data.batch_size = 16
  cfg.data.eval_batch_size = 1000
  cfg.num_steps, cfg.checkpoint_every, cfg.eval_every, cfg.num_samples = 9, 4, 0, 0
  cfg.progress = False
  return cfg


def test_two_optimisers_checkpoint_and_resume(tmp_path, monkeypatch):
  del monkeypatch
  cfg = _config()
  task = lambda info: TwoPlayer(cfg)    # a task plugs into the trainer directly
  train.train_and_evaluate(cfg, str(tmp_path / 'full'), task)
  train.train_and_evaluate(cfg, str(tmp_path / 'cut'), task, stop_after=6)
  train.train_and_evaluate(cfg, str(tmp_path / 'cut'), task)
  _, full = train.load_state(cfg, str(tmp_path / 'full'), task)
  _, cut = train.load_state(cfg, str(tmp_path / 'cut'), task)
  assert set(full.opt_state) == {'a', 'b'}
  chex_equal = jax.tree.map(lambda x, y: np.array_equal(np.asarray(x), np.asarray(y)), full, cut)
  assert all(jax.tree.leaves(chex_equal))
  assert int(full.step) == 9 and np.abs(np.asarray(full.extra['ema'])).sum() > 0


def test_optimiser_dict_must_match_params():
  with pytest.raises(ValueError, match="same top-level keys"):
    train.init_opt_state({'a': optax.sgd(1.0), 'c': optax.sgd(1.0)}, {'a': 1.0, 'b': 2.0})
