"""NTM training throughput against the LSTM baseline of the same size, side by side.

  python experiments/bench/ntm.py [--repeats 20] [--quick]

Each row is the trainer's own jitted step (`jaxgen.train.loop.make_train_step`: the task's
loss, gradients, the optimiser, the non-finite guard; state donated) of an experiment config
on copy batches of 32 sequences of lengths 1-10, compiled ahead, then timed as the median
of `--repeats` runs of 10 steps after a warm-up, each blocked on:

  ntm_copy             the default NTM (LSTM controller of 100, N = 128 locations of M = 20,
                       one read and one write head, shifts -1..1): 62,260 parameters
  ntm_copy:arch=lstm   three stacked LSTMs of 54 (61,352 parameters), the paper's baseline
  ntm_copy:paper       the NTM on the paper's lengths 1-20 (twice the steps per sequence)

Printed: steps/s, sequences/s, the NTM / LSTM time per step, and XLA's FLOPs per step.
The NTM's step runs its addressing (content similarity over N rows, the 3-tap circular
shift, sharpening) and a read and an erase-then-add write of the N x M memory at each of
the T time steps, inside one `lax.scan`; the LSTM's is three [in + H, 4H] matmuls per step.
`--quick` shrinks the repeats to a smoke test.

Measured (2026-12-03, `PYTHONPATH=. python experiments/bench/ntm.py`, jax 0.10.2, a 2-core
Intel Xeon idle but for this run, 2 min wall):

  config               params   T    s/step   steps/s  sequences/s  time / LSTM  GFLOP/step
  ntm_copy             62,260   21   0.129      7.7        247          6.7x        0.023
  ntm_copy:arch=lstm   61,352   21   0.019     51.4      1,645          1           0.015
  ntm_copy:paper       62,260   41   0.170      5.9        188          8.8x        0.027

The NTM's step takes 6.7x the LSTM's time for 1.5x its FLOPs: both run far below the CPU's
~50 GFLOP/s (0.17 and 0.8 GFLOP/s), so their time is per-op overhead, and the NTM's
addressing is a chain of ~30 small ops per head and time step. Doubling the sequence
(`:paper`, T = 41) adds only 32%: most of the NTM's step is a fixed part, not its scan over
time (a lead for the speed issue).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import _common  # pylint: disable=g-import-not-at-top,wrong-import-position

CONFIGS = ('ntm_copy', 'ntm_copy:arch=lstm', 'ntm_copy:paper')


def row(name: str, repeats: int) -> dict:
  r, batch = _common.train_step_row(name, repeats)
  return dict(r, time_steps=int(batch['x'].shape[1]), batch=int(batch['x'].shape[0]),
              sequences_per_s=batch['x'].shape[0] / r['seconds'])


def main():
  p = _common.parser('ntm', __doc__.splitlines()[0])
  p.add_argument('--repeats', type=int, default=20)
  p.add_argument('--quick', action='store_true')
  args = p.parse_args()
  repeats = 2 if args.quick else args.repeats
  rows = [row(name, repeats) for name in CONFIGS]
  lstm = rows[1]['seconds']
  for r in rows:
    r['time_over_lstm'] = r['seconds'] / lstm
  _common.report('ntm', rows, ['config', 'params', 'time_steps', 'batch', 'compile_s',
                               'seconds', 'steps_per_s', 'sequences_per_s', 'time_over_lstm',
                               'gflop_per_step'], args.out)


if __name__ == '__main__':
  main()
