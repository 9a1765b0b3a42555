"""The `jaxgen` command: train, evaluate, sample and list experiments.

  jaxgen train EXPERIMENT[:VARIANT] [--workdir DIR] [--set key=value ...]
               [--coordinator HOST:PORT --num-processes N --process-id I]
  jaxgen eval EXPERIMENT[:VARIANT] --workdir DIR [--checkpoint best|latest|STEP] [--set ...]
  jaxgen sample EXPERIMENT[:VARIANT] --workdir DIR [--checkpoint ...] [--num N] [--seed S]
  jaxgen list

`train` resumes from the latest checkpoint in the work directory. Bad input (an unknown name or
key, a value of the wrong type or out of range, an unusable work directory) prints one line
`jaxgen: error: ...` to stderr, exits with status 2 and leaves the work directory as it was.

Multi-process runs (several hosts, or several processes on one): start the same `jaxgen train`
in every process with `--coordinator HOST:PORT --num-processes N --process-id I`, or the same
settings in $JAXGEN_COORDINATOR / $JAXGEN_NUM_PROCESSES / $JAXGEN_PROCESS_ID (JAX's
$JAX_COORDINATOR_ADDRESS and a SLURM / Open MPI / Cloud TPU environment work too).
`jax.distributed.initialize()` runs before anything touches a device: this module imports
nothing that starts a JAX backend.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile

EXIT_ERROR = 2      # bad input: nothing was trained or written
EXIT_NONFINITE = 3  # training stopped at a NaN / infinite loss


def _parser() -> argparse.ArgumentParser:
  p = argparse.ArgumentParser(prog='jaxgen', description=__doc__.split('\n\n')[0])
  sub = p.add_subparsers(dest='command', required=True)
  for name, help_ in (('train', 'train (and resume) an experiment'),
                      ('eval', 'evaluate the latest checkpoint'),
                      ('sample', 'write samples of the latest checkpoint')):
    s = sub.add_parser(name, help=help_)
    s.add_argument('experiment', help='NAME or NAME:VARIANT, e.g. made_mnist:tiny')
    s.add_argument('--workdir', default=None,
                   help='work directory (default: workdirs/<experiment>)')
    s.add_argument('--set', dest='overrides', action='append', default=[],
                   metavar='KEY=VALUE', help='override a config value, e.g. num_steps=100')
    if name != 'train':
      s.add_argument('--checkpoint', default='latest', metavar='best|latest|STEP',
                     help="which checkpoint: 'latest' (default), 'best' (the best on the "
                          'validation split, with model selection) or a step')
    if name == 'sample':
      s.add_argument('--num', type=int, default=None, help='number of samples (>= 1)')
      s.add_argument('--seed', type=int, default=0)
    if name == 'train':
      g = s.add_argument_group('multi-process runs (default: $JAXGEN_COORDINATOR, '
                               '$JAXGEN_NUM_PROCESSES, $JAXGEN_PROCESS_ID, or JAX\'s own)')
      g.add_argument('--coordinator', default=None, metavar='HOST:PORT',
                     help="process 0's address, the same in every process")
      g.add_argument('--num-processes', dest='num_processes', type=int, default=None,
                     metavar='N', help='how many processes the run has')
      g.add_argument('--process-id', dest='process_id', type=int, default=None, metavar='I',
                     help="this process's index, 0 .. N-1")
  sub.add_parser('list', help='list experiments and datasets')
  return p


class UsageError(ValueError):
  """Bad input found by the command line itself."""


def _one_line(error: BaseException) -> str:
  """An error's message on one line (a long multi-line message keeps its first line)."""
  lines = [line.strip() for line in str(error).splitlines() if line.strip()]
  if not lines:
    return type(error).__name__
  text = ' '.join(lines)
  return text if len(text) <= 600 else lines[0]


def _fail(error: BaseException | str, code: int = EXIT_ERROR) -> int:
  message = error if isinstance(error, str) else _one_line(error)
  print(f'jaxgen: error: {message}', file=sys.stderr)
  return code


def _quiet_logs() -> None:
  """Keeps TensorFlow / tfds / absl start-up chatter off the terminal."""
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
  import logging  # pylint: disable=g-import-not-at-top
  for name in ('absl', 'tensorflow', 'tensorflow_datasets', 'jax._src.xla_bridge'):
    logging.getLogger(name).setLevel(logging.ERROR)
  try:
    from absl import logging as absl_logging  # pylint: disable=g-import-not-at-top
    absl_logging.set_verbosity(absl_logging.ERROR)
  except ImportError:
    pass


def _probe_writable(directory: str) -> None:
  """Raises UsageError unless a file can be created (and is removed again) in `directory`."""
  try:
    fd, path = tempfile.mkstemp(prefix='.jaxgen-write-test-', dir=directory)
    os.close(fd)
    os.remove(path)
  except OSError as e:
    raise UsageError(f'{directory} is not writable ({e.strerror}): choose another --workdir '
                     'or fix its permissions.') from None


