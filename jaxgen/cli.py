"""The `jaxgen` command: train, evaluate, sample and list experiments.

  jaxgen train EXPERIMENT[:VARIANT] [--workdir DIR] [--set key=value ...]
  jaxgen eval EXPERIMENT[:VARIANT] --workdir DIR [--checkpoint best|latest|STEP] [--set ...]
  jaxgen sample EXPERIMENT[:VARIANT] --workdir DIR [--checkpoint ...] [--num N] [--seed S]
  jaxgen list

`train` resumes from the latest checkpoint in the work directory.
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def _parser() -> argparse.ArgumentParser:
  p = argparse.ArgumentParser(prog='jaxgen', description=__doc__.split('\n\n')[0])
  sub = p.add_subparsers(dest='command', required=True)
  for name, help_ in (('train', 'train (and resume) an experiment'),
                      ('eval', 'evaluate the latest checkpoint'),
                      ('sample', 'write samples of the latest checkpoint')):
    s = sub.add_parser(name, help=help_)
    s.add_argument('experiment', help='NAME or NAME:VARIANT, e.g. made_mnist:tiny')
    s.add_argument('--workdir', default=None,
                   help='work directory (default: workdirs/<experiment>)')
    s.add_argument('--set', dest='overrides', action='append', default=[],
                   metavar='KEY=VALUE', help='override a config value, e.g. num_steps=100')
    if name != 'train':
      s.add_argument('--checkpoint', default='latest', metavar='best|latest|STEP',
                     help="which checkpoint: 'latest' (default), 'best' (the best on the "
                          'validation split, with model selection) or a step')
    if name == 'sample':
      s.add_argument('--num', type=int, default=None, help='number of samples')
      s.add_argument('--seed', type=int, default=0)
  sub.add_parser('list', help='list experiments and datasets')
  return p


def main(argv=None) -> int:
  args = _parser().parse_args(argv)
  # Imports after parsing keep `jaxgen --help` fast.
  from jaxgen import experiments  # pylint: disable=g-import-not-at-top
  if args.command == 'list':
    from jaxgen import data  # pylint: disable=g-import-not-at-top
    print('Experiments (jaxgen train NAME[:tiny]):')
    for name in experiments.list_experiments():
      print(f'  {name:28s} {experiments.describe(name)}')
    print('Datasets:', ', '.join(data.names()))
    return 0

  from jaxgen import parallel, train  # pylint: disable=g-import-not-at-top
  try:
    config = experiments.get_config(args.experiment)
    train.apply_overrides(config, args.overrides)
  except (ValueError, FileNotFoundError) as e:
    print(f'jaxgen: error: {e}', file=sys.stderr)
    return 2
  workdir = args.workdir or os.path.join('workdirs', args.experiment.replace(':', '_'))
  parallel.initialize_distributed()
  try:
    if args.command == 'train':
      result = experiments.train_and_evaluate(config, workdir)
    elif args.command == 'eval':
      result = experiments.evaluate(config, workdir, checkpoint=args.checkpoint)
    else:
      path = experiments.sample(config, workdir, num=args.num, seed=args.seed,
                                checkpoint=args.checkpoint)
      result = {'samples': path}
  except train.NonFiniteLossError as e:
    print(f'jaxgen: error: {e}', file=sys.stderr)
    return 3
  except (ValueError, FileNotFoundError) as e:
    print(f'jaxgen: error: {e}', file=sys.stderr)
    return 2
  print(json.dumps(result, indent=2, default=str))
  if args.command != 'sample':
    print(f'Work directory: {os.path.abspath(workdir)}')
  return 0


if __name__ == '__main__':
  sys.exit(main())
