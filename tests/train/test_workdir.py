"""Work directories stay safe: one trainer at a time, no foreign config, damaged checkpoints
reported by name with a fall back to the newest intact one (strict: stop), and every refusal
is one line through the CLI with the directory left as it was."""
import glob
import json
import os
import socket
import subprocess
import sys

import pytest

from jaxgen import cli, experiments


def _args(wd, steps=4, every=2, hidden='(16,)'):
  return ['train', 'made_mnist:tiny', '--workdir', wd, '--set', f'num_steps={steps}',
          '--set', f'checkpoint_every={every}', '--set', 'eval_every=0', '--set',
          'progress=False', '--set', 'num_samples=0', '--set', f'model.hidden_sizes={hidden}',
          '--set', 'keep_checkpoints=3']


def _listing(wd):
  out = {}
  for path in sorted(glob.glob(os.path.join(wd, '**'), recursive=True)):
    if os.path.isfile(path):
      with open(path, 'rb') as f:
        out[os.path.relpath(path, wd)] = f.read()
  return out


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """A work directory trained for 4 steps, checkpoints at steps 2 and 4."""
  wd = str(tmp_path_factory.mktemp('trained') / 'run')
  assert cli.main(_args(wd)) == 0
  return wd


def _copy(src, dst):
  subprocess.run(['cp', '-a', src, dst], check=True)
  return dst


def test_a_second_trainer_is_refused_and_a_stale_lock_is_taken_over(trained, tmp_path, capsys):
  wd = _copy(trained, str(tmp_path / 'run'))
  with open(os.path.join(wd, '.lock'), 'w', encoding='utf-8') as f:
    json.dump({'host': socket.gethostname(), 'pid': os.getppid()}, f)   # a live process
  before = _listing(wd)
  capsys.readouterr()
  assert cli.main(_args(wd, steps=6)) == 2
  err = capsys.readouterr().err.strip()
  assert len(err.splitlines()) == 1 and f'pid {os.getppid()}' in err and 'in use' in err, err
  assert _listing(wd) == before
  dead = subprocess.Popen([sys.executable, '-c', 'pass'])
  dead.wait()
  with open(os.path.join(wd, '.lock'), 'w', encoding='utf-8') as f:
    json.dump({'host': socket.gethostname(), 'pid': dead.pid}, f)       # killed long ago
  assert cli.main(_args(wd, steps=6)) == 0
  assert not os.path.exists(os.path.join(wd, '.lock'))


def test_resuming_with_another_model_is_refused_and_config_json_is_kept(trained, tmp_path,
                                                                       capsys):
  wd = _copy(trained, str(tmp_path / 'run'))
  before = _listing(wd)
  capsys.readouterr()
  assert cli.main(_args(wd, steps=6, hidden='(24,)')) == 2
  err = capsys.readouterr().err.strip()
  assert len(err.splitlines()) == 1 and 'another config' in err and 'hidden_sizes' in err, err
  assert _listing(wd) == before
  # Even without config.json, the checkpoints themselves refuse the other model.
  os.remove(os.path.join(wd, 'config.json'))
  before = _listing(wd)
  assert cli.main(_args(wd, steps=6, hidden='(24,)')) == 2
  assert 'restores into this config' in capsys.readouterr().err
  assert _listing(wd) == before


@pytest.mark.parametrize('damage', ['truncated_array', 'missing_manifest', 'missing_metadata'])
def test_a_damaged_latest_checkpoint_falls_back_to_the_newest_intact_one(trained, tmp_path,
                                                                         capsys, damage):
  wd = _copy(trained, str(tmp_path / 'run'))
  step4 = os.path.join(wd, 'checkpoints', '4')
  if damage == 'truncated_array':
    files = sorted(glob.glob(os.path.join(step4, 'state', 'ocdbt.process_0', 'd', '*')),
                   key=os.path.getsize)
    with open(files[-1], 'r+b') as f:
      f.truncate(os.path.getsize(files[-1]) // 2)
  elif damage == 'missing_manifest':
    for path in glob.glob(os.path.join(step4, 'state', '**', 'manifest.ocdbt'), recursive=True):
      os.remove(path)
  else:
    os.remove(os.path.join(step4, 'meta', 'metadata'))
  capsys.readouterr()
  strict = _args(wd, steps=6) + ['--set', 'strict_checkpoints=True']
  before = _listing(wd)
  assert cli.main(strict) == 2
  err = capsys.readouterr().err.strip()
  assert len(err.splitlines()) == 1 and 'step 4' in err and 'damaged' in err, err
  assert _listing(wd) == before
  assert cli.main(_args(wd, steps=6)) == 0
  err = capsys.readouterr().err
  assert 'damaged checkpoint step 4' in err and 'resuming from step 2' in err, err
  assert os.path.isdir(os.path.join(wd, 'checkpoints_damaged', '4'))     # kept, not deleted
  with open(os.path.join(wd, 'final_metrics.json'), encoding='utf-8') as f:
    assert json.load(f)['step'] == 6


def test_eval_reads_a_run_it_does_not_lock(trained):
  config = experiments.get_config('made_mnist:tiny')
  config.model.hidden_sizes = (16,)
  config.mesh.data = 1
  assert experiments.evaluate(config, trained)['step'] == 4


def test_a_full_disk_while_checkpointing_is_one_line_and_the_last_checkpoint_survives(
    trained, tmp_path, capsys, monkeypatch):
  import errno  # pylint: disable=g-import-not-at-top
  from jaxgen.train import checkpoint  # pylint: disable=g-import-not-at-top
  wd = _copy(trained, str(tmp_path / 'run'))
  real_save = checkpoint.Checkpointer.save

  def full(self, step, state, meta=None):
    if step > 4:
      raise OSError(errno.ENOSPC, 'No space left on device', os.path.join(self.directory, '6'))
    return real_save(self, step, state, meta)

  monkeypatch.setattr(checkpoint.Checkpointer, 'save', full)
  capsys.readouterr()
  assert cli.main(_args(wd, steps=6)) == 2
  err = capsys.readouterr().err.strip()
  assert len(err.splitlines()) == 1 and 'No space left on device' in err, err
  assert sorted(os.listdir(os.path.join(wd, 'checkpoints'))) == ['2', '4']
  monkeypatch.setattr(checkpoint.Checkpointer, 'save', real_save)
  assert cli.main(_args(wd, steps=6)) == 0          # space freed: it resumes and finishes
  assert '6' in os.listdir(os.path.join(wd, 'checkpoints'))