def check_workdir(workdir: str, command: str, experiment: str) -> None:
  """Checks a work directory before anything is written, without changing it.

  train: `workdir` is a writable directory, or can be created (its nearest existing parent is
  a writable directory). eval / sample: `workdir` exists and holds a `checkpoints/` folder.
  """
  if os.path.exists(workdir) and not os.path.isdir(workdir):
    raise UsageError(f'work directory {workdir} is a file, not a directory: choose another '
                     '--workdir.')
  if command != 'train':
    hint = f'train first (`jaxgen train {experiment} --workdir {workdir}`) or check the path'
    if not os.path.isdir(workdir):
      raise UsageError(f'work directory {workdir} does not exist: {hint}.')
    if not os.path.isdir(os.path.join(workdir, 'checkpoints')):
      raise UsageError(f'work directory {workdir} holds no checkpoints/: {hint}.')
    return
  parent = os.path.abspath(workdir)
  while not os.path.exists(parent):
    parent = os.path.dirname(parent)
  if not os.path.isdir(parent):
    raise UsageError(f'work directory {workdir} lies inside {parent}, which is a file: choose '
                     'another --workdir.')
  _probe_writable(parent)


def check_dataset(config) -> None:
  """Fails with one line for an unknown tensorflow-datasets name (and keeps tfds quiet)."""
  name = str(config.data.get('name', ''))
  if not name.startswith('tfds:'):
    return
  tfds_name = name[len('tfds:'):]
  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  except ImportError:
    return
  _quiet_logs()
  kwargs = config.data.get('kwargs', None) or {}
  try:
    tfds.builder(tfds_name, data_dir=kwargs.get('data_dir', None))
  except tfds.core.registered.DatasetNotFoundError:
    raise UsageError(
        f'unknown tensorflow-datasets dataset {tfds_name!r} (data.name={name!r}): check the '
        'name in https://www.tensorflow.org/datasets/catalog (`tfds.list_builders()` lists '
        'them).') from None
  except Exception:  # pylint: disable=broad-except  (other failures are reported on loading)
    pass


@contextlib.contextmanager
def _unchanged_on_error(workdir: str):
  """Undoes what a start that failed on bad input wrote: a new directory or config.json.

  Only when the failure left nothing but `config.json` behind (it came before the first
  checkpoint or metric): a run that fails later keeps everything it wrote.
  """
  existed = os.path.isdir(workdir)
  before = set(os.listdir(workdir)) if existed else set()
  config_path = os.path.join(workdir, 'config.json')
  old_config = None
  if os.path.isfile(config_path):
    with open(config_path, 'rb') as f:
      old_config = f.read()
  try:
    yield
  except (ValueError, FileNotFoundError):
    after = set(os.listdir(workdir)) if os.path.isdir(workdir) else set()
    if after - before <= {'config.json'}:
      if old_config is not None:
        with open(config_path, 'wb') as f:
          f.write(old_config)
      elif os.path.isfile(config_path):
        os.remove(config_path)
      if not existed and os.path.isdir(workdir) and not os.listdir(workdir):
        os.rmdir(workdir)
    raise


def main(argv=None) -> int:
  args = _parser().parse_args(argv)
  # Imports after parsing keep `jaxgen --help` fast. None of them starts a JAX backend.
  from jaxgen import experiments  # pylint: disable=g-import-not-at-top
  if args.command == 'list':
    from jaxgen import data  # pylint: disable=g-import-not-at-top
    print('Experiments (jaxgen train NAME[:tiny]):')
    for name in experiments.list_experiments():
      print(f'  {name:28s} {experiments.describe(name)}')
    print('Datasets:', ', '.join(data.names()))
    return 0

  from jaxgen import parallel  # pylint: disable=g-import-not-at-top
  from jaxgen.train import config as config_lib  # pylint: disable=g-import-not-at-top
  workdir = args.workdir or os.path.join('workdirs', args.experiment.replace(':', '_'))
  try:
    distributed = parallel.distributed_settings(
        getattr(args, 'coordinator', None), getattr(args, 'num_processes', None),
        getattr(args, 'process_id', None))
    if getattr(args, 'num', None) is not None and args.num < 1:
      raise UsageError(f'--num {args.num}: the number of samples must be at least 1.')
    config = experiments.get_config(args.experiment)
    config_lib.apply_overrides(config, args.overrides)
    config_lib.validate_config(config)
    check_workdir(workdir, args.command, args.experiment)
    check_dataset(config)
  except (ValueError, FileNotFoundError) as e:
    return _fail(e)

  _quiet_logs()
  try:
    parallel.initialize_distributed(**(distributed or {}))
  except (ValueError, RuntimeError) as e:
    return _fail(e)

  from jaxgen import train  # pylint: disable=g-import-not-at-top
  try:
    with _unchanged_on_error(workdir) if args.command == 'train' else contextlib.nullcontext():
      if args.command == 'train':
        result = experiments.train_and_evaluate(config, workdir)
      elif args.command == 'eval':
        result = experiments.evaluate(config, workdir, checkpoint=args.checkpoint)
      else:
        path = experiments.sample(config, workdir, num=args.num, seed=args.seed,
                                  checkpoint=args.checkpoint)
        result = {'samples': path}
  except train.NonFiniteLossError as e:
    return _fail(e, EXIT_NONFINITE)
  except (ValueError, FileNotFoundError) as e:
    return _fail(e)
  except OSError as e:    # a full disk, a file system gone read-only, ...
    return _fail(f'{e.strerror or e} while writing {e.filename or workdir}: free space (or fix '
                 'the file system) and rerun; training resumes from the last checkpoint, '
                 'which is kept.', EXIT_ERROR)
  print(json.dumps(result, indent=2, default=str))
  if args.command != 'sample':
    print(f'Work directory: {os.path.abspath(workdir)}')
  return 0


if __name__ == '__main__':
  sys.exit(main())
