"""Recursive neural networks over trees, batched by levels: Socher et al. (2011), Tai et al. (2015).

  RecursiveNet(arch='rnn')       Socher et al. (2011): a parent's vector is a composition of
                                 its children's, p = tanh(W [c_1; c_2] + b). With a label per
                                 node (an operator, a phrase type) W and b are chosen by the
                                 node's label: the syntactically untied RNN (Socher et al.
                                 2013). Leaves are their tokens' embeddings.
  RecursiveNet(arch='treelstm')  the binary (N-ary, N = 2) Tree-LSTM of Tai et al. (2015,
                                 eqs. 9-14): input, output and update gates and one forget
                                 gate per child, each from the node's input x_j (its label's
                                 embedding) and both children's h; c_j = i * u + sum_k f_k * c_k.

Trees arrive as arrays in post-order (`jaxgen.data.synthetic.tree_arrays`: node_token, left,
right, height, num_nodes; children before parents, the root last), so a batch holds trees
of different shapes. The network runs one level at a time: at level l every node of height
l, in every tree of the batch, is composed from its children (computed at lower levels) in
one vectorised step, inside a `lax.fori_loop` over the levels; no Python recursion, one
compiled program for any mix of trees. Flax has no tree recursion; this is it.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

ARCHS = ('rnn', 'treelstm')


class RecursiveNet(nn.Module):
  """Root vectors of batched trees.

  Attributes:
    vocab_size: node-token ids (leaf tokens and node labels share one table).
    features: the width of the node vectors.
    num_labels: the number of node labels that untie the composition (arch 'rnn'); a node's
      label is `node_token - num_leaf_tokens`.
    num_leaf_tokens: ids below this are leaf tokens, ids from it on are node labels.
    max_height: the tallest tree the network will see (the number of levels run).
    arch: 'rnn' or 'treelstm'.
  """
  vocab_size: int
  features: int
  num_labels: int
  num_leaf_tokens: int
  max_height: int
  arch: str = 'treelstm'

  @nn.compact
  def __call__(self, node_token, left, right, height):
    """Trees [batch, nodes] (post-order) -> every node's vector [batch, nodes, features]."""
    if self.arch not in ARCHS:
      raise ValueError(f'Unknown recursive arch {self.arch!r}; valid: {", ".join(ARCHS)}.')
    h_dim = self.features
    embed = nn.Embed(self.vocab_size, h_dim, name='embed')
    x = embed(node_token)                                        # [b, n, H]
    is_leaf = left < 0
    b_idx = jnp.arange(node_token.shape[0])[:, None]
    label = jnp.clip(node_token - self.num_leaf_tokens, 0, self.num_labels - 1)

    if self.arch == 'rnn':
      w = self.param('compose_kernel', nn.initializers.lecun_normal(batch_axis=(0,)),
                     (self.num_labels, 2 * h_dim, h_dim))
      bias = self.param('compose_bias', nn.initializers.zeros_init(),
                        (self.num_labels, h_dim))
      state = jnp.where(is_leaf[..., None], x, 0.0)

      def compose(state):
        kids = jnp.concatenate([state[b_idx, jnp.maximum(left, 0)],
                                state[b_idx, jnp.maximum(right, 0)]], -1)   # [b, n, 2H]
        # Every label's composition, then each node's own: cheaper than gathering a
        # [2H, H] matrix per node.
        z = jnp.einsum('bnk,lkh->bnlh', kids, w) + bias
        return jnp.tanh(jnp.take_along_axis(z, label[..., None, None], 2)[:, :, 0])

      def level(l, state):
        return jnp.where((height == l)[..., None], compose(state), state)
      return jax.lax.fori_loop(1, self.max_height + 1, level, state)

    # Tree-LSTM (Tai et al. 2015, binary): gates from x_j and both children's h.
    wx = nn.Dense(5 * h_dim, name='input')                 # i, f_l, f_r, o, u
    uh = nn.Dense(5 * h_dim, use_bias=False, name='children')

    def cell(x, hl, hr, cl, cr):
      z = wx(x) + uh(jnp.concatenate([hl, hr], -1))
      i, fl, fr, o, u = jnp.split(z, 5, -1)
      c = (jax.nn.sigmoid(i) * jnp.tanh(u) + jax.nn.sigmoid(fl) * cl
           + jax.nn.sigmoid(fr) * cr)
      return jax.nn.sigmoid(o) * jnp.tanh(c), c

    zeros = jnp.zeros(x.shape, x.dtype)
    h0, c0 = cell(x, zeros, zeros, zeros, zeros)          # leaves: no children
    h = jnp.where(is_leaf[..., None], h0, 0.0)
    c = jnp.where(is_leaf[..., None], c0, 0.0)

    def level(l, hc):
      h, c = hc
      gl, gr = jnp.maximum(left, 0), jnp.maximum(right, 0)
      hn, cn = cell(x, h[b_idx, gl], h[b_idx, gr], c[b_idx, gl], c[b_idx, gr])
      at = (height == l)[..., None]
      return jnp.where(at, hn, h), jnp.where(at, cn, c)
    h, _ = jax.lax.fori_loop(1, self.max_height + 1, level, (h, c))
    return h


class TreeClassifier(nn.Module):
  """Class logits from the root vector of each tree (the node num_nodes - 1)."""
  net: RecursiveNet
  num_classes: int

  @nn.compact
  def __call__(self, node_token, left, right, height, num_nodes):
    states = self.net(node_token, left, right, height)
    root = jnp.take_along_axis(states, (num_nodes - 1)[:, None, None], 1)[:, 0]
    return nn.Dense(self.num_classes, name='readout')(root)
