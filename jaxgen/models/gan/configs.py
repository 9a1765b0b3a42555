"""The papers' GAN training recipes as configs; `experiments/{dcgan,sagan,gan}_*.py` start here.

  dcgan_config   Radford et al. 2016, section 4: Adam(2e-4, beta1 = 0.5), non-saturating loss,
                 N(0, 0.02) weights.
  sagan_config   Zhang et al. 2018, section 4.2: hinge loss, Adam(beta1 = 0, beta2 = 0.9) with the
                 two time-scale rule (G 1e-4, D 4e-4), one D step per G step, z of 128 dims.

Variants of the image experiments (the same for every dataset):
  ''        the default run, sized for a CPU: DCGAN 32 base channels, batch 64, 2,000 steps;
            SAGAN 16 base channels, batch 64, 2,000 steps.
  'tiny'    for tests: DCGAN 16 channels, batch 32, 300 steps; SAGAN 8 channels, batch 32,
            200 steps at 4x the paper's learning rates (the 1:4 ratio kept).
  'paper'   the papers' batch and width at 28x28 and 10,000 steps: DCGAN batch 128 and
            64 base channels (Radford et al. section 4), SAGAN batch 256 and 64 channels.
  'conditional' (SAGAN) the paper's class-conditional setting: conditional BN in G, projection D.
  toy_config     the 2-D ring of 8 Gaussians (Metz et al. 2017, section 3.1): MLPs, Adam 5e-4.
"""
from __future__ import annotations

import ml_collections

from jaxgen.train.config import base_config, parse_variant, set_schedule


def _adam(learning_rate: float, b1: float, b2: float = 0.999) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(dict(
      name='adam', learning_rate=learning_rate, schedule='constant', warmup_steps=0, b1=b1,
      b2=b2, eps=1e-8, grad_clip_norm=0.0))


def _gan_base(dataset: str) -> ml_collections.ConfigDict:
  c = base_config()
  c.task = 'gan'
  c.data.name = dataset
  c.data.preprocess = []          # uint8 images; the task maps them to [-1, 1]
  c.data.eval_batch_size = 200
  c.num_samples = 64
  # Metrics are fetched every `log_every` steps, which bounds the steps in flight; XLA:CPU with
  # several (virtual) devices can deadlock in its collectives beyond ~32 queued steps.
  c.log_every = 20
  return c


def _schedule(c, num_steps: int, every: int, num_samples: int):
  set_schedule(c, num_steps, eval_every=every, checkpoint_every=every, num_samples=num_samples)


def _tiny(c, base_features: int, num_steps: int):
  """The test-sized variant: few channels, batch 32, a short-memory EMA; one evaluation, at
  the end (a checkpoint halfway)."""
  c.model.base_features = base_features
  c.model.ema_decay = 0.99
  c.data.batch_size = 32
  set_schedule(c, num_steps, eval_every=num_steps, checkpoint_every=num_steps // 2,
               num_samples=16)


def dcgan_config(dataset: str, variant: str = '') -> ml_collections.ConfigDict:
  """DCGAN with the paper's optimiser, loss and initialisation on an image dataset."""
  c = _gan_base(dataset)
  c.model = ml_collections.ConfigDict(dict(
      arch='dcgan', loss='non_saturating', latent_dim=100, base_features=32, kernel_size=5,
      d_steps=1, ema_decay=0.999, eval_samples=1000, sample_batch=500))
  c.optimizer = ml_collections.ConfigDict(dict(
      generator=_adam(2e-4, 0.5), discriminator=_adam(2e-4, 0.5)))
  c.data.batch_size = 64
  _schedule(c, 2000, 500, 64)
  v = parse_variant(variant, f'dcgan on {dataset}')
  if v.tiny:
    _tiny(c, base_features=16, num_steps=300)
  elif v.paper:
    c.model.base_features = 64
    c.data.batch_size = 128
    _schedule(c, 10_000, 2000, 64)
  return c


def sagan_config(dataset: str, variant: str = '') -> ml_collections.ConfigDict:
  """SAGAN with hinge loss, spectral norm in G and D, and the two time-scale update rule."""
  c = _gan_base(dataset)
  c.model = ml_collections.ConfigDict(dict(
      arch='sagan', loss='hinge', latent_dim=128, base_features=16, attention_resolution=14,
      num_classes=0, spectral_norm=True, d_steps=1, ema_decay=0.999, eval_samples=1000,
      sample_batch=500))
  c.optimizer = ml_collections.ConfigDict(dict(
      generator=_adam(1e-4, 0.0, 0.9), discriminator=_adam(4e-4, 0.0, 0.9)))
  c.data.batch_size = 64
  _schedule(c, 2000, 500, 64)
  v = parse_variant(variant, f'sagan on {dataset}', ('conditional',))
  if v.tiny:
    _tiny(c, base_features=8, num_steps=200)
    c.optimizer.generator.learning_rate = 4e-4
    c.optimizer.discriminator.learning_rate = 1.6e-3
  elif v.paper:
    c.model.base_features = 64
    c.data.batch_size = 256
    _schedule(c, 10_000, 2000, 64)
  if v.conditional:
    c.model.num_classes = 10
    c.num_samples = 100      # ten rows: sample i has class i % 10
  return c


def toy_config(dataset: str = '8gaussians', variant: str = '') -> ml_collections.ConfigDict:
  """The 2-D GAN on a ring of Gaussians, scored by mode counting."""
  c = _gan_base(dataset)
  c.model = ml_collections.ConfigDict(dict(
      arch='mlp', loss='non_saturating', latent_dim=2, g_hidden=(128, 128, 128),
      d_hidden=(128, 128, 128), data_dim=2, d_steps=1, ema_decay=0.999, eval_samples=2500,
      sample_batch=2500, num_modes=8, mode_radius=2.0, mode_std=0.1))
  # Metz et al. train with Adam 1e-4 for tens of thousands of steps; 5e-4 reaches all modes in a
  # few thousand.
  c.optimizer = ml_collections.ConfigDict(dict(
      generator=_adam(5e-4, 0.5), discriminator=_adam(5e-4, 0.5)))
  c.data.batch_size = 256
  c.data.eval_batch_size = 1000
  _schedule(c, 10000, 2000, 2000)
  if parse_variant(variant, f'the 2-D GAN on {dataset}', paper=False).tiny:
    c.model.g_hidden = c.model.d_hidden = (64, 64)
    _schedule(c, 2000, 1000, 2000)
  return c
