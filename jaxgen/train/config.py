"""The base experiment config every experiment starts from, and `--set` overrides."""
from __future__ import annotations

import ast
import os

import ml_collections


def base_config() -> ml_collections.ConfigDict:
  """Defaults of the trainer. Experiments override what they need.

  task            the model family (`jaxgen.models.FAMILIES`).
  seed            the run's root key; per-step keys are fold_in(key, step).
  num_steps       training updates.
  log_every       steps between training-metric lines.
  eval_every      steps between evaluations (and sample grids): on the validation split
                  (also at the last step) when data.validation_fraction > 0, else on test.
  select_metric   model selection: the validation metric to select on ('' : none; e.g.
                  'nll', 'bits_per_dim'). On only with data.validation_fraction > 0: the
                  best evaluation is kept in checkpoints_best/ and tested at the end
                  (`jaxgen.train.selection`).
  select_mode     'min' or 'max': which way select_metric improves.
  patience        early stopping: stop after this many evaluations without improvement
                  (0: never); min_delta the least change that counts as one.
  checkpoint_every steps between orbax checkpoints; keep_checkpoints how many to keep.
  num_samples     samples drawn at each evaluation and at the end.
  data            dataset name, batch sizes, preprocessing, validation_fraction (of train
                  carved out as the validation split) (`jaxgen.data.make_batchers`).
  optimizer       see `jaxgen.train.optim.make_optimizer`.
  mesh.data       devices on the `data` axis (-1: all; default from $JAXGEN_MESH_DATA).
  sharding.fsdp   shard parameters and optimiser state over `data` (FSDP-style).
  model           the family's own hyper-parameters.
  """
  c = ml_collections.ConfigDict()
  c.task = ''
  c.seed = 0
  c.num_steps = 1000
  c.log_every = 50
  c.eval_every = 500
  c.checkpoint_every = 500
  c.keep_checkpoints = 2
  c.select_metric = ''
  c.select_mode = 'min'
  c.patience = 0
  c.min_delta = 0.0
  c.num_samples = 64
  c.progress = True
  c.data = ml_collections.ConfigDict(dict(
      name='mnist5k', batch_size=64, eval_batch_size=200, preprocess=[], logit_alpha=0.05,
      kwargs={}, validation_fraction=0.0, validation_seed=0))
  c.optimizer = ml_collections.ConfigDict(dict(
      name='adam', learning_rate=1e-3, schedule='constant', warmup_steps=0, b1=0.9, b2=0.999,
      eps=1e-8, weight_decay=0.0, grad_clip_norm=0.0))
  c.mesh = ml_collections.ConfigDict(dict(data=int(os.environ.get('JAXGEN_MESH_DATA', -1))))
  c.sharding = ml_collections.ConfigDict(dict(fsdp=False, min_size=2**14))
  c.model = ml_collections.ConfigDict()
  return c


def unknown_variant(experiment: str, variant: str, valid) -> ValueError:
  """The error for a variant that `experiment` does not have, listing the `valid` ones."""
  return ValueError(f'Unknown variant {variant!r} of {experiment}; valid: '
                    f'{", ".join(repr(v) for v in valid)}.')


# Flags every experiment has: 'tiny' (the tests' size: seconds on a CPU) and 'paper' (the
# paper's sizes and schedule: an accelerator's job).
COMMON_FLAGS = ('tiny', 'paper')


class Variant(dict):
  """A parsed variant: flag -> True/False and key -> value, also as attributes."""

  def __getattr__(self, name):
    try:
      return self[name]
    except KeyError:
      raise AttributeError(name) from None


