"""Multi-process training from the command line: 2 processes on 127.0.0.1 == 1 process.

Each process is `python -m jaxgen.cli train made_mnist:tiny --coordinator ... --process-id I`
on one CPU device (JAX_PLATFORMS=cpu), so the run's mesh has 2 devices in 2 processes and
each process reads half of every global batch. Both share one work directory: orbax writes a
multi-process checkpoint into one shared folder (with a folder per process, process 1 waits
forever for the folder process 0 creates). A bare 2 x 2 (data x model) mesh over 2 processes of
2 devices checks where `put_batch` puts each process's rows.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ['--set', 'num_steps=4', '--set', 'eval_every=0', '--set', 'checkpoint_every=2',
        '--set', 'log_every=2', '--set', 'progress=False', '--set', 'num_samples=2',
        '--set', 'model.hidden_sizes=(16,)']
TIMEOUT_S = 240


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _env() -> dict:
  env = dict(os.environ)
  for key in list(env):
    if key.startswith(('JAX_', 'JAXGEN_')) or key in ('XLA_FLAGS', 'PYTEST_XDIST_WORKER'):
      env.pop(key)
  env.update(JAX_PLATFORMS='cpu', XLA_FLAGS='--xla_force_host_platform_device_count=1',
             JAXGEN_MESH_DATA='-1', PYTHONPATH=ROOT + os.pathsep + env.get('PYTHONPATH', ''))
  # The suite's persistent compilation cache (conftest.py), so reruns skip recompiling.
  import jax  # pylint: disable=g-import-not-at-top
  env.update(JAX_COMPILATION_CACHE_DIR=jax.config.jax_compilation_cache_dir,
             JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS='0.5')
  return env


def _start(workdir, *extra):
  cmd = [sys.executable, '-m', 'jaxgen.cli', 'train', 'made_mnist:tiny', '--workdir',
         str(workdir), *ARGS, *extra]
  # A new session per process: JAX traps SIGTERM, so a hung run is killed as a group.
  return subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait(procs, timeout=TIMEOUT_S):
  deadline = time.time() + timeout
  outs = []
  try:
    for p in procs:
      out, err = p.communicate(timeout=max(deadline - time.time(), 1))
      outs.append((p.returncode, out, err))
  except subprocess.TimeoutExpired:
    for p in procs:
      if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
    pytest.fail(f'multi-process run still running after {timeout} s; killed')
  return outs


def _result(out: str) -> dict:
  """The JSON result `jaxgen train` prints last (after any other output)."""
  start = out.rindex('\n{\n') + 1 if '\n{\n' in out else out.index('{')
  return json.loads(out[start:out.rindex('}') + 1])


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
  """(2-process outputs, 1-process output, their work directories)."""
  base = tmp_path_factory.mktemp('multihost')
  port = _free_port()
  shared = base / 'two'
  procs = [_start(shared, '--coordinator', f'127.0.0.1:{port}', '--num-processes', '2',
                  '--process-id', str(i)) for i in range(2)]
  single = _start(base / 'one')                    # the reference, alongside
  two = _wait(procs)
  one = _wait([single])[0]
  for i, (_, out, err) in enumerate(two + [one]):
    (base / f'out{i}.txt').write_text(out + '\n--- stderr ---\n' + err)
  return two, one, shared, base / 'one'


def test_two_processes_through_the_cli_match_one(runs):
  two, one, shared, _ = runs
  for i, (rc, out, err) in enumerate(two):
    assert rc == 0, (i, err[-3000:])
  assert one[0] == 0, one[2][-3000:]
  single = _result(one[1])
  for _, out, _ in two:
    result = _result(out)
    assert result['step'] == 4
    assert abs(result['eval/nll'] - single['eval/nll']) < 1e-4, (result, single)
  with open(shared / 'final_metrics.json', encoding='utf-8') as f:
    assert abs(json.load(f)['eval/nll'] - single['eval/nll']) < 1e-4
  assert os.listdir(shared / 'checkpoints') and (shared / 'samples' / 'final.png').exists()


def test_only_process_0_writes_metrics(runs):
  _, _, shared, single = runs
  lines = lambda d: len((d / 'metrics.jsonl').read_text().splitlines())
  assert lines(shared) == lines(single)
  assert len(os.listdir(shared / 'tensorboard')) == len(os.listdir(single / 'tensorboard'))


def test_cli_starts_distributed_before_jax_is_used(tmp_path):
  """`jaxgen train` reaches initialize_distributed with no JAX backend started."""
  script = (
      'import sys\n'
      'from jaxgen import cli, parallel\n'
      'from jax._src import xla_bridge\n'
      'seen = {}\n'
      'def fake(**kwargs):\n'
      '  seen.update(kwargs, started=xla_bridge.backends_are_initialized())\n'
      '  raise SystemExit(0 if not seen["started"] else 1)\n'
      'parallel.initialize_distributed = fake\n'
      'try:\n'
      '  cli.main(sys.argv[1:])\n'
      'finally:\n'
      '  print(seen)\n')
  env = _env()
  env.update(JAXGEN_COORDINATOR='127.0.0.1:1234', JAXGEN_NUM_PROCESSES='2',
             JAXGEN_PROCESS_ID='1')
  wd = tmp_path / 'wd'
  p = subprocess.run([sys.executable, '-c', script, 'train', 'made_mnist:tiny', '--workdir',
                      str(wd)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
  assert p.returncode == 0, (p.stdout, p.stderr[-2000:])
  assert "'coordinator_address': '127.0.0.1:1234'" in p.stdout and "'process_id': 1" in p.stdout
  assert "'started': False" in p.stdout
  assert not wd.exists()


def test_distributed_settings_from_flags_and_environment():
  from jaxgen import parallel  # pylint: disable=g-import-not-at-top
  assert parallel.distributed_settings(environ={}) is None
  env = {'JAX_COORDINATOR_ADDRESS': 'h:1', 'JAX_NUM_PROCESSES': '4', 'JAX_PROCESS_ID': '3'}
  assert parallel.distributed_settings(environ=env) == dict(
      coordinator_address='h:1', num_processes=4, process_id=3)
  env['JAXGEN_PROCESS_ID'] = '2'
  assert parallel.distributed_settings(environ=env)['process_id'] == 2
  assert parallel.distributed_settings(process_id=0, environ=env)['process_id'] == 0
  for kwargs, expected in ((dict(num_processes=2), '--coordinator'),
                           (dict(coordinator_address='h', num_processes=2, process_id=0),
                            'HOST:PORT'),
                           (dict(coordinator_address='h:1', num_processes=2, process_id=2),
                            '[0, 2)'),
                           (dict(coordinator_address='h:1', num_processes='x', process_id=0),
                            'not an integer')):
    with pytest.raises(ValueError, match=expected.replace('[', r'\[').replace(')', r'\)')):
      parallel.distributed_settings(environ={}, **kwargs)


_PUT_BATCH = '''
import json, sys
import numpy as np
from jaxgen import parallel
pid = int(sys.argv[1])
parallel.initialize_distributed(coordinator_address=sys.argv[2], num_processes=2, process_id=pid)
import jax
out = {}
try:
  parallel.make_mesh({'data': -1, 'model': 4})
except ValueError as e:
  out['model_4'] = str(e)
mesh = parallel.make_mesh({'data': -1, 'model': 2})
out['mesh'] = dict(mesh.shape)
global_batch = np.arange(4 * 3).reshape(4, 3)
x = parallel.put_batch({'x': global_batch[2 * pid:2 * pid + 2]}, mesh)['x']
out['shape'] = list(x.shape)
out['shards_right'] = all(np.array_equal(np.asarray(s.data), global_batch[s.index])
                          for s in x.addressable_shards)
out['rows'] = sorted({s.index[0].start for s in x.addressable_shards})
print(json.dumps(out))
'''


def test_put_batch_on_a_data_by_model_mesh_across_processes():
  """2 processes x 2 devices, mesh 2 x 2: each process's rows land on its own `data` row,
  replicated over its `model` pair; a `model` axis of 4 would cross processes: an error."""
  env = _env()
  env['XLA_FLAGS'] = '--xla_force_host_platform_device_count=2'
  address = f'127.0.0.1:{_free_port()}'
  procs = [subprocess.Popen([sys.executable, '-c', _PUT_BATCH, str(i), address], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True) for i in range(2)]
  for i, (rc, out, err) in enumerate(_wait(procs, timeout=120)):
    assert rc == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result['mesh'] == {'data': 2, 'model': 2} and result['shape'] == [4, 3]
    assert result['shards_right'] and result['rows'] == [2 * i]
    assert 'spans several processes' in result['model_4']
