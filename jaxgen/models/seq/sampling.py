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
#
# Every decoder here takes a step function over an explicit state pytree, so the recurrent
# encoder-decoders and the Transformer family share it:
#
#   step_fn(tokens [n], state) -> (logits or log-probs [n, V], state)        (or with a third
#                                   output, `aux`, stacked over time by `greedy` / `sample`)
#
# where every leaf of `state` has the n sequences as its leading axis (a Transformer's cache
# and a recurrent carry alike); beam search runs n = batch * beam and gathers the state by
# beam index after each step. Decoding stops at `eos`; positions after it are PAD (0).

PAD_ID = 0
NEG_INF = -1.0e9     # a log-probability no hypothesis reaches, finite so sums stay exact


def _split_step(out):
  if len(out) == 3:
    return out
  logits, state = out
  return logits, state, None


def sample(step_fn, state, start_tokens: jax.Array, max_len: int, eos: int,
           rng: jax.Array | None = None, temperature: float = 1.0):
  """Greedy (temperature 0) or temperature sampling in one `lax.scan` over `max_len` steps.

  Args:
    step_fn: `(tokens [n], state) -> (logits [n, V], state[, aux])`.
    state: the initial state pytree (leading axis n).
    start_tokens: int [n], the first input (BOS).
    max_len: the number of tokens generated (static).
    eos: the end token; after it a sequence emits PAD and its state is ignored.
    rng: the key (temperature > 0 only).
    temperature: 0 for greedy argmax, else softmax(logits / temperature) sampling.
  Returns:
    (tokens int [n, max_len], aux stacked [n, max_len, ...] or None).
  """
  n = start_tokens.shape[0]
  if temperature < 0:
    raise ValueError(f'temperature must be >= 0 (0: greedy), got {temperature}.')
  if temperature > 0 and rng is None:
    raise ValueError('Sampling with temperature > 0 needs an rng key.')
  keys = (jax.random.split(rng, max_len) if temperature > 0
          else jnp.zeros((max_len,), jnp.uint32))

  def body(carry, key):
    tokens, state, done = carry
    logits, state, aux = _split_step(step_fn(tokens, state))
    if temperature > 0:
      nxt = jax.random.categorical(key, logits.astype(jnp.float32) / temperature, axis=-1)
    else:
      nxt = jnp.argmax(logits, axis=-1)
    nxt = jnp.where(done, PAD_ID, nxt).astype(start_tokens.dtype)
    done = jnp.logical_or(done, nxt == eos)
    return (nxt, state, done), (nxt, aux)

  init = (start_tokens, state, jnp.zeros((n,), bool))
  _, (tokens, aux) = jax.lax.scan(body, init, keys)
  swap = lambda a: jnp.swapaxes(a, 0, 1)
  return swap(tokens), (None if aux is None else jax.tree.map(swap, aux))


def greedy(step_fn, state, start_tokens: jax.Array, max_len: int, eos: int):
  """Greedy decoding: `sample` at temperature 0. Returns (tokens [n, max_len], aux)."""
  return sample(step_fn, state, start_tokens, max_len, eos, temperature=0.0)


def length_penalty(length: jax.Array, alpha: float) -> jax.Array:
  """Wu et al. (2016, eq. 14): lp(Y) = ((5 + |Y|) / 6) ** alpha (|Y| counts the EOS)."""
  return ((5.0 + jnp.asarray(length, jnp.float32)) / 6.0) ** alpha


def gather_beams(tree, beam_index: jax.Array, batch: int, beam: int):
  """Leaves [batch * beam, ...] -> [batch * m, ...], row (b, j) taken from beam
  beam_index[b, j] of batch b; beam_index: int [batch, m]."""
  m = beam_index.shape[1]

  def gather(x):
    x = x.reshape((batch, beam) + x.shape[1:])
    idx = beam_index.reshape(beam_index.shape + (1,) * (x.ndim - 2))
    return jnp.take_along_axis(x, idx, axis=1).reshape((batch * m,) + x.shape[2:])
  return jax.tree.map(gather, tree)


