"""Model selection: validation evaluations, the best checkpoint, early stopping, --checkpoint.

The runs use a task whose validation metric is a table indexed by the number of updates
(kept in the state's `extra`), so the best step and the stopping step are known in advance;
its one parameter is trained for real, so every checkpoint's state differs.
"""
import json
import os
import sys
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen import cli, data, experiments, train
from jaxgen.data.sources import ArraySource
from jaxgen.train import checkpoint as checkpoint_lib
from jaxgen.train.selection import Selection

# Validation NLL after t updates: down to 1.0 at t = 7, a near miss at 9, then up.
CURVE = [9.0, 8.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 1.5, 1.25, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0,
         8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0,
         22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0]


class CurveTask(train.Task):
  """Trains w towards the data's mean; its 'nll' on any split is CURVE[updates]."""

  def init(self, rng, batch):
    del rng, batch
    return train.Variables(params={'w': jnp.zeros((), jnp.float32)},
                           extra={'t': jnp.zeros((), jnp.int32)})

  def loss(self, params, extra, batch, rng):
    del rng
    loss = jnp.mean((params['w'] - batch['x']) ** 2)
    return loss, ({'mse': loss}, {'t': extra['t'] + 1})

  def eval_step(self, params, extra, batch, rng):
    del rng
    n = batch['x'].shape[0]
    curve = jnp.asarray(CURVE, jnp.float32)[jnp.minimum(extra['t'], len(CURVE) - 1)]
    return {'nll': jnp.broadcast_to(curve, (n,)), 'w': jnp.broadcast_to(params['w'], (n,)),
            'updates': jnp.broadcast_to(extra['t'].astype(jnp.float32), (n,))}


@pytest.fixture
def curve_data(monkeypatch):
  rng = np.random.default_rng(0)
  src = {'train': ArraySource({'x': rng.normal(3.0, 1.0, 80).astype(np.float32)}),
         'test': ArraySource({'x': rng.normal(3.0, 1.0, 16).astype(np.float32)})}
  monkeypatch.setitem(data.registry._REGISTRY, 'curve', lambda split: src[split])
  return 'curve'


def _config(**overrides):
  c = train.base_config()
  c.task = 'curve'
  c.data.name = 'curve'
  c.data.batch_size = c.data.eval_batch_size = 8
  c.data.validation_fraction = 0.1
  c.mesh.data = 1
  c.optimizer.learning_rate = 0.1
  c.progress = False
  c.num_samples = 0
  c.log_every = 5
  c.num_steps, c.eval_every, c.checkpoint_every, c.keep_checkpoints = 20, 1, 2, 2
  c.select_metric, c.select_mode = 'nll', 'min'
  c.update(overrides)
  return c


def _steps(d):
  return sorted(int(s) for s in os.listdir(d) if s.isdigit()) if os.path.isdir(d) else []


def _final(workdir):
  with open(os.path.join(workdir, 'final_metrics.json'), encoding='utf-8') as f:
    return json.load(f)


def test_best_checkpoint_is_the_validation_minimum_and_survives_rolling_deletion(
    tmp_path, curve_data):
  wd = str(tmp_path / 'run')
  final = train.train_and_evaluate(_config(keep_checkpoints=1, checkpoint_every=1), wd,
                                   CurveTask(_config()))
  # Down then up: the minimum 1.0 after 7 updates (the near miss at 9 is not better).
  assert final['best/step'] == 7 and final['best/validation/nll'] == 1.0
  assert final['best/eval/nll'] == 1.0 and final['best/eval/updates'] == 7.0
  assert final['step'] == 20 and final['eval/nll'] == CURVE[20]
  assert final['stopped_early'] is False and final['validation_evaluations'] == 20
  assert final == _final(wd)
  # The rolling policy kept only the last step; the best lives apart.
  assert _steps(os.path.join(wd, 'checkpoints')) == [20]
  assert _steps(os.path.join(wd, checkpoint_lib.BEST_DIR)) == [7]
  _, best = train.load_state(_config(), wd, CurveTask(_config()), checkpoint='best')
  _, last = train.load_state(_config(), wd, CurveTask(_config()))
  assert int(best.step) == int(best.extra['t']) == 7 and int(last.step) == 20
  assert float(best.params['w']) == pytest.approx(final['best/eval/w'], rel=1e-6)
  assert final['best/eval/w'] != final['eval/w']
  # Every validation evaluation is in metrics.jsonl, by step.
  val = train.metrics.read_metrics(wd, 'validation')
  assert [r['step'] for r in val] == list(range(1, 21))
  assert [r['nll'] for r in val] == CURVE[1:21]
  assert [r['step'] for r in train.metrics.read_metrics(wd, 'eval')] == [20]


