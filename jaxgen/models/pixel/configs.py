"""The pixel experiments' configs: one builder for PixelCNN, Gated PixelCNN and PixelRNN.

  pixel_experiment(name, variant, dataset, arch, num_steps)   a finished experiment config
  pixel_config(dataset, num_levels, tiny, num_steps, paper)    the shared training set-up

Variant flags (comma-separated, `jaxgen.train.config.parse_variant`): 'tiny' (tests),
'paper' (6,000 steps with evaluations every 2,000: an accelerator's job), '256' (8-bit levels
instead of binarized pixels), and the experiment's own ('row', 'logistic', 'spatial').
"""
from __future__ import annotations

import ml_collections

from jaxgen.train.config import base_config, parse_variant, set_schedule

# The networks of the pixel experiments, {key: (default, tiny)} per arch: 3x3 mask-B
# convolutions after a 7x7 mask-A one.
NETWORKS = {
    'pixelcnn': dict(features=(32, 16), num_layers=(6, 2), output_features=(64, 32)),
    'gated': dict(features=(32, 16), num_layers=(8, 3), skip_features=(64, 32),
                  output_features=(64, 32)),
    'row_lstm': dict(features=(16, 8), num_layers=(7, 1), output_features=(64, 32)),
    'diagonal_bilstm': dict(features=(16, 8), num_layers=(7, 1), output_features=(64, 32)),
}


def variant_flags(variant: str, flags, experiment: str):
  """The parsed variant of a pixel experiment with its own `flags` (see the module doc)."""
  return parse_variant(variant, experiment, flags)


def pixel_experiment(flags, dataset: str, arch: str, num_steps: int,
                     num_levels: int | None = None) -> ml_collections.ConfigDict:
  """A pixel experiment's config from its parsed variant `flags`: the `NETWORKS[arch]`
  network on `dataset` (binarized unless '256' or `num_levels` says otherwise), `num_steps`
  in the default run."""
  tiny = bool(flags.get('tiny'))
  if num_levels is None:
    num_levels = 256 if flags.get('256') else 2
  c = pixel_config(dataset, num_levels, tiny, num_steps=num_steps,
                   paper=bool(flags.get('paper')))
  c.model.arch = arch
  c.model.kernel_size = 3
  c.model.first_kernel_size = 7
  for key, (default, small) in NETWORKS[arch].items():
    c.model[key] = small if tiny else default
  return c


def pixel_config(dataset: str, num_levels: int, tiny: bool, num_steps: int = 1000,
                 paper: bool = False) -> ml_collections.ConfigDict:
  """The training set-up shared by the pixel experiments (network keys are set by each one).

  `num_levels=2` binarizes the split once (static binarization), 256 keeps the 8-bit levels.
  Adam with a cosine schedule and gradient clipping, batch 32 (divisible by 8 devices). The
  default run trains `num_steps` steps, chosen per experiment so that it takes about ten
  minutes on a 2-core CPU; `paper` trains 6,000 steps, an accelerator's job; `tiny` trains a
  hundred steps and evaluates once at the end.
  """
  c = base_config()
  c.task = 'pixel'
  c.data.name = dataset
  c.data.preprocess = ['binarize_static'] if num_levels == 2 else []
  c.data.batch_size = 32
  c.data.eval_batch_size = 400
  c.model.num_levels = num_levels
  c.model.output = 'softmax'
  c.model.num_mixtures = 5
  c.model.num_classes = 0
  c.model.sampler = 'cached'
  c.optimizer.learning_rate = 1e-3
  c.optimizer.schedule = 'cosine'
  c.optimizer.final_lr_fraction = 0.1
  c.optimizer.grad_clip_norm = 1.0
  if paper:   # the default run evaluates once, at the end
    set_schedule(c, 6000, log_every=100, eval_every=2000, checkpoint_every=1000)
  else:
    set_schedule(c, num_steps, log_every=50, eval_every=0, checkpoint_every=250)
  c.num_samples = 64
  if tiny:
    c.optimizer.learning_rate = 3e-3
    set_schedule(c, 100, log_every=25, eval_every=0, checkpoint_every=50, num_samples=16)
  return c
