"""SNAIL's few-shot training and episode throughput, beside the prototypical network's.

  python experiments/bench/snail.py [--repeats 5] [--quick]

Each row is the trainer's own jitted step (`_common.train_step_row`) of an experiment config
on its batches of 32 episodes of `glyphs` (28x28 letters), and beside it the data layer's
episodes/s (`jaxgen.data.glyphs.EpisodeSource.get`, numpy, one core):

  glyphs_snail                 5-way 1-shot (T = 6 items per episode), the paper's network
  glyphs_snail:arch=protonet   a prototypical network on the same embedding and episodes
  glyphs_snail:shots=5         5-way 5-shot (T = 26)
  glyphs_snail:ways=20         20-way 1-shot (T = 21)

Printed: steps/s, episodes/s and images/s of the step, the time over the prototypical
network's, XLA's FLOPs per step, and the data layer's episodes/s. `--quick` is a smoke test.

Measured (2026-12-03, `PYTHONPATH=. python experiments/bench/snail.py`, jax 0.10.2, a 2-core
Intel Xeon idle but for this run, 8.5 min wall):

  config                       params     T   s/step  episodes/s  images/s  time / proto  GFLOP/step  data episodes/s
  glyphs_snail               3,213,502    6   0.610     52.5        315       0.96         13.8         2,516
  glyphs_snail:arch=protonet   116,096    6   0.637     50.3        302       1            10.4         2,120
  glyphs_snail:shots=5       6,340,286   26   3.269      9.8        255       5.13         74.9         1,436
  glyphs_snail:ways=20       6,475,076   21   2.786     11.5        241       4.38         60.9           848

The step is the embedding's: SNAIL's attention and TC blocks add a third to the FLOPs but
no time at T = 6 (both run at ~17-22 GFLOP/s, the convolutions of 192 28x28 images per
step), and per image the cost stays flat as episodes grow (315 -> 241-255 images/s). The
data layer (numpy, one core) makes 850-2,500 episodes/s, 16-70x what the step consumes.
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import _common  # pylint: disable=g-import-not-at-top,wrong-import-position

CONFIGS = ('glyphs_snail', 'glyphs_snail:arch=protonet', 'glyphs_snail:shots=5',
           'glyphs_snail:ways=20')


def data_episodes_per_s(name: str, num: int = 640) -> float:
  from jaxgen import data, experiments  # pylint: disable=g-import-not-at-top
  c = experiments.get_config(name)
  source = data.load('glyphs', 'train', **c.data.kwargs)
  source.get(np.arange(32))                            # builds / reads the glyph set
  start = time.perf_counter()
  source.get(np.arange(num))
  return num / (time.perf_counter() - start)


def row(name: str, repeats: int) -> dict:
  r, batch = _common.train_step_row(name, repeats)
  b, t = batch['images'].shape[:2]
  return dict(r, batch=int(b), items=int(t), episodes_per_s=b / r['seconds'],
              images_per_s=b * t / r['seconds'], data_episodes_per_s=data_episodes_per_s(name))


def main():
  p = _common.parser('snail', __doc__.splitlines()[0])
  p.add_argument('--repeats', type=int, default=5)
  p.add_argument('--quick', action='store_true')
  args = p.parse_args()
  repeats = 2 if args.quick else args.repeats
  names = CONFIGS[:2] if args.quick else CONFIGS
  rows = [row(name, repeats) for name in names]
  proto = rows[1]['seconds']
  for r in rows:
    r['time_over_protonet'] = r['seconds'] / proto
  _common.report('snail', rows, ['config', 'params', 'items', 'batch', 'compile_s', 'seconds',
                                 'steps_per_s', 'episodes_per_s', 'images_per_s',
                                 'time_over_protonet', 'gflop_per_step',
                                 'data_episodes_per_s'], args.out)


if __name__ == '__main__':
  main()
