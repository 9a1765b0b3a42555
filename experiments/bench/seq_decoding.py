"""Encoder-decoder decoding speed: greedy against beam search (k = 1, 4, 8), side by side.

  python experiments/bench/seq_decoding.py [--spec dates_seq2seq] [--workdir DIR] [--repeats 5]

Decodes held-out test sources of `--spec` (default: the Bahdanau dates model) with the task's
jitted decoders (`sampling.greedy`: one `lax.scan`; `sampling.beam_search`: one
`lax.while_loop` that stops when no live hypothesis can beat the finished ones). With
`--workdir` the trained parameters of that run are used; without, freshly initialised ones
(which rarely emit EOS, so beam search runs to the maximum length: its worst case). Rows give
output tokens/s (batch x maximum target length / seconds) and the ratio to greedy at the same
batch size.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import _common  # pylint: disable=g-import-not-at-top,wrong-import-position

import jax  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

from jaxgen import data, experiments  # pylint: disable=g-import-not-at-top,wrong-import-position


def main():
  p = _common.parser('seq_decoding', __doc__)
  p.add_argument('--spec', default='dates_seq2seq')
  p.add_argument('--workdir', default='')
  p.add_argument('--repeats', type=int, default=5)
  args = p.parse_args()
  config = experiments.get_config(args.spec)
  kwargs = dict(config.data.get('kwargs', {}) or {})
  test = data.load(config.data.name, 'test', **kwargs)
  if args.workdir:
    exp, state = experiments.load_state(config, args.workdir)
    task, params = exp.task, state.params
  else:
    train = data.load(config.data.name, 'train', **kwargs)
    task = experiments.make_task(config, train.info)
    params = task.init(jax.random.key(0), train.get(np.arange(2))).params
  rows = []
  for batch in (1, 64):
    b = test.get(np.arange(batch))
    src, n = b['source'], b['source_length']
    _, compile_s = _common.timed(lambda: task.greedy_decode(params, src, n)[0])
    _, sec = _common.timed(lambda: task.greedy_decode(params, src, n)[0],
                           repeats=args.repeats)
    greedy = batch * task.target_len / sec
    rows.append({'decoder': 'greedy', 'batch': batch, 'compile_s': compile_s,
                 'tokens_per_s': greedy, 'ratio_to_greedy': 1.0})
    for k in (1, 4, 8):
      task.beam_size = k
      task._beam = jax.jit(task._beam_impl)      # pylint: disable=protected-access
      _, compile_s = _common.timed(lambda: task.beam_decode(params, src, n)[0])
      _, sec = _common.timed(lambda: task.beam_decode(params, src, n)[0],
                             repeats=args.repeats)
      tps = batch * task.target_len / sec
      rows.append({'decoder': f'beam k={k}', 'batch': batch, 'compile_s': compile_s,
                   'tokens_per_s': tps, 'ratio_to_greedy': tps / greedy})
  _common.report('seq_decoding', rows, ['decoder', 'batch', 'compile_s', 'tokens_per_s',
                                        'ratio_to_greedy'], args.out, spec=args.spec,
                 trained=bool(args.workdir))


if __name__ == '__main__':
  main()
