"""SNAIL's bandit play: the cached rollout against the naive one, and the training step.

  python experiments/bench/snail_bandit.py [--repeats 3] [--pulls 10 100] [--quick]

Rows, for the paper's bandit network at K = 5 arms on batches of 64 episodes of N pulls:
  play        episodes/s of `bandit.cached_rollout` (one pass: each step reads the dense
              blocks' ring buffers and the attention blocks' keys and values) beside
              `bandit.rollout` (the naive path: the whole episode through the network at every
              step, N passes of N steps), the same actions for the same key; the ratio.
  train step  the trainer's jitted step of `bandit_snail:pulls=N` (`_common.train_step_row`):
              play 64 episodes with the cached path, then one actor-critic update.
`--quick` is a smoke test (N = 10 only). At 500 pulls the naive path alone runs for many
minutes per batch on a 2-core CPU (500 passes of 500 steps).

Measured (session 12, idle 2-core Xeon, `python experiments/bench/snail_bandit.py`): at 10
pulls the cached play runs 14,370 episodes/s against the naive path's 3,019 (4.8x); at 100
pulls 819 against 22.5 (36.4x; the naive path's cost grows with N^2). Train steps: 15.4 ms
(10 pulls, 4,156 episodes/s) and 262 ms (100 pulls, 244 episodes/s).
"""
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import _common  # pylint: disable=g-import-not-at-top,wrong-import-position

BATCH = 64


def play_row(pulls: int, repeats: int) -> dict:
  from jaxgen import data  # pylint: disable=g-import-not-at-top
  from jaxgen.models.snail import bandit  # pylint: disable=g-import-not-at-top
  net = bandit.BanditSNAIL(arms=5, pulls=pulls)
  params = net.init(jax.random.key(0), jnp.zeros((1, pulls, 7)))['params']
  ep = data.load('bandits', 'test', arms=5, pulls=pulls).get(np.arange(BATCH))
  probs, uniforms = jnp.asarray(ep['probs']), jnp.asarray(ep['uniforms'])
  policy = lambda x: net.apply({'params': params}, x)[0]
  naive = jax.jit(lambda k: bandit.rollout(policy, probs, uniforms, k))
  cached = jax.jit(lambda k: bandit.cached_rollout(net, params, probs, uniforms, k)[:2])
  key = jax.random.key(1)
  (a1, _), (a2, _) = naive(key), cached(key)           # compiles; the same play
  assert np.array_equal(a1, a2), 'cached and naive play differ'
  _, t_naive = _common.timed(naive, key, repeats=repeats)
  _, t_cached = _common.timed(cached, key, repeats=repeats)
  return dict(pulls=pulls, batch=BATCH, naive_episodes_per_s=BATCH / t_naive,
              cached_episodes_per_s=BATCH / t_cached, speedup=t_naive / t_cached)


def main():
  p = _common.parser('snail_bandit', __doc__.splitlines()[0])
  p.add_argument('--repeats', type=int, default=3)
  p.add_argument('--pulls', type=int, nargs='+', default=[10, 100])
  p.add_argument('--quick', action='store_true')
  args = p.parse_args()
  pulls = (10,) if args.quick else tuple(args.pulls)
  rows = []
  for n in pulls:
    r = play_row(n, 1 if args.quick else args.repeats)
    step, _ = _common.train_step_row(f'bandit_snail:pulls={n}', 1 if args.quick else 3,
                                     steps=2 if args.quick else 5)
    r.update(params=step['params'], train_step_s=step['seconds'],
             train_episodes_per_s=BATCH / step['seconds'])
    rows.append(r)
  _common.report('snail_bandit', rows, ['pulls', 'batch', 'params', 'naive_episodes_per_s',
                                        'cached_episodes_per_s', 'speedup', 'train_step_s',
                                        'train_episodes_per_s'], args.out)


if __name__ == '__main__':
  main()
