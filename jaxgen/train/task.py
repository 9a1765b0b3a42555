"""The task interface: how a model family plugs into the trainer.

`jaxgen.train` knows nothing of any model. A model family package exposes
`make_task(config, info) -> Task` (`info`: the training split's features, their shapes and
dtypes, from the data source); the trainer calls only the members below.

A task owns:
  * `init(rng, batch)` -> `Variables(params, extra)`: trainable parameters and any
    non-trainable state (batch statistics, EMA weights, spectral-norm vectors, ...).
  * `optimizer()` -> an optax transform, or a dict `{name: transform}` for models with
    several optimisers (a GAN's generator and discriminator). With a dict, `params` must be
    a dict with the same top-level keys and `opt_state` becomes a dict of states.
  * `loss(params, extra, batch, rng)` -> `(loss, (metrics, new_extra))`; used by the default
    step. Tasks with several optimisers override `train_step` instead.
  * `train_step(state, batch, rng)` -> `(state, metrics)`: one pure update. The default
    differentiates `loss` and applies the single optimiser. It must be pure and jittable:
    the trainer compiles it with `jax.jit` over the device mesh and donates `state`.
  * `eval_step(params, extra, batch, rng)` -> dict of metrics on one test batch: per-example
    values [b] (averaged over the examples of the split), or `(sum, weight)` pairs (summed
    over the split, then divided: per-token losses and accuracies, as the Flax wmt example's
    denominators). `loss` may return (sum, weight) pairs in its metrics too.
  * `sample(params, extra, rng, num)` -> samples of the kind `sample_kind` declares:
    'image' [n, h, w, c] in [0, 1] (a PNG grid), 'audio' [n, t] in [-1, 1] (a WAV at
    `sample_rate`), 'tokens' int [n, t] (text through `decode(ids) -> str`), 'text' (a list
    of strings), 'array' (.npy). `jaxgen.train.artifacts.write_samples` writes them.
  * `finalize(state, workdir, test_data, rng)` -> dict of final metrics, written to
    `final_metrics.json` under 'final/' (e.g. a conditional model's classifier accuracy);
    `rng` is the run's own 'final' key. Optional.

Every method receives plain pytrees; none of them may hold Python state that changes
across steps, so that a resumed run replays an uninterrupted one exactly.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
import optax

PyTree = Any
Metrics = dict[str, jax.Array]


@dataclasses.dataclass
class Variables:
  """What `Task.init` returns: trainable `params` and non-trainable `extra` state."""
  params: PyTree
  extra: PyTree = dataclasses.field(default_factory=dict)


@flax.struct.dataclass
class TrainState:
  """The whole training state: one pytree, checkpointed as is.

  Attributes:
    step: scalar int32, the number of updates applied so far.
    params: trainable parameters (for several optimisers, a dict keyed like `tx`).
    opt_state: the optax state (a dict of states for several optimisers).
    extra: non-trainable state (batch statistics, EMA parameters, ...).
  """
  step: jax.Array
  params: PyTree
  opt_state: PyTree
  extra: PyTree


def init_opt_state(tx, params):
  """Initialises one optimiser, or a dict of optimisers over matching params keys."""
  if isinstance(tx, Mapping):
    missing = set(tx) - set(params)
    if missing:
      raise ValueError(
          f'Optimisers {sorted(tx)} need params with the same top-level keys; '
          f'params has {sorted(params)}.')
    return {name: t.init(params[name]) for name, t in tx.items()}
  return tx.init(params)


def apply_updates(tx, grads, opt_state, params):
  """One optax update; returns (new_params, new_opt_state)."""
  updates, opt_state = tx.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state


class Task:
  """Base class of a model family's task. Subclasses override what they need."""
  sample_kind = 'array'    # what `sample` returns (see the module docstring)

  def __init__(self, config):
    self.config = config
    self._tx = None

  # --- required -----------------------------------------------------------
  def init(self, rng: jax.Array, batch: Mapping[str, jax.Array]) -> Variables:
    raise NotImplementedError

  def loss(self, params, extra, batch, rng) -> tuple[jax.Array, tuple[Metrics, PyTree]]:
    raise NotImplementedError(
        f'{type(self).__name__} must define loss() or override train_step().')

  # --- optional -----------------------------------------------------------
  def optimizer(self):
    """The optax transform (or dict of them). Default: from `config.optimizer`."""
    from jaxgen.train import optim  # pylint: disable=g-import-not-at-top
    return optim.make_optimizer(self.config.optimizer, self.config.num_steps)

  @property
  def tx(self):
    if self._tx is None:
      self._tx = self.optimizer()
    return self._tx

  def train_step(self, state: TrainState, batch, rng) -> tuple[TrainState, Metrics]:
    """Default single-optimiser step: grad of `loss`, then the optax update."""
    (loss, (metrics, extra)), grads = jax.value_and_grad(self.loss, has_aux=True)(
        state.params, state.extra, batch, rng)
    params, opt_state = apply_updates(self.tx, grads, state.opt_state, state.params)
    metrics = dict(metrics)
    metrics['loss'] = loss
    metrics['grad_norm'] = optax.global_norm(grads)
    new_state = state.replace(step=state.step + 1, params=params,
                              opt_state=opt_state, extra=extra)
    return new_state, metrics

  def eval_step(self, params, extra, batch, rng) -> Metrics:
    """Default evaluation: the training loss on a test batch."""
    loss, (metrics, _) = self.loss(params, extra, batch, rng)
    metrics = dict(metrics)
    metrics['loss'] = loss
    return metrics

  def sample(self, params, extra, rng, num: int) -> jax.Array | None:
    return None

  def finalize(self, state: TrainState, workdir: str, test_data, rng: jax.Array) -> dict:
    return {}


def guard_nonfinite(old: TrainState, new: TrainState, metrics: Metrics):
  """Keeps `old` where the step produced a non-finite loss or parameters.

  The trainer donates the state, so a step must never hand back a NaN state: this makes the
  step a no-op on a bad batch and records `nonfinite=1` in the metrics for the loop to stop on.
  """
  leaves = [metrics['loss']] + jax.tree.leaves(new.params)
  finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))
  state = jax.tree.map(lambda a, b: jnp.where(finite, a, b), new, old)
  metrics = dict(metrics)
  metrics['nonfinite'] = jnp.logical_not(finite).astype(jnp.int32)
  return state, metrics


def count_params(params) -> int:
  """Number of scalars in a parameter pytree."""
  return int(sum(np.prod(x.shape) for x in jax.tree.leaves(params)))
