"""Plain vs cached ancestral sampling of the PixelCNN family, side by side in one run.

  python experiments/bench/pixelcnn_sampling.py [--num 16] [--variant ''] [--out PATH]

For each model (PixelCNN, Gated PixelCNN, Row LSTM, Diagonal BiLSTM, with the architecture of
its experiment config: `--variant tiny` for the small ones) it compiles both samplers of
`jaxgen.models.pixel.sampling` for the same parameters and key, and measures:

  * compile time (lowering + XLA compilation of the whole jitted `lax.scan`),
  * samples/s of the compiled sampler (best of `--repeats` runs, after a warm-up),
  * whether the two samplers drew identical images (they must: same key, same model).

The plain sampler runs the whole network on the whole canvas at each of the H*W*C steps; the
cached one (the idea of Ramachandran et al. 2017, "Fast Generation for Convolutional
Autoregressive Models") computes every layer only at the new pixel, from cached inputs and
states. The speed-up grows with the image size and the depth. Prints a markdown table and
writes the JSON behind it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import jax
import numpy as np

from jaxgen import data, experiments

MODELS = (('PixelCNN', 'pixelcnn_mnist'), ('Gated PixelCNN', 'gated_pixelcnn_mnist'),
          ('Row LSTM', 'pixelrnn_mnist:row'), ('Diagonal BiLSTM', 'pixelrnn_mnist'))


def _spec(spec: str, variant: str) -> str:
  if not variant:
    return spec
  return spec + (',' if ':' in spec else ':') + variant


def measure(spec: str, num: int, repeats: int, levels: int) -> dict:
  """Compile time, samples/s and agreement of both samplers for one experiment's model."""
  config = experiments.get_config(spec)
  config.model.num_levels = levels
  config.data.preprocess = [] if levels > 2 else ['binarize_static']
  task = experiments.make_task(config, data.load(config.data.name, 'train').info)
  dtype = np.float32 if levels == 2 else np.uint8
  example = {'image': np.zeros((1,) + task.image_shape, dtype), 'label': np.zeros(1, np.int32)}
  params = jax.jit(lambda k, b: task.init(k, b).params)(jax.random.key(0), example)
  rng = jax.random.key(1)
  row, samples = {}, {}
  for name in ('plain', 'cached'):
    fn = jax.jit(task.sampling_fn(name), static_argnums=2)
    start = time.perf_counter()
    compiled = fn.lower(params, rng, num, None).compile()
    row[f'{name}_compile_s'] = time.perf_counter() - start
    jax.block_until_ready(compiled(params, rng, None))          # warm-up
    best = float('inf')
    for _ in range(repeats):
      start = time.perf_counter()
      out = jax.block_until_ready(compiled(params, rng, None))
      best = min(best, time.perf_counter() - start)
    samples[name] = np.asarray(out)
    row[f'{name}_samples_per_s'] = num / best
  row['speedup'] = row['cached_samples_per_s'] / row['plain_samples_per_s']
  row['identical'] = bool(np.array_equal(samples['plain'], samples['cached']))
  row['num_params'] = int(sum(x.size for x in jax.tree.leaves(params)))
  return row


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--num', type=int, default=16, help='images per sampler call')
  parser.add_argument('--repeats', type=int, default=2)
  parser.add_argument('--levels', type=int, default=256, help='pixel levels (2 or 256)')
  parser.add_argument('--variant', default='', help="experiment variant, e.g. 'tiny'")
  parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), 'results',
                                                    'pixelcnn_sampling.json'))
  args = parser.parse_args(argv)
  rows = []
  for label, spec in MODELS:
    spec = _spec(spec, args.variant)
    row = dict(model=label, experiment=spec, **measure(spec, args.num, args.repeats, args.levels))
    rows.append(row)
    print(f'measured {label}: {row}', flush=True)
  device = jax.devices()[0]
  print(f'\n28x28x1 images, {args.levels} levels, {args.num} per call; device: '
        f'{device.device_kind} ({jax.device_count()} device(s), {platform.processor() or "cpu"})\n')
  print('| model | params | plain compile (s) | cached compile (s) | plain samples/s | '
        'cached samples/s | cached / plain | identical |')
  print('|---|---:|---:|---:|---:|---:|---:|:---:|')
  for r in rows:
    print(f"| {r['model']} | {r['num_params']:,} | {r['plain_compile_s']:.1f} | "
          f"{r['cached_compile_s']:.1f} | {r['plain_samples_per_s']:.3g} | "
          f"{r['cached_samples_per_s']:.3g} | {r['speedup']:.1f}x | "
          f"{'yes' if r['identical'] else 'NO'} |")
  os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
  with open(args.out, 'w', encoding='utf-8') as f:
    json.dump(dict(device=str(device.device_kind), num=args.num, levels=args.levels,
                   variant=args.variant, jax=jax.__version__, rows=rows), f, indent=2)
  print(f'\nwrote {args.out}')
  return rows


if __name__ == '__main__':
  main()
