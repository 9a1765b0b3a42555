"""MADE as a trainer task: Bernoulli pixels, connectivity-agnostic training, mask ensembles.

config.model (task 'made'):
  hidden_sizes  widths of the hidden layers (paper: 500 or 8000); a field of
                `jaxgen.nn.masked.MADE`, like `direct` (a masked direct input-to-output
                connection, which speeds up learning a lot).
  num_masks     K, the number of mask sets cycled through in training and ensembled at test
                time (1 = a single fixed connectivity).
  ordering      'natural' or 'random' (order-agnostic training; each mask set its own order).
  mask_seed     seed of the mask family (fixed across a run and its resumptions).
Images are flattened to D = h * w * c (the shape comes from the data's info).
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import ml_collections

from jaxgen.data.sources import feature
from jaxgen.train.config import check_choice, read_model_config
from jaxgen.models.made import model as made_model
from jaxgen.models.made import sampling
from jaxgen.nn import masked
from jaxgen.train.task import Task, Variables

TASK_KEYS = dict(num_masks=1, ordering='natural', mask_seed=0)
DERIVED = ('num_outputs_per_dim', 'activation', 'output_kernel_init')


class MADETask(Task):
  """MADE with Bernoulli outputs on binarized images (see the module docstring)."""
  sample_kind = 'image'

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, kwargs = read_model_config(config.model, 'made', TASK_KEYS, masked.MADE,
                                         DERIVED)
    self.ordering = check_choice(t['ordering'], made_model.ORDERINGS, 'model.ordering')
    self.num_masks = int(t['num_masks'])
    if self.num_masks < 1:
      raise ValueError(f'model.num_masks must be >= 1, got {self.num_masks}.')
    self.mask_key = jax.random.key(int(t['mask_seed']))
    self.net = masked.MADE(num_outputs_per_dim=1, **kwargs)
    self.hidden_sizes = tuple(self.net.hidden_sizes)
    self.shape, _ = feature(info, 'image', 'made')
    self.dim = math.prod(self.shape)

  # -- helpers -------------------------------------------------------------
  def _flat(self, batch) -> jax.Array:
    x = batch['image']
    if tuple(x.shape[1:]) != self.shape:
      raise ValueError(f'MADE was built for images of shape {self.shape}, got {x.shape[1:]}.')
    return jnp.reshape(x, (x.shape[0], -1)).astype(jnp.float32)

  def masks(self, index):
    return made_model.mask_set(self.mask_key, self.dim, self.hidden_sizes, self.ordering,
                               index)

  def log_likelihood(self, params, x: jax.Array, index) -> jax.Array:
    """log p_k(x) under mask set `index`; x: [batch, D] binary -> [batch] nats."""
    _, masks = self.masks(index)
    logits = self.net.apply({'params': params}, x, masks)
    return made_model.bernoulli_log_likelihood(logits, x)

  def ensemble_log_likelihood(self, params, x: jax.Array, num_masks: int | None = None):
    """log (1/K sum_k p_k(x)) over the first K mask sets; [batch, D] -> [batch]."""
    k = num_masks or self.num_masks
    per_mask = jax.lax.map(lambda i: self.log_likelihood(params, x, i), jnp.arange(k))
    return made_model.ensemble_log_likelihood(per_mask)

  # -- Task ------------------------------------------------------------------
  def init(self, rng, batch) -> Variables:
    x = self._flat(batch)
    _, masks = self.masks(0)
    params = self.net.init(rng, x[:1], masks)['params']
    # Output biases start at the logits of the (smoothed) pixel marginals of the first batch,
    # so training starts from the independent-Bernoulli model instead of p = 1/2.
    marginal = (jnp.sum(x, 0) + 1.0) / (x.shape[0] + 2.0)
    params['output']['bias'] = jnp.log(marginal) - jnp.log1p(-marginal)
    return Variables(params=params)

  def loss(self, params, extra, batch, rng):
    x = self._flat(batch)
    index = jax.random.randint(rng, (), 0, self.num_masks)
    nll = -self.log_likelihood(params, x, index)
    return jnp.mean(nll), ({'nll': jnp.mean(nll)}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    x = self._flat(batch)
    nll = -self.log_likelihood(params, x, 0)
    out = {'nll': nll, 'loss': nll}
    if self.num_masks > 1:
      out['nll_ensemble'] = -self.ensemble_log_likelihood(params, x)
    return out

  @functools.partial(jax.jit, static_argnums=(0, 4))
  def _sample(self, params, rng, index, num):
    degrees, masks = self.masks(index)
    x = sampling.sample(self.net, params, degrees, masks, rng, num)
    return x.reshape((num,) + self.shape)

  def sample(self, params, extra, rng, num: int, mask_index=None):
    """Exact samples [num, h, w, c] from mask set `mask_index`.

    With `mask_index=None` one mask set is drawn uniformly per call, so each sample is
    marginally a draw from the K-mask ensemble (the mixture).
    """
    k_mask, k_x = jax.random.split(rng)
    if mask_index is None:
      mask_index = jax.random.randint(k_mask, (), 0, self.num_masks)
    return self._sample(params, k_x, mask_index, num)

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


def make_task(config: ml_collections.ConfigDict, info=None) -> MADETask:
  return MADETask(config, info)
