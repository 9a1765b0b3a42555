"""The VAE as a trainer task: the ELBO with free bits, Polyak averaging, importance weighting.

config.model (task 'vae'): the fields of `model.VAE` (posterior, depth, latent_dim,
made_hidden, context_dim, gate_bias, architecture, hidden, channels) and the task's keys:
  free_bits         lambda, nats per group of latents (0: the plain ELBO); Kingma et al.
                    (2016)'s form: each group's KL averaged over the minibatch, then
                    max(lambda, .), summed (`model.free_bits_kl`).
  free_bits_groups  how many equal groups the latents form (0: one per latent).
  polyak_decay      evaluation weights are an exponential moving average of the trained
                    ones (0: none); `jaxgen.train.optim.ema_update`, kept in extra['ema'].
  iw_samples        K of the importance-weighted estimate in evaluations (Burda et al. 2016).
  iw_chunk          samples per pass of that estimate (memory: chunk x batch decoder passes).
  final_iw_samples  K of the final test figure (`final/nll_iw`), computed by `finalize`.

Training maximises the one-sample ELBO L = E_q[log p(x|z) + log p(z) - log q(z|x)]; the
loss is -E log p(x|z) + free_bits_kl(log q - log p). Evaluation reports per example, in
nats: 'nll_elbo' = -L (averaged over the K samples), 'nll_iw' = -log (1/K sum_k w_k)
(which is <= nll_elbo), 'gap' = their difference, 'kl' and 'recon' (-E log p(x|z)).
"""
from __future__ import annotations

import functools
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.data.sources import feature
from jaxgen.models.vae import model as vae_model
from jaxgen.models.vae import sampling
from jaxgen.train import artifacts, optim
from jaxgen.train.config import read_model_config
from jaxgen.train.task import Task, Variables

TASK_KEYS = dict(free_bits=0.0, free_bits_groups=0, polyak_decay=0.999, iw_samples=128,
                 iw_chunk=8, final_iw_samples=1000)