def parse_variant(variant: str, experiment: str, flags=(), options=None,
                  paper: bool = True) -> Variant:
  """Parses an experiment variant: comma-separated flags and `key=value` pairs.

  One grammar for every experiment (big_vision's `parse_arg`): `made_mnist:tiny`,
  `pixelrnn_mnist:tiny,row`, `maf_2d:data=rings,tiny`. Every experiment knows the flags of
  `COMMON_FLAGS` ('tiny', 'paper'); `flags` adds its own, `options` its keys with their
  defaults ({key: default} or {key: (default, valid values)}).

  Args:
    variant: the text after `NAME:` ('' for the default run).
    experiment: the experiment's name, for errors.
    flags: the experiment's own flags.
    options: the experiment's own keys.
    paper: False for an experiment the papers have no size of (then 'paper' is unknown).
  Returns:
    A `Variant` with every flag (True when given) and every option (its value or default).
  Raises:
    ValueError: for an unknown flag or key, a value outside its valid ones, 'tiny' together
      with 'paper', or a repeated entry; the message lists what is valid.
  """
  common = COMMON_FLAGS if paper else ('tiny',)
  flags = tuple(common) + tuple(f for f in flags if f not in COMMON_FLAGS)
  options = dict(options or {})
  spec = {k: (v if isinstance(v, tuple) else (v, None)) for k, v in options.items()}
  out = Variant({f: False for f in flags})
  out.update({k: d for k, (d, _) in spec.items()})
  seen = set()
  valid_text = (f'flags {", ".join(flags)}' +
                (f'; keys {", ".join(f"{k}=..." for k in spec)}' if spec else ''))
  for item in (variant or '').split(','):
    item = item.strip()
    if not item:
      continue
    key, eq, value = item.partition('=')
    key = key.strip()
    if key in seen:
      raise ValueError(f'Variant {variant!r} of {experiment} repeats {key!r}.')
    seen.add(key)
    if eq:
      if key not in spec:
        raise ValueError(f'Unknown variant key {key!r} of {experiment}; valid (comma-'
                         f'separated): {valid_text}.')
      default, valid = spec[key]
      parsed = _parse(value.strip())
      if isinstance(default, float) and isinstance(parsed, int):
        parsed = float(parsed)
      if valid is not None and parsed not in valid:
        raise ValueError(f'Variant {key}={value!r} of {experiment}: valid values are '
                         f'{", ".join(map(str, valid))}.')
      out[key] = parsed
    elif key in flags:
      out[key] = True
    else:
      raise ValueError(f'Unknown variant flag {key!r} of {experiment}; valid (comma-'
                       f'separated): {valid_text}.')
  out.setdefault('paper', False)
  if out['tiny'] and out['paper']:
    raise ValueError(f"Variant {variant!r} of {experiment}: 'tiny' and 'paper' exclude each "
                     'other.')
  return out


def set_schedule(c: ml_collections.ConfigDict, num_steps: int, log_every: int | None = None,
                 eval_every: int | None = None, checkpoint_every: int | None = None,
                 num_samples: int | None = None) -> ml_collections.ConfigDict:
  """Sets a run's length and its periodic work in one call (None keeps a value)."""
  c.num_steps = num_steps
  for key, value in (('log_every', log_every), ('eval_every', eval_every),
                     ('checkpoint_every', checkpoint_every), ('num_samples', num_samples)):
    if value is not None:
      c[key] = value
  return c


def set_selection(c: ml_collections.ConfigDict, metric: str, mode: str = 'min',
                  eval_every: int | None = None, patience: int = 0, min_delta: float = 0.0,
                  validation_fraction: float = 0.1) -> ml_collections.ConfigDict:
  """Turns on model selection: `validation_fraction` of train held out, evaluated every
  `eval_every` steps (None keeps it), the best by `metric` ('min'/'max') kept and tested,
  and early stopping after `patience` evaluations without improvement (0: none)."""
  c.data.validation_fraction = validation_fraction
  c.select_metric, c.select_mode = metric, mode
  c.patience, c.min_delta = patience, min_delta
  if eval_every is not None:
    c.eval_every = eval_every
  return c


def _parse(value: str):
  try:
    return ast.literal_eval(value)
  except (ValueError, SyntaxError):
    return value


def apply_overrides(config: ml_collections.ConfigDict, overrides) -> ml_collections.ConfigDict:
  """Applies `key.sub=value` strings; unknown keys raise a ValueError listing valid ones."""
  for item in overrides or []:
    if '=' not in item:
      raise ValueError(f'Override {item!r} is not of the form key=value.')
    key, value = item.split('=', 1)
    node, parts = config, key.split('.')
    for i, part in enumerate(parts):
      if not isinstance(node, ml_collections.ConfigDict) or part not in node:
        where = '.'.join(parts[:i]) or 'the config'
        valid = sorted(node.keys()) if isinstance(node, ml_collections.ConfigDict) else []
        raise ValueError(f'Unknown config key {key!r}: {where} has no {part!r}. '
                         f'Valid keys there: {", ".join(valid)}.')
      if i < len(parts) - 1:
        node = node[part]
    parsed = _parse(value)
    current = node[parts[-1]]
    if isinstance(current, float) and isinstance(parsed, int):
      parsed = float(parsed)
    if isinstance(current, (list, tuple)) and isinstance(parsed, (list, tuple)):
      parsed = type(current)(parsed)
    with config.unlocked() if hasattr(config, 'unlocked') else _null():
      node[parts[-1]] = parsed
  return config


class _null:
  def __enter__(self):
    return self

  def __exit__(self, *a):
    return False
