"""Model selection as the papers do it: the best step on a validation split, and early stopping.

The trainer evaluates the validation split every `config.eval_every` steps (and at the last
step). With `config.select_metric` set and `data.validation_fraction > 0`, a `Selection`
follows that metric:

  * an evaluation improves when its value beats the best so far by more than `min_delta`
    (lower for `select_mode='min'`, higher for 'max'; a NaN never improves). The first
    evaluation always improves. An improving evaluation becomes the best (value and step),
    its state is saved as the best checkpoint, and the count of evaluations without
    improvement restarts at 0 (the rule of Keras' EarlyStopping and Prechelt's "patience").
  * with `patience > 0`, training stops after `patience` evaluations in a row without
    improvement; `stopped_step` records where.

The selection's state (best value, best step, evaluations without improvement, evaluations
done, where it stopped) is plain JSON, saved in every rolling checkpoint's metadata, so a run
killed and resumed from a checkpoint replays exactly the decisions an uninterrupted run makes
and stops at the same step.

References: L. Prechelt, "Early Stopping - But When?" (1998); MADE (Germain et al. 2015) and
MAF (Papamakarios et al. 2017) early-stop on a validation set carved from the training set.
"""
from __future__ import annotations

import dataclasses
import math

import ml_collections

MODES = ('min', 'max')


@dataclasses.dataclass
class Selection:
  """The best step on the validation split by `metric`, and early stopping.

  Attributes:
    metric: the validation metric selected on (a key of the task's eval metrics).
    mode: 'min' (NLL, bits/dim, FID) or 'max' (accuracy, BLEU).
    patience: evaluations without improvement before stopping (0: never stop early).
    min_delta: how much better than the best a value must be to count as an improvement.
    best_value, best_step: the best evaluation so far (None before the first).
    bad_evals: evaluations since the last improvement.
    evaluations: evaluations done.
    stopped_step: the step training stopped at early (None while it runs on).
  """
  metric: str
  mode: str = 'min'
  patience: int = 0
  min_delta: float = 0.0
  best_value: float | None = None
  best_step: int | None = None
  bad_evals: int = 0
  evaluations: int = 0
  stopped_step: int | None = None

  def __post_init__(self):
    if self.mode not in MODES:
      raise ValueError(f'select_mode must be one of {MODES}, got {self.mode!r}.')
    if self.patience < 0 or self.min_delta < 0:
      raise ValueError(f'patience ({self.patience}) and min_delta ({self.min_delta}) must be '
                       'non-negative.')

  @classmethod
  def from_config(cls, config: ml_collections.ConfigDict,
                  has_validation: bool) -> Selection | None:
    """The run's selection, or None when it is off (no validation split or no metric)."""
    metric = config.get('select_metric', '') or ''
    patience = int(config.get('patience', 0) or 0)
    if not (metric and has_validation):
      if patience:
        raise ValueError(
            f'patience={patience} (early stopping) needs a validation split and a metric to '
            'select on: set data.validation_fraction (e.g. 0.1) and select_metric (e.g. nll).')
      return None
    if not config.get('eval_every', 0):
      raise ValueError(f'select_metric={metric!r} needs eval_every > 0 (steps between '
                       'validation evaluations).')
    return cls(metric=metric, mode=config.get('select_mode', 'min') or 'min',
               patience=patience, min_delta=float(config.get('min_delta', 0.0) or 0.0))

  def improves(self, value: float) -> bool:
    """Whether `value` beats the best so far by more than `min_delta`."""
    if not math.isfinite(value):
      return False
    if self.best_value is None:
      return True
    if self.mode == 'min':
      return value < self.best_value - self.min_delta
    return value > self.best_value + self.min_delta

  def update(self, step: int, metrics: dict) -> bool:
    """Records the evaluation of `step`; returns whether it is the new best."""
    if self.metric not in metrics:
      raise ValueError(f'select_metric {self.metric!r} is not among the validation metrics; '
                       f'valid: {", ".join(sorted(metrics))}.')
    value = float(metrics[self.metric])
    self.evaluations += 1
    if self.improves(value):
      self.best_value, self.best_step, self.bad_evals = value, int(step), 0
      return True
    self.bad_evals += 1
    if self.patience and self.bad_evals >= self.patience and self.stopped_step is None:
      self.stopped_step = int(step)
    return False

  @property
  def stopped(self) -> bool:
    return self.stopped_step is not None

  def state_dict(self) -> dict:
    """The JSON saved in each checkpoint's metadata."""
    return {k: getattr(self, k) for k in
            ('metric', 'mode', 'best_value', 'best_step', 'bad_evals', 'evaluations',
             'stopped_step')}

  def load_state_dict(self, state: dict | None) -> None:
    """Restores what `state_dict` saved (a checkpoint of a run without selection: nothing)."""
    if not state:
      return
    if state.get('metric') not in (None, self.metric) or state.get('mode') not in (None,
                                                                                 self.mode):
      raise ValueError(
          f"The checkpoint selected on {state.get('metric')!r} ({state.get('mode')}); this "
          f'config selects on {self.metric!r} ({self.mode}). Use a new work directory to '
          'change the selection metric.')
    for k in ('best_value', 'best_step', 'bad_evals', 'evaluations', 'stopped_step'):
      if k in state:
        setattr(self, k, state[k])
