"""Flows benchmark: jaxgen vs flowjax on the same data and architecture, and compile time vs
depth for scanned and unrolled flow steps.

Run:  python experiments/bench/flows.py [--out experiments/bench/results/flows.json] [--quick]

1. RealNVP and MAF, side by side in one run, in jaxgen and in flowjax (installed only for
   this benchmark: `pip install flowjax`):
   - data: mnist5k digits flattened to D = 784 (dequantized, logit-transformed as in MAF,
     batch 64) and 2-D moons (batch 256);
   - RealNVP: L affine couplings on vectors, each conditioner an MLP of `depth` hidden layers
     of `width` ReLU units from the D/2 conditioning inputs to the D/2 shifts and scales,
     with a fixed random permutation between layers (flowjax's `coupling_flow`; in jaxgen,
     `bijectors.AffineCoupling` + `bijectors.Permute` with a plain-JAX conditioner, the
     layers under `lax.scan`, no Flax);
   - MAF: L MADE layers of the same widths with reversed / permuted orderings (flowjax's
     `masked_autoregressive_flow`; in jaxgen the `jaxgen.models.flows.MAF` Flax model with
     batch norm off, as flowjax has none);
   - reported: compile time of the jitted Adam step, training steps/s, and the ratios.
2. Compile time against depth: jaxgen's Glow (8x8 images) and MAF with their K identical
   steps under `nn.scan` and unrolled.
Timings on a shared CPU are noisy; compare ratios measured in the same run.
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgen import bijectors as bj
from jaxgen import data
from jaxgen.models import flows


def load(name: str, n: int = 4000) -> np.ndarray:
  """Training vectors: logit-space mnist5k digits [n, 784] or moons [n, 2]."""
  if name == 'moons':
    return data.load('moons', 'train').arrays['x'][:n]
  x = data.load('mnist5k', 'train').arrays['image'][:n].reshape(n, -1).astype(np.float32)
  x = (x + np.random.default_rng(0).random(x.shape, dtype=np.float32)) / 256.0
  return np.asarray(bj.Logit(1e-6).forward(jnp.asarray(x)))


def time_steps(step, state, batches, num_steps: int):
  """(compile seconds of the first step, steady steps per second)."""
  t0 = time.perf_counter()
  state = step(state, batches[0])
  jax.block_until_ready(state)
  compile_s = time.perf_counter() - t0
  t0 = time.perf_counter()
  for i in range(num_steps):
    state = step(state, batches[(i + 1) % len(batches)])
  jax.block_until_ready(state)
  return compile_s, num_steps / (time.perf_counter() - t0)


def adam_step(loss_fn, tx):
  @jax.jit
  def step(state, x):
    params, opt_state = state
    grads = jax.grad(loss_fn)(params, x)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state
  return step


# ----------------------------------------------------------------------------- jaxgen
def _mlp_init(key, sizes):
  keys = jax.random.split(key, len(sizes) - 1)
  return [dict(w=jax.random.normal(k, (a, b)) * (1 / math.sqrt(a) if i < len(sizes) - 2
                                                   else 0.0),
               b=jnp.zeros((b,)))
          for i, (k, a, b) in enumerate(zip(keys, sizes[:-1], sizes[1:]))]


def _mlp(params, h):
  for i, layer in enumerate(params):
    h = h @ layer['w'] + layer['b']
    if i < len(params) - 1:
      h = jax.nn.relu(h)
  return h


def jaxgen_realnvp(key, dim, layers, width, depth):
  """(params, log_prob) of a vector RealNVP from jaxgen.bijectors, scanned over layers."""
  mask = np.arange(dim) < dim // 2
  keep, change = np.flatnonzero(mask), np.flatnonzero(~mask)
  k_mlp, k_perm = jax.random.split(key)
  params = jax.vmap(lambda k: _mlp_init(k, [len(keep)] + [width] * depth + [2 * len(change)]))(
      jax.random.split(k_mlp, layers))
  perms = jnp.stack([bj.random_permutation(k, dim) for k in jax.random.split(k_perm, layers)])

  def conditioner(mlp, x):      # plain JAX: conditioning half in, 2 x transformed half out
    out = _mlp(mlp, x[..., keep]).reshape(x.shape[:-1] + (2, len(change)))
    full = jnp.zeros(x.shape[:-1] + (2, dim)).at[..., change].set(out)
    return full.reshape(x.shape[:-1] + (2 * dim,))

  def log_prob(params, x):
    def layer(carry, p):
      h, ld = carry
      mlp, perm = p
      coupling = bj.AffineCoupling(mask, functools.partial(conditioner, mlp),
                                   scale_activation='tanh')
      h, l1 = coupling.inverse_and_log_det(h)
      h, l2 = bj.Permute(perm).inverse_and_log_det(h)
      return (h, ld + l1 + l2), None
    (z, ld), _ = jax.lax.scan(layer, (x, jnp.zeros(x.shape[0])), (params, perms))
    return jnp.sum(jax.scipy.stats.norm.logpdf(z), -1) + ld
  return params, log_prob


def jaxgen_maf(key, dim, layers, width, depth, scan=True):
  """(params, log_prob) of jaxgen's MAF model (Flax, nn.scan over layers, no batch norm)."""
  cfg = ml_collections.ConfigDict(dict(model=dict(
      arch='maf', num_layers=layers, hidden_sizes=(width,) * depth, batch_norm=False,
      scale_activation='tanh', scan=scan, pixels=False)))
  task = flows.make_task(cfg, {'features': {'x': ((dim,), 'float32')}})
  params = jax.jit(lambda k, b: task.init(k, b).params)(key, {'x': jnp.zeros((2, dim))})
  return params, lambda p, x: task.model.apply({'params': p}, x, method='log_prob')


