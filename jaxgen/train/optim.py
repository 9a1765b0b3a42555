"""Optimisers from config: an optax chain of clipping, the update rule and a schedule."""
from __future__ import annotations

import jax.numpy as jnp
import ml_collections
import optax

OPTIMIZERS = ('adam', 'adamw', 'adamax', 'sgd', 'rmsprop')
SCHEDULES = ('constant', 'cosine', 'exponential', 'warmup_cosine', 'rsqrt')


def rsqrt_schedule(scale: float, warmup_steps: int):
  """The Transformer's schedule (Vaswani et al. 2017, eq. 3), which optax does not ship:

    lrate = scale * min(step^-0.5, step * warmup_steps^-1.5),   step = count + 1

  linear warm-up for `warmup_steps` updates, then decay with the inverse square root of the
  step; the paper's `scale` is d_model^-0.5, the peak (at step = warmup_steps) is
  scale * warmup_steps^-0.5. `count` is optax's number of updates so far, so the first
  update uses step 1 (the paper's step_num counts from 1).

  Example: `rsqrt_schedule(512 ** -0.5, 4000)` is the base model's (peak 7.0e-4).
  """
  if warmup_steps < 1:
    raise ValueError(f'The rsqrt schedule needs optimizer.warmup_steps >= 1, got '
                     f'{warmup_steps}.')
  if not scale > 0:
    raise ValueError(f'The rsqrt schedule needs a positive scale, got {scale}.')

  def schedule(count):
    step = jnp.asarray(count, jnp.float32) + 1.0
    return scale * jnp.minimum(step ** -0.5, step * float(warmup_steps) ** -1.5)
  return schedule


def ema_decay_at(step, decay: float):
  """The decay of a parameter average at step t: min(decay, (1 + t) / (10 + t)).

  TensorFlow's `ExponentialMovingAverage(num_updates=t)` rule: early on the average forgets
  its start (the initial parameters) quickly, later it decays at `decay`.
  """
  t = jnp.asarray(step, jnp.float32)
  return jnp.minimum(decay, (1.0 + t) / (10.0 + t))


def ema_update(ema, params, step, decay: float):
  """Polyak averaging (Polyak & Juditsky 1992) as an exponential moving average:
  ema <- d_t ema + (1 - d_t) params with d_t = `ema_decay_at(step, decay)`; optax's
  `incremental_update` with step size 1 - d_t. Used for the GAN generator's evaluation
  weights and the VAE's (Kingma et al. 2016)."""
  return optax.incremental_update(params, ema, 1.0 - ema_decay_at(step, decay))


def make_schedule(cfg: ml_collections.ConfigDict, num_steps: int):
  """A learning-rate schedule from `cfg.learning_rate`, `cfg.schedule` and friends.

  'rsqrt' is `rsqrt_schedule(learning_rate, warmup_steps)`: `learning_rate` plays the paper's
  d_model^-0.5 there (the peak is learning_rate * warmup_steps^-0.5).
  """
  lr = cfg.learning_rate
  kind = cfg.get('schedule', 'constant')
  warmup = cfg.get('warmup_steps', 0)
  if kind == 'rsqrt':
    return rsqrt_schedule(lr, warmup)
  if kind == 'constant':
    sched = optax.constant_schedule(lr)
  elif kind in ('cosine', 'warmup_cosine'):
    sched = optax.warmup_cosine_decay_schedule(
        0.0 if warmup else lr, lr, warmup, max(num_steps, warmup + 1),
        end_value=lr * cfg.get('final_lr_fraction', 0.0))
    return sched
  elif kind == 'exponential':
    sched = optax.exponential_decay(lr, cfg.get('decay_steps', 1000), cfg.get('decay_rate', 0.5))
  else:
    raise ValueError(f'Unknown schedule {kind!r}; valid: {SCHEDULES}.')
  if warmup:
    sched = optax.join_schedules(
        [optax.linear_schedule(0.0, lr, warmup), sched], [warmup])
  return sched


def make_optimizer(cfg: ml_collections.ConfigDict, num_steps: int) -> optax.GradientTransformation:
  """Builds the optimiser named by `cfg.name` (see OPTIMIZERS).

  Keys: name, learning_rate, schedule, warmup_steps, b1, b2, eps, weight_decay,
  momentum (sgd, rmsprop), decay and centered (rmsprop: Graves 2013's RMSProp is centered
  with momentum), grad_clip_norm (the global norm) and grad_clip_value (each component).
  """
  name = cfg.get('name', 'adam')
  lr = make_schedule(cfg, num_steps)
  if name == 'adam':
    tx = optax.adam(lr, b1=cfg.get('b1', 0.9), b2=cfg.get('b2', 0.999), eps=cfg.get('eps', 1e-8))
  elif name == 'adamw':
    tx = optax.adamw(lr, b1=cfg.get('b1', 0.9), b2=cfg.get('b2', 0.999),
                     eps=cfg.get('eps', 1e-8), weight_decay=cfg.get('weight_decay', 1e-4))
  elif name == 'adamax':
    tx = optax.adamax(lr, b1=cfg.get('b1', 0.9), b2=cfg.get('b2', 0.999))
  elif name == 'sgd':
    tx = optax.sgd(lr, momentum=cfg.get('momentum', None) or None)
  elif name == 'rmsprop':
    tx = optax.rmsprop(lr, decay=cfg.get('decay', 0.95), eps=cfg.get('eps', 1e-6),
                       momentum=cfg.get('momentum', None) or None,
                       centered=bool(cfg.get('centered', False)))
  else:
    raise ValueError(f'Unknown optimizer {name!r}; valid: {OPTIMIZERS}.')
  clip = cfg.get('grad_clip_norm', None)
  if clip:
    tx = optax.chain(optax.clip_by_global_norm(clip), tx)
  clip_value = cfg.get('grad_clip_value', None)
  if clip_value:                # each gradient component into [-v, v] (Graves 2013, 2014)
    tx = optax.chain(optax.clip(clip_value), tx)
  return tx
