"""Generation and decoding for the recurrent family: jitted `lax.scan` / `lax.while_loop` code.

Section 1: sampling from a language model with an explicit carry. Section 2: decoding an
encoder-decoder (greedy, temperature, beam search).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


# ============================================================== 1. language models
def _draw(logits, key, temperature):
  """A token per row of logits [batch, V]: categorical at `temperature`, argmax at 0."""
  if temperature == 0:
    return jnp.argmax(logits, -1).astype(jnp.int32)
  return jax.random.categorical(key, logits / temperature, -1).astype(jnp.int32)


def sample_lm(step, params, carries, rng, prompt, length: int, temperature: float = 1.0):
  """Continues `prompt` by `length` tokens with a recurrent LM's step function (fast path).

  The prompt is read by one `lax.scan` (its last step's logits give the first new token),
  then one `lax.scan` of `length` steps samples a token, feeds it back and carries the
  recurrent state: O(length) steps, no prefix re-read. The token at new position t is drawn
  with key `fold_in(rng, t)`, so `sample_lm_naive` draws the same tokens from the same key.

  Args:
    step: `(params, carries, token [b]) -> (carries, logits [b, V])` (`RNNLM.step_fn()`).
    params: the LM's parameters.
    carries: the initial recurrent state for `b` rows (`RNNLM.initial_carries(b)`).
    rng: the sampling key.
    prompt: int [b, P], P >= 1 tokens to condition on.
    length: new tokens to draw.
    temperature: softmax temperature (0: greedy).
  Returns:
    int32 [b, length], the new tokens.
  """
  prompt = jnp.asarray(prompt, jnp.int32)

  def read(c, tok):
    c, logits = step(params, c, tok)
    return c, logits

  carries, logits = jax.lax.scan(read, carries, prompt.T)
  last = logits[-1]

  def gen(state, t):
    c, logits = state
    tok = _draw(logits, jax.random.fold_in(rng, t), temperature)
    c, logits = step(params, c, tok)
    return (c, logits), tok

  _, toks = jax.lax.scan(gen, (carries, last), jnp.arange(length))
  return toks.T


def sample_lm_naive(apply_fn, params, rng, prompt, length: int, temperature: float = 1.0):
  """The reference path of `sample_lm`: re-runs the whole sequence for every new token.

  `apply_fn(params, tokens [b, T]) -> logits [b, T, V]` (the unrolled network); O(length^2)
  work, for tests. Same keys as `sample_lm`: the same tokens.
  """
  prompt = jnp.asarray(prompt, jnp.int32)
  b, p = prompt.shape
  buf = jnp.concatenate([prompt, jnp.zeros((b, length), jnp.int32)], 1)

  def body(t, buf):
    logits = apply_fn(params, buf)[:, p - 1 + t]
    tok = _draw(logits, jax.random.fold_in(rng, t), temperature)
    return buf.at[:, p + t].set(tok)

  return jax.lax.fori_loop(0, length, body, buf)[:, p:]



# ============================================================== 2. encoder-decoders
