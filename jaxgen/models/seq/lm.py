"""Recurrent language models and taggers: an input layer, an `RNNStack`, a softmax readout.

  RNNLM    p(x_{t+1} | x_{<=t}) = softmax(W_y [h^1_t; ...; h^N_t] + b_y) (Graves 2013, eqs. 1-3,
           with the stack's skip connections), over token inputs (Elman 1990's character
           prediction, Graves 2013's text prediction). `embed_dim=0` feeds one-hot vectors,
           as Graves does; otherwise a learned embedding.
  SequenceReadout
           one output per sequence, read from the stack at each sequence's last valid step
           (the adding problem's regression, row-by-row MNIST's classes).
  Tagger   per-position labels from a (usually bidirectional) stack: the syllabification
           and tagging readout (Graves & Schmidhuber 2005; Schuster & Paliwal 1997).

Both are unrolled by flax's `nn.RNN` in training; `RNNLM.step_fn` gives the same network one
token at a time, with an explicit carry, for generation (jaxgen.models.seq.sampling).
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgen.models.seq.rnn import RNNStack


class RNNLM(nn.Module):
  """A recurrent language model over token ids.

  Attributes:
    vocab_size: V, the number of token ids (input and output).
    embed_dim: the input embedding's width; 0 feeds one-hot vectors (Graves 2013).
    stack: the recurrent stack (a unidirectional `RNNStack`).
  """
  vocab_size: int
  stack: RNNStack
  embed_dim: int = 0

  def embed(self, tokens):
    if self.embed_dim:
      return nn.Embed(self.vocab_size, self.embed_dim, name='embed')(tokens)
    return jax.nn.one_hot(tokens, self.vocab_size, dtype=jnp.float32)

  @nn.compact
  def __call__(self, tokens, lengths=None, train: bool = False):
    """tokens int [batch, time] -> logits [batch, time, V] (logits t predict token t + 1)."""
    if self.stack.bidirectional:
      raise ValueError('A language model needs a unidirectional stack (bidirectional=False): '
                       'a backward layer would see the tokens it predicts.')
    x = self.embed(tokens)
    feats, _ = self.stack(x, lengths, train=train)
    return nn.Dense(self.vocab_size, name='readout')(feats)

  @nn.nowrap
  def step_fn(self):
    """`(params, carries, token [batch]) -> (carries, logits [batch, V])`: one step of the LM.

    The same parameters as `__call__`, so generation carries the recurrent state instead of
    re-reading the prefix.
    """
    stack_step = self.stack.step_fn()
    v, e = self.vocab_size, self.embed_dim

    def step(params, carries, token):
      if e:
        x = jnp.take(params['embed']['embedding'], token, axis=0)
      else:
        x = jax.nn.one_hot(token, v, dtype=jnp.float32)
      carries, feats = stack_step(params['stack'], carries, x)
      r = params['readout']
      return carries, feats @ r['kernel'] + r['bias']
    return step

  @nn.nowrap
  def initial_carries(self, batch: int):
    return self.stack.initial_carries(batch, self.embed_dim or self.vocab_size)


class Tagger(nn.Module):
  """Per-position class logits from a recurrent stack over token ids.

  Attributes:
    vocab_size: the number of input token ids.
    num_classes: the number of labels per position.
    stack: the recurrent stack (bidirectional for a BiRNN tagger).
    embed_dim: the input embedding's width (0: one-hot).
  """
  vocab_size: int
  num_classes: int
  stack: RNNStack
  embed_dim: int = 32

  @nn.compact
  def __call__(self, tokens, lengths=None, train: bool = False):
    """tokens int [batch, time] -> logits [batch, time, num_classes] (zero past lengths)."""
    if self.embed_dim:
      x = nn.Embed(self.vocab_size, self.embed_dim, name='embed')(tokens)
    else:
      x = jax.nn.one_hot(tokens, self.vocab_size, dtype=jnp.float32)
    feats, _ = self.stack(x, lengths, train=train)
    return nn.Dense(self.num_classes, name='readout')(feats)


class SequenceReadout(nn.Module):
  """One output vector per sequence: a Dense on the stack's features at the last valid step.

  Attributes:
    num_outputs: the output width (classes, or 1 for a regression).
    stack: a unidirectional recurrent stack (its last step has read the whole sequence).
  """
  num_outputs: int
  stack: RNNStack

  @nn.compact
  def __call__(self, x, lengths=None, train: bool = False):
    """x float [batch, time, features] -> [batch, num_outputs]."""
    if self.stack.bidirectional:
      raise ValueError('SequenceReadout reads the last step of a unidirectional stack; set '
                       'bidirectional=False.')
    feats, _ = self.stack(x, lengths, train=train)
    if lengths is None:
      last = feats[:, -1]
    else:
      idx = jnp.clip(jnp.asarray(lengths) - 1, 0, feats.shape[1] - 1)
      last = jnp.take_along_axis(feats, idx[:, None, None], 1)[:, 0]
    return nn.Dense(self.num_outputs, name='readout')(last)
