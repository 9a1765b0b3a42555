"""The training core: 1 vs 8 devices, resume after a kill, NaN handling, clear errors."""
import json
import os

import jax
import numpy as np
import pytest

from jaxgen import data, experiments, parallel, train
from jaxgen.data.sources import ArraySource


def _made_config(**overrides):
  cfg = experiments.get_config('made_mnist:tiny')
  cfg.progress = False
  cfg.model.hidden_sizes = (32,)
  cfg.data.batch_size = 32
  cfg.data.eval_batch_size = 200
  cfg.num_samples = 0
  for k, v in overrides.items():
    node = cfg
    *path, last = k.split('.')
    for p in path:
      node = node[p]
    node[last] = v
  return cfg


def _run_steps(cfg, n):
  exp = experiments.build(cfg)
  state = exp.init()
  step = train.make_train_step(exp)
  for s in range(n):
    state, metrics = step(state, parallel.put_batch(exp.train_data.batch(s), exp.mesh),
                          exp.keys['train'])
  return jax.device_get(state), jax.device_get(metrics)


@pytest.mark.parametrize('fsdp', [False, True])
def test_eight_device_step_equals_one_device_step(fsdp):
  assert jax.device_count() == 8
  one, m1 = _run_steps(_made_config(**{'mesh.data': 1}), 3)
  eight, m8 = _run_steps(_made_config(**{'mesh.data': 8, 'sharding.fsdp': fsdp,
                                         'sharding.min_size': 64}), 3)
  assert int(eight.step) == int(one.step) == 3
  for a, b in zip(jax.tree.leaves(one.params), jax.tree.leaves(eight.params)):
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
  np.testing.assert_allclose(m1['loss'], m8['loss'], rtol=1e-5)


def test_fsdp_rules_shard_large_arrays():
  cfg = _made_config(**{'mesh.data': 8, 'sharding.fsdp': True, 'sharding.min_size': 64})
  exp = experiments.build(cfg)
  specs = {jax.tree_util.keystr(p): s.spec for p, s in
           jax.tree_util.tree_leaves_with_path(exp.state_shardings.params)}
  kernel = [v for k, v in specs.items() if 'hidden_0' in k and 'kernel' in k][0]
  assert parallel.DATA in tuple(kernel)   # the 784x32 kernel is split over the mesh
  bias = [v for k, v in specs.items() if 'hidden_0' in k and 'bias' in k][0]
  assert tuple(bias) == ()                # 32 elements: below min_size, replicated


def test_killed_run_resumes_to_the_same_parameters(tmp_path):
  cfg = _made_config(num_steps=8, checkpoint_every=3, eval_every=4, log_every=2)
  full = experiments.train_and_evaluate(cfg, str(tmp_path / 'full'))
  # Killed right after step 5: the last checkpoint is step 3; steps 4-5 are replayed.
  assert experiments.train_and_evaluate(cfg, str(tmp_path / 'killed'), stop_after=5) == {}
  assert sorted(os.listdir(tmp_path / 'killed' / 'checkpoints'))[-1] == '3'
  resumed = experiments.train_and_evaluate(cfg, str(tmp_path / 'killed'))
  _, s_full = experiments.load_state(cfg, str(tmp_path / 'full'))
  _, s_res = experiments.load_state(cfg, str(tmp_path / 'killed'))
  for a, b in zip(jax.tree.leaves(s_full), jax.tree.leaves(s_res)):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  assert resumed['eval/nll'] == full['eval/nll']
  evals = [r for r in train.metrics.read_metrics(str(tmp_path / 'killed'), 'eval')]
  assert [r['step'] for r in evals][-1] == 8


def test_nan_loss_stops_with_the_step_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
  images = data.load('mnist5k', 'train').get(np.arange(256))['image']
  binary = (images > 127).astype(np.float32)
  src = {'train': ArraySource({'image': binary}), 'test': ArraySource({'image': binary[:200].copy()})}
  monkeypatch.setitem(data.registry._REGISTRY, 'nan_digits', lambda split: src[split])
  cfg = _made_config(num_steps=40, checkpoint_every=2, log_every=100, eval_every=0)
  cfg.data.name = 'nan_digits'
  cfg.data.preprocess = []
  batcher = data.Batcher(src['train'], cfg.data.batch_size, seed=cfg.seed)
  bad_row = int(batcher.indices(4)[0])     # first seen in step 5 (or earlier in this epoch)
  binary[bad_row, 3, 3, 0] = np.nan        # the source holds this very array
  first_bad = next(s for s in range(40) if bad_row in batcher.indices(s)) + 1
  assert first_bad > 2, 'the test needs a checkpoint before the NaN'
  workdir = str(tmp_path / 'nan')
  with pytest.raises(train.NonFiniteLossError, match=f'at step {first_bad}:'):
    experiments.train_and_evaluate(cfg, workdir)
  steps = sorted(int(s) for s in os.listdir(os.path.join(workdir, 'checkpoints')) if s.isdigit())
  last_good = (first_bad - 1) // 2 * 2
  assert steps[-1] == last_good
  _, state = experiments.load_state(cfg, workdir)
  assert int(state.step) == last_good
  assert all(np.isfinite(np.asarray(x)).all() for x in jax.tree.leaves(state.params))
  lines = [json.loads(l) for l in open(os.path.join(workdir, 'metrics.jsonl'))]
  assert any(l['step'] == first_bad and not np.isfinite(l['loss']) for l in lines)


def test_checkpointer_refuses_nan_state(tmp_path):
  ckpt = train.checkpoint.Checkpointer(str(tmp_path))
  with pytest.raises(FloatingPointError, match='non-finite'):
    ckpt.save(1, {'w': np.array([1.0, np.nan])})
  ckpt.close()
  assert ckpt.latest_step() is None


def test_unknown_names_list_the_valid_ones():
  with pytest.raises(ValueError, match='Valid experiments:.*made_mnist'):
    experiments.get_config('no_such_experiment')
  cfg = experiments.get_config('made_mnist:tiny')
  with pytest.raises(ValueError, match="Valid keys there:.*hidden_sizes"):
    train.apply_overrides(cfg, ['model.hiden_sizes=(3,)'])
  with pytest.raises(ValueError, match='Valid keys there:.*num_steps'):
    train.apply_overrides(cfg, ['num_stepz=3'])
  with pytest.raises(ValueError, match='Valid tasks:.*made'):
    cfg.task = 'nope'
    experiments.build(cfg)
  with pytest.raises(ValueError, match="variant"):
    experiments.get_config('made_mnist:huge')


def test_overrides_parse_types():
  cfg = experiments.get_config('made_mnist:tiny')
  train.apply_overrides(cfg, ['num_steps=7', 'optimizer.learning_rate=1', 'model.hidden_sizes=(8, 4)',
                              'data.name=digits'])
  assert cfg.num_steps == 7 and cfg.optimizer.learning_rate == 1.0
  assert tuple(cfg.model.hidden_sizes) == (8, 4) and cfg.data.name == 'digits'


def test_batch_size_not_divisible_by_devices_is_a_clear_error():
  with pytest.raises(ValueError, match='not divisible by the 8 devices'):
    experiments.build(_made_config(**{'mesh.data': 8, 'data.batch_size': 36}))
