"""Benchmark: the cost of SAGAN's pieces in one jitted alternating GAN step.

Run:   python experiments/bench/gan.py [--steps 20] [--out experiments/bench/results/gan.json]

Times `GANTask.train_step` (k = 1 discriminator update, one generator update, EMA), compiled
with `jax.jit`, for DCGAN and for SAGAN with and without spectral normalisation and
self-attention, side by side in one process on the same batch. Prints a markdown table of
steps/s and the ratio of each to the full SAGAN step.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from jaxgen import data
from jaxgen.models.gan import configs
from jaxgen.models.gan.task import GANTask
from jaxgen.train.task import TrainState, init_opt_state

VARIANTS = {
    'SAGAN (SN + attention)': dict(arch='sagan'),
    'SAGAN without spectral norm': dict(arch='sagan', spectral_norm=False),
    'SAGAN without attention': dict(arch='sagan', attention_resolution=0),
    'DCGAN (same batch)': dict(arch='dcgan'),
}


def _time_step(config, batch, steps: int) -> tuple[float, float]:
  task = GANTask(config, data.load(config.data.name, 'train').info)
  def init(key, batch):
    v = task.init(key, batch)
    return v.params, v.extra
  params, extra = jax.jit(init)(jax.random.key(0), batch)
  state = TrainState(jnp.zeros((), jnp.int32), params, init_opt_state(task.tx, params), extra)
  step = jax.jit(task.train_step, donate_argnums=0)
  t = time.perf_counter()
  state, m = step(state, batch, jax.random.key(1))
  jax.block_until_ready(m)
  compile_s = time.perf_counter() - t
  t = time.perf_counter()
  for i in range(steps):
    state, m = step(state, batch, jax.random.key(i))
  jax.block_until_ready(state)
  return steps / (time.perf_counter() - t), compile_s


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--steps', type=int, default=20)
  parser.add_argument('--batch_size', type=int, default=64)
  parser.add_argument('--base_features', type=int, default=16)
  parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), 'results',
                                                   'gan.json'))
  args = parser.parse_args()
  src = data.load('mnist5k', 'train')
  batch = src.get(np.arange(args.batch_size))
  rows = []
  for name, overrides in VARIANTS.items():
    maker = configs.dcgan_config if overrides['arch'] == 'dcgan' else configs.sagan_config
    config = maker('mnist5k')
    config.model.base_features = args.base_features
    config.model.update({k: v for k, v in overrides.items() if k != 'arch'})
    rate, compile_s = _time_step(config, batch, args.steps)
    rows.append(dict(variant=name, steps_per_s=rate, compile_s=compile_s))
  base = rows[0]['steps_per_s']
  print(f'GAN train step, mnist5k 28x28, batch {args.batch_size}, base channels '
        f'{args.base_features}, {jax.devices()[0].platform} ({jax.device_count()} device(s))\n')
  print('| variant | steps/s | vs full SAGAN | compile (s) |')
  print('|---|---|---|---|')
  for r in rows:
    r['ratio_vs_sagan'] = r['steps_per_s'] / base
    print(f"| {r['variant']} | {r['steps_per_s']:.2f} | {r['ratio_vs_sagan']:.2f}x | "
          f"{r['compile_s']:.1f} |")
  os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
  with open(args.out, 'w', encoding='utf-8') as f:
    json.dump(dict(device=str(jax.devices()[0]), batch_size=args.batch_size,
                   base_features=args.base_features, steps=args.steps, rows=rows), f, indent=2)


if __name__ == '__main__':
  main()
