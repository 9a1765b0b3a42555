"""Device mesh, sharding rules and putting host batches on devices.

The trainer runs one program over a 2-D `jax.sharding.Mesh` with axes `data` x `model`
(`mesh.data` x `mesh.model` devices; the pjit model, XLA inserts the collectives). The batch
is split along its first axis over `data` and replicated over `model`. Parameters and
optimiser state are replicated unless rules say otherwise:

  * `sharding.rules`: a list of (regex, spec) pairs. The regex is searched in each state
    leaf's slash path (`params/self_attention/query/kernel`, and for Adam's moments
    `opt_state/0/mu/self_attention/query/kernel`, so one rule covers a parameter and its
    optimiser state); the first match gives the leaf's `PartitionSpec` (a tuple of mesh axis
    names or None, one entry per array dimension, shorter specs replicate the rest).
  * `sharding.tensor_parallel`: a named rule set, applied after `sharding.rules`.
    'transformer' is Megatron-style tensor parallelism (Shoeybi et al., 2019) for Flax's
    `nn.MultiHeadDotProductAttention` and T5-style MLPs (`wi`, `wo`): attention heads and the
    MLP's hidden units are split over `model` (`TRANSFORMER_TP_RULES`); 'transformer_vocab'
    also splits the token embedding `embed/embedding` over its vocabulary.
  * `sharding.fsdp`: every leaf of at least `sharding.min_size` elements is also split over
    `data` along its largest dimension that `data` divides and no rule took (FSDP-style, as
    big_vision's `fsdp` rule), so tensor and fully-sharded data parallelism combine.

`mesh.model=1` (the default) is plain data parallelism over a `data` x 1 mesh. A rule whose
mesh axes do not divide the dimension they split fails before anything is allocated, naming
the leaf, the dimension and the axis size. The same code runs on 1 and N devices and on
several hosts (start with `jaxgen.parallel.initialize_distributed()`); there the `model` axis
must lie within each process (`mesh.model` divides the local device count), since each
process reads only its own rows of every batch.
"""
from __future__ import annotations

import math
import re
from typing import Any, Sequence

import jax
import ml_collections
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

DATA = 'data'
MODEL = 'model'

# Megatron-style tensor parallelism for a Transformer built from Flax's
# `nn.MultiHeadDotProductAttention` (query/key/value kernels [d_model, heads, head_dim], their
# biases [heads, head_dim], out kernel [heads, head_dim, d_model]) and MLPs of Dense layers
# `wi` ([d_model, d_ff], or gated `wi_0`, `wi_1`) and `wo` ([d_ff, d_model]). Heads and hidden
# units are split over `model`: the first matmul of each block is column-parallel, the second
# row-parallel, so each block needs one all-reduce of its output (Shoeybi et al., 2019, fig. 3).
# Everything else (the out and wo biases, layer norms) falls through to FSDP or replication.
TRANSFORMER_TP_RULES = (
    (r'(^|/)(query|key|value)/kernel$', (None, MODEL, None)),
    (r'(^|/)(query|key|value)/bias$', (MODEL, None)),
    (r'(^|/)out/kernel$', (MODEL, None, None)),
    (r'(^|/)wi(_\d+)?/kernel$', (None, MODEL)),
    (r'(^|/)wi(_\d+)?/bias$', (MODEL,)),
    (r'(^|/)wo/kernel$', (MODEL, None)),
)
# The same, with the token embedding `embed/embedding` [vocab, d_model] split over its
# vocabulary (Megatron's vocab-parallel embedding); the vocabulary must divide `mesh.model`.
TRANSFORMER_VOCAB_TP_RULES = TRANSFORMER_TP_RULES + (
    (r'(^|/)embed/embedding$', (MODEL, None)),
)
TENSOR_PARALLEL = {'transformer': TRANSFORMER_TP_RULES,
                   'transformer_vocab': TRANSFORMER_VOCAB_TP_RULES}