# ---------------------------------------------------------------------------- flowjax
def flowjax_flow(kind, key, dim, layers, width, depth):
  import equinox as eqx  # pylint: disable=g-import-not-at-top
  import paramax  # pylint: disable=g-import-not-at-top
  from flowjax import distributions as fd  # pylint: disable=g-import-not-at-top
  from flowjax import flows as ff  # pylint: disable=g-import-not-at-top
  base = fd.Normal(jnp.zeros(dim))
  make = ff.coupling_flow if kind == 'realnvp' else ff.masked_autoregressive_flow
  flow = make(key, base_dist=base, flow_layers=layers, nn_width=width, nn_depth=depth)
  params, static = eqx.partition(flow, eqx.is_inexact_array)

  def log_prob(params, x):
    return paramax.unwrap(eqx.combine(params, static)).log_prob(x)
  return params, log_prob


def compare(name, dim, batch, layers, width, depth, num_steps, x):
  rows = []
  rng = np.random.default_rng(0)
  batches = [jnp.asarray(x[rng.integers(0, len(x), batch)]) for _ in range(8)]
  tx = optax.adam(1e-3)
  for kind in ('realnvp', 'maf'):
    res = {}
    for lib in ('jaxgen', 'flowjax'):
      key = jax.random.key(0)
      if lib == 'flowjax':
        params, log_prob = flowjax_flow(kind, key, dim, layers, width, depth)
      elif kind == 'realnvp':
        params, log_prob = jaxgen_realnvp(key, dim, layers, width, depth)
      else:
        params, log_prob = jaxgen_maf(key, dim, layers, width, depth)
      loss = lambda p, xb, lp=log_prob: -jnp.mean(lp(p, xb))
      step = adam_step(loss, tx)
      compile_s, sps = time_steps(lambda s, xb: step(s, xb), (params, tx.init(params)),
                                  batches, num_steps)
      res[lib] = dict(compile_s=compile_s, steps_per_s=sps,
                      initial_nll=float(loss(params, batches[0])))
      print(f'  {name} {kind} {lib}: compile {compile_s:.2f}s, {sps:.1f} steps/s', flush=True)
    rows.append(dict(data=name, model=kind, dim=dim, batch=batch, layers=layers, width=width,
                     depth=depth, **{f'{lib}_{k}': v for lib in res for k, v in res[lib].items()},
                     steps_per_s_ratio=res['jaxgen']['steps_per_s'] / res['flowjax']['steps_per_s'],
                     compile_ratio=res['jaxgen']['compile_s'] / res['flowjax']['compile_s']))
  return rows


