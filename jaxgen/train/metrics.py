"""Metrics: JSON lines, TensorBoard events and a progress bar."""
from __future__ import annotations

import json
import math
import os
import sys
import time

import jax.numpy as jnp
import numpy as np


def is_weighted(value) -> bool:
  """Whether a metric is a (sum, weight) pair rather than a value."""
  return isinstance(value, (tuple, list)) and len(value) == 2


def finalize_metric(value):
  """A metric's value: sum / weight for a (sum, weight) pair, else the value itself.

  Tasks report per-token figures as (sum, weight) pairs (the Flax wmt example's
  denominators), so padding never dilutes them and a batch's average over tokens is not an
  average of per-sequence averages.
  """
  if is_weighted(value):
    total, weight = value
    return jnp.sum(total) / jnp.maximum(jnp.sum(weight), 1e-12)
  return value


def finalize_metrics(metrics: dict) -> dict:
  return {k: finalize_metric(v) for k, v in metrics.items()}


def _scalar(v):
  v = np.asarray(v)
  return float(v) if v.size == 1 else float(v.mean())


class MetricWriter:
  """Writes `{"step": s, "split": ..., name: value}` lines to metrics.jsonl and TensorBoard."""

  def __init__(self, workdir: str, tensorboard: bool = True):
    os.makedirs(workdir, exist_ok=True)
    self.path = os.path.join(workdir, 'metrics.jsonl')
    self._file = open(self.path, 'a', encoding='utf-8')
    self._tb = None
    if tensorboard:
      try:
        from tensorboardX import SummaryWriter  # pylint: disable=g-import-not-at-top
        self._tb = SummaryWriter(os.path.join(workdir, 'tensorboard'))
      except ImportError:  # TensorBoard events are optional.
        self._tb = None

  def write(self, step: int, metrics: dict, split: str = 'train') -> dict:
    values = {k: _scalar(v) for k, v in metrics.items()}
    record = {'step': int(step), 'split': split, 'time': time.time(), **values}
    self._file.write(json.dumps(record, allow_nan=True) + '\n')
    self._file.flush()
    if self._tb is not None:
      for k, v in values.items():
        if math.isfinite(v):
          self._tb.add_scalar(f'{split}/{k}', v, step)
    return values

  def close(self):
    self._file.close()
    if self._tb is not None:
      self._tb.close()


def read_metrics(workdir: str, split: str | None = None) -> list[dict]:
  """All records of `workdir/metrics.jsonl` (optionally one split)."""
  path = os.path.join(workdir, 'metrics.jsonl')
  if not os.path.exists(path):
    return []
  with open(path, encoding='utf-8') as f:
    records = [json.loads(line) for line in f if line.strip()]
  return [r for r in records if split is None or r['split'] == split]


class Progress:
  """A tqdm bar showing loss, steps/s and ETA; plain log lines when not on a terminal."""

  def __init__(self, start: int, total: int, enabled: bool = True):
    self._bar = None
    self.start, self.total = start, total
    self._t0, self._s0 = time.time(), start
    if enabled:
      from tqdm.auto import tqdm  # pylint: disable=g-import-not-at-top
      self._bar = tqdm(total=total, initial=start, unit='step', dynamic_ncols=True,
                       file=sys.stderr, disable=not sys.stderr.isatty())
    self._plain = enabled and (self._bar is None or self._bar.disable)

  def update(self, step: int, metrics: dict | None = None):
    rate = (step - self._s0) / max(time.time() - self._t0, 1e-9)
    if self._bar is not None and not self._bar.disable:
      self._bar.n = step
      if metrics:
        self._bar.set_postfix(loss=f"{metrics.get('loss', float('nan')):.4g}",
                              steps_per_s=f'{rate:.2f}', refresh=False)
      self._bar.refresh()
    elif self._plain and metrics is not None:
      eta = (self.total - step) / rate if rate > 0 else float('inf')
      print(f"step {step}/{self.total}  loss {metrics.get('loss', float('nan')):.4f}  "
            f'{rate:.2f} steps/s  ETA {eta:.0f}s', file=sys.stderr, flush=True)
    return rate

  def close(self):
    if self._bar is not None:
      self._bar.close()
