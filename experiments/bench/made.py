"""MADE training throughput and compile time, side by side over model sizes and device counts.

  python experiments/bench/made.py [--steps 200]

For each configuration: the compile time of the jitted train step, its steady-state steps/s
(and examples/s), and the ratio to the first row. Runs on whatever devices JAX sees; set
XLA_FLAGS=--xla_force_host_platform_device_count=8 to add an 8-device CPU mesh.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # pylint: disable=g-import-not-at-top,wrong-import-position

import jax  # pylint: disable=g-import-not-at-top,wrong-import-position

from jaxgen import experiments, parallel, train  # pylint: disable=g-import-not-at-top,wrong-import-position


def measure(spec: str, mesh_data: int, steps: int, **model) -> dict:
  cfg = experiments.get_config(spec)
  cfg.mesh.data = mesh_data
  for k, v in model.items():
    cfg.model[k] = v
  exp = train.build(cfg, experiments.task_factory(cfg))
  state = exp.init()
  step = train.make_train_step(exp)
  batches = [parallel.put_batch(exp.train_data.batch(s), exp.mesh) for s in range(steps + 1)]
  t0 = time.perf_counter()
  state, metrics = step(state, batches[0], exp.keys['train'])
  jax.block_until_ready(metrics)
  compile_s = time.perf_counter() - t0
  t0 = time.perf_counter()
  for s in range(1, steps + 1):
    state, metrics = step(state, batches[s], exp.keys['train'])
  jax.block_until_ready(state)
  per_s = steps / (time.perf_counter() - t0)
  return {'config': spec, 'hidden': str(tuple(cfg.model.hidden_sizes)), 'devices': mesh_data,
          'batch': cfg.data.batch_size, 'compile_s': compile_s, 'steps_per_s': per_s,
          'examples_per_s': per_s * cfg.data.batch_size}


def main():
  p = _common.parser('made', __doc__)
  p.add_argument('--steps', type=int, default=200)
  args = p.parse_args()
  rows = [measure('made_mnist', 1, args.steps),
          measure('made_mnist', 1, args.steps, hidden_sizes=(500, 500)),
          measure('made_mnist:tiny', 1, args.steps)]
  if jax.device_count() > 1:
    rows.append(measure('made_mnist', jax.device_count(), args.steps))
  for r in rows:
    r['speed_vs_first'] = r['steps_per_s'] / rows[0]['steps_per_s']
  _common.report('made', rows, ['config', 'hidden', 'devices', 'batch', 'compile_s',
                                'steps_per_s', 'examples_per_s', 'speed_vs_first'], args.out)


if __name__ == '__main__':
  main()