# ------------------------------------------------------------------ compile time vs depth
def compile_time(task, batch):
  params, extra = jax.jit(lambda k, b: (lambda v: (v.params, v.extra))(task.init(k, b)))(
      jax.random.key(0), batch)
  from jaxgen.train.task import TrainState, init_opt_state  # pylint: disable=g-import-not-at-top
  state = TrainState(step=jnp.zeros((), jnp.int32), params=params,
                     opt_state=init_opt_state(task.tx, params), extra=extra)
  t0 = time.perf_counter()
  jax.jit(task.train_step).lower(state, batch, jax.random.key(1)).compile()
  return time.perf_counter() - t0


def depth_sweep(depths):
  rows = []
  rng = np.random.default_rng(0)
  images = {'image': rng.integers(0, 256, (16, 8, 8, 1)).astype(np.uint8)}
  vectors = {'x': rng.normal(size=(64, 16)).astype(np.float32)}
  for model, batch, base in (
      ('glow', images, dict(arch='glow', num_scales=2, hidden=32)),
      ('maf', vectors, dict(arch='maf', hidden_sizes=(64,), batch_norm=True))):
    for k in depths:
      row = dict(model=model, depth=k)
      for scan in (True, False):
        key = 'depth' if model == 'glow' else 'num_layers'
        cfg = ml_collections.ConfigDict(dict(
            model=dict(**base, **{key: k, 'scan': scan}),
            optimizer=dict(name='adam', learning_rate=1e-3), num_steps=10))
        row['scan_compile_s' if scan else 'unrolled_compile_s'] = compile_time(
            flows.make_task(cfg, {'features': data.features_of(batch)}), batch)
      row['unrolled_over_scan'] = row['unrolled_compile_s'] / row['scan_compile_s']
      print(f"  {model} K={k}: scan {row['scan_compile_s']:.2f}s, "
            f"unrolled {row['unrolled_compile_s']:.2f}s", flush=True)
      rows.append(row)
  return rows


def markdown(rows, depth_rows) -> str:
  out = ['| data | model | D | L x width | jaxgen steps/s | flowjax steps/s | ratio | '
         'jaxgen compile s | flowjax compile s | ratio |',
         '|---|---|---|---|---|---|---|---|---|---|']
  for r in rows:
    out.append(f"| {r['data']} | {r['model']} | {r['dim']} | {r['layers']} x {r['width']} | "
               f"{r['jaxgen_steps_per_s']:.1f} | {r['flowjax_steps_per_s']:.1f} | "
               f"{r['steps_per_s_ratio']:.2f} | {r['jaxgen_compile_s']:.2f} | "
               f"{r['flowjax_compile_s']:.2f} | {r['compile_ratio']:.2f} |")
  out += ['', '| model | steps K | compile s (nn.scan) | compile s (unrolled) | '
          'unrolled / scan |', '|---|---|---|---|---|']
  for r in depth_rows:
    out.append(f"| {r['model']} | {r['depth']} | {r['scan_compile_s']:.2f} | "
               f"{r['unrolled_compile_s']:.2f} | {r['unrolled_over_scan']:.2f} |")
  return '\n'.join(out)


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  p.add_argument('--out', default=os.path.join(os.path.dirname(__file__), 'results',
                                               'flows.json'))
  p.add_argument('--quick', action='store_true', help='fewer steps and depths')
  args = p.parse_args(argv)
  steps = 20 if args.quick else 100
  depths = (2, 8) if args.quick else (2, 4, 8, 16)
  print('jaxgen vs flowjax (RealNVP, MAF):', flush=True)
  rows = compare('moons', 2, 256, 5, 64, 2, steps, load('moons'))
  rows += compare('mnist5k', 784, 64, 5, 512, 1, max(steps // 4, 5), load('mnist5k'))
  print('compile time vs depth:', flush=True)
  depth_rows = depth_sweep(depths)
  table = markdown(rows, depth_rows)
  print(table)
  os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
  with open(args.out, 'w', encoding='utf-8') as f:
    json.dump(dict(device=str(jax.devices()[0]), platform=platform.platform(),
                   jax=jax.__version__, comparison=rows, depth=depth_rows, table=table), f,
              indent=2)
  print(f'wrote {args.out}')


if __name__ == '__main__':
  main()
