"""Finding and loading experiment configs (`experiments/<name>.py`, `get_config(variant)`).

An experiment is named `NAME` or `NAME:VARIANT` (e.g. `made_mnist:tiny`). The folder searched
is `$JAXGEN_EXPERIMENTS`, else `./experiments`, else the `experiments/` folder of the source
checkout jaxgen was installed from.
"""
from __future__ import annotations

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
