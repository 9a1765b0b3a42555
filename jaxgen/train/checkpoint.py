"""Orbax checkpointing of the whole TrainState, with automatic resume from a work directory.

Each checkpoint is a step folder under `workdir/checkpoints` holding the state (StandardSave,
restored straight into its shardings) and a small JSON of metadata. Orbax writes into a
temporary folder and renames it when complete, so an interrupted save never replaces a good
checkpoint; `max_to_keep` bounds the disk used.

With model selection (`jaxgen.train.selection`) a second Checkpointer keeps the best
checkpoints in `workdir/checkpoints_best` (`BEST_DIR`), with `max_to_keep=None`: the rolling
policy of `workdir/checkpoints` never sees them, and the trainer deletes an old best itself
once no surviving rolling checkpoint's metadata names it (orbax's `best_fn` / `best_mode`
options do not fit: in the rolling manager they would delete the latest checkpoint a resume
needs whenever it is not among the best, and in a separate one they would delete the previous
best at the moment a new one is saved, before the rolling checkpoint that names the new best
is complete).
"""
from __future__ import annotations

import os
from typing import Any

import jax
import numpy as np
import orbax.checkpoint as ocp


BEST_DIR = 'checkpoints_best'


class Checkpointer:
  """A thin wrapper over `ocp.CheckpointManager` for a TrainState."""

  def __init__(self, directory: str, max_to_keep: int | None = 2, async_save: bool = True):
    self.directory = os.path.abspath(directory)
    options = ocp.CheckpointManagerOptions(
        max_to_keep=max_to_keep, create=True, enable_async_checkpointing=async_save)
    self._manager = ocp.CheckpointManager(self.directory, options=options,
                                          item_names=('state', 'meta'))

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def all_steps(self) -> list[int]:
    return list(self._manager.all_steps())

  def save(self, step: int, state: Any, meta: dict | None = None) -> None:
    """Saves `state` at `step`. Refuses states with non-finite parameters."""
    bad = [jax.tree_util.keystr(p) for p, x in jax.tree_util.tree_leaves_with_path(state)
           if np.issubdtype(x.dtype, np.floating) and not bool(jax.numpy.isfinite(x).all())]
    if bad:
      raise FloatingPointError(
          f'Refusing to checkpoint step {step}: non-finite values in {bad[:5]}.')
    self._manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state), meta=ocp.args.JsonSave(meta or {})), force=True)

  def restore(self, abstract_state: Any, step: int | None = None) -> tuple[Any, dict]:
    """Restores into the shapes, dtypes and shardings of `abstract_state`."""
    step = self.latest_step() if step is None else step
    if step is None:
      raise FileNotFoundError(f'No checkpoint in {self.directory}.')
    restored = self._manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(abstract_state), meta=ocp.args.JsonRestore()))
    return restored['state'], dict(restored['meta'] or {})

  def restore_intact(self, abstract_state: Any, strict: bool = False):
    """(state, meta, damaged) from the newest checkpoint that restores; None if none exist.

    A checkpoint that fails to restore (a truncated array file, a missing manifest or
    metadata) is reported in `damaged` as 'step N: reason' and moved aside to
    `<directory>_damaged/N` (kept, never deleted), and the next newest is tried.

    Raises:
      ValueError: with `strict`, at the first damaged checkpoint; or when checkpoints exist
        but none restores (most likely another config's: then nothing is moved).
    """
    steps = sorted(self.all_steps(), reverse=True)
    if not steps:
      return None
    failures = []
    for step in steps:
      try:
        state, meta = self.restore(abstract_state, step)
      except Exception as e:  # orbax raises many types for damaged or mismatched files
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        failures.append((step, reason))
        if strict:
          raise ValueError(f'Checkpoint step {step} in {self.directory} is damaged ({reason}); '
                           'strict_checkpoints is set, so training stops.') from None
        continue
      for bad, _ in failures:
        self._move_aside(bad)
      return state, meta, [f'step {b}: {r}' for b, r in failures]
    step, reason = failures[0]
    raise ValueError(f'No checkpoint in {self.directory} restores into this config (latest, '
                     f'step {step}: {reason}). If the config changed, train it in another '
                     '--workdir.')

  def _move_aside(self, step: int) -> None:
    target = f'{self.directory}_damaged'
    os.makedirs(target, exist_ok=True)
    os.replace(os.path.join(self.directory, str(step)), os.path.join(target, str(step)))
    self._manager.reload()

  def restore_meta(self, step: int | None = None) -> dict:
    """The metadata JSON of `step` (default: the latest) alone, without the state."""
    step = self.latest_step() if step is None else step
    if step is None:
      return {}
    restored = self._manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))
    return dict(restored['meta'] or {})

  def delete(self, step: int) -> None:
    """Deletes the checkpoint of `step` (after any save in flight has finished)."""
    self._manager.wait_until_finished()
    if step in self._manager.all_steps():
      self._manager.delete(step)

  def wait(self) -> None:
    self._manager.wait_until_finished()

  def close(self) -> None:
    self._manager.wait_until_finished()
    self._manager.close()
