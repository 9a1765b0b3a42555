"""The training loop: one pure step, jit-compiled over a device mesh, checkpointed, resumable.

`train_and_evaluate(config, workdir, task)` is the whole job: build the mesh, data and state,
restore the latest checkpoint in `workdir` if there is one, train to `config.num_steps` with
periodic evaluation, samples and checkpoints, then write `final_metrics.json`.

This module knows nothing of any model: `task` is a `Task`, or a factory `info -> Task` that
receives the training split's `info` (its features' shapes and dtypes). Looking a task up by
`config.task` is the experiments' business (`jaxgen.experiments`).

Determinism: the root key is `key(config.seed)`; step `s` uses `fold_in(train_key, s)` and the
data pipeline's batch for `s` is a pure function of (seed, s). A run killed after a checkpoint
and restarted therefore replays exactly the steps an uninterrupted run takes.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen import data as data_lib
from jaxgen import parallel
from jaxgen.train import artifacts
from jaxgen.train.checkpoint import Checkpointer
from jaxgen.train.metrics import MetricWriter, Progress, finalize_metrics, is_weighted
from jaxgen.train.task import Task, TrainState, guard_nonfinite, init_opt_state


class NonFiniteLossError(FloatingPointError):
  """Training produced a NaN or infinite loss (or parameters)."""


@dataclasses.dataclass
class Experiment:
  """Everything built from a config before training starts."""
  config: ml_collections.ConfigDict
  task: Task
  mesh: jax.sharding.Mesh
  train_data: data_lib.Batcher
  test_data: data_lib.Batcher
  abstract_state: Any
  state_shardings: Any
  init: Callable
  keys: dict


def _root_keys(seed: int) -> dict:
  root = jax.random.key(seed)
  return {name: jax.random.fold_in(root, i)
          for i, name in enumerate(('init', 'train', 'eval', 'sample', 'final'))}


TaskLike = Any   # a Task, or a factory `info -> Task`


def build(config: ml_collections.ConfigDict, task: TaskLike) -> Experiment:
  """Builds mesh, data, task and the (abstract) state of an experiment.

  Args:
    config: the experiment config.
    task: a `Task`, or a factory called with the training split's `info`.
  """
  if task is None:
    raise TypeError('build() needs the task: a Task, or a factory info -> Task '
                    '(`jaxgen.experiments.task_factory(config)` looks it up by config.task).')
  mesh = parallel.make_mesh(config.get('mesh'))
  train_data, test_data = data_lib.make_batchers(
      config.data, seed=config.seed, process_index=jax.process_index(),
      process_count=jax.process_count())
  if not isinstance(task, Task):
    task = task(getattr(train_data.source, 'info', {}))
  parallel.check_batch_divisible(train_data.batch_size, mesh, 'data.batch_size')
  parallel.check_batch_divisible(test_data.batch_size, mesh, 'data.eval_batch_size')
  keys = _root_keys(config.seed)
  example = parallel.put_batch(train_data.batch(0), mesh)

  def init(rng, batch):
    variables = task.init(rng, batch)
    return TrainState(step=jnp.zeros((), jnp.int32), params=variables.params,
                      opt_state=init_opt_state(task.tx, variables.params),
                      extra=variables.extra)

  abstract = jax.eval_shape(init, keys['init'], example)
  shardings = parallel.state_shardings(abstract, mesh, config.get('sharding'))
  abstract = jax.tree.map(
      lambda a, s: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=s), abstract, shardings)
  init_fn = jax.jit(init, out_shardings=shardings)
  return Experiment(config, task, mesh, train_data, test_data, abstract, shardings,
                    lambda: init_fn(keys['init'], example), keys)


def make_train_step(exp: Experiment):
  """The jitted step: (state, batch, key) -> (state, metrics); state is donated."""
  task = exp.task

  def step(state, batch, key):
    rng = jax.random.fold_in(key, state.step)
    new_state, metrics = task.train_step(state, batch, rng)
    return guard_nonfinite(state, new_state, finalize_metrics(metrics))

  repl = parallel.replicated(exp.mesh)
  return jax.jit(step, in_shardings=(exp.state_shardings, parallel.batch_sharding(exp.mesh), repl),
                 out_shardings=(exp.state_shardings, repl), donate_argnums=0)


def make_eval_step(exp: Experiment):
  task = exp.task

  def step(params, extra, batch, mask, key):
    metrics = task.eval_step(params, extra, batch, key)
    count = jnp.sum(mask)
    sums = {}
    for k, v in metrics.items():
      if is_weighted(v):     # (sum, weight), per example [b] or per batch
        total, weight = (jnp.asarray(a, jnp.float32) for a in v)
        # Per-example parts are masked; a per-batch scalar is taken as it is.
        per = lambda a: jnp.sum(a.reshape(a.shape[0], -1).sum(-1) * mask) if a.ndim else a
        sums[k] = (per(total), per(weight))
        continue
      v = jnp.asarray(v, jnp.float32)
      sums[k] = (jnp.sum(v * mask) if v.ndim == 1 else v * count, count)
    return sums

  return jax.jit(step)


def evaluate_state(exp: Experiment, state: TrainState, eval_step=None) -> dict:
  """Metrics averaged over exactly the test split.

  A metric the task reports per example is averaged over examples; a (sum, weight) pair is
  summed over the split and divided by the summed weight (per-token figures).
  """
  eval_step = eval_step or make_eval_step(exp)
  totals = {}
  for b, (batch, mask) in enumerate(exp.test_data.epoch()):
    sums = eval_step(state.params, state.extra, parallel.put_batch(batch, exp.mesh),
                     parallel.put_batch(mask, exp.mesh), jax.random.fold_in(exp.keys['eval'], b))
    for k, (total, weight) in jax.device_get(sums).items():
      t, w = totals.get(k, (0.0, 0.0))
      totals[k] = (t + float(total), w + float(weight))
  return {k: t / max(w, 1e-12) for k, (t, w) in totals.items()}


def write_samples(exp: Experiment, state: TrainState, workdir: str, tag: str) -> str | None:
  """Draws `config.num_samples` samples and writes them as the task's `sample_kind` says."""
  num = exp.config.get('num_samples', 64)
  if not num:
    return None
  samples = exp.task.sample(state.params, state.extra,
                            jax.random.fold_in(exp.keys['sample'], state.step), num)
  if samples is None:
    return None
  task = exp.task
  if task.sample_kind != 'text':
    samples = np.asarray(jax.device_get(samples))
  return artifacts.write_samples(samples, task.sample_kind, os.path.join(workdir, 'samples'),
                                 tag, sample_rate=getattr(task, 'sample_rate', None),
                                 decode=getattr(task, 'decode', None))


