"""Shared bits of the benchmarks: timing, markdown tables and the JSON behind them."""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import jax


def timed(fn, *args, repeats: int = 1):
  """(result, seconds per call) of `fn(*args)`, blocking on the result."""
  start = time.perf_counter()
  for _ in range(repeats):
    out = jax.block_until_ready(fn(*args))
  return out, (time.perf_counter() - start) / repeats


def flops_of(compiled) -> float:
  """XLA's FLOPs of a compiled computation (nan where the backend does not say)."""
  cost = compiled.cost_analysis()
  if isinstance(cost, (list, tuple)):
    cost = cost[0] if cost else {}
  return float(cost.get('flops', float('nan')))


def train_step_row(name: str, repeats: int, steps: int = 10) -> tuple[dict, dict]:
  """The trainer's own jitted step (`jaxgen.train.loop.make_train_step`: the task's loss,
  gradients, the optimiser, the non-finite guard; state donated) of experiment `name` on its
  first training batch, compiled ahead and timed as the median of `repeats` runs of `steps`
  steps after a warm-up, each blocked on.

  Returns:
    (row: config, params, compile_s, seconds (per step), steps_per_s, gflop_per_step;
     the batch the step ran on).
  """
  import statistics  # pylint: disable=g-import-not-at-top
  from jaxgen import experiments, parallel  # pylint: disable=g-import-not-at-top
  from jaxgen.train import loop  # pylint: disable=g-import-not-at-top
  config = experiments.get_config(name)
  config.progress = False
  exp = loop.build(config, experiments.task_factory(config))
  state = exp.init()
  batch = parallel.put_batch(exp.train_data.batch(0), exp.mesh)
  step = loop.make_train_step(exp)
  start = time.perf_counter()
  compiled = step.lower(state, batch, exp.keys['train']).compile()
  compile_s = time.perf_counter() - start

  def run(state):
    for _ in range(steps):
      state, _ = compiled(state, batch, exp.keys['train'])
    return jax.block_until_ready(state)

  state = run(state)                                   # warm-up
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    state = run(state)
    times.append((time.perf_counter() - start) / steps)
  seconds = statistics.median(times)
  params = sum(x.size for x in jax.tree.leaves(state.params))
  return dict(config=name, params=int(params), compile_s=compile_s, seconds=seconds,
              steps_per_s=1.0 / seconds, gflop_per_step=flops_of(compiled) / 1e9), batch


def parser(name: str, description: str) -> argparse.ArgumentParser:
  p = argparse.ArgumentParser(description=description)
  p.add_argument('--out', default=os.path.join(os.path.dirname(__file__), 'results', f'{name}.json'))
  return p


def environment() -> dict:
  return {'jax': jax.__version__, 'backend': jax.default_backend(),
          'devices': [str(d) for d in jax.devices()], 'machine': platform.machine(),
          'cpu_count': os.cpu_count()}


def markdown_table(rows: list[dict], columns: list[str]) -> str:
  def fmt(v):
    return f'{v:.4g}' if isinstance(v, float) else str(v)
  lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
  lines += ['| ' + ' | '.join(fmt(r.get(c, '')) for c in columns) + ' |' for r in rows]
  return '\n'.join(lines)


def report(name: str, rows: list[dict], columns: list[str], out: str, **extra) -> None:
  print(markdown_table(rows, columns))
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  with open(out, 'w', encoding='utf-8') as f:
    json.dump({'benchmark': name, 'environment': environment(), 'rows': rows, **extra}, f, indent=2)
  print(f'\nJSON: {out}')
