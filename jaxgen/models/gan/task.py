"""The GAN task: two networks, two optimisers, one jitted alternating step, one checkpoint.

`params = {'generator': ..., 'discriminator': ...}` and `optimizer()` returns a matching dict of
optax transforms, so the trainer keeps both optimiser states in one `TrainState` and one orbax
checkpoint. `extra` holds the non-trainable state:

  extra['generator'], extra['discriminator']: each network's mutable collections
      ('batch_stats': batch-norm running averages and spectral-norm power-iteration vectors);
  extra['ema']: an exponential moving average of the generator's parameters (Karras et al.
      2018; Yazici et al. 2019), which `sample` and `finalize` use.

One `train_step` (Goodfellow et al. 2014, Algorithm 1, with k = `model.d_steps`):
  1. k discriminator updates: fake = G(z) (G's state discarded), minimise L_D(D(x), D(fake))
     over D's parameters, keeping D's updated batch statistics / power-iteration vectors;
  2. one generator update: minimise L_G(D(G(z))) over G's parameters, keeping G's updated
     state (D's state from this pass is discarded);
  3. ema <- d_t ema + (1 - d_t) G, d_t = min(ema_decay, (1 + t) / (10 + t)).

The model config (`config.model`):
  arch            'dcgan' | 'sagan' | 'mlp' (2-D data).
  loss            'minimax' | 'non_saturating' | 'hinge' (`jaxgen.models.gan.math`).
  latent_dim      dimension of z ~ N(0, I).
  d_steps         discriminator updates per generator update.
  ema_decay       0 disables the EMA (samples then come from the live generator).
  eval_samples    samples scored by `finalize` (classifier metrics, or mode counting).
  base_features, kernel_size (dcgan); base_features, attention_resolution, num_classes,
  spectral_norm (sagan); g_hidden, d_hidden (mlp).
and `config.optimizer.generator` / `config.optimizer.discriminator` are
`jaxgen.train.optim.make_optimizer` configs (DCGAN: Adam 2e-4, b1 = 0.5; SAGAN: the two
time-scale rule, Adam 1e-4 for G and 4e-4 for D with b1 = 0, b2 = 0.9).
"""
from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxgen.data.sources import feature
from jaxgen.train.config import check_choice, read_model_config
from jaxgen.models.gan import dcgan
from jaxgen.models.gan import math as gan_math
from jaxgen.models.gan import sagan
from jaxgen.models.gan import sampling as gan_sampling
from jaxgen.models.gan import toy
from jaxgen.train import optim
from jaxgen.train.task import Task, TrainState, Variables, apply_updates

ARCHS = ('dcgan', 'sagan', 'mlp')
NETWORKS = ('generator', 'discriminator')


# The network keys of each arch (their defaults are the modules' dataclass defaults).
ARCH_KEYS = {'dcgan': ('base_features', 'kernel_size'),
             'sagan': ('base_features', 'attention_resolution', 'spectral_norm'),
             'mlp': ('g_hidden', 'd_hidden', 'data_dim')}
TASK_KEYS = dict(arch='dcgan', loss='non_saturating', latent_dim=100, d_steps=1,
                 ema_decay=0.999, num_classes=0, sample_batch=500, eval_samples=1000,
                 classifier_cache_dir=None, num_modes=8, mode_radius=2.0, mode_std=0.1)


def build_networks(config, info=None) -> tuple[nn.Module, nn.Module]:
  """The (generator, discriminator) pair named by `config.model.arch`; unknown keys raise."""
  m = config.model
  arch = check_choice(m.get('arch', 'dcgan'), ARCHS, 'GAN arch')
  read_model_config(m, 'gan', {**TASK_KEYS, **{k: None for k in ARCH_KEYS[arch]}})
  kw = {k: (tuple(m[k]) if isinstance(m[k], (list, tuple)) else m[k])
        for k in ARCH_KEYS[arch] if k in m}
  if arch == 'mlp':
    g_kw = {'hidden': kw['g_hidden']} if 'g_hidden' in kw else {}
    if 'data_dim' in kw:
      g_kw['dim'] = kw['data_dim']
    d_kw = {'hidden': kw['d_hidden']} if 'd_hidden' in kw else {}
    return toy.MLPGenerator(**g_kw), toy.MLPDiscriminator(**d_kw)
  shape, _ = feature(info, 'image', 'gan')
  if arch == 'dcgan':
    return dcgan.Generator(shape, **kw), dcgan.Discriminator(**kw)
  kw['num_classes'] = int(m.get('num_classes', 0))
  return sagan.Generator(shape, **kw), sagan.Discriminator(**kw)


