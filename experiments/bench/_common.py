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
