"""Multi-process start-up: `jax.distributed.initialize()` before anything touches JAX.

Where a run's processes come from, first found wins, each setting on its own:

  1. arguments (the command line's `--coordinator HOST:PORT --num-processes N --process-id I`);
  2. `JAXGEN_COORDINATOR`, `JAXGEN_NUM_PROCESSES`, `JAXGEN_PROCESS_ID`;
  3. JAX's `JAX_COORDINATOR_ADDRESS` (with `JAX_NUM_PROCESSES`, `JAX_PROCESS_ID`);
  4. a cluster JAX detects by itself (SLURM, Open MPI, Cloud TPU, Kubernetes): then
     `jax.distributed.initialize()` is called without arguments.

Nothing set means one process: nothing is initialised. This module imports no JAX at import
time, and `distributed_settings` never touches JAX, so a command line can validate its flags
before a backend exists.
"""
from __future__ import annotations

import os
from typing import Mapping

# (setting, jaxgen's variable, JAX's variable)
ENV_VARS = (('coordinator_address', 'JAXGEN_COORDINATOR', 'JAX_COORDINATOR_ADDRESS'),
            ('num_processes', 'JAXGEN_NUM_PROCESSES', 'JAX_NUM_PROCESSES'),
            ('process_id', 'JAXGEN_PROCESS_ID', 'JAX_PROCESS_ID'))
# Variables of clusters whose settings `jax.distributed.initialize()` finds by itself.
CLUSTER_VARS = ('SLURM_JOB_ID', 'OMPI_COMM_WORLD_SIZE', 'TPU_WORKER_HOSTNAMES')
_FLAGS = {'coordinator_address': '--coordinator', 'num_processes': '--num-processes',
          'process_id': '--process-id'}


def _int(value, what: str) -> int:
  try:
    return int(str(value).strip())
  except ValueError:
    raise ValueError(f'{what}={value!r} is not an integer.') from None


def distributed_settings(coordinator_address: str | None = None,
                         num_processes: int | None = None, process_id: int | None = None,
                         environ: Mapping[str, str] | None = None) -> dict | None:
  """The settings of a multi-process run, or None for one process (or a self-detecting cluster).

  Args:
    coordinator_address: 'HOST:PORT' of process 0's coordinator service.
    num_processes: how many processes the run has.
    process_id: this process's index in [0, num_processes).
    environ: the environment to read (default `os.environ`).
  Returns:
    {'coordinator_address', 'num_processes', 'process_id'} when any is given, else None
    (in a SLURM / Open MPI / Cloud TPU environment, only those given: JAX finds the rest).
  Raises:
    ValueError: for a setting that is missing while others are given, not an integer, out of
      range, or a coordinator that is not HOST:PORT; the message names where it came from.
  """
  environ = os.environ if environ is None else environ
  given = {'coordinator_address': coordinator_address, 'num_processes': num_processes,
           'process_id': process_id}
  source = {k: _FLAGS[k] for k, v in given.items() if v is not None}
  for key, ours, jaxs in ENV_VARS:
    for var in (ours, jaxs):
      if given[key] is None and environ.get(var, '') != '':
        given[key], source[key] = environ[var], f'${var}'
  if all(v is None for v in given.values()):
    return None
  missing = [f'{_FLAGS[k]} (or ${ours})' for k, ours, _ in ENV_VARS if given[k] is None]
  if missing and any(v in environ for v in CLUSTER_VARS):
    # A cluster JAX knows fills in the rest (e.g. SLURM's process count and id).
    return {k: (v if k == 'coordinator_address' else _int(v, source[k]))
            for k, v in given.items() if v is not None}
  if missing:
    have = ', '.join(f'{source[k]}={given[k]}' for k in given if given[k] is not None)
    raise ValueError(f'A multi-process run needs a coordinator, a process count and a process '
                     f'id: {have} is set, but not {" and ".join(missing)}.')
  address = str(given['coordinator_address']).strip()
  host, colon, port = address.rpartition(':')
  if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
    raise ValueError(f'{source["coordinator_address"]}={address!r} is not HOST:PORT '
                     '(e.g. 10.0.0.1:1234, the address of process 0).')
  n = _int(given['num_processes'], source['num_processes'])
  i = _int(given['process_id'], source['process_id'])
  if n < 1:
    raise ValueError(f'{source["num_processes"]}={n}: the process count must be at least 1.')
  if not 0 <= i < n:
    raise ValueError(f'{source["process_id"]}={i} must lie in [0, {n}) for {n} processes.')
  return {'coordinator_address': address, 'num_processes': n, 'process_id': i}


def initialize_distributed(coordinator_address: str | None = None,
                           num_processes: int | None = None, process_id: int | None = None,
                           initialization_timeout: int = 300) -> bool:
  """Starts a multi-process run; a no-op for one process. Returns whether it initialised.

  Call it on every process before anything touches devices (`jax.devices()`,
  `jax.process_count()`, any array). Settings come from the arguments, else the environment
  (see the module docstring).

  Raises:
    ValueError: for inconsistent settings (see `distributed_settings`).
    RuntimeError: when JAX was already used in this process, naming the fix.
  """
  settings = distributed_settings(coordinator_address, num_processes, process_id)
  import jax  # pylint: disable=g-import-not-at-top
  if jax.distributed.is_initialized():
    return True
  if settings is None:
    if not any(v in os.environ for v in CLUSTER_VARS):
      return False
    kwargs = {}
  elif settings.get('num_processes') == 1:
    return False
  else:
    kwargs = dict(settings)
  if _backends_started():
    raise RuntimeError('jax.distributed.initialize() must run before anything touches JAX, '
                       'but devices were already in use in this process: call '
                       'jaxgen.parallel.initialize_distributed() first.')
  jax.distributed.initialize(initialization_timeout=initialization_timeout, **kwargs)
  return True


def _backends_started() -> bool:
  try:
    from jax._src import xla_bridge  # pylint: disable=g-import-not-at-top
    return bool(xla_bridge.backends_are_initialized())
  except (ImportError, AttributeError):
    return False