def _apply(module: nn.Module, params, state: dict, *args, **kwargs):
  """module.apply with its mutable collections; returns (output, new_state)."""
  if not state:
    return module.apply({'params': params}, *args, **kwargs), {}
  return module.apply({'params': params, **state}, *args, mutable=list(state), **kwargs)


class GANTask(Task):
  """DCGAN, SAGAN and the 2-D GAN behind one task (see the module docstring)."""

  sample_kind = 'image'

  def __init__(self, config, info=None):
    super().__init__(config)
    m = config.model
    self.loss_kind = m.get('loss', 'non_saturating')
    if self.loss_kind not in gan_math.LOSSES:
      raise ValueError(f'Unknown GAN loss {self.loss_kind!r}; valid: '
                       f'{", ".join(gan_math.LOSSES)}.')
    self.latent_dim = int(m.get('latent_dim', 100))
    self.d_steps = int(m.get('d_steps', 1))
    if self.d_steps < 1:
      raise ValueError(f'model.d_steps must be >= 1; got {self.d_steps}.')
    self.ema_decay = float(m.get('ema_decay', 0.999))
    self.num_classes = int(m.get('num_classes', 0))
    self.generator, self.discriminator = build_networks(config, info)
    self.is_2d = m.get('arch', 'dcgan') == 'mlp'
    self.sample_batch = int(m.get('sample_batch', 500))

  # ------------------------------------------------------------------------------ helpers
  def real(self, batch) -> tuple[jax.Array, jax.Array | None]:
    """The data batch in G's output range: images to [-1, 1], 2-D points as they are."""
    key = 'x' if self.is_2d else 'image'
    if key not in batch:
      raise ValueError(f'The {self.config.model.get("arch", "dcgan")} GAN needs batch key '
                       f'{key!r}; the batch has {sorted(batch)}.')
    x = batch[key]
    if self.is_2d:
      x = jnp.asarray(x, jnp.float32)
    elif x.dtype == jnp.uint8:
      x = x.astype(jnp.float32) / 127.5 - 1.0
    else:  # floats in [0, 1]
      x = jnp.asarray(x, jnp.float32) * 2.0 - 1.0
    y = None
    if self.num_classes:
      if 'label' not in batch:
        raise ValueError(f'A class-conditional GAN needs batch key "label"; the batch has '
                         f'{sorted(batch)}.')
      y = jnp.asarray(batch['label'], jnp.int32)
    return x, y

  def _latents(self, rng, n):
    kz, ky = jax.random.split(rng)
    z = jax.random.normal(kz, (n, self.latent_dim))
    y = jax.random.randint(ky, (n,), 0, self.num_classes) if self.num_classes else None
    return z, y

  def generate(self, g_params, g_state, z, y=None):
    """G(z) in its output range ([-1, 1] images or points), batch statistics in batch norm.

    Sampling uses each batch's own statistics (the "standing statistics" of Brock et al. 2019
    over the batch), which suits the EMA weights better than the live G's running averages.
    """
    out, _ = _apply(self.generator, g_params, g_state, z, y, train=True)
    return out

  # ------------------------------------------------------------------------------ task API
  def init(self, rng, batch) -> Variables:
    x, y = self.real(batch)
    kg, kd = jax.random.split(rng)
    z, y_fake = self._latents(kg, x.shape[0])
    g_vars = self.generator.init(kg, z, y_fake, train=False)
    d_vars = self.discriminator.init(kd, x, y, train=False)
    g_params, g_state = g_vars['params'], {k: v for k, v in g_vars.items() if k != 'params'}
    d_params, d_state = d_vars['params'], {k: v for k, v in d_vars.items() if k != 'params'}
    extra = {'generator': g_state, 'discriminator': d_state}
    if self.ema_decay > 0:
      extra['ema'] = jax.tree.map(jnp.array, g_params)
    return Variables(params={'generator': g_params, 'discriminator': d_params}, extra=extra)

  def optimizer(self):
    opt = self.config.optimizer
    missing = [n for n in NETWORKS if n not in opt]
    if missing:
      raise ValueError(f'A GAN needs config.optimizer.generator and .discriminator '
                       f'(optimiser configs); missing {missing}.')
    return {n: optim.make_optimizer(opt[n], self.config.num_steps) for n in NETWORKS}

  def train_step(self, state: TrainState, batch, rng) -> tuple[TrainState, dict]:
    x, y = self.real(batch)
    b = x.shape[0]
    params, opt_state, extra = dict(state.params), dict(state.opt_state), dict(state.extra)
    g_state, d_state = extra['generator'], extra['discriminator']
    rng_d, rng_g = jax.random.split(rng)

    # 1. Discriminator updates.
    def d_loss_fn(d_params, d_state, fake, y_fake):
      real_logits, d_state = _apply(self.discriminator, d_params, d_state, x, y, train=True)
      fake_logits, d_state = _apply(self.discriminator, d_params, d_state, fake, y_fake,
                                    train=True)
      loss = gan_math.discriminator_loss(self.loss_kind, real_logits, fake_logits)
      return loss, (d_state, real_logits, fake_logits)

    for k in range(self.d_steps):
      z, y_fake = self._latents(jax.random.fold_in(rng_d, k), b)
      fake = jax.lax.stop_gradient(self.generate(params['generator'], g_state, z, y_fake))
      (d_loss, (d_state, real_logits, fake_logits)), d_grads = jax.value_and_grad(
          d_loss_fn, has_aux=True)(params['discriminator'], d_state, fake, y_fake)
      params['discriminator'], opt_state['discriminator'] = apply_updates(
          self.tx['discriminator'], d_grads, opt_state['discriminator'],
          params['discriminator'])

    # 2. Generator update against the updated discriminator.
    z, y_fake = self._latents(rng_g, b)

    def g_loss_fn(g_params):
      fake, new_g_state = _apply(self.generator, g_params, g_state, z, y_fake, train=True)
      logits, _ = _apply(self.discriminator, params['discriminator'], d_state, fake, y_fake,
                         train=True)
      return gan_math.generator_loss(self.loss_kind, logits), (new_g_state, logits)

    (g_loss, (g_state, g_logits)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(
        params['generator'])
    params['generator'], opt_state['generator'] = apply_updates(
        self.tx['generator'], g_grads, opt_state['generator'], params['generator'])

    # 3. EMA of the generator's weights.
    extra['generator'], extra['discriminator'] = g_state, d_state
    if self.ema_decay > 0:
      extra['ema'] = optim.ema_update(extra['ema'], params['generator'], state.step,
                                      self.ema_decay)
    metrics = {
        'loss': d_loss, 'd_loss': d_loss, 'g_loss': g_loss,
        'value': gan_math.value_function(real_logits, fake_logits),
        'd_real': jnp.mean(jax.nn.sigmoid(real_logits)),
        'd_fake': jnp.mean(jax.nn.sigmoid(fake_logits)),
        'd_fake_after': jnp.mean(jax.nn.sigmoid(g_logits)),
        'd_grad_norm': optax.global_norm(d_grads), 'g_grad_norm': optax.global_norm(g_grads),
    }
    return state.replace(step=state.step + 1, params=params, opt_state=opt_state,
                         extra=extra), metrics

  def sampling_params(self, params, extra):
    """The generator weights samples come from: the EMA if kept, else the live ones."""
    return extra['ema'] if self.ema_decay > 0 else params['generator']

  def eval_step(self, params, extra, batch, rng) -> dict:
    """D's view of a test batch and of as many samples (D in inference mode)."""
    x, y = self.real(batch)
    z, y_fake = self._latents(rng, x.shape[0])
    fake = self.generate(self.sampling_params(params, extra), extra['generator'], z, y_fake)
    d = functools.partial(self.discriminator.apply, train=False)
    d_vars = {'params': params['discriminator'], **extra['discriminator']}
    real_logits, fake_logits = d(d_vars, x, y), d(d_vars, fake, y_fake)
    d_loss = gan_math.discriminator_loss(self.loss_kind, real_logits, fake_logits)
    return {'loss': d_loss, 'd_loss': d_loss,
            'g_loss': gan_math.generator_loss(self.loss_kind, fake_logits),
            'd_real': jax.nn.sigmoid(real_logits), 'd_fake': jax.nn.sigmoid(fake_logits)}

  @functools.partial(jax.jit, static_argnums=(0, 4))
  def _draw(self, g_params, g_state, rng, num: int):
    z, y = gan_sampling.latents(rng, num, self.latent_dim, self.num_classes)
    return self.generate(g_params, g_state, z, y)

  def draw(self, params, extra, rng, num: int) -> np.ndarray:
    """`num` samples in G's output range, in chunks of `model.sample_batch`, as numpy.

    With `num_classes`, sample i has class i % num_classes.
    """
    g_params, g_state = self.sampling_params(params, extra), extra['generator']
    return gan_sampling.draw_chunked(lambda key, n: self._draw(g_params, g_state, key, n), rng,
                                     num, self.sample_batch)

  def sample(self, params, extra, rng, num: int):
    """Images [num, h, w, c] in [0, 1]; for 2-D data, a scatter plot of `num` points."""
    x = self.draw(params, extra, rng, num)
    if self.is_2d:
      return toy.render_points(x)
    return np.clip((x + 1.0) / 2.0, 0.0, 1.0)

  def finalize(self, state, workdir, test_data, rng) -> dict:
    """Scores `model.eval_samples` samples of the EMA generator.

    Images: the cached dataset classifier's Fréchet distance, class coverage, mean confidence
    and classifier score (`jaxgen.eval`), plus the Fréchet distance of as many real test images
    (the floor at this sample size). 2-D: mode counting (`toy.mode_statistics`).
    """
    del workdir, test_data
    n = int(self.config.model.get('eval_samples', 1000))
    x = self.draw(state.params, state.extra, rng, n)
    if self.is_2d:
      m = self.config.model
      stats = toy.mode_statistics(x, toy.ring_centers(m.get('num_modes', 8),
                                                      m.get('mode_radius', 2.0)),
                                  m.get('mode_std', 0.1))
      return dict(stats)
    return self.image_scores(x)

  def image_scores(self, samples) -> dict[str, Any]:
    """Classifier scores of images in [-1, 1] [n, h, w, c] (see `finalize`)."""
    from jaxgen import data  # pylint: disable=g-import-not-at-top
    from jaxgen import eval as eval_lib  # pylint: disable=g-import-not-at-top
    clf = eval_lib.get_classifier(self.config.data.name,
                                  self.config.model.get('classifier_cache_dir', None))
    images = np.clip((np.asarray(samples) + 1.0) / 2.0, 0.0, 1.0)
    scores = clf.scores(images)
    test = data.load(self.config.data.name, 'test')
    real = test.get(np.arange(min(len(images), len(test))))['image']
    scores['real_frechet_distance'] = eval_lib.frechet_distance(
        *clf.feature_stats(real), *clf.reference_stats('train'))
    if self.num_classes:
      labels = np.arange(len(images)) % self.num_classes
      scores['conditional_accuracy'] = float(np.mean(clf.predict(images) == labels))
    return scores


def make_task(config, info=None) -> GANTask:
  """The trainer's entry point for `config.task = 'gan'`."""
  return GANTask(config, info)