def beam_search(step_fn, state, start_tokens: jax.Array, beam_size: int, max_len: int,
                eos: int, alpha: float = 0.6):
  """Beam search with Wu et al.'s (2016) length penalty, in one `lax.while_loop`.

  Each step extends every live hypothesis by every token; of the 2k best extensions (k the
  beam size) by log-probability, those ending in `eos` *and ranked within the first k* become
  finished hypotheses, scored log p(Y) / lp(Y) (`length_penalty`), and the k best that do
  not end stay live (2k keeps the live set full). The k best finished hypotheses are kept.
  With beam 1 and alpha = 0 this is greedy decoding exactly. The loop stops at `max_len` or
  when no live hypothesis can still beat the k-th finished one: its log-probability can only
  fall, so its best final score is log p / lp(max_len) (alpha >= 0). A batch element with
  nothing finished by `max_len` returns its live hypotheses, scored log p / lp(max_len).
  The design follows flax's examples/wmt/decode.py (state gathered by beam index, a fixed
  shape loop); the finished-within-top-k rule is what makes beam 1 equal greedy.

  Args:
    step_fn: `(tokens [batch * k], state) -> (log-probs or logits [batch * k, V], state)`
      (a log_softmax is applied, so logits are fine).
    state: the initial state, leaves [batch, ...]; repeated k times here.
    start_tokens: int [batch] (BOS).
    beam_size: k.
    max_len: the longest output (static).
    eos: the end token.
    alpha: the length penalty's exponent (0: plain log-probability).
  Returns:
    (sequences int [batch, k, max_len], scores float [batch, k]), best first; tokens after a
    hypothesis' EOS are PAD.
  """
  if beam_size < 1:
    raise ValueError(f'beam_size must be >= 1, got {beam_size}.')
  if alpha < 0:
    raise ValueError(f'The length penalty alpha must be >= 0, got {alpha}.')
  batch, k = start_tokens.shape[0], int(beam_size)
  dtype = start_tokens.dtype
  state = jax.tree.map(lambda x: jnp.repeat(x, k, axis=0), state)
  alive_lp = jnp.tile(jnp.array([0.0] + [NEG_INF] * (k - 1), jnp.float32), (batch, 1))
  init = dict(
      i=jnp.zeros((), jnp.int32),
      last=jnp.repeat(start_tokens[:, None], k, 1).astype(dtype),
      alive_seq=jnp.zeros((batch, k, max_len), dtype), alive_lp=alive_lp,
      fin_seq=jnp.zeros((batch, k, max_len), dtype),
      fin_score=jnp.full((batch, k), NEG_INF, jnp.float32),
      fin_flag=jnp.zeros((batch, k), bool), state=state)
  max_penalty = length_penalty(max_len, alpha)

  def cond(c):
    bound = c['alive_lp'][:, 0] / max_penalty
    worst = jnp.min(jnp.where(c['fin_flag'], c['fin_score'], NEG_INF), axis=1)
    all_done = jnp.all(jnp.logical_and(jnp.all(c['fin_flag'], 1), worst > bound))
    return jnp.logical_and(c['i'] < max_len, jnp.logical_not(all_done))

  def body(c):
    i = c['i']
    logits, new_state = step_fn(c['last'].reshape(batch * k), c['state'])[:2]
    lp = jax.nn.log_softmax(logits.astype(jnp.float32), -1)
    vocab = lp.shape[-1]
    cand = c['alive_lp'][:, :, None] + lp.reshape(batch, k, vocab)
    top_lp, top_idx = jax.lax.top_k(cand.reshape(batch, k * vocab), 2 * k)
    top_beam, top_tok = top_idx // vocab, (top_idx % vocab).astype(dtype)
    seqs = jnp.take_along_axis(c['alive_seq'], top_beam[:, :, None], axis=1)
    seqs = jax.lax.dynamic_update_slice_in_dim(seqs, top_tok[:, :, None], i, axis=2)
    is_eos = top_tok == eos
    real = top_lp > NEG_INF / 2
    # live: the k best extensions that do not end here
    alive_score = jnp.where(jnp.logical_or(is_eos, jnp.logical_not(real)), NEG_INF, top_lp)
    a_lp, a_idx = jax.lax.top_k(alive_score, k)
    a_seq = jnp.take_along_axis(seqs, a_idx[:, :, None], axis=1)
    a_beam = jnp.take_along_axis(top_beam, a_idx, axis=1)
    # finished: extensions ending here that rank within the first k
    ends = jnp.logical_and(jnp.logical_and(is_eos, real), jnp.arange(2 * k)[None, :] < k)
    f_new = jnp.where(ends, top_lp / length_penalty(i + 1, alpha), NEG_INF)
    f_all = jnp.concatenate([c['fin_score'], f_new], 1)
    f_flags = jnp.concatenate([c['fin_flag'], ends], 1)
    f_seqs = jnp.concatenate([c['fin_seq'], seqs], 1)
    f_score, f_idx = jax.lax.top_k(jnp.where(f_flags, f_all, 2 * NEG_INF), k)
    return dict(
        i=i + 1,
        last=jnp.take_along_axis(top_tok, a_idx, axis=1),
        alive_seq=a_seq, alive_lp=a_lp,
        fin_seq=jnp.take_along_axis(f_seqs, f_idx[:, :, None], axis=1),
        fin_score=jnp.where(jnp.take_along_axis(f_flags, f_idx, 1), f_score, NEG_INF),
        fin_flag=jnp.take_along_axis(f_flags, f_idx, 1),
        state=gather_beams(new_state, a_beam, batch, k))

  c = jax.lax.while_loop(cond, body, init)
  any_fin = jnp.any(c['fin_flag'], axis=1)
  seqs = jnp.where(any_fin[:, None, None], c['fin_seq'], c['alive_seq'])
  scores = jnp.where(any_fin[:, None], c['fin_score'], c['alive_lp'] / max_penalty)
  return seqs, scores