def make_mesh(config: ml_collections.ConfigDict | None = None,
              devices: Sequence[jax.Device] | None = None) -> Mesh:
  """A `data` x `model` mesh over the first `config.data * config.model` devices.

  Args:
    config: `config.mesh`: `data` (devices on the `data` axis; -1 or None: all devices
      divided by `model`) and `model` (devices on the `model` axis, default 1).
    devices: the devices to use (default `jax.devices()`), in mesh order: row-major, so
      neighbouring devices share a `model` group.
  Returns:
    A `jax.sharding.Mesh` with axes ('data', 'model').
  Raises:
    ValueError: for a mesh the devices cannot hold (too many devices, `model` not dividing
      the device count when `data` is -1, a multi-process mesh whose `model` axis crosses
      processes or that leaves a process without devices).
  """
  devices = list(devices if devices is not None else jax.devices())
  config = config or {}
  model = config.get('model', 1)
  model = 1 if model is None else model
  data = config.get('data', -1)
  if not isinstance(model, (int, np.integer)) or model < 1:
    raise ValueError(f'mesh.model={model!r}: expected a device count >= 1.')
  if model > len(devices):
    raise ValueError(f'mesh.model={model} devices asked for, but {len(devices)} are available.')
  if data in (-1, None):
    if len(devices) % model:
      raise ValueError(f'mesh.model={model} does not divide the {len(devices)} available '
                       f'devices, so mesh.data=-1 (all of them) has no size: set mesh.data '
                       f'(at most {len(devices) // model}) or a mesh.model that divides '
                       f'{len(devices)}.')
    data = len(devices) // model
  if not 1 <= data * model <= len(devices):
    raise ValueError(f'mesh.data={data} x mesh.model={model} = {data * model} devices asked '
                     f'for, but {len(devices)} are available.')
  grid = np.array(devices[:data * model], dtype=object).reshape(data, model)
  if jax.process_count() > 1:
    check_process_layout(np.vectorize(lambda d: d.process_index, otypes=[int])(grid),
                         jax.process_count())
  return Mesh(grid, (DATA, MODEL))


def check_process_layout(process_index: np.ndarray, process_count: int) -> None:
  """Checks that each process holds its own block of `data` rows, whole.

  The data pipeline gives process p the rows [p * b / P, (p + 1) * b / P) of every global
  batch of b rows, and `put_batch` places a process's rows on the `data` shards its devices
  hold (`jax.make_array_from_process_local_data`). So process p must hold exactly the
  `data` indices [p * n / P, (p + 1) * n / P) of an n-row mesh, every `model` device of them.

  Args:
    process_index: [data, model] the process of each mesh device.
    process_count: the number of processes.
  Raises:
    ValueError: naming the mesh, when a `model` group spans processes or the rows are not
      split into equal, ordered blocks, one per process.
  """
  n, model = process_index.shape
  if np.any(process_index != process_index[:, :1]):
    raise ValueError(f'mesh.model={model}: a model-parallel group spans several processes; '
                     f'each process reads only its own rows of the batch, so mesh.model must '
                     f'divide the devices of one process (jax.local_device_count()).')
  rows = process_index[:, 0]
  if n % process_count or np.any(rows != np.arange(n) // (n // process_count)):
    raise ValueError(f'A {n} x {model} mesh over {process_count} processes must give every '
                     f'process the same number of whole data rows, in process order: use '
                     f'every device (mesh.data=-1), with mesh.model dividing each '
                     f"process's device count.")


def batch_sharding(mesh: Mesh) -> NamedSharding:
  """The batch's sharding: the first axis split over `data`, replicated over `model`."""
  return NamedSharding(mesh, P(DATA))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, P())


def _axis_size(mesh: Mesh, axes) -> int:
  axes = axes if isinstance(axes, tuple) else (axes,)
  return math.prod(mesh.shape[a] for a in axes)


def fsdp_spec(shape: Sequence[int], mesh_size: int, min_size: int,
              taken: Sequence[Any] = ()) -> P:
  """Splits over `data` the largest free axis that `mesh_size` divides.

  Args:
    shape: the array's shape.
    mesh_size: the size of the `data` axis.
    min_size: arrays of fewer elements stay as they are.
    taken: a spec already given by a rule (its named dimensions are not free); a spec that
      already uses `data` is returned as it is.
  Returns:
    The `PartitionSpec`.
  """
  spec = list(taken) + [None] * (len(shape) - len(taken))
  used = {a for s in spec if s is not None for a in (s if isinstance(s, tuple) else (s,))}
  if (int(np.prod(shape, dtype=np.int64)) < min_size or mesh_size == 1 or DATA in used):
    return P(*taken)
  for axis in sorted(range(len(shape)), key=lambda a: -shape[a]):
    if spec[axis] is None and shape[axis] % mesh_size == 0:
      spec[axis] = DATA
      return P(*spec)
  return P(*taken)


def path_name(path) -> str:
  """A pytree path as a slash path: `params/self_attention/query/kernel`."""
  parts = []
  for k in path:
    for attr in ('key', 'name', 'idx'):
      if hasattr(k, attr):
        parts.append(str(getattr(k, attr)))
        break
    else:
      parts.append(str(k))
  return '/'.join(parts)