def test_min_delta_and_max_mode(tmp_path, curve_data):
  # 'max' on the same curve: the first evaluation is the best (the curve only rises after 9).
  final = train.train_and_evaluate(
      _config(select_mode='max', num_steps=10), str(tmp_path / 'max'), CurveTask(_config()))
  assert final['best/step'] == 1
  sel = Selection('nll', 'min', patience=2, min_delta=0.6)
  improved = [sel.update(s, {'nll': v}) for s, v in enumerate([5.0, 4.0, 3.5, 3.45, 3.42, 2.0])]
  # 3.5 is not 0.6 below 4.0, nor 3.45: patience 2 stops there, at step 3.
  assert improved == [True, True, False, False, False, True]
  assert sel.stopped_step == 3 and sel.best_step == 5
  assert not Selection('nll').improves(float('nan'))
  with pytest.raises(ValueError, match="valid: nll"):
    Selection('bpd').update(1, {'nll': 1.0})
  with pytest.raises(ValueError, match='select_mode'):
    Selection('nll', 'lowest')


def test_patience_needs_a_validation_split(curve_data, tmp_path):
  config = _config(patience=2)
  config.data.validation_fraction = 0.0
  with pytest.raises(ValueError, match='data.validation_fraction'):
    train.train_and_evaluate(config, str(tmp_path), CurveTask(config))


def _early_config(**overrides):
  # Evaluations at 2, 4, ... see 6.0, 4.0, 2.0, 1.5 (the best, at 8), then 2.0, 4.0, 6.0:
  # three without improvement, so patience 3 stops the run at 14 of 40.
  return _config(num_steps=40, eval_every=2, checkpoint_every=4, patience=3, **overrides)


def _same(a, b):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


@pytest.mark.parametrize('kill_after', [11, 14])
def test_early_stopping_stops_at_the_same_step_after_kill_and_resume(
    tmp_path, curve_data, kill_after):
  full_wd, killed_wd = str(tmp_path / 'full'), str(tmp_path / 'killed')
  full = train.train_and_evaluate(_early_config(), full_wd, CurveTask(_config()))
  assert full['step'] == 14 and full['stopped_early'] is True and full['best/step'] == 8
  assert _steps(os.path.join(full_wd, 'checkpoints')) == [12, 14]
  # Killed after step 11 (resumed from 8, its selection state in the checkpoint) or at the
  # stop itself (resumed from 14, already stopped: only the final evaluation is left).
  assert train.train_and_evaluate(_early_config(), killed_wd, CurveTask(_config()),
                                  stop_after=kill_after) == {}
  resumed = train.train_and_evaluate(_early_config(), killed_wd, CurveTask(_config()))
  timing = ('train_steps_per_s', 'compile_time_s')
  assert ({k: v for k, v in resumed.items() if k not in timing} ==
          {k: v for k, v in full.items() if k not in timing})
  for which in ('latest', 'best'):
    _, a = train.load_state(_config(), full_wd, CurveTask(_config()), checkpoint=which)
    _, b = train.load_state(_config(), killed_wd, CurveTask(_config()), checkpoint=which)
    _same(a, b)
  assert _steps(os.path.join(killed_wd, checkpoint_lib.BEST_DIR)) == [8]
  meta = checkpoint_lib.Checkpointer(os.path.join(killed_wd, 'checkpoints'))
  try:
    sel = meta.restore_meta()['selection']
  finally:
    meta.close()
  assert sel == {'metric': 'nll', 'mode': 'min', 'best_value': 1.5, 'best_step': 8,
                 'bad_evals': 3, 'evaluations': 7, 'stopped_step': 14}


