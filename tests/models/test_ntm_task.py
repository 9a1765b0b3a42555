"""The NTM family as a trainer task: the tiny copy NTM learns, its baseline builds, its
config errors are one line."""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen import data, experiments
from jaxgen.models import ntm
from jaxgen.models.ntm.task import sequence_costs


def test_sequence_costs_by_hand():
  logits = jnp.array([[[2.0, -1.0], [0.5, 3.0], [9.0, 9.0]]])       # [1, 3, 2]
  target = jnp.array([[[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]])
  mask = jnp.array([[1.0, 1.0, 0.0]])                                  # the last step is out
  bits, errors = sequence_costs(logits, target, mask)
  sp = lambda z: np.log1p(np.exp(z))                                   # -log sigmoid(-z)
  expect = (sp(-2.0) + sp(1.0) + sp(0.5) + sp(-3.0)) / np.log(2.0)
  np.testing.assert_allclose(bits, [expect], rtol=1e-5)
  np.testing.assert_array_equal(errors, [2.0])        # -1 vs 1 and 0.5 vs 0


@pytest.mark.learning
def test_tiny_ntm_learns_to_copy(tmp_path):
  """ntm_copy:tiny copies lengths 1-10 with under 1 bit error per sequence (an untrained
  one makes about half of the 8 L bits wrong: ~22 per sequence)."""
  cfg = experiments.get_config('ntm_copy:tiny')
  cfg.progress = False
  final = experiments.train_and_evaluate(cfg, str(tmp_path))
  assert final['eval/bit_errors'] < 1.0
  assert final['final/bit_errors_length_1_10'] < 1.0
  rows = json.loads((tmp_path / 'generalization.json').read_text())
  assert [(r['min_length'], r['max_length']) for r in rows] == [(1, 10), (11, 20), (21, 40)]
  assert (tmp_path / 'weightings.png').exists() and (tmp_path / 'samples' / 'final.png').exists()
  assert (tmp_path / 'generalization.png').stat().st_size > 1000


def test_lstm_baseline_and_config_errors():
  cfg = experiments.get_config('ntm_copy:tiny,arch=lstm')
  source = data.load('copy', 'train', num_examples=4, max_length=3)
  info = dict(source.info, features=data.sources.features_of(source.arrays))
  task = ntm.make_task(cfg, info)
  batch = {k: jnp.asarray(v) for k, v in source.arrays.items()}
  variables = task.init(jax.random.key(0), batch)
  loss, (metrics, _) = task.loss(variables.params, {}, batch, jax.random.key(1))
  assert np.isfinite(loss) and metrics['bit_errors'] > 0
  cfg.model.arch = 'gru'
  with pytest.raises(ValueError, match="model.arch"):
    ntm.make_task(cfg, info)
  cfg = experiments.get_config('ntm_copy:tiny')
  cfg.model.generalize = ((5, 2),)
  with pytest.raises(ValueError, match='1 <= min <= max'):
    ntm.make_task(cfg, info)
  sort = data.load('priority_sort', 'train', num_examples=2)
  cfg.model.generalize = ((11, 20),)
  with pytest.raises(ValueError, match="scores copy sequences; the data is 'priority_sort'"):
    ntm.make_task(cfg, dict(sort.info, features=data.sources.features_of(sort.arrays)))


def test_paper_optimizer_clips_each_component_and_is_centered_rmsprop_with_momentum():
  import optax  # pylint: disable=g-import-not-at-top
  from jaxgen.train import config as train_config, optim  # pylint: disable=g-import-not-at-top
  cfg = experiments.get_config('ntm_copy:paper')
  train_config.validate_config(cfg)
  tx = optim.make_optimizer(cfg.optimizer, cfg.num_steps)
  params = {'w': jnp.zeros(3)}
  # two steps: RMSProp is nearly scale-free on one, so the clipped first gradient shows in
  # the second step's normaliser
  ref = optax.rmsprop(1e-4, decay=0.95, eps=1e-4, momentum=0.9, centered=True)
  state, ref_state = tx.init(params), ref.init(params)
  for g, clipped in [([50.0, -0.5, -20.0], [10.0, -0.5, -10.0]), ([1.0, 1.0, 1.0],) * 2]:
    updates, state = tx.update({'w': jnp.array(g)}, state, params)
    expect, ref_state = ref.update({'w': jnp.array(clipped)}, ref_state, params)
  np.testing.assert_allclose(updates['w'], expect['w'], rtol=1e-5)
  unclipped, s2 = ref.init(params), None
  for g in ([50.0, -0.5, -20.0], [1.0, 1.0, 1.0]):
    s2, unclipped = ref.update({'w': jnp.array(g)}, unclipped, params)
  assert not np.allclose(s2['w'], updates['w'], rtol=1e-2)       # clipping mattered
  cfg.optimizer.grad_clip_value = -1.0
  with pytest.raises(ValueError, match='grad_clip_value'):
    train_config.validate_config(cfg)
