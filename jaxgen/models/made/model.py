"""MADE: Masked Autoencoder for Distribution Estimation (Germain et al. 2015).

A MADE is an MLP whose weight masks make output d depend only on inputs earlier in an
ordering (the network is `jaxgen.nn.masked.MADE`, which MAF and IAF share), so that

  log p(x) = sum_d log p(x_d | x_{<d}),   p(x_d = 1 | x_{<d}) = sigmoid(logit_d(x))   (eq. 1, 3)

is a normalised likelihood computed in one pass.

Connectivity-agnostic training (section 4): the model keeps a finite set of K mask sets
(seeds 0..K-1; with `ordering='random'` each also has its own input ordering, i.e.
order-agnostic training). Every update draws one of them. At test time the K models are
ensembled as a mixture,

  log p_ens(x) = logsumexp_k log p_k(x) - log K,

which is a likelihood; averaging the logits across masks is not.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxgen.nn import masked
from jaxgen.nn.outputs import Bernoulli

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
  return jnp.sum(Bernoulli().log_prob(logits, x), -1)


def ensemble_log_likelihood(per_mask: jax.Array) -> jax.Array:
  """log (1/K sum_k p_k(x)) from per-mask log-likelihoods [K, batch] -> [batch]."""
  return jax.nn.logsumexp(per_mask, axis=0) - jnp.log(per_mask.shape[0])
