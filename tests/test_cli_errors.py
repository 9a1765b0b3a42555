"""Bad input to `jaxgen`: one error line naming the problem, exit status 2, work dir untouched."""
import hashlib
import os
import subprocess
import sys

import pytest

from jaxgen import cli
from jaxgen import experiments
from jaxgen import train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _snapshot(path) -> dict:
  """Every file and folder under `path` (and `path` itself) with its contents' hash."""
  path = str(path)
  if not os.path.exists(path):
    return {'<absent>': None}
  if not os.path.isdir(path):
    with open(path, 'rb') as f:
      return {'<file>': hashlib.sha256(f.read()).hexdigest()}
  out = {}
  for root, dirs, files in os.walk(path):
    rel = os.path.relpath(root, path)
    out[rel + '/'] = None
    for name in files:
      with open(os.path.join(root, name), 'rb') as f:
        out[os.path.join(rel, name)] = hashlib.sha256(f.read()).hexdigest()
  return out


def _error(capsys, argv, *expected, workdir):
  """Runs `jaxgen argv`; checks exit 2, one stderr line holding `expected`, workdir as it was."""
  before = _snapshot(workdir)
  assert cli.main(argv + ['--workdir', str(workdir)]) == 2
  captured = capsys.readouterr()
  err = captured.err.strip()
  assert len(err.splitlines()) == 1, err
  assert err.startswith('jaxgen: error: ') and 'Traceback' not in err, err
  for text in expected:
    assert text in err, (text, err)
  assert _snapshot(workdir) == before
  return err


@pytest.fixture
def existing(tmp_path):
  """A work directory with files of an earlier run in it (a config.json, a metrics line)."""
  wd = tmp_path / 'existing'
  (wd / 'checkpoints').mkdir(parents=True)
  (wd / 'config.json').write_text('{"experiment": "earlier"}\n')
  (wd / 'metrics.jsonl').write_text('{"step": 1}\n')
  return wd


def test_set_a_word_where_an_integer_goes(capsys, tmp_path, existing):
  for wd in (tmp_path / 'new', existing):
    _error(capsys, ['train', 'made_mnist:tiny', '--set', 'num_steps=abc'],
           'num_steps', "'abc'", 'an integer', workdir=wd)


def test_set_nan_learning_rate(capsys, tmp_path):
  _error(capsys, ['train', 'made_mnist:tiny', '--set', 'optimizer.learning_rate=nan'],
         'optimizer.learning_rate=nan', 'a finite number > 0', workdir=tmp_path / 'wd')


def test_set_negative_num_steps(capsys, tmp_path, existing):
  for wd in (tmp_path / 'new', existing):
    _error(capsys, ['train', 'made_mnist:tiny', '--set', 'num_steps=-5'],
           'num_steps=-5', '>= 1', workdir=wd)


def test_other_ranges_and_names(capsys, tmp_path):
  cases = {'data.batch_size=0': 'data.batch_size=0', 'eval_every=-1': 'eval_every=-1',
           'optimizer.name=adamm': "'adamw'", 'optimizer.schedule=linear': "'cosine'",
           'progress=maybe': 'True or False'}
  for item, expected in cases.items():
    _error(capsys, ['train', 'made_mnist:tiny', '--set', item], expected,
           workdir=tmp_path / 'wd')


def test_unknown_tfds_name_is_one_quiet_line(tmp_path):
  """In a fresh process, so every log line tfds or absl would print is seen."""
  wd = tmp_path / 'wd'
  p = subprocess.run([sys.executable, '-m', 'jaxgen.cli', 'train', 'made_mnist:tiny', '--set',
                      'data.name=tfds:no_such_dataset_xyz', '--workdir', str(wd)],
                     cwd=ROOT, capture_output=True, text=True, timeout=180)
  assert p.returncode == 2, p.stderr[-2000:]
  err = p.stderr.strip()
  assert len(err.splitlines()) == 1, err[-3000:]
  assert err.startswith('jaxgen: error: ') and "'no_such_dataset_xyz'" in err, err
  assert 'catalog' in err and not wd.exists()


def test_workdir_is_a_file(capsys, tmp_path):
  wd = tmp_path / 'a_file'
  wd.write_text('not a directory')
  for command in (['train'], ['eval'], ['sample']):
    _error(capsys, command + ['made_mnist:tiny'], str(wd), 'is a file', workdir=wd)
  _error(capsys, ['train', 'made_mnist:tiny'], 'is a file', workdir=wd / 'sub')