# ============================================================== 3. the naive reference
def greedy_naive(logits_fn, start_tokens: jax.Array, max_len: int, eos: int):
  """The reference of `greedy` for a model that reads whole prefixes (no cache).

  Step t re-runs the whole buffer (BOS, then the t tokens chosen so far, then PAD) through
  `logits_fn(tokens [n, max_len]) -> logits [n, max_len, V]` and reads position t: O(max_len^2)
  work, for tests of a cached decoder (a causal model's logits at t ignore the PAD after t).
  Same stopping rule as `sample`: after `eos` a sequence emits PAD.

  Returns:
    (tokens int [n, max_len], logits float [n, max_len, V], the logits each token was read
    from).
  """
  n = start_tokens.shape[0]
  dtype = start_tokens.dtype
  buf = jnp.zeros((n, max_len + 1), dtype).at[:, 0].set(start_tokens)
  probe = jax.eval_shape(logits_fn, buf[:, :max_len])
  init = (buf, jnp.zeros((n,), bool), jnp.zeros((n, max_len) + probe.shape[2:], probe.dtype))

  def body(t, carry):
    buf, done, all_logits = carry
    logits = jax.lax.dynamic_index_in_dim(logits_fn(buf[:, :max_len]), t, 1, keepdims=False)
    nxt = jnp.where(done, PAD_ID, jnp.argmax(logits, -1)).astype(dtype)
    done = jnp.logical_or(done, nxt == eos)
    buf = jax.lax.dynamic_update_index_in_dim(buf, nxt, t + 1, 1)
    all_logits = jax.lax.dynamic_update_index_in_dim(all_logits, logits, t, 1)
    return buf, done, all_logits

  buf, _, all_logits = jax.lax.fori_loop(0, max_len, body, init)
  return buf[:, 1:], all_logits
