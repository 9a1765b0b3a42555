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

Measured: TODO
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
