"""Device mesh, sharding rules and putting host batches on devices.

The trainer runs one program over a `jax.sharding.Mesh` with a `data` axis (the pjit model):
the batch is split along its first axis over `data`; parameters and optimiser state are
replicated, or, with `sharding.fsdp`, each large array is split along its largest axis that
the mesh divides (FSDP-style; XLA inserts the all-gathers). The same code runs on 1 and N
devices and on several hosts (start with `jaxgen.parallel.initialize_distributed()`).
"""
from __future__ import annotations

import re
from typing import Any, Sequence

import jax
import ml_collections
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

DATA = 'data'


def make_mesh(config: ml_collections.ConfigDict | None = None,
              devices: Sequence[jax.Device] | None = None) -> Mesh:
  """A 1-D mesh with axis `data` over `config.data` devices (-1 or None: all)."""
  devices = list(devices if devices is not None else jax.devices())
  n = -1 if config is None else config.get('data', -1)
  if n in (-1, None):
    n = len(devices)
  if not 1 <= n <= len(devices):
    raise ValueError(f'mesh.data={n} devices asked for, but {len(devices)} are available.')
  return Mesh(np.array(devices[:n]), (DATA,))


def batch_sharding(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P(DATA))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def fsdp_spec(shape: Sequence[int], mesh_size: int, min_size: int) -> P:
  """Splits the largest axis the mesh divides, for arrays of at least `min_size` elements."""
  if int(np.prod(shape, dtype=np.int64)) < min_size or mesh_size == 1:
    return P()
  for axis in sorted(range(len(shape)), key=lambda a: -shape[a]):
    if shape[axis] % mesh_size == 0:
      spec = [None] * len(shape)
      spec[axis] = DATA
      return P(*spec)
  return P()


def state_shardings(abstract_state: Any, mesh: Mesh,
                    config: ml_collections.ConfigDict | None = None) -> Any:
  """Shardings of every leaf of a state, derived from shapes before anything is allocated.

  Rules, in order: `config.rules` (a list of (regex on the leaf's path, PartitionSpec tuple)),
  then FSDP if `config.fsdp`, else replicated.
  """
  config = config or ml_collections.ConfigDict()
  rules = [(re.compile(pattern), P(*spec)) for pattern, spec in config.get('rules', []) or []]
  fsdp = config.get('fsdp', False)
  min_size = config.get('min_size', 2**14)
  size = mesh.shape[DATA]

  def leaf(path, x):
    name = jax.tree_util.keystr(path)
    for pattern, spec in rules:
      if pattern.search(name):
        return NamedSharding(mesh, spec)
    shape = getattr(x, 'shape', ())
    if fsdp and len(shape) > 0:
      return NamedSharding(mesh, fsdp_spec(shape, size, min_size))
    return NamedSharding(mesh, P())

  return jax.tree_util.tree_map_with_path(leaf, abstract_state)


def check_batch_divisible(batch_size: int, mesh: Mesh, what: str = 'batch_size') -> None:
  n = mesh.shape[DATA]
  if batch_size % n:
    raise ValueError(f'{what}={batch_size} is not divisible by the {n} devices of the mesh '
                     f"'{DATA}' axis; choose a multiple of {mesh.shape[DATA]} or set mesh.data.")


def put_batch(batch: dict, mesh: Mesh) -> dict:
  """Process-local numpy batch -> global jax.Arrays sharded along `data`."""
  sharding = batch_sharding(mesh)
  return jax.tree.map(
      lambda x: jax.make_array_from_process_local_data(sharding, np.asarray(x)), batch)
