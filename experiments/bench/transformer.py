"""Transformer LM throughput: training tokens/s, cached vs uncached decoding, FLOPs per token.

  python experiments/bench/transformer.py [--repeats 5] [--quick]

(a) Training: one jitted Adam step (optax, lr 1e-3) of `transformer.TransformerLM` (post-LN,
    4 layers, d_model 128, d_ff 512, h = 4, tied embeddings, vocab 256, no dropout) on
    random token windows of 32 x 128, mean token NLL; tokens/s of the median of `--repeats`
    timed steps after a warm-up call, each blocked on with `block_until_ready`.
(b) Decoding: greedy continuation of a BOS token by L = 64, 256, 1024 tokens, batch 4, with
    a smaller LM (2 layers, d_model 64, d_ff 256, h = 4: the transformer_dates default size)
    and at the paper's base width (6 layers, d_model 512, d_ff 2048, h = 8):
      cached    `sampling.sample_lm` over `transformer.lm_step_fn` (jaxgen's cache,
                `transformer.CachedSelfAttention`: [b, h, L, d/h], updated in place, read
                over the filled blocks only; one token per step of one jitted `lax.scan`);
      flax      the same over flax's `decode=True` cache (`decode_cache='flax'`, the same
                parameters), the peer: `ours_over_flax` is its time over ours;
      uncached  `sampling.greedy_naive`: every step re-runs the whole L-token buffer
                through the model (jitted `fori_loop`), the reference the tests hold the
                cache to.
    All are compiled ahead (`jit(...).lower(...).compile()`, in `compile_s`); each time is
    the median of `--repeats` calls after a warm-up call, except the uncached L = 1024's,
    its one call (minutes). All produce the same tokens (`same_tokens` checks). At base width
    the uncached decoder runs at the shortest length only (at 1024 it would take most of an
    hour) and flax's at the two shorter ones. Per step the cached decoder costs O(N) for the
    weights plus O(t d) for attention over the t filled slots; the uncached one costs
    O(L N + L^2 d). So the total is ~linear in L for the cached decoder until its attention
    term overtakes the weights (at ~6 d_model slots by counting reads: ~400 at the small
    size, ~3,000 at base width) and ~quadratic for the uncached one (cubic once its
    attention dominates). Printed: time(1024) / time(256) per decoder (4 is linear, 16
    quadratic) and cached / uncached tokens/s per length.
(c) FLOPs: XLA's cost analysis of the compiled training step (`jax.jit(step).lower(...)
    .compile().cost_analysis()['flops']`, forward + backward + Adam) per training token,
    against C = 6 N per token (Kaplan et al. 2020, sec. 2.1) with N the non-embedding
    parameters, with N + the embedding (tied: the output projection's 2 d V multiply-adds
    per token forward are real FLOPs, the input lookup is not), and with Kaplan's attention
    term 6 n_layer n_ctx d_model added (their Table 1, times 3 for the backward pass).

`--quick` shrinks everything to a smoke test (seconds; the numbers mean nothing).

Measured (2026-12-03, `PYTHONPATH=. python experiments/bench/transformer.py`, jax 0.10.2, a
2-core Intel Xeon idle but for this run; 13 min wall; this machine runs the training step
1.7x slower than the AMD one of 2026-12-02, which gave 14,900 tokens/s):

  train step (adam), 32 x 128     0.489 s/step    8,371 tokens/s   48 GFLOP/s (XLA's count)
  decode, batch 4           L = 64       256      1024     time(1024) / time(256)
    cached   tokens/s       56,800    17,200     8,170      8.4
    flax cache tokens/s     27,000     9,210     2,820     13.1
    uncached tokens/s        2,490       237        35     27.1   (117 s for the 1024)
    cached / flax            2.1x      1.9x      2.9x
    cached / uncached       22.8x     72.9x      234x              same tokens everywhere
    cached, base width         326       210       194      4.33  (6 layers, d_model 512, h 8)
    flax cache, base width     301       146         -            (48 at 1024 on 2026-12-03,
                                                                    before the explicit cache)
  FLOPs per token: XLA 5.78 M; 6 N = 4.76 M (N = 793,088 non-embedding; XLA / 6N 1.22);
    6 (N + embedding) = 4.96 M (825,856; 1.17); + 6 n_layer T d = 5.35 M (1.08).

At base width the cached decoder is linear in length (4.33 for 4x the tokens; flax's cache
was 12.6, and at 1024 tokens it is 4.0x faster than flax's, 194 against 48 tokens/s). The
earlier decoder, flax's cache, paid four full passes over the [b, L, h, d/h] cache per layer
and step in the compiled HLO (XLA CPU): its `dynamic_update_slice` became a loop fusion that
rewrote the whole cache, and both products began with a transpose-copy of the whole cache.
jaxgen's cache is kept in the layout the products read, updated in place, and read over the
filled blocks only (timed step by step at base width: 15 ms + 23 us per filled slot, against
flax's 68 ms + 11 us per filled slot on a 1,056-slot cache; the 15 ms is the 75 MB of weights
read at ~5 GB/s, the 23 us the slot's 98 KB of keys and values read at ~4 GB/s). At the small
size (d_model 64, 100k weights) attention over the filled slots costs as much as the weights
from ~400 slots on, so its 8.4 is the O(t) attention term (the quadratic part of the total),
not rewriting; it is still 2.9x faster than flax's cache at 1024. A fori_loop over the filled
blocks costs ~3x per slot what one einsum over the whole cache does on XLA CPU (its per-block
slicing and loop), so the blocks pay off once the cache is mostly empty: a long cache with a
short decode. The uncached decoder sits between quadratic (16) and cubic (64): at L = 1024 its
attention (4 L^2 d per layer and step) outweighs the weights (2 N L). The XLA count exceeds
6 (N + embedding) by the attention (6 n_layer T d: 8%), then softmax, LayerNorm, the loss
and Adam's per-parameter update.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _common  # pylint: disable=g-import-not-at-top,wrong-import-position

import jax  # pylint: disable=g-import-not-at-top,wrong-import-position
import jax.numpy as jnp  # pylint: disable=g-import-not-at-top,wrong-import-position
import optax  # pylint: disable=g-import-not-at-top,wrong-import-position

from jaxgen.models.seq import sampling, transformer  # pylint: disable=g-import-not-at-top,wrong-import-position

V = 256
BOS = 1
TRAIN_MODEL = dict(num_layers=4, d_model=128, d_ff=512, num_heads=4)
DECODE_MODEL = dict(num_layers=2, d_model=64, d_ff=256, num_heads=4)
WIDE_MODEL = dict(num_layers=6, d_model=512, d_ff=2048, num_heads=8)   # the base model's
QUICK_MODEL = dict(num_layers=1, d_model=32, d_ff=64, num_heads=2)


def median_seconds(fn, *args, repeats: int) -> float:
  """The median wall time of `repeats` calls of `fn(*args)`, each blocked on."""
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def compile_timed(fn, *args):
  """(the compiled `jax.jit(fn)` for args, seconds to lower and compile it)."""
  start = time.perf_counter()
  compiled = jax.jit(fn).lower(*args).compile()
  return compiled, time.perf_counter() - start


def flops_of(compiled) -> float:
  """XLA's FLOP count of a compiled computation (`cost_analysis()` is a dict in recent jax,
  a list with one dict per computation in older ones)."""
  cost = compiled.cost_analysis()
  if isinstance(cost, (list, tuple)):
    cost = cost[0] if cost else {}
  return float(cost.get('flops', float('nan')))


def split_params(params):
  """(non-embedding, embedding) parameter counts: the embedding is the 'embed' table (tied
  with the output projection)."""
  embed = transformer.num_params(params['embed'])
  return transformer.num_params(params) - embed, embed


def train_rows(model_kw, batch, time_steps, repeats):
  model = transformer.TransformerLM(V, dropout_rate=0.0, **model_kw)
  tokens = jax.random.randint(jax.random.key(1), (batch, time_steps + 1), 4, V)
  params = model.init(jax.random.key(0), tokens[:1, :-1])['params']
  tx = optax.adam(1e-3)
  opt = tx.init(params)

  def loss_fn(p, tokens):
    logits = model.apply({'params': p}, tokens[:, :-1])
    mask = jnp.ones(tokens[:, 1:].shape, bool)
    return jnp.mean(transformer.label_smoothed_nll(logits, tokens[:, 1:], mask, 0.0))

  def step(params, opt, tokens):
    loss, g = jax.value_and_grad(loss_fn)(params, tokens)
    u, opt = tx.update(g, opt, params)
    return optax.apply_updates(params, u), opt, loss

  compiled, compile_s = compile_timed(step, params, opt, tokens)
  jax.block_until_ready(compiled(params, opt, tokens))            # warm-up
  sec = median_seconds(compiled, params, opt, tokens, repeats=repeats)
  n_tokens = batch * time_steps
  row = {'row': 'train step (adam)', 'length': time_steps, 'batch': batch,
         'compile_s': compile_s, 'seconds': sec, 'tokens_per_s': n_tokens / sec}

  non_embed, embed = split_params(params)
  xla = flops_of(compiled) / n_tokens
  d, layers = model_kw['d_model'], model_kw['num_layers']
  estimates = [('6 N (non-embedding)', 6 * non_embed),
               ('6 (N + embedding)', 6 * (non_embed + embed)),
               ('6 (N + embedding) + 6 L T d',
                6 * (non_embed + embed) + 6 * layers * time_steps * d)]
  flops = [{'estimate': name, 'params': non_embed if i == 0 else non_embed + embed,
            'flops_per_token': est, 'xla_flops_per_token': xla, 'xla_over_estimate': xla / est}
           for i, (name, est) in enumerate(estimates)]
  row['achieved_gflops'] = xla * n_tokens / sec / 1e9
  return row, flops


def decoders(model_kw, batch, length, decode_cache='blocks'):
  """(params, cached, uncached, prompt, start): greedy continuation of BOS by `length`
  tokens through the decoding cache (`decode_cache`: 'blocks', jaxgen's, or 'flax') and by
  re-running the whole buffer."""
  model = transformer.TransformerLM(V, dropout_rate=0.0, decode_cache=decode_cache, **model_kw)
  params = model.init(jax.random.key(0), jnp.zeros((1, 2), jnp.int32))['params']
  step = transformer.lm_step_fn(model)
  prompt = jnp.full((batch, 1), BOS, jnp.int32)

  def cached(params, prompt):
    cache = transformer.init_lm_cache(model, batch, 1 + length)
    return sampling.sample_lm(step, params, cache, jax.random.key(0), prompt, length,
                              temperature=0.0)

  def uncached(params, start):
    logits_fn = lambda toks: model.apply({'params': params}, toks)
    return sampling.greedy_naive(logits_fn, start, length, eos=-1)[0]   # never stops

  return params, cached, uncached, prompt, prompt[:, 0]


def flax_row(model_kw, batch, length, repeats, label, ours):
  """flax's decode cache (`decode_cache='flax'`, the same parameters) beside ours: its row,
  with `ours_over_flax` (its time / ours) and whether both give the same tokens."""
  params, cached, _, prompt, _ = decoders(model_kw, batch, length, 'flax')
  fn, compile_s = compile_timed(cached, params, prompt)
  tokens = jax.block_until_ready(fn(params, prompt))              # warm-up
  sec = median_seconds(fn, params, prompt, repeats=repeats)
  print(f'L={length}: {label} {sec:.3f} s', flush=True)
  return {'row': label, 'length': length, 'batch': batch, 'compile_s': compile_s,
          'seconds': sec, 'tokens_per_s': batch * length / sec,
          'ours_over_flax': sec / ours[0], 'same_tokens': bool(jnp.all(tokens == ours[1]))}


def wide_rows(model_kw, batch, lengths, repeats):
  """Cached decoding only, at the paper's base width, where the weights outweigh attention
  over the cache at every length measured; the uncached decoder is run once, at the
  shortest length, to check the tokens (at 1024 it would take most of an hour here), and
  flax's cache at the two shorter lengths (at 1024 it takes ~85 s a call)."""
  rows = []
  for length in lengths:
    params, cached, uncached, prompt, start = decoders(model_kw, batch, length)
    fast, fast_compile = compile_timed(cached, params, prompt)
    fast_tokens = jax.block_until_ready(fast(params, prompt))       # warm-up
    fast_s = median_seconds(fast, params, prompt, repeats=repeats)
    row = {'row': 'decode cached, base width', 'length': length, 'batch': batch,
           'compile_s': fast_compile, 'seconds': fast_s, 'tokens_per_s': batch * length / fast_s}
    if length == lengths[0]:
      row['same_tokens'] = bool(jnp.all(fast_tokens == jax.jit(uncached)(params, start)))
    rows.append(row)
    print(f'L={length}: cached at base width {fast_s:.3f} s', flush=True)
    if length != lengths[-1]:
      rows.append(flax_row(model_kw, batch, length, repeats, 'decode flax cache, base width',
                           (fast_s, fast_tokens)))
  return rows


def decode_rows(model_kw, batch, lengths, repeats):
  rows = []
  for length in lengths:
    params, cached, uncached, prompt, start = decoders(model_kw, batch, length)
    fast, fast_compile = compile_timed(cached, params, prompt)
    slow, slow_compile = compile_timed(uncached, params, start)
    fast_tokens = jax.block_until_ready(fast(params, prompt))       # warm-up
    fast_s = median_seconds(fast, params, prompt, repeats=repeats)
    start_s = time.perf_counter()
    slow_tokens = jax.block_until_ready(slow(params, start))
    slow_s = time.perf_counter() - start_s
    if length <= 256:      # the uncached 1024 takes tens of seconds: that one call is its time
      slow_s = median_seconds(slow, params, start, repeats=repeats)
    same = bool(jnp.all(fast_tokens == slow_tokens))
    common = {'length': length, 'batch': batch, 'same_tokens': same}
    rows.append({'row': 'decode cached (lm_step_fn, lax.scan)', **common,
                 'compile_s': fast_compile, 'seconds': fast_s,
                 'tokens_per_s': batch * length / fast_s, 'cached_over_uncached': slow_s / fast_s})
    rows.append({'row': 'decode uncached (greedy_naive)', **common, 'compile_s': slow_compile,
                 'seconds': slow_s, 'tokens_per_s': batch * length / slow_s})
    rows.append(flax_row(model_kw, batch, length, repeats, 'decode flax cache (decode=True)',
                         (fast_s, fast_tokens)))
    print(f'L={length}: cached {fast_s:.3f} s, uncached {slow_s:.3f} s', flush=True)
  return rows


def scaling(rows, name, long, short):
  sec = {r['length']: r['seconds'] for r in rows if r['row'].startswith(name)}
  return sec[long] / sec[short]


def main():
  p = _common.parser('transformer', __doc__)
  p.add_argument('--repeats', type=int, default=5)
  p.add_argument('--quick', action='store_true', help='tiny sizes: a smoke test of seconds')
  args = p.parse_args()
  if args.quick:
    train_kw, batch, time_steps = QUICK_MODEL, 4, 16
    decode_kw, wide_kw, lengths, repeats = QUICK_MODEL, QUICK_MODEL, (8, 16, 32), 2
  else:
    train_kw, batch, time_steps = TRAIN_MODEL, 32, 128
    decode_kw, wide_kw, lengths, repeats = DECODE_MODEL, WIDE_MODEL, (64, 256, 1024), args.repeats
  train, flops = train_rows(train_kw, batch, time_steps, repeats)
  print(f'train: {train["tokens_per_s"]:.0f} tokens/s', flush=True)
  rows = [train] + decode_rows(decode_kw, 4, lengths, repeats)
  rows += wide_rows(wide_kw, 4, lengths, repeats)
  long, short = lengths[-1], lengths[-2]
  ratios = {f'{key}_time_{long}_over_{short}': scaling(rows, name, long, short)
            for key, name in [('cached', 'decode cached (lm'), ('uncached', 'decode uncached'),
                              ('cached_base_width', 'decode cached, base'),
                              ('flax_cache', 'decode flax cache (decode')]}
  ratios.update(linear=long / short, quadratic=(long / short) ** 2)
  print(_common.markdown_table(flops, ['estimate', 'params', 'flops_per_token',
                                       'xla_flops_per_token', 'xla_over_estimate']))
  print()
  for k, v in ratios.items():
    print(f'{k}: {v:.3g}')
  print()
  _common.report('transformer', rows,
                 ['row', 'length', 'batch', 'compile_s', 'seconds', 'tokens_per_s',
                  'cached_over_uncached', 'ours_over_flax', 'same_tokens', 'achieved_gflops'],
                 args.out,
                 flops=flops, scaling=ratios, quick=args.quick,
                 train_model=dict(train_kw, vocab_size=V),
                 decode_model=dict(decode_kw, vocab_size=V),
                 base_width_model=dict(wide_kw, vocab_size=V))


if __name__ == '__main__':
  main()
