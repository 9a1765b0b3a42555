"""Finding and loading experiment configs (`experiments/<name>.py`, `get_config(variant)`).

An experiment is named `NAME` or `NAME:VARIANT`, the variant in one grammar for all of them
(comma-separated flags and key=value pairs, `jaxgen.train.config.parse_variant`):
`made_mnist:tiny`, `pixelrnn_mnist:tiny,row`, `maf_2d:data=rings`. The folder searched is
`$JAXGEN_EXPERIMENTS`, else `./experiments`, else the `experiments/` folder of the source
checkout jaxgen was installed from.

This module is also where a config finds its model: `FAMILIES` maps `config.task` to a family
package, and `train_and_evaluate`, `evaluate`, `sample` and `load_state` are
`jaxgen.train`'s, with the task looked up from the config.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import pathlib

import ml_collections


def experiments_dir() -> pathlib.Path:
  candidates = []
  if os.environ.get('JAXGEN_EXPERIMENTS'):
    candidates.append(pathlib.Path(os.environ['JAXGEN_EXPERIMENTS']))
  candidates.append(pathlib.Path.cwd() / 'experiments')
  candidates.append(pathlib.Path(__file__).resolve().parent.parent / 'experiments')
  for c in candidates:
    if c.is_dir() and any(c.glob('*.py')):
      return c
  raise FileNotFoundError(
      'No experiments folder found. Run from a jaxgen checkout, or set JAXGEN_EXPERIMENTS to '
      f'its experiments/ folder (looked in: {", ".join(map(str, candidates))}).')


def list_experiments() -> list[str]:
  """Names of all experiments (files in experiments/ with a get_config)."""
  d = experiments_dir()
  return sorted(p.stem for p in d.glob('*.py')
                if not p.stem.startswith('_') and 'def get_config' in p.read_text())


def _load_module(name: str):
  names = list_experiments()
  if name not in names:
    raise ValueError(f'Unknown experiment {name!r}. Valid experiments: {", ".join(names)}.')
  path = experiments_dir() / f'{name}.py'
  spec = importlib.util.spec_from_file_location(f'jaxgen_experiments.{name}', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def get_config(spec: str) -> ml_collections.ConfigDict:
  """The config of `NAME[:VARIANT]`."""
  name, _, variant = spec.partition(':')
  config = _load_module(name).get_config(variant)
  config.experiment = spec
  return config


def describe(name: str) -> str:
  """The first line of an experiment's docstring."""
  doc = (_load_module(name).__doc__ or '').strip()
  return doc.splitlines()[0] if doc else ''


# config.task -> the family package whose `make_task(config, info)` builds the task.
FAMILIES = {
    'made': 'jaxgen.models.made',
    'flows': 'jaxgen.models.flows',     # NICE, RealNVP, Glow, MAF; IAF (model.arch='iaf')
    'pixel': 'jaxgen.models.pixel',     # PixelCNN, Gated / Conditional PixelCNN, PixelRNN
    'wavenet': 'jaxgen.models.wavenet',
    'gan': 'jaxgen.models.gan',         # DCGAN, SAGAN, the 2-D GAN
    'seq': 'jaxgen.models.seq',         # RNN / LSTM language models, taggers, classifiers
    'seq2seq': 'jaxgen.models.seq',     # encoder-decoders with Bahdanau / Luong attention
    'ntm': 'jaxgen.models.ntm',         # the Neural Turing Machine and its LSTM baseline
    'snail': 'jaxgen.models.snail',     # SNAIL and its few-shot baselines
    'snail_bandit': 'jaxgen.models.snail',  # SNAIL as a meta-RL agent on bandits
    'vae': 'jaxgen.models.vae',         # VAEs with diagonal, linear-IAF and IAF posteriors
}


def make_task(config: ml_collections.ConfigDict, info=None):
  """The task of `config.task`, built for data described by `info` (a source's info)."""
  name = config.get('task', '')
  if name not in FAMILIES:
    raise ValueError(f'Unknown task {name!r}. Valid tasks: {", ".join(sorted(FAMILIES))}.')
  return importlib.import_module(FAMILIES[name]).make_task(config, info)


def task_factory(config: ml_collections.ConfigDict):
  """`info -> Task` for `config`: what `jaxgen.train.build` calls with the data's info."""
  if config.get('task', '') not in FAMILIES:
    make_task(config)      # raises the error naming the valid tasks
  return functools.partial(make_task, config)


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str, **kwargs) -> dict:
  """`jaxgen.train.train_and_evaluate` with the task of `config.task`."""
  from jaxgen import train  # pylint: disable=g-import-not-at-top
  return train.train_and_evaluate(config, workdir, task_factory(config), **kwargs)


def evaluate(config: ml_collections.ConfigDict, workdir: str, checkpoint=None) -> dict:
  """`jaxgen.train.evaluate` with the task of `config.task`.

  `checkpoint`: 'latest' (default), 'best' (model selection's best) or a step.
  """
  from jaxgen import train  # pylint: disable=g-import-not-at-top
  return train.evaluate(config, workdir, task_factory(config), checkpoint=checkpoint)


def sample(config: ml_collections.ConfigDict, workdir: str, **kwargs):
  """`jaxgen.train.sample` with the task of `config.task` (`num`, `seed`, `checkpoint`)."""
  from jaxgen import train  # pylint: disable=g-import-not-at-top
  return train.sample(config, workdir, task_factory(config), **kwargs)


def load_state(config: ml_collections.ConfigDict, workdir: str, step: int | None = None,
               checkpoint=None):
  """`jaxgen.train.load_state` with the task of `config.task`: (Experiment, TrainState).

  `checkpoint`: 'latest' (default), 'best' or a step; `step` is the same as a step there.
  """
  from jaxgen import train  # pylint: disable=g-import-not-at-top
  return train.load_state(config, workdir, task_factory(config), step, checkpoint)


def build(config: ml_collections.ConfigDict):
  """`jaxgen.train.build` with the task of `config.task`."""
  from jaxgen import train  # pylint: disable=g-import-not-at-top
  return train.build(config, task_factory(config))