def finalize(exp: Experiment, state: TrainState, workdir: str) -> dict:
  """The task's final report, every key under 'final/'; its key is the run's 'final' key."""
  report = exp.task.finalize(state, workdir, exp.test_data, exp.keys['final']) or {}
  return {(k if k.startswith('final/') else f'final/{k}'): v for k, v in report.items()}


def _restore_or_init(exp: Experiment, ckpt: Checkpointer) -> TrainState:
  if ckpt.latest_step() is not None:
    state, _ = ckpt.restore(exp.abstract_state)
    return state
  return exp.init()


def _check_finite(pending: list, writer: MetricWriter, ckpt: Checkpointer):
  """Raises NonFiniteLossError naming the first step whose loss was not finite."""
  if not pending:
    return
  flags = np.asarray(jax.device_get(jnp.stack([m['nonfinite'] for _, m in pending])))
  if flags.any():
    i = int(np.argmax(flags))
    step, metrics = pending[i]
    loss = float(jax.device_get(metrics['loss']))
    writer.write(step, jax.device_get(metrics), 'train')
    last = ckpt.latest_step()
    raise NonFiniteLossError(
        f'Non-finite loss ({loss}) at step {step}: training stopped. No state from this step '
        f'was saved; the last good checkpoint is step {last} in {ckpt.directory}.')
  pending.clear()


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str, task: TaskLike,
                       stop_after: int | None = None) -> dict:
  """Trains `config` in `workdir`, resuming from its latest checkpoint.

  Args:
    config: an experiment config (see `jaxgen.train.config.base_config`).
    workdir: where checkpoints, metrics, samples and final metrics go.
    task: a `Task` or a factory `info -> Task` (see `build`).
    stop_after: stop right after this step, as if the process were killed there (for
      resume tests); no final evaluation is done.
  Returns:
    The final metrics (test metrics under `eval/...`, the task's `finalize` report under
    `final/...`), also written to `workdir/final_metrics.json`.
  """
  os.makedirs(workdir, exist_ok=True)
  with open(os.path.join(workdir, 'config.json'), 'w', encoding='utf-8') as f:
    f.write(config.to_json_best_effort(indent=2))
  exp = build(config, task)
  ckpt = Checkpointer(os.path.join(workdir, 'checkpoints'), config.get('keep_checkpoints', 2),
                      async_save=config.get('async_checkpointing', True))
  writer = MetricWriter(workdir)
  state = _restore_or_init(exp, ckpt)
  start = int(jax.device_get(state.step))
  train_step, eval_step = make_train_step(exp), make_eval_step(exp)
  total = config.num_steps
  progress = Progress(start, total, enabled=config.get('progress', True))
  log_every = max(config.get('log_every', 50), 1)
  eval_every = config.get('eval_every', 0)
  ckpt_every = config.get('checkpoint_every', 0)
  pending: list = []
  # XLA:CPU runs every virtual device's share of a collective on one small thread pool; with
  # many steps queued, an all-reduce can wait forever for participants that never get a
  # thread. On a multi-device CPU mesh, finish each step before dispatching the next.
  sync_each_step = (exp.mesh.devices.flat[0].platform == 'cpu' and exp.mesh.devices.size > 1)
  t0, compile_time = time.time(), None
  try:
    for step in range(start, total):
      batch = parallel.put_batch(exp.train_data.batch(step), exp.mesh)
      state, metrics = train_step(state, batch, exp.keys['train'])
      s = step + 1
      pending.append((s, metrics))
      if sync_each_step:
        jax.block_until_ready(metrics)
      if compile_time is None:
        jax.block_until_ready(metrics)
        compile_time = time.time() - t0
        t0 = time.time()
      if s % log_every == 0 or s == total:
        _check_finite(pending, writer, ckpt)
        values = writer.write(s, jax.device_get(metrics), 'train')
        values['steps_per_s'] = progress.update(s, values)
      if eval_every and (s % eval_every == 0) and s != total:
        _check_finite(pending, writer, ckpt)
        writer.write(s, evaluate_state(exp, state, eval_step), 'eval')
        write_samples(exp, state, workdir, f'step_{s:07d}')
      if (ckpt_every and s % ckpt_every == 0) or s == total:
        _check_finite(pending, writer, ckpt)
        ckpt.save(s, state, {'step': s})
      if stop_after is not None and s >= stop_after:
        return {}
    _check_finite(pending, writer, ckpt)
    jax.block_until_ready(state)
    train_time = time.time() - t0
    final = {f'eval/{k}': v for k, v in evaluate_state(exp, state, eval_step).items()}
    writer.write(int(jax.device_get(state.step)), {k[5:]: v for k, v in final.items()}, 'eval')
    write_samples(exp, state, workdir, 'final')
    final.update(finalize(exp, state, workdir))
    # Steady-state speed: the first step (compilation) is excluded, evaluations included.
    final['train_steps_per_s'] = ((total - start - 1) / max(train_time, 1e-9)
                                  if total - start > 1 else float('nan'))
    final['compile_time_s'] = compile_time if compile_time is not None else float('nan')
    final['step'] = int(jax.device_get(state.step))
    with open(os.path.join(workdir, 'final_metrics.json'), 'w', encoding='utf-8') as f:
      json.dump(final, f, indent=2)
    return final
  finally:
    progress.close()
    ckpt.close()
    writer.close()


