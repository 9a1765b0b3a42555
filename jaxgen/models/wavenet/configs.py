"""WaveNet's experiment configs.

  model_config(**overrides)        `config.model` with every key (module defaults from
                                   `model.WaveNet`, the paper's sizes)
  experiment_config(**overrides)   the shared training set-up (speech8k, 10,000 steps)
  wavenet_variant(c, variant, name, ...)   the default run ('': `cpu_budget`), 'paper' (the
                                   experiment's full size and schedule) and 'tiny'.
"""
from __future__ import annotations

import dataclasses

import ml_collections

from jaxgen.models.wavenet.model import WaveNet
from jaxgen.train.config import base_config, parse_variant


def model_config(**overrides) -> ml_collections.ConfigDict:
  """The family's `config.model` with every key; overrides applied.

  The network's keys and defaults are `model.WaveNet`'s fields (the paper's sizes), with the
  dilations given as num_stacks x dilation_cycle (1..2^(cycle-1)) or an explicit
  `dilations` tuple; `mel` holds the log-mel analysis (`jaxgen.nn.mel.log_mel_spectrogram`
  arguments); sample_rate, sample_length (samples per generated stream) and temperature
  drive generation.
  """
  fields = {f.name: f.default for f in dataclasses.fields(WaveNet)
            if f.init and f.name not in ('parent', 'name', 'dilations')}
  c = ml_collections.ConfigDict(dict(
      num_stacks=3, dilation_cycle=10, dilations=(), **fields,
      mel=ml_collections.ConfigDict(dict(n_fft=512, fmin=50.0)),
      sample_rate=8000, sample_length=8000, temperature=1.0))
  c.update(overrides)
  return c


def experiment_config(**model_overrides) -> ml_collections.ConfigDict:
  """The WaveNet experiments' shared config: speech8k crops, Adam with warm-up and cosine
  decay, clipping at 1, evaluation and WAV samples every 2,000 of 10,000 steps."""
  c = base_config()
  c.task = 'wavenet'
  c.data.name = 'speech8k'
  c.data.batch_size = 16
  c.data.eval_batch_size = 64
  c.data.kwargs = dict(crop_length=4000, max_test_examples=128)
  c.model = model_config(**model_overrides)
  c.optimizer.learning_rate = 1e-3
  c.optimizer.schedule = 'warmup_cosine'
  c.optimizer.warmup_steps = 200
  c.optimizer.grad_clip_norm = 1.0
  c.num_steps = 10000
  c.log_every = 100
  c.eval_every = 2000
  c.checkpoint_every = 1000
  c.num_samples = 4
  return c


def cpu_budget(c: ml_collections.ConfigDict, crop_length: int = 2000, num_steps: int = 800
               ) -> ml_collections.ConfigDict:
  """The default run: the experiment's network with one stack of its dilation cycle instead
  of two, batches of 8 crops of `crop_length`, `num_steps` steps at a 2e-3 peak rate: about
  ten minutes on a 2-core CPU. The 'paper' variant skips this (two stacks, 16 crops of 4,000,
  10,000 steps: an accelerator's job, ~15 hours on that CPU)."""
  c.data.kwargs = dict(c.data.kwargs, crop_length=crop_length)
  c.data.batch_size = 8
  c.model.num_stacks = 1
  c.optimizer.learning_rate = 2e-3
  c.optimizer.warmup_steps = 50
  c.num_steps = num_steps
  c.log_every = 50
  c.eval_every = 0
  c.checkpoint_every = 200
  return c


def wavenet_variant(c: ml_collections.ConfigDict, variant: str, name: str,
                    crop_length: int = 2000, tiny_crop_length: int = 1000, flags=()):
  """Applies the variant to an experiment's full-size config `c` (the 'paper' variant).

  '' is the default run (`cpu_budget`), 'paper' keeps `c`, 'tiny' shrinks it
  (`tiny_variant`); `flags` names the experiment's own flags, which the caller applies
  (they get the default budget). Returns (config, parsed variant).
  """
  v = parse_variant(variant, name, flags)
  if v.tiny:
    return tiny_variant(c, crop_length=tiny_crop_length), v
  if v.paper:
    return c, v
  return cpu_budget(c, crop_length=crop_length), v


def tiny_variant(c: ml_collections.ConfigDict, crop_length: int = 1000
                 ) -> ml_collections.ConfigDict:
  """Shrinks an experiment to seconds on a CPU: one stack of dilations 1..32 (receptive
  field 65), 16 channels, crops of `crop_length`, batch 8, 150 steps at a 1e-2 peak rate."""
  c.data.kwargs = dict(c.data.kwargs, crop_length=crop_length, max_test_examples=64)
  c.data.batch_size = 8
  c.data.eval_batch_size = 64
  c.model.update(dict(num_stacks=1, dilation_cycle=6, residual_channels=16,
                      dilation_channels=16, skip_channels=32, end_channels=64,
                      sample_length=2 * crop_length))
  c.optimizer.learning_rate = 1e-2
  c.optimizer.warmup_steps = 10
  c.num_steps = 150
  c.log_every = 25
  c.eval_every = 0
  c.checkpoint_every = 75
  c.num_samples = 2
  return c

