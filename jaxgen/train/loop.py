"""The training loop: one pure step, jit-compiled over a device mesh, checkpointed, resumable.

`train_and_evaluate(config, workdir, task)` is the whole job: build the mesh, data and state,
restore the latest checkpoint in `workdir` if there is one, train to `config.num_steps` with
periodic evaluation, samples and checkpoints, then write `final_metrics.json`.

Model selection (`jaxgen.train.selection`): with `data.validation_fraction > 0` the periodic
evaluation (every `eval_every` steps and at the last step) is on the validation split, written
as split 'validation' in metrics.jsonl. With `select_metric` also set, the best evaluation's
state is kept in `workdir/checkpoints_best` (apart from the rolling checkpoints), `patience`
stops training early, and the final report gives the test figures of the last step
(`eval/...`, `final/...`, from step `step`) and of the best one (`best/eval/...`,
`best/final/...`, from step `best/step`). The selection's state rides in every rolling
checkpoint's metadata, so a resumed run stops where an uninterrupted one does.

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
import sys
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen import data as data_lib
from jaxgen import parallel
from jaxgen.train import artifacts
from jaxgen.train import workdir as workdir_lib
from jaxgen.train.checkpoint import BEST_DIR, Checkpointer
from jaxgen.train.metrics import MetricWriter, Progress, finalize_metrics, is_weighted
from jaxgen.train.selection import Selection
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
  validation_data: data_lib.Batcher | None = None   # with data.validation_fraction > 0


def _root_keys(seed: int) -> dict:
  root = jax.random.key(seed)
  return {name: jax.random.fold_in(root, i)
          for i, name in enumerate(('init', 'train', 'eval', 'sample', 'final', 'validation'))}


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
  train_data, validation_data, test_data = data_lib.make_batchers(
      config.data, seed=config.seed, process_index=jax.process_index(),
      process_count=jax.process_count(), with_validation=True)
  if not isinstance(task, Task):
    task = task(getattr(train_data.source, 'info', {}))
  parallel.check_batch_divisible(train_data.batch_size, mesh, 'data.batch_size')
  parallel.check_batch_divisible(test_data.batch_size, mesh, 'data.eval_batch_size')
  if validation_data is not None:
    parallel.check_batch_divisible(validation_data.batch_size, mesh, 'data.eval_batch_size')
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
                    lambda: init_fn(keys['init'], example), keys, validation_data)


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


def evaluate_state(exp: Experiment, state: TrainState, eval_step=None,
                   split: str = 'test') -> dict:
  """Metrics averaged over exactly the test split (or, with split='validation', that one).

  A metric the task reports per example is averaged over examples; a (sum, weight) pair is
  summed over the split and divided by the summed weight (per-token figures).
  """
  eval_step = eval_step or make_eval_step(exp)
  if split == 'test':
    data, key = exp.test_data, exp.keys['eval']
  elif split == 'validation' and exp.validation_data is not None:
    data, key = exp.validation_data, exp.keys['validation']
  else:
    raise ValueError(f'No {split!r} split to evaluate: valid are test and, with '
                     'data.validation_fraction > 0, validation.')
  totals = {}
  for b, (batch, mask) in enumerate(data.epoch()):
    sums = eval_step(state.params, state.extra, parallel.put_batch(batch, exp.mesh),
                     parallel.put_batch(mask, exp.mesh), jax.random.fold_in(key, b))
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
  if samples is None or jax.process_index() != 0:
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


def _restore_or_init(exp: Experiment, ckpt: Checkpointer) -> tuple[TrainState, dict]:
  """The newest intact checkpoint's state (damaged ones are reported and set aside), or a
  fresh state when there is none. `config.strict_checkpoints` stops at a damaged one."""
  restored = ckpt.restore_intact(exp.abstract_state,
                                 strict=bool(exp.config.get('strict_checkpoints', False)))
  if restored is None:
    return exp.init(), {}
  state, meta, damaged = restored
  for line in damaged:
    print(f'jaxgen: warning: damaged checkpoint {line}; moved to {ckpt.directory}_damaged/, '
          f'resuming from step {int(jax.device_get(state.step))}.', file=sys.stderr)
  return state, meta


class _NoMetrics:
  """What processes other than 0 write instead of metrics: nothing (values are returned)."""

  def write(self, step, metrics, split='train'):
    del step, split
    return {k: float(np.asarray(v).mean()) for k, v in metrics.items()}

  def close(self):
    pass


def _test_report(exp: Experiment, state: TrainState, workdir: str, eval_step) -> dict:
  """The test metrics (`eval/...`) and the task's final report (`final/...`) of `state`."""
  out = {f'eval/{k}': v for k, v in evaluate_state(exp, state, eval_step).items()}
  out.update(finalize(exp, state, workdir))
  return out


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
    The final metrics, also written to `workdir/final_metrics.json`: the last step's test
    metrics under `eval/...` and the task's `finalize` report under `final/...` (both from
    step `step`); with model selection also the best step's under `best/eval/...` and
    `best/final/...` (from step `best/step`), its validation figure
    `best/validation/<select_metric>`, and `stopped_early` (whether patience ran out at
    `step` before `num_steps`).
  """
  exp = build(config, task)       # a config that does not build touches nothing
  primary = jax.process_index() == 0
  config_json = config.to_json_best_effort(indent=2)
  if os.path.isdir(os.path.join(workdir, 'checkpoints')):
    workdir_lib.check_config(workdir, config_json)
  os.makedirs(workdir, exist_ok=True)
  lock = workdir_lib.WorkdirLock(workdir) if primary else None
  if lock is not None:
    lock.acquire()
  try:
    return _train(exp, config, workdir, stop_after, primary, config_json)
  finally:
    if lock is not None:
      lock.release()


def _train(exp: Experiment, config, workdir: str, stop_after, primary: bool, config_json: str):
  """`train_and_evaluate` once the work directory is locked and the config accepted."""
  ckpt = Checkpointer(os.path.join(workdir, 'checkpoints'), config.get('keep_checkpoints', 2),
                      async_save=config.get('async_checkpointing', True))
  try:
    state, meta = _restore_or_init(exp, ckpt)
  except BaseException:
    ckpt.close()
    raise
  if primary:    # written once the config is accepted and its checkpoints restore
    with open(os.path.join(workdir, 'config.json'), 'w', encoding='utf-8') as f:
      f.write(config_json)
  writer = MetricWriter(workdir) if primary else _NoMetrics()
  selection = Selection.from_config(config, exp.validation_data is not None)
  best_ckpt = (Checkpointer(os.path.join(workdir, BEST_DIR), None,
                            async_save=config.get('async_checkpointing', True))
               if selection is not None else None)
  start = int(jax.device_get(state.step))
  if selection is not None:
    selection.load_state_dict(meta.get('selection'))
    # Best checkpoints newer than the resumed step are replayed (and saved again if they
    # are still the best); older ones than the best the resumed checkpoint names are stale.
    for s in best_ckpt.all_steps():
      if s > start or (selection.best_step is not None and s < selection.best_step):
        best_ckpt.delete(s)
  train_step, eval_step = make_train_step(exp), make_eval_step(exp)
  total = config.num_steps
  progress = Progress(start, total, enabled=config.get('progress', True) and primary)
  log_every = max(config.get('log_every', 50), 1)
  eval_every = config.get('eval_every', 0)
  ckpt_every = config.get('checkpoint_every', 0)
  validate = exp.validation_data is not None
  best_of_last_save = selection.best_step if selection is not None else None

  def save(s):
    nonlocal best_of_last_save
    _check_finite(pending, writer, ckpt)
    meta = {'step': s}
    if selection is not None:
      meta['selection'] = selection.state_dict()
    ckpt.save(s, state, meta)
    if selection is not None:
      # `ckpt.save` waited for the previous save: every rolling checkpoint a resume can now
      # find names `best_of_last_save` or a later best, so older bests can go.
      for b in best_ckpt.all_steps():
        if best_of_last_save is not None and b < best_of_last_save:
          best_ckpt.delete(b)
      best_of_last_save = selection.best_step

  pending: list = []
  # XLA:CPU runs every virtual device's share of a collective on one small thread pool; with
  # many steps queued, an all-reduce can wait forever for participants that never get a
  # thread. On a multi-device CPU mesh, finish each step before dispatching the next.
  sync_each_step = (exp.mesh.devices.flat[0].platform == 'cpu' and exp.mesh.devices.size > 1)
  t0, compile_time = time.time(), None
  try:
    # A run that stopped early (its last checkpoint says so) only has its final report left.
    end = start if selection is not None and selection.stopped else total
    for step in range(start, end):
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
      if validate and eval_every and (s % eval_every == 0 or s == total):
        # Model selection: the validation split, also at the last step (a candidate).
        _check_finite(pending, writer, ckpt)
        values = writer.write(s, evaluate_state(exp, state, eval_step, 'validation'),
                              'validation')
        if selection is not None and selection.update(s, values):
          best_ckpt.save(s, state, {'step': s, 'selection': selection.state_dict()})
        if s != total:
          write_samples(exp, state, workdir, f'step_{s:07d}')
      elif eval_every and (s % eval_every == 0) and s != total:
        _check_finite(pending, writer, ckpt)
        writer.write(s, evaluate_state(exp, state, eval_step), 'eval')
        write_samples(exp, state, workdir, f'step_{s:07d}')
      stopping = selection is not None and selection.stopped
      if (ckpt_every and s % ckpt_every == 0) or s == total or stopping:
        save(s)
      if stop_after is not None and s >= stop_after:
        return {}
      if stopping:
        break
    _check_finite(pending, writer, ckpt)
    jax.block_until_ready(state)
    train_time = time.time() - t0
    last = int(jax.device_get(state.step))
    final = _test_report(exp, state, workdir, eval_step)
    writer.write(last, {k[5:]: v for k, v in final.items() if k.startswith('eval/')}, 'eval')
    write_samples(exp, state, workdir, 'final')
    if selection is not None and selection.best_step is not None:
      ckpt.wait()
      for b in best_ckpt.all_steps():    # the final rolling checkpoint names the best
        if b != selection.best_step:
          best_ckpt.delete(b)
      best_ckpt.wait()
      best_state, _ = best_ckpt.restore(exp.abstract_state, selection.best_step)
      best = _test_report(exp, best_state, workdir, eval_step)
      writer.write(selection.best_step,
                   {k[5:]: v for k, v in best.items() if k.startswith('eval/')}, 'best_eval')
      final.update({f'best/{k}': v for k, v in best.items()})
      final['best/step'] = selection.best_step
      final[f'best/validation/{selection.metric}'] = selection.best_value
      final['stopped_early'] = selection.stopped
      final['validation_evaluations'] = selection.evaluations
    steps_run = max(last - start, 0)
    # Steady-state speed: the first step (compilation) is excluded, evaluations included.
    final['train_steps_per_s'] = ((steps_run - 1) / max(train_time, 1e-9)
                                  if steps_run > 1 else float('nan'))
    final['compile_time_s'] = compile_time if compile_time is not None else float('nan')
    final['step'] = last
    if primary:
      with open(os.path.join(workdir, 'final_metrics.json'), 'w', encoding='utf-8') as f:
        json.dump(final, f, indent=2)
    return final
  finally:
    progress.close()
    ckpt.close()
    if best_ckpt is not None:
      best_ckpt.close()
    writer.close()


def resolve_checkpoint(workdir: str, checkpoint: str | int | None = None) -> tuple[str, int]:
  """The folder and step that `checkpoint` names in `workdir`.

  Args:
    workdir: a training work directory.
    checkpoint: 'latest' (or None: the latest rolling checkpoint), 'best' (the best
      checkpoint of model selection, in `checkpoints_best`), or a step (int or digits): a
      rolling checkpoint of that step, else a best one.
  Returns:
    (directory, step).
  Raises:
    FileNotFoundError: when there is no such checkpoint; the message lists the steps there.
    ValueError: for any other `checkpoint`.
  """
  rolling_dir, best_dir = os.path.join(workdir, 'checkpoints'), os.path.join(workdir, BEST_DIR)

  def steps(d):
    if not os.path.isdir(d):
      return []
    c = Checkpointer(d, None, async_save=False)
    try:
      return c.all_steps()
    finally:
      c.close()

  rolling = sorted(steps(rolling_dir))
  spec = 'latest' if checkpoint is None else str(checkpoint).strip()
  if spec == 'latest':
    if not rolling:
      raise FileNotFoundError(f'No checkpoint in {rolling_dir}: train first '
                              f'(`jaxgen train ... --workdir {workdir}`).')
    return rolling_dir, rolling[-1]
  best = sorted(steps(best_dir))
  if spec == 'best':
    if not best:
      raise FileNotFoundError(
          f'No best checkpoint in {best_dir}: the run in {workdir} did no model selection '
          '(train with data.validation_fraction > 0 and select_metric set).')
    named = None
    if rolling:     # the latest rolling checkpoint names the best of the run so far
      c = Checkpointer(rolling_dir, None, async_save=False)
      try:
        named = (c.restore_meta(rolling[-1]).get('selection') or {}).get('best_step')
      finally:
        c.close()
    return best_dir, named if named in best else best[-1]
  if not spec.isdigit():
    raise ValueError(f"--checkpoint must be 'best', 'latest' or a step, got {checkpoint!r}.")
  step = int(spec)
  if step in rolling:
    return rolling_dir, step
  if step in best:
    return best_dir, step
  raise FileNotFoundError(f'No checkpoint of step {step} in {workdir}: rolling checkpoints '
                          f'{rolling or "none"}, best {best or "none"}.')


def load_state(config: ml_collections.ConfigDict, workdir: str, task: TaskLike,
               step: int | None = None, checkpoint: str | int | None = None):
  """(Experiment, TrainState) restored from a work directory's checkpoint.

  `checkpoint` is 'latest' (the default), 'best' or a step (see `resolve_checkpoint`);
  `step` is the same as `checkpoint=step`.
  """
  directory, step = resolve_checkpoint(workdir, step if checkpoint is None else checkpoint)
  exp = build(config, task)
  ckpt = Checkpointer(directory, None, async_save=False)
  try:
    state, _ = ckpt.restore(exp.abstract_state, step)
  finally:
    ckpt.close()
  return exp, state


def evaluate(config: ml_collections.ConfigDict, workdir: str, task: TaskLike,
             checkpoint: str | int | None = None) -> dict:
  """Test metrics (and the task's final report) of a checkpoint in `workdir`.

  `checkpoint`: 'latest' (default), 'best' or a step (see `resolve_checkpoint`). The result
  says which: `step` and `checkpoint`.
  """
  exp, state = load_state(config, workdir, task, checkpoint=checkpoint)
  out = _test_report(exp, state, workdir, None)
  out['step'] = int(jax.device_get(state.step))
  out['checkpoint'] = 'latest' if checkpoint is None else str(checkpoint)
  return out


def sample(config: ml_collections.ConfigDict, workdir: str, task: TaskLike,
           num: int | None = None, seed: int = 0,
           checkpoint: str | int | None = None) -> str | None:
  """Writes samples of a checkpoint ('latest', 'best' or a step); returns the file written."""
  exp, state = load_state(config, workdir, task, checkpoint=checkpoint)
  if num is not None:
    exp.config.num_samples = num
  exp.keys['sample'] = jax.random.fold_in(exp.keys['sample'], 1_000_003 + seed)
  tag = f'sample_seed{seed}'
  if checkpoint not in (None, 'latest'):
    tag += f'_step{int(jax.device_get(state.step))}'
  return write_samples(exp, state, workdir, tag)
