"""MADE: Masked Autoencoder for Distribution Estimation (Germain et al. 2015).

A MADE is an MLP whose weight masks make output d depend only on inputs earlier in an
ordering (see `jaxgen.nn.masked`), so that

  log p(x) = sum_d log p(x_d | x_{<d}),   p(x_d = 1 | x_{<d}) = sigmoid(logit_d(x))   (eq. 1, 3)

is a normalised likelihood computed in one pass.

Connectivity-agnostic training (section 4): the model keeps a finite set of K mask sets
(seeds 0..K-1; with `ordering='random'` each also has its own input ordering, i.e.
order-agnostic training). Every update draws one of them. At test time the K models are
ensembled as a mixture,

  log p_ens(x) = logsumexp_k log p_k(x) - log K,

which is a likelihood; averaging the logits across masks is not.

Sampling is exact ancestral sampling: one jitted `lax.scan` over the D positions of the
ordering, each step a forward pass that fills in the next dimension.
"""
from __future__ import annotations

import functools
import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.nn import masked
from jaxgen.train.task import Task, Variables

ORDERINGS = ('natural', 'random')


def mask_set(key: jax.Array, dim: int, hidden_sizes, ordering: str, index):
  """Mask set `index` of a MADE: (input degrees, (hidden masks, output mask, direct mask)).

  Index 0 with `ordering='natural'` is the natural ordering; hidden degrees are drawn from
  `fold_in(key, index)`, so the K mask sets are a fixed, reproducible family.
  """
  k = jax.random.fold_in(key, index)
  k_order, k_hidden = jax.random.split(k)
  degrees = masked.ordering(k_order, dim, ordering)
  hidden = masked.hidden_degrees(k_hidden, degrees, hidden_sizes, random=True)
  return degrees, masked.made_masks(degrees, hidden)


def bernoulli_log_likelihood(logits: jax.Array, x: jax.Array) -> jax.Array:
  """sum_d x_d log sigmoid(l_d) + (1 - x_d) log sigmoid(-l_d); [batch, D] -> [batch]."""
  return jnp.sum(x * jax.nn.log_sigmoid(logits) + (1 - x) * jax.nn.log_sigmoid(-logits), -1)


class MADETask(Task):
  """MADE with Bernoulli outputs on binarized images, flattened to D = h * w * c.

  config.model:
    hidden_sizes: widths of the hidden layers (paper: 500 or 8000).
    num_masks: K, the number of mask sets cycled through in training and ensembled at test
      time (1 = a single fixed connectivity).
    ordering: 'natural' or 'random' (order-agnostic training; each mask set its own order).
    direct: a masked direct input-to-output connection (speeds up learning a lot).
    mask_seed: seed of the mask family (fixed across a run and its resumptions).
  """

  def __init__(self, config: ml_collections.ConfigDict):
    super().__init__(config)
    m = config.model
    if m.get('ordering', 'natural') not in ORDERINGS:
      raise ValueError(f"model.ordering={m.ordering!r}; valid: {ORDERINGS}.")
    if int(m.get('num_masks', 1)) < 1:
      raise ValueError(f'model.num_masks must be >= 1, got {m.num_masks}.')
    self.hidden_sizes = tuple(m.get('hidden_sizes', (500,)))
    self.num_masks = int(m.get('num_masks', 1))
    self.ordering = m.get('ordering', 'natural')
    self.mask_key = jax.random.key(int(m.get('mask_seed', 0)))
    self.net = masked.MADE(hidden_sizes=self.hidden_sizes, num_outputs_per_dim=1,
                           direct=bool(m.get('direct', False)))
    self.shape = None

  # -- helpers -------------------------------------------------------------
  def _flat(self, batch) -> jax.Array:
    x = batch['image']
    if self.shape is None:
      self.shape = tuple(x.shape[1:])
    elif tuple(x.shape[1:]) != self.shape:
      raise ValueError(f'MADE was built for images of shape {self.shape}, got {x.shape[1:]}.')
    return jnp.reshape(x, (x.shape[0], -1)).astype(jnp.float32)

  def masks(self, index):
    return mask_set(self.mask_key, math.prod(self.shape), self.hidden_sizes, self.ordering,
                    index)

  def log_likelihood(self, params, x: jax.Array, index) -> jax.Array:
    """log p_k(x) under mask set `index`; x: [batch, D] binary -> [batch] nats."""
    _, masks = self.masks(index)
    logits = self.net.apply({'params': params}, x, masks)
    return bernoulli_log_likelihood(logits, x)

  def ensemble_log_likelihood(self, params, x: jax.Array, num_masks: int | None = None):
    """log (1/K sum_k p_k(x)) over the first K mask sets; [batch, D] -> [batch]."""
    k = num_masks or self.num_masks
    per_mask = jax.lax.map(lambda i: self.log_likelihood(params, x, i), jnp.arange(k))
    return jax.nn.logsumexp(per_mask, axis=0) - jnp.log(k)

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
    dim = math.prod(self.shape)
    degrees, masks = self.masks(index)
    positions = jnp.argsort(degrees)  # positions[t]: the dimension sampled at step t.
    keys = jax.random.split(rng, dim)

    def step(x, inputs):
      d, key = inputs
      logits = self.net.apply({'params': params}, x, masks)[:, d]
      x_d = jax.random.bernoulli(key, jax.nn.sigmoid(logits)).astype(x.dtype)
      return x.at[:, d].set(x_d), None

    x, _ = jax.lax.scan(step, jnp.zeros((num, dim), jnp.float32), (positions, keys))
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


def make_task(config: ml_collections.ConfigDict) -> MADETask:
  return MADETask(config)


def count_params(params) -> int:
  return int(sum(np.prod(x.shape) for x in jax.tree.leaves(params)))