@pytest.fixture
def curve_experiment(tmp_path, monkeypatch, curve_data):
  """A `curve` experiment and family, found by the CLI like any other."""
  family = types.ModuleType('curve_family')
  family.make_task = lambda config, info=None: CurveTask(config)
  family.config = lambda: _config(num_steps=12, checkpoint_every=4)
  monkeypatch.setitem(sys.modules, 'curve_family', family)
  monkeypatch.setitem(experiments.FAMILIES, 'curve', 'curve_family')
  exp_dir = tmp_path / 'experiments'
  exp_dir.mkdir()
  (exp_dir / 'curve_run.py').write_text(
      '"""The selection tests\' curve."""\n'
      'import curve_family\n\n\n'
      'def get_config(variant=""):\n'
      '  return curve_family.config()\n')
  monkeypatch.setenv('JAXGEN_EXPERIMENTS', str(exp_dir))
  return 'curve_run'


def _json_out(capsys):
  out = capsys.readouterr().out
  return json.loads(out[:out.rindex('}') + 1])


def test_cli_checkpoint_selects_best_latest_or_a_step(tmp_path, capsys, curve_experiment):
  wd = str(tmp_path / 'run')
  args = [curve_experiment, '--workdir', wd]
  assert cli.main(['train'] + args) == 0
  final = _json_out(capsys)
  assert final['best/step'] == 7 and final['step'] == 12
  for spec, step in (('best', 7), ('latest', 12), ('8', 8), ('7', 7)):
    assert cli.main(['eval'] + args + ['--checkpoint', spec]) == 0
    out = _json_out(capsys)
    assert out['step'] == step and out['eval/updates'] == step, spec
    assert out['eval/nll'] == CURVE[step]
  assert cli.main(['eval'] + args) == 0
  assert _json_out(capsys)['step'] == 12
  # Step 4 was a rolling checkpoint, deleted by the policy; the error lists what is there.
  assert cli.main(['eval'] + args + ['--checkpoint', '4']) == 2
  err = capsys.readouterr().err
  assert 'No checkpoint of step 4' in err and '[8, 12]' in err and '[7]' in err
  assert cli.main(['eval'] + args + ['--checkpoint', 'worst']) == 2
  assert "'best', 'latest' or a step" in capsys.readouterr().err
  # sample: CurveTask draws none, but the checkpoint is resolved the same way.
  assert cli.main(['sample'] + args + ['--checkpoint', 'best']) == 0
  assert cli.main(['sample'] + args + ['--checkpoint', '5']) == 2


def test_a_real_family_selects_and_reports_both_steps(tmp_path, capsys):
  """made_mnist:tiny with selection turned on from the command line, end to end."""
  wd = str(tmp_path / 'made')
  sets = ['num_steps=6', 'eval_every=2', 'checkpoint_every=2', 'keep_checkpoints=1',
          'progress=False', 'num_samples=0', 'model.hidden_sizes=(16,)',
          'data.validation_fraction=0.1', 'select_metric=nll', 'patience=2']
  args = ['made_mnist:tiny', '--workdir', wd] + [a for s in sets for a in ('--set', s)]
  assert cli.main(['train'] + args) == 0
  final = _json_out(capsys)
  val = {r['step']: r['nll'] for r in train.metrics.read_metrics(wd, 'validation')}
  assert sorted(val) == [2, 4, 6]
  assert final['best/step'] == min(val, key=val.get)
  assert final['best/validation/nll'] == pytest.approx(val[final['best/step']])
  assert cli.main(['eval'] + args + ['--checkpoint', 'best']) == 0
  out = _json_out(capsys)
  assert out['step'] == final['best/step'] and out['checkpoint'] == 'best'
  assert out['eval/nll'] == pytest.approx(final['best/eval/nll'], rel=1e-6)