def _unwritable(tmp_path, monkeypatch):
  """A folder this process cannot write into: chmod 555; for root, which ignores modes, /sys;
  where even /sys takes files, a folder whose file creation fails with EACCES (mkstemp)."""
  d = tmp_path / 'locked'
  d.mkdir()
  d.chmod(0o555)
  try:
    (d / 'probe').write_text('')
  except OSError:
    return d
  (d / 'probe').unlink()
  d.chmod(0o755)
  try:                # sysfs refuses new files even to root
    os.close(os.open('/sys/jaxgen-probe', os.O_CREAT | os.O_WRONLY))
    os.remove('/sys/jaxgen-probe')
  except OSError:
    return '/sys'
  import errno  # pylint: disable=g-import-not-at-top
  import tempfile  # pylint: disable=g-import-not-at-top
  real = tempfile.mkstemp

  def refuse(*args, dir=None, **kwargs):  # pylint: disable=redefined-builtin
    if dir is not None and os.path.abspath(dir).startswith(str(d)):
      raise PermissionError(errno.EACCES, 'Permission denied', dir)
    return real(*args, dir=dir, **kwargs)

  monkeypatch.setattr(tempfile, 'mkstemp', refuse)
  return d


def test_workdir_not_writable(capsys, tmp_path, monkeypatch):
  locked = _unwritable(tmp_path, monkeypatch)
  try:
    for wd in ({locked, os.path.join(str(locked), 'run')} - {'/sys'}):
      _error(capsys, ['train', 'made_mnist:tiny'], 'is not writable', workdir=wd)
  finally:
    if locked != '/sys':
      os.chmod(locked, 0o755)


def test_eval_and_sample_on_a_missing_workdir_create_nothing(capsys, tmp_path):
  wd = tmp_path / 'mistyped'
  for command in ('eval', 'sample'):
    _error(capsys, [command, 'made_mnist:tiny'], str(wd), 'does not exist', 'train first',
           workdir=wd)
  wd.mkdir()          # exists, but no checkpoints/: nothing is created in it either
  for command in ('eval', 'sample'):
    _error(capsys, [command, 'made_mnist:tiny'], 'no checkpoints', workdir=wd)


def test_sample_num_zero_or_negative(capsys, existing):
  for num in ('0', '-3'):
    _error(capsys, ['sample', 'made_mnist:tiny', '--num', num], f'--num {num}',
           'at least 1', workdir=existing)


def test_bad_multiprocess_flags(capsys, tmp_path):
  wd = tmp_path / 'wd'
  _error(capsys, ['train', 'made_mnist:tiny', '--coordinator', 'localhost', '--num-processes',
                  '2', '--process-id', '0'], 'HOST:PORT', workdir=wd)
  _error(capsys, ['train', 'made_mnist:tiny', '--num-processes', '2'], '--coordinator',
         '--process-id', workdir=wd)
  _error(capsys, ['train', 'made_mnist:tiny', '--coordinator', '127.0.0.1:1', '--num-processes',
                  '2', '--process-id', '2'], '--process-id=2', workdir=wd)


def test_a_failure_after_config_json_restores_it(capsys, existing, tmp_path):
  """Unknown datasets fail while building, after the loop has written config.json."""
  for wd in (existing, tmp_path / 'new'):
    _error(capsys, ['train', 'made_mnist:tiny', '--set', 'data.name=mnist9'],
           'Valid datasets:', workdir=wd)


def test_validate_config_from_python():
  config = experiments.get_config('made_mnist:tiny')
  assert train.validate_config(config) is config
  config.num_steps = 0
  config.optimizer.learning_rate = float('inf')
  with pytest.raises(ValueError, match=r'num_steps=0 .*; optimizer.learning_rate=inf'):
    train.validate_config(config)
  gan = experiments.get_config('dcgan_mnist:tiny')
  gan.optimizer.generator.b1 = 1.5
  with pytest.raises(ValueError, match='optimizer.generator.b1=1.5'):
    train.validate_config(gan)
  for name in experiments.list_experiments():
    train.validate_config(experiments.get_config(f'{name}:tiny'))


def test_impossible_mesh_and_unknown_rule_set(capsys, tmp_path):
  wd = tmp_path / 'wd'
  _error(capsys, ['train', 'made_mnist:tiny', '--set', 'mesh.model=16'],
         'mesh.model=16 devices asked for, but 8 are available', workdir=wd)
  _error(capsys, ['train', 'made_mnist:tiny', '--set', 'mesh.model=0'], 'mesh.model=0',
         '>= 1', workdir=wd)
  _error(capsys, ['train', 'made_mnist:tiny', '--set', 'sharding.tensor_parallel=megatron'],
         "'megatron'", "'transformer'", workdir=wd)
