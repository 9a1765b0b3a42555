"""WaveNet generation speed: naive vs cached (Paine et al. 2016) sampling, side by side.

Run:   python experiments/bench/wavenet_generation.py [--out FILE] [--quick]

For receptive fields of about 250, 1,000 and 4,000 samples (64 residual / 64 gate /
256 skip channels, 256-way softmax) at batch 1 and 16, it measures samples/s of
  naive   `generate_naive`: the network re-run on the last R inputs for every sample;
  cached  `generate_cached`: one `lax.scan` step per sample with per-layer ring buffers;
their ratio, and the real-time factor (samples/s per stream / sample rate; > 1 is faster than
real time) at 8 and 16 kHz. Then the paper-sized network (30 layers = 3 x dilations 1..512,
64 residual, 256 skip channels, 1.27 M weights, 2.5 MFLOP per sample) at batch 1, with
what bounds it: every weight is read once per sample at batch 1, so the step streams
5.1 MB of float32 weights; we measure (a) the same weight traffic alone (a scan of 30
dependent matrix-vector products over 4.9 MB of weights per step) and (b) the per-step cost
with 8 channels (the fixed overhead of 30 layers of small ops), and report achieved GFLOP/s
and GB/s.

Times are the best of several runs after compilation (the machine may be shared). Each
configuration's compile time is excluded.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxgen.models import wavenet as W
from jaxgen.nn import causal_conv

CONFIGS = {   # name -> dilations
    'rf257': causal_conv.wavenet_dilations(1, 8),      # 1..128
    'rf1024': causal_conv.wavenet_dilations(2, 9),     # 2 x 1..256
    'rf4094': causal_conv.wavenet_dilations(4, 10),    # 4 x 1..512
}
PAPER = causal_conv.wavenet_dilations(3, 10)           # 30 layers, rf 3071


def best_time(fn, repeats: int) -> float:
  jax.block_until_ready(fn())      # compile (and warm up)
  times = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    jax.block_until_ready(fn())
    times.append(time.perf_counter() - t0)
  return min(times)


def make(dilations, channels=64, skip=256):
  model = W.WaveNet(dilations=tuple(dilations), residual_channels=channels,
                    dilation_channels=channels, skip_channels=skip, end_channels=skip)
  shapes = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, 8, 256)))['params']
  rng = np.random.default_rng(0)
  params = jax.tree.map(lambda s: jnp.asarray(
      rng.standard_normal(s.shape) / np.sqrt(max(1, np.prod(s.shape[:-1]))), jnp.float32),
                        shapes)
  return model, params


def rate(fn, model, params, steps, batch, repeats):
  seconds = best_time(lambda: fn(model, params, jax.random.key(1), steps, batch), repeats)
  return steps * batch / seconds


def gemv_stream(num_weights: int, steps: int, repeats: int) -> tuple[float, int]:
  """(seconds per step, weights read per step) of a scan of 30 dependent GEMVs per step.

  Layer i multiplies x [1, 64] by its own [64, cols] matrix (about `num_weights` weights in
  all, each read once per step as in batch-1 WaveNet generation) and folds the result back to
  64 values with a sum over column blocks, so the only memory traffic is the weights.
  """
  rows = 64
  blocks = max(1, num_weights // (30 * rows * rows))
  ws = jnp.asarray(np.random.default_rng(0).standard_normal((30, rows, blocks * rows)) * 0.05,
                   jnp.float32)

  @jax.jit
  def run(x0):
    def step(x, _):
      for i in range(30):
        y = (x @ ws[i]).reshape(1, blocks, rows).sum(1)
        x = jnp.tanh(x + 1e-3 * y)
      return x, None
    return lax.scan(step, x0, None, length=steps)[0]

  return best_time(lambda: run(jnp.ones((1, rows))), repeats) / steps, int(ws.size)


def main():
  p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  p.add_argument('--out', default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                               'results', 'wavenet_generation.json'))
  p.add_argument('--quick', action='store_true', help='fewer steps and repeats')
  args = p.parse_args()
  cached_steps, naive_steps, repeats = (500, 2, 2) if args.quick else (2000, 4, 3)
  rows = []
  for name, dilations in CONFIGS.items():
    model, params = make(dilations)
    for batch in (1, 16):
      steps_naive = max(1, naive_steps // (4 if len(dilations) > 30 and batch > 1 else 1))
      naive = rate(W.generate_naive, model, params, steps_naive, batch, max(1, repeats - 1))
      cached = rate(W.generate_cached, model, params, cached_steps, batch, repeats)
      rows.append(dict(config=name, receptive_field=model.receptive_field,
                       layers=len(dilations), batch=batch, naive_samples_per_s=naive,
                       cached_samples_per_s=cached, speedup=cached / naive,
                       rtf_8k=cached / batch / 8000, rtf_16k=cached / batch / 16000))
      print(f'{name} batch {batch}: naive {naive:.1f}/s cached {cached:.0f}/s', flush=True)

  model, params = make(PAPER)
  num_weights = W.count_params(params)
  paper = rate(W.generate_cached, model, params, cached_steps, 1, repeats)
  paper_naive = rate(W.generate_naive, model, params, naive_steps, 1, max(1, repeats - 1))
  small_model, small_params = make(PAPER, channels=8, skip=8)
  overhead_s = 1 / rate(W.generate_cached, small_model, small_params, cached_steps, 1, repeats)
  stream_s, stream_weights = gemv_stream(num_weights, cached_steps, repeats)
  step_s = 1 / paper
  bound = dict(
      weights=num_weights, weight_bytes=4 * num_weights, flop_per_sample=2 * num_weights,
      achieved_gflops=2 * num_weights / step_s / 1e9,
      achieved_weight_gb_per_s=4 * num_weights / step_s / 1e9,
      step_us=step_s * 1e6, overhead_8ch_step_us=overhead_s * 1e6,
      gemv_stream_step_us=stream_s * 1e6, gemv_stream_weights=stream_weights,
      gemv_stream_gb_per_s=4 * stream_weights / stream_s / 1e9,
      gemv_bound_samples_per_s=1 / stream_s)
  paper_row = dict(config='paper (30 layers, 64/256)', receptive_field=model.receptive_field,
                   layers=30, batch=1, naive_samples_per_s=paper_naive,
                   cached_samples_per_s=paper, speedup=paper / paper_naive,
                   rtf_8k=paper / 8000, rtf_16k=paper / 16000)
  rows.append(paper_row)

  lines = ['| config | receptive field | layers | batch | naive samples/s | cached samples/s |'
           ' cached / naive | RTF @ 8 kHz | RTF @ 16 kHz |',
           '|---|---:|---:|---:|---:|---:|---:|---:|---:|']
  for r in rows:
    lines.append(f"| {r['config']} | {r['receptive_field']} | {r['layers']} | {r['batch']} | "
                 f"{r['naive_samples_per_s']:.1f} | {r['cached_samples_per_s']:.0f} | "
                 f"{r['speedup']:.0f}x | {r['rtf_8k']:.3f} | {r['rtf_16k']:.3f} |")
  lines += ['', 'RTF: samples/s per stream / sample rate (1 = real time).', '',
            '| paper config, batch 1 | value |', '|---|---:|',
            f"| cached step | {bound['step_us']:.0f} us ({paper:.0f} samples/s; target 16000) |",
            f"| achieved | {bound['achieved_gflops']:.1f} GFLOP/s, "
            f"{bound['achieved_weight_gb_per_s']:.1f} GB/s of weights |",
            f"| 30 dependent GEMVs alone ({4 * stream_weights / 1e6:.1f} MB/step) | "
            f"{bound['gemv_stream_step_us']:.0f} us = {bound['gemv_stream_gb_per_s']:.1f} GB/s"
            f" -> at most {bound['gemv_bound_samples_per_s']:.0f} samples/s |",
            f"| fixed per-step overhead (same 30 layers, 8 channels) | "
            f"{bound['overhead_8ch_step_us']:.0f} us |"]
  table = '\n'.join(lines)
  print(table)
  result = dict(rows=rows, paper_bound=bound, table=table, quick=args.quick,
                cached_steps=cached_steps, naive_steps=naive_steps,
                machine=dict(cpu_count=os.cpu_count(), platform=platform.platform(),
                             load_average=os.getloadavg(), jax=jax.__version__,
                             devices=[str(d) for d in jax.devices()]))
  os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
  with open(args.out, 'w', encoding='utf-8') as f:
    json.dump(result, f, indent=2)
  print(f'wrote {args.out}')


if __name__ == '__main__':
  main()