class VAETask(Task):
  """A VAE on binary images (see the module docstring)."""
  sample_kind = 'image'

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, kwargs = read_model_config(config.model, 'vae', TASK_KEYS, vae_model.VAE, ('shape',))
    self.shape, _ = feature(info, 'image', 'vae')
    self.net = vae_model.VAE(shape=self.shape, **kwargs)
    d = self.net.latent_dim
    if self.net.posterior not in vae_model.POSTERIORS:
      raise ValueError(f'model.posterior={self.net.posterior!r}; valid: '
                       f'{", ".join(vae_model.POSTERIORS)}.')
    if self.net.architecture not in vae_model.ARCHITECTURES:
      raise ValueError(f'model.architecture={self.net.architecture!r}; valid: '
                       f'{", ".join(vae_model.ARCHITECTURES)}.')
    if d < 1 or self.net.depth < 1:
      raise ValueError(f'model.latent_dim and model.depth must be >= 1; got {d} and '
                       f'{self.net.depth}.')
    self.free_bits = float(t['free_bits'])
    self.groups = int(t['free_bits_groups']) or d
    if self.free_bits < 0 or d % self.groups:
      raise ValueError(f'model.free_bits must be >= 0 and model.free_bits_groups divide '
                       f'latent_dim={d}; got {self.free_bits} and {self.groups}.')
    self.polyak = float(t['polyak_decay'])
    if not 0.0 <= self.polyak < 1.0:
      raise ValueError(f'model.polyak_decay must be in [0, 1); got {self.polyak}.')
    self.iw_samples, self.iw_chunk = int(t['iw_samples']), int(t['iw_chunk'])
    self.final_iw_samples = int(t['final_iw_samples'])
    for key in ('iw_samples', 'iw_chunk', 'final_iw_samples'):
      if int(t[key]) < 1:
        raise ValueError(f'model.{key} must be >= 1; got {t[key]}.')
    if self.iw_samples % self.iw_chunk or self.final_iw_samples % self.iw_chunk:
      raise ValueError(f'model.iw_chunk={self.iw_chunk} must divide iw_samples='
                       f'{self.iw_samples} and final_iw_samples={self.final_iw_samples}.')

  # -- helpers -------------------------------------------------------------
  def _images(self, batch) -> jax.Array:
    x = batch['image']
    if tuple(x.shape[1:]) != tuple(self.shape):
      raise ValueError(f'The VAE was built for images of shape {self.shape}, got '
                       f'{x.shape[1:]}.')
    return x.astype(jnp.float32)

  def eval_params(self, params, extra):
    """The weights evaluations use: the Polyak average when there is one."""
    return extra['ema'] if self.polyak > 0 else params

  def terms(self, params, x, eps):
    """(log p(x|z) [..., B], per-latent log q - log p [..., B, D]) for base noise eps."""
    log_px, kl, _ = self.net.apply({'params': params}, x, eps)
    return log_px, kl

  def log_weights(self, params, x, rng, num: int) -> jax.Array:
    """log w_k = log p(x, z_k) - log q(z_k | x) for K = num posterior samples: [K, B],
    `iw_chunk` samples per pass (`lax.map` over chunks)."""
    chunks = num // self.iw_chunk
    def chunk(key):
      eps = jax.random.normal(key, (self.iw_chunk, x.shape[0], self.net.latent_dim))
      log_px, kl = self.terms(params, x, eps)
      return log_px - jnp.sum(kl, -1)
    out = jax.lax.map(chunk, jax.random.split(rng, chunks))
    return out.reshape((num, x.shape[0]))

  def bounds(self, params, x, rng, num: int):
    """Per example: (-ELBO averaged over K samples, -log p_K(x) importance weighted)."""
    lw = self.log_weights(params, x, rng, num)
    return -jnp.mean(lw, 0), -vae_model.importance_weighted(lw)

  # -- Task ------------------------------------------------------------------
  def init(self, rng, batch) -> Variables:
    x = self._images(batch)
    eps = jnp.zeros((x.shape[0], self.net.latent_dim))
    params = self.net.init(rng, x, eps)['params']
    if self.net.architecture == 'mlp':
      # The decoder starts at the logits of the (smoothed) pixel marginals of the first batch.
      marginal = ((jnp.sum(x, 0) + 1.0) / (x.shape[0] + 2.0)).reshape(-1)
      params['decoder']['logits']['bias'] = jnp.log(marginal) - jnp.log1p(-marginal)
    extra = {'ema': jax.tree.map(jnp.array, params)} if self.polyak > 0 else {}
    return Variables(params=params, extra=extra)

  def loss(self, params, extra, batch, rng):
    x = self._images(batch)
    eps = jax.random.normal(rng, (x.shape[0], self.net.latent_dim))
    log_px, kl = self.terms(params, x, eps)
    objective = vae_model.free_bits_kl(kl, self.groups, self.free_bits)
    loss = -jnp.mean(log_px) + objective
    kl_sum = jnp.sum(kl, -1)
    metrics = {'nll_elbo': jnp.mean(kl_sum - log_px), 'kl': jnp.mean(kl_sum),
               'recon': -jnp.mean(log_px)}
    return loss, (metrics, extra)

  def train_step(self, state, batch, rng):
    new, metrics = super().train_step(state, batch, rng)
    if self.polyak > 0:
      ema = optim.ema_update(state.extra['ema'], new.params, state.step, self.polyak)
      new = new.replace(extra={**new.extra, 'ema': ema})
    return new, metrics

  def eval_step(self, params, extra, batch, rng):
    p = self.eval_params(params, extra)
    x = self._images(batch)
    k_iw, k_one = jax.random.split(rng)
    nll_elbo, nll_iw = self.bounds(p, x, k_iw, self.iw_samples)
    log_px, kl = self.terms(p, x, jax.random.normal(k_one, (x.shape[0], self.net.latent_dim)))
    return {'nll_elbo': nll_elbo, 'nll_iw': nll_iw, 'gap': nll_elbo - nll_iw,
            'kl': jnp.sum(kl, -1), 'recon': -log_px, 'loss': nll_elbo}

  @functools.partial(jax.jit, static_argnums=(0, 4))
  def _final_bounds(self, params, x, rng, num):
    return self.bounds(params, x, rng, num)

  def finalize(self, state, workdir, test_data, rng):
    """The test split's ELBO and importance-weighted bound with `final_iw_samples` samples,
    and the number of weights; writes test digits beside their reconstructions."""
    p = self.eval_params(state.params, state.extra)
    totals, count, shown = np.zeros(2), 0.0, []
    for b, (batch, mask) in enumerate(test_data.epoch()):
      x = self._images({'image': jnp.asarray(batch['image'])})
      shown.append(np.asarray(x[::max(1, x.shape[0] // 10)]))   # spread over the split
      nll_elbo, nll_iw = jax.device_get(
          self._final_bounds(p, x, jax.random.fold_in(rng, b), self.final_iw_samples))
      m = np.asarray(mask, np.float64)
      totals += [float(np.sum(nll_elbo * m)), float(np.sum(nll_iw * m))]
      count += float(np.sum(m))
    if workdir and jax.process_index() == 0:
      self.write_reconstructions(state, jnp.asarray(np.concatenate(shown)[:32]), rng,
                                 os.path.join(workdir, 'samples', 'reconstructions.png'))
    elbo, iw = totals / max(count, 1.0)
    k = self.final_iw_samples
    num_params = float(sum(np.size(a) for a in jax.tree.leaves(state.params)))
    return {'nll_elbo': elbo, 'nll_iw': iw, 'gap': elbo - iw, 'iw_samples': float(k),
            'num_params': num_params}

  @functools.partial(jax.jit, static_argnums=(0, 3))
  def _sample(self, params, rng, num):
    return sampling.prior_means(self.net, params, rng, num)

  def sample(self, params, extra, rng, num: int):
    """Pixel means p(x | z) [num, H, W, C] of latents from the prior."""
    return self._sample(self.eval_params(params, extra), rng, num)

  @functools.partial(jax.jit, static_argnums=(0,))
  def reconstruct(self, params, extra, images, rng):
    """Pixel means of p(x | z), z ~ q(z | x), for binary images [n, H, W, C]."""
    return sampling.reconstructions(self.net, self.eval_params(params, extra),
                                    self._images({'image': images}), rng)

  def write_reconstructions(self, state, x, rng, path: str) -> str:
    """A PNG grid of binary images x [n, H, W, C] (odd rows) above their reconstructions."""
    recon = np.asarray(self.reconstruct(state.params, state.extra, x, rng))
    x = np.asarray(x)
    rows = [a for i in range(0, len(x), 8) for a in (x[i:i + 8], recon[i:i + 8])]
    return artifacts.save_image_grid(np.concatenate(rows), path, ncols=8)

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


def make_task(config: ml_collections.ConfigDict, info=None) -> VAETask:
  return VAETask(config, info)
