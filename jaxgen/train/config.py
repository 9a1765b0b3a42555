"""The base experiment config every experiment starts from, `--set` overrides, validation."""
from __future__ import annotations

import ast
import dataclasses
import math
import os

from typing import Any, Mapping

import ml_collections
import numpy as np


def base_config() -> ml_collections.ConfigDict:
  """Defaults of the trainer. Experiments override what they need.

  task            the model family (`jaxgen.experiments.FAMILIES`).
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
  strict_checkpoints  stop at a damaged latest checkpoint instead of resuming from the newest
                  intact one (which is the default; damaged ones are moved to
                  checkpoints_damaged/).
  num_samples     samples drawn at each evaluation and at the end.
  data            dataset name, batch sizes, preprocessing, validation_fraction (of train
                  carved out as the validation split) (`jaxgen.data.make_batchers`).
  optimizer       see `jaxgen.train.optim.make_optimizer`.
  mesh.data       devices on the `data` axis (-1: all; default from $JAXGEN_MESH_DATA).
  mesh.model      devices on the `model` axis (tensor parallelism; default 1). The batch is
                  split over `data` and replicated over `model` (`jaxgen.parallel.make_mesh`).
  sharding.fsdp   shard parameters and optimiser state over `data` (FSDP-style).
  sharding.tensor_parallel  a named rule set splitting weights over `model` ('': none;
                  'transformer', 'transformer_vocab': `jaxgen.parallel.TENSOR_PARALLEL`).
  sharding.rules  [(regex on a state leaf's slash path, PartitionSpec tuple)], matched first.
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
  c.strict_checkpoints = False
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
  c.mesh = ml_collections.ConfigDict(dict(data=int(os.environ.get('JAXGEN_MESH_DATA', -1)),
                                         model=1))
  c.sharding = ml_collections.ConfigDict(dict(fsdp=False, min_size=2**14, tensor_parallel='',
                                             rules=[]))
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


_TYPE_NAMES = {bool: 'a boolean (True or False)', int: 'an integer', float: 'a number',
               str: 'a string', list: 'a list', tuple: 'a tuple'}


def _type_name(t) -> str:
  return _TYPE_NAMES.get(t, t.__name__)


def _coerce(key: str, text: str, current):
  """The value of `--set key=text` for a field whose value is `current`; raises a ValueError
  naming the key, the value and the type expected when `text` is not of that type."""
  parsed = _parse(text)
  if current is None or parsed is None:
    return parsed
  want = type(current)
  if isinstance(current, bool):
    if isinstance(parsed, str) and parsed.strip().lower() in ('true', 'false'):
      return parsed.strip().lower() == 'true'
    ok = isinstance(parsed, bool)
  elif isinstance(current, int):
    if isinstance(parsed, float) and parsed.is_integer() and math.isfinite(parsed):
      parsed = int(parsed)
    ok = isinstance(parsed, int) and not isinstance(parsed, bool)
  elif isinstance(current, float):
    if isinstance(parsed, str):
      try:          # 'nan' and 'inf' parse here; validate_config judges their range.
        parsed = float(parsed)
      except ValueError:
        pass
    ok = isinstance(parsed, (int, float)) and not isinstance(parsed, bool)
    parsed = float(parsed) if ok else parsed
  elif isinstance(current, str):
    return text if not isinstance(parsed, str) else parsed
  elif isinstance(current, (list, tuple)):
    ok = isinstance(parsed, (list, tuple))
    parsed = type(current)(parsed) if ok else parsed
  else:
    return parsed
  if not ok:
    raise ValueError(f'--set {key}={text}: expected {_type_name(want)} '
                     f'(it is {current!r} now), got {text!r}.')
  return parsed


def apply_overrides(config: ml_collections.ConfigDict, overrides) -> ml_collections.ConfigDict:
  """Applies `key.sub=value` strings.

  Raises:
    ValueError: for an unknown key (listing the valid ones there), an item without '=', or a
      value that is not of the key's type (naming the key, the value and the type expected).
  """
  for item in overrides or []:
    if '=' not in item:
      raise ValueError(f'Override {item!r} is not of the form key=value.')
    key, value = item.split('=', 1)
    key = key.strip()
    node, parts = config, key.split('.')
    for i, part in enumerate(parts):
      if not isinstance(node, ml_collections.ConfigDict) or part not in node:
        where = '.'.join(parts[:i]) or 'the config'
        valid = sorted(node.keys()) if isinstance(node, ml_collections.ConfigDict) else []
        raise ValueError(f'Unknown config key {key!r}: {where} has no {part!r}. '
                         f'Valid keys there: {", ".join(valid)}.')
      if i < len(parts) - 1:
        node = node[part]
    current = node[parts[-1]]
    if isinstance(current, ml_collections.ConfigDict):
      raise ValueError(f'--set {key}={value}: {key} is a group of settings; set one of its '
                       f'keys instead: {", ".join(f"{key}.{k}" for k in sorted(current))}.')
    parsed = _coerce(key, value, current)
    with config.unlocked() if hasattr(config, 'unlocked') else _null():
      try:
        node[parts[-1]] = parsed
      except TypeError:
        raise ValueError(f'--set {key}={value}: expected {_type_name(type(current))} '
                         f'(it is {current!r} now).') from None
  return config


def validate_config(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """Checks a finished config's types and ranges once, before anything is built or written.

  Checked: num_steps >= 1; log_every, eval_every, checkpoint_every, num_samples >= 0;
  keep_checkpoints >= 1; an integer seed; data batch sizes >= 1 and a dataset name; every
  optimiser (`optimizer` and any group under it that has a `learning_rate`, e.g. a GAN's
  `optimizer.generator`): a known name and schedule (`jaxgen.train.optim`), a finite positive
  learning rate, warmup_steps >= 0, b1 and b2 in [0, 1), finite eps > 0, finite weight_decay
  and grad_clip_norm >= 0; mesh.data -1 or >= 1, mesh.model >= 1; a known
  sharding.tensor_parallel and well-formed sharding.rules. The model's own keys are its
  family's to check.

  Returns:
    `config`, unchanged.
  Raises:
    ValueError: one line naming every key that is wrong, its value and what is expected.
  """
  from jaxgen import parallel  # pylint: disable=g-import-not-at-top
  from jaxgen.train import optim  # pylint: disable=g-import-not-at-top
  problems = []

  def get(key):
    node = config
    for part in key.split('.'):
      if not isinstance(node, (ml_collections.ConfigDict, dict)) or part not in node:
        return _MISSING
      node = node[part]
    return node

  def check(key, kind, lo=None, hi=None, lo_open=False, hi_open=False, optional=False,
            choices=None):
    value = get(key)
    if value is _MISSING or (optional and value is None):
      return
    if kind is int:
      ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
      expected = 'an integer'
    elif kind is float:
      ok = (isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
            and math.isfinite(float(value)))
      expected = 'a finite number'
    elif kind is bool:
      ok, expected = isinstance(value, (bool, np.bool_)), 'True or False'
    else:
      ok, expected = isinstance(value, str) and bool(value), 'a non-empty string'
    if ok and choices is not None and value not in choices:
      ok, expected = False, f'one of {", ".join(map(repr, choices))}'
    if ok and lo is not None and (value <= lo if lo_open else value < lo):
      ok = False
    if ok and hi is not None and (value >= hi if hi_open else value > hi):
      ok = False
    if not ok:
      if kind in (int, float) and (lo is not None or hi is not None):
        bounds = []
        if lo is not None:
          bounds.append(f'{">" if lo_open else ">="} {lo}')
        if hi is not None:
          bounds.append(f'{"<" if hi_open else "<="} {hi}')
        expected += ' ' + ' and '.join(bounds)
      problems.append(f'{key}={value!r} (expected {expected})')

  check('num_steps', int, lo=1)
  for key in ('log_every', 'eval_every', 'checkpoint_every', 'num_samples'):
    check(key, int, lo=0)
  check('keep_checkpoints', int, lo=1, optional=True)
  check('seed', int)
  check('progress', bool)
  check('data.name', str)
  check('data.batch_size', int, lo=1)
  check('data.eval_batch_size', int, lo=1)
  check('data.logit_alpha', float, lo=0, hi=0.5, hi_open=True)
  check('data.validation_fraction', float, lo=0, hi=1, hi_open=True)
  check('mesh.data', int, lo=-1)
  if get('mesh.data') == 0:
    problems.append('mesh.data=0 (expected -1 for all devices, or a device count >= 1)')
  check('mesh.model', int, lo=1)
  check('sharding.fsdp', bool)
  check('sharding.min_size', int, lo=0)
  tp = get('sharding.tensor_parallel')
  if tp is not _MISSING and tp not in ('',) + tuple(parallel.TENSOR_PARALLEL):
    problems.append(f'sharding.tensor_parallel={tp!r} (expected one of '
                    f'{", ".join(map(repr, ("",) + tuple(parallel.TENSOR_PARALLEL)))})')
  rules = get('sharding.rules')
  if rules is not _MISSING and rules:
    try:
      parallel.sharding_rules({'rules': rules})
    except ValueError as e:
      problems.append(str(e).rstrip('.'))
  opt = get('optimizer')
  groups = []
  if isinstance(opt, (ml_collections.ConfigDict, dict)):
    groups.append('optimizer')
    groups += [f'optimizer.{k}' for k, v in opt.items()
               if isinstance(v, (ml_collections.ConfigDict, dict)) and 'learning_rate' in v]
  for g in groups:
    check(f'{g}.name', str, choices=optim.OPTIMIZERS)
    check(f'{g}.schedule', str, choices=optim.SCHEDULES)
    check(f'{g}.learning_rate', float, lo=0, lo_open=True)
    check(f'{g}.warmup_steps', int, lo=0)
    for b in ('b1', 'b2', 'momentum', 'decay'):
      check(f'{g}.{b}', float, lo=0, hi=1, hi_open=True, optional=True)
    check(f'{g}.eps', float, lo=0, lo_open=True)
    for key in ('weight_decay', 'grad_clip_norm', 'grad_clip_value'):
      check(f'{g}.{key}', float, lo=0, optional=True)
    check(f'{g}.final_lr_fraction', float, lo=0, hi=1)
    check(f'{g}.decay_steps', int, lo=1)
    check(f'{g}.decay_rate', float, lo=0, lo_open=True)
  if problems:
    name = config.get('experiment', '') if hasattr(config, 'get') else ''
    raise ValueError(f'Invalid config{f" of {name}" if name else ""}: ' + '; '.join(problems)
                     + '.')
  return config


_MISSING = object()


class _null:
  def __enter__(self):
    return self

  def __exit__(self, *a):
    return False

# ----------------------------------------------------------------- reading config.model strictly
# A family's `config.model` holds the task's own keys (defaults declared by the task) and the
# fields of the Linen module it builds (defaults: the module's dataclass defaults). Any other
# key is a mistake and raises a ValueError listing the valid ones, so `--set model.featurs=64`
# never trains the default model silently. Module fields a task derives itself are `derived`.
DERIVED = ('parent', 'name')


def module_fields(cls) -> set[str]:
  """The dataclass fields of a Linen module class that a config may set."""
  return {f.name for f in dataclasses.fields(cls) if f.init} - set(DERIVED)


def read_model_config(model: Mapping[str, Any], family: str, task_keys: Mapping[str, Any],
                      module=None, derived: tuple[str, ...] = ()) -> tuple[dict, dict]:
  """Splits `config.model` into (task values, module kwargs); unknown keys raise.

  Args:
    model: `config.model` (a ConfigDict or dict).
    family: the family's name, for the error message.
    task_keys: {key: default} of the task's own keys.
    module: the Linen module class whose fields may also be set (or None).
    derived: module fields the task sets itself (they may not appear in the config).
  Returns:
    (task values with defaults filled in, module kwargs with lists turned into tuples).
  Raises:
    ValueError: for a key that is neither a task key nor a settable module field.
  """
  fields = (module_fields(module) - set(derived)) if module is not None else set()
  valid = set(task_keys) | fields
  unknown = sorted(set(model.keys()) - valid)
  if unknown:
    where = f' and the fields of {module.__name__}' if module is not None else ''
    raise ValueError(f'Unknown config.model key(s) {", ".join(unknown)} for the {family} '
                     f'family (its task keys{where}); valid: {", ".join(sorted(valid))}.')
  task = {k: model.get(k, v) for k, v in task_keys.items()}
  kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in model.items()
            if k in fields}
  return task, kwargs


def check_choice(value, valid, key: str):
  """A ValueError naming `key` unless `value` is one of `valid`."""
  if value not in valid:
    raise ValueError(f'Unknown {key} {value!r}; valid: {", ".join(map(repr, valid))}.')
  return value