def sharding_rules(config: ml_collections.ConfigDict | None) -> list[tuple[str, tuple]]:
  """The (regex, spec) rules of `config.sharding`: its `rules`, then its `tensor_parallel` set."""
  config = config or {}
  rules = list(config.get('rules', None) or [])
  name = config.get('tensor_parallel', '') or ''
  if name:
    if name not in TENSOR_PARALLEL:
      raise ValueError(f'Unknown sharding.tensor_parallel {name!r}; valid: '
                       f'{", ".join(repr(k) for k in TENSOR_PARALLEL)} (or \'\' for none).')
    rules += list(TENSOR_PARALLEL[name])
  out = []
  for rule in rules:
    if not (isinstance(rule, (tuple, list)) and len(rule) == 2 and isinstance(rule[0], str)
            and isinstance(rule[1], (tuple, list))):
      raise ValueError(f'sharding.rules entry {rule!r}: expected (regex, spec), e.g. '
                       f"(r'mlp/wi/kernel$', (None, 'model')).")
    try:
      re.compile(rule[0])
    except re.error as e:
      raise ValueError(f'sharding.rules entry {rule!r}: {rule[0]!r} is not a regex '
                       f'({e}).') from None
    spec = tuple(tuple(s) if isinstance(s, list) else s for s in rule[1])
    out.append((rule[0], spec))
  return out


def _check_spec(name: str, shape: Sequence[int], spec: tuple, pattern: str, mesh: Mesh):
  """A ValueError unless `spec` fits an array `shape` on `mesh` (axes exist and divide)."""
  where = f'sharding rule {pattern!r} -> {spec} matched {name} of shape {tuple(shape)}'
  if len(spec) > len(shape):
    raise ValueError(f'{where}: the spec has {len(spec)} entries for {len(shape)} dimensions.')
  for dim, axes in enumerate(spec):
    if axes is None:
      continue
    for a in (axes if isinstance(axes, tuple) else (axes,)):
      if a not in mesh.shape:
        raise ValueError(f'{where}: {a!r} is not a mesh axis; the axes are '
                         f'{", ".join(repr(x) for x in mesh.axis_names)}.')
    size = _axis_size(mesh, axes)
    if shape[dim] % size:
      raise ValueError(f'{where}: dimension {dim} (size {shape[dim]}) is not divisible by mesh '
                       f'axis {axes!r} of size {size}; choose a mesh.model (or mesh.data) that '
                       f'divides {shape[dim]}, or a model whose size it divides.')


def state_shardings(abstract_state: Any, mesh: Mesh,
                    config: ml_collections.ConfigDict | None = None) -> Any:
  """Shardings of every leaf of a state, derived from shapes before anything is allocated.

  Args:
    abstract_state: a pytree of arrays or `jax.ShapeDtypeStruct`s (`jax.eval_shape(init)`).
    mesh: the device mesh.
    config: `config.sharding`: `rules`, `tensor_parallel`, `fsdp`, `min_size` (see the
      module docstring). The first rule whose regex is found in a leaf's `path_name` gives
      its spec; with `fsdp`, FSDP then splits a free dimension over `data`.
  Returns:
    A pytree of `NamedSharding`s like `abstract_state`.
  Raises:
    ValueError: for a malformed rule, an unknown rule set or mesh axis, or a rule whose mesh
      axes do not divide the dimension they split (naming the leaf, dimension and axis size).
  """
  config = config or ml_collections.ConfigDict()
  rules = [(pattern, re.compile(pattern), spec) for pattern, spec in sharding_rules(config)]
  fsdp = config.get('fsdp', False)
  min_size = config.get('min_size', 2**14)
  size = mesh.shape[DATA]

  def leaf(path, x):
    name = path_name(path)
    shape = tuple(getattr(x, 'shape', ()))
    spec = ()
    for pattern, regex, rule_spec in rules:
      if regex.search(name):
        _check_spec(name, shape, rule_spec, pattern, mesh)
        spec = rule_spec
        break
    if fsdp and len(shape) > 0:
      return NamedSharding(mesh, fsdp_spec(shape, size, min_size, spec))
    return NamedSharding(mesh, P(*spec))

  return jax.tree_util.tree_map_with_path(leaf, abstract_state)


def check_batch_divisible(batch_size: int, mesh: Mesh, what: str = 'batch_size') -> None:
  """A ValueError unless `batch_size` splits evenly over the mesh's `data` axis."""
  n = mesh.shape[DATA]
  if batch_size % n:
    raise ValueError(f'{what}={batch_size} is not divisible by the {n} devices of the mesh '
                     f"'{DATA}' axis; choose a multiple of {n} or set mesh.data.")


def put_batch(batch: dict, mesh: Mesh) -> dict:
  """Process-local numpy batch -> global jax.Arrays split along `data`, replicated on `model`.

  Each process passes its own rows of the global batch (the data pipeline's share for its
  `jax.process_index()`); `make_mesh` checks that the process holds exactly those `data` rows.
  """
  sharding = batch_sharding(mesh)
  return jax.tree.map(
      lambda x: jax.make_array_from_process_local_data(sharding, np.asarray(x)), batch)