def load_state(config: ml_collections.ConfigDict, workdir: str, task: TaskLike,
               step: int | None = None):
  """(Experiment, TrainState) restored from a work directory's checkpoint."""
  exp = build(config, task)
  ckpt = Checkpointer(os.path.join(workdir, 'checkpoints'))
  try:
    if ckpt.latest_step() is None:
      raise FileNotFoundError(f'No checkpoint in {workdir}/checkpoints: train first '
                              f'(`jaxgen train ... --workdir {workdir}`).')
    state, _ = ckpt.restore(exp.abstract_state, step)
  finally:
    ckpt.close()
  return exp, state


def evaluate(config: ml_collections.ConfigDict, workdir: str, task: TaskLike) -> dict:
  """Test metrics (and the task's final report) of the latest checkpoint in `workdir`."""
  exp, state = load_state(config, workdir, task)
  out = {f'eval/{k}': v for k, v in evaluate_state(exp, state).items()}
  out.update(finalize(exp, state, workdir))
  out['step'] = int(jax.device_get(state.step))
  return out


def sample(config: ml_collections.ConfigDict, workdir: str, task: TaskLike,
           num: int | None = None, seed: int = 0) -> str | None:
  """Writes samples of the latest checkpoint; returns the file written."""
  exp, state = load_state(config, workdir, task)
  if num is not None:
    exp.config.num_samples = num
  exp.keys['sample'] = jax.random.fold_in(exp.keys['sample'], 1_000_003 + seed)
  return write_samples(exp, state, workdir, f'sample_seed{seed}')
