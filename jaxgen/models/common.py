"""What every family's task does with `config.model`: read it strictly, defaults stated once.

A family's `config.model` holds two kinds of keys: the task's own (the network's `arch`, the
output distribution, the sampler, ...), whose defaults the task declares, and the fields of
the Linen module it builds, whose defaults are the module's dataclass defaults. Any other key
is a mistake (a typo, or a key of another family) and raises a `ValueError` that lists the
valid keys, so `--set model.featurs=64` never trains the default model silently.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import jax
import numpy as np

# Module fields that a task derives (from the data, the output distribution) and a config
# never sets.
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


def feature(info: Mapping | None, key: str, family: str) -> tuple[tuple[int, ...], str]:
  """(per-example shape, dtype name) of batch key `key`, from a data source's `info`.

  Raises a ValueError naming the keys the data has when `key` is missing.
  """
  features = dict((info or {}).get('features', {}))
  if key not in features:
    raise ValueError(f'The {family} family needs data with a {key!r} feature; the dataset '
                     f'has {sorted(features) or "no feature information"}.')
  shape, dtype = features[key]
  return tuple(int(s) for s in shape), str(dtype)


def count_params(params) -> int:
  """Number of scalars in a parameter pytree."""
  return int(sum(np.prod(x.shape) for x in jax.tree.leaves(params)))
