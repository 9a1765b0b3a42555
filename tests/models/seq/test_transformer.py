"""The Transformer (Vaswani et al. 2017): the paper's parameter count and formulas, causality,
source padding, cached decoding against recomputing the prefix, the label-smoothed loss, the
rsqrt schedule, and tiny configs that learn on real data.

Tiny shapes throughout: 3 sources of at most 7 tokens (two padded), 6 target steps, d_model 16.
"""
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from jaxgen.data import text
from jaxgen.models.seq import sampling
from jaxgen.models.seq import seq2seq as s2s
from jaxgen.models.seq import task as task_lib
from jaxgen.models.seq import transformer as tr
from jaxgen.train import optim
from jaxgen.train.config import base_config

SRC_V, TGT_V, S, T = 20, 15, 7, 6
LENGTHS = np.array([7, 4, 2], np.int32)
SMALL = dict(num_layers=2, d_model=16, d_ff=32, num_heads=4)
MODELS = {
    'paper': dict(),                                        # post-LN, interleaved, tied
    'pre_ln_learned': dict(pre_ln=True, positions='learned', max_len=16),
    'untied_split': dict(tie_output=False, positions='split', scale_embeddings=False),
}


def _batch(seed=0):
  rng = np.random.default_rng(seed)
  src = rng.integers(4, SRC_V, (3, S)).astype(np.int32)
  src[np.arange(S)[None] >= LENGTHS[:, None]] = text.PAD
  tgt = rng.integers(4, TGT_V, (3, T)).astype(np.int32)
  return jnp.asarray(src), jnp.asarray(LENGTHS), jnp.asarray(tgt)


def _sharpen(params):
  return jax.tree.map(lambda a: a * 2.0, params)     # less uniform logits, varied tokens


@pytest.fixture(scope='module')
def built():
  """{name: (model, params)} for every model in MODELS, initialised once."""
  src, sl, tgt = _batch()
  out = {}
  for name, kw in MODELS.items():
    model = tr.Transformer(SRC_V, TGT_V, **SMALL, **kw)
    params = jax.jit(model.init)(jax.random.key(0), src, sl, tgt)['params']
    out[name] = (model, _sharpen(params))
  return out


# ----------------------------------------------------------------------------- the paper
def _base_count(n, d, d_ff, v, pre_ln=False):
  """Closed formula of the base model's weights (shared, tied embedding; no output bias)."""
  attention = 4 * (d * d + d)                  # W^Q, W^K, W^V, W^O and their biases
  mlp = d * d_ff + d_ff + d_ff * d + d         # eq. 2: W_1, b_1, W_2, b_2
  norm = 2 * d                                 # LayerNorm gain and bias
  encoder = n * (attention + mlp + 2 * norm)
  decoder = n * (2 * attention + mlp + 3 * norm)
  return encoder + decoder + v * d + (2 * norm if pre_ln else 0)


@pytest.mark.parametrize('pre_ln', [False, True])
def test_base_model_has_the_papers_65m_parameters(pre_ln):
  """Table 3's base model (N=6, d_model 512, d_ff 2048, h 8) over a shared 37k vocabulary:
  63,082,496 weights by the formula, the paper's '65M' within 5%."""
  model = tr.Transformer(37_000, 37_000, share_embeddings=True, pre_ln=pre_ln)
  shapes = jax.eval_shape(lambda: model.init(jax.random.key(0), jnp.zeros((1, 3), jnp.int32),
                                             jnp.ones((1,), jnp.int32),
                                             jnp.zeros((1, 2), jnp.int32)))['params']
  count = tr.num_params(shapes)
  assert count == _base_count(6, 512, 2048, 37_000, pre_ln)
  if not pre_ln:
    assert count == 63_082_496
  assert abs(count - 65e6) / 65e6 < 0.05
  # The names the tensor-parallel rules match.
  layer = shapes['decoder']['layer_0']
  assert set(layer['mlp']) == {'wi', 'wo'} and 'embed' in shapes
  assert set(layer['self_attention']) == set(layer['cross_attention']) == {
      'query', 'key', 'value', 'out'}
  assert layer['self_attention']['query']['kernel'].shape == (512, 8, 64)


def test_interleaved_sinusoid_is_the_papers_formula():
  d, pos = 12, np.arange(50)
  ref = np.zeros((50, d))
  for i in range(d // 2):
    ref[:, 2 * i] = np.sin(pos / 10000 ** (2 * i / d))        # PE(pos, 2i)
    ref[:, 2 * i + 1] = np.cos(pos / 10000 ** (2 * i / d))    # PE(pos, 2i + 1)
  np.testing.assert_allclose(tr.sinusoid(jnp.asarray(pos), d), ref, atol=2e-5)
  split = np.concatenate([ref[:, 0::2], ref[:, 1::2]], 1)      # the non-default layout
  np.testing.assert_allclose(tr.sinusoid(jnp.asarray(pos), d, 'split'), split, atol=2e-5)
  with pytest.raises(ValueError, match='even d_model'):
    tr.sinusoid(jnp.arange(3), 5)


def test_rsqrt_schedule_peaks_at_warmup_with_the_papers_value():
  d, w = 512, 4000
  sched = optim.rsqrt_schedule(d ** -0.5, w)
  steps = np.array([1, 10, 1000, w - 1, w, w + 1, 10_000, 100_000])
  ref = d ** -0.5 * np.minimum(steps ** -0.5, steps * w ** -1.5)     # eq. 3, step_num
  np.testing.assert_allclose([float(sched(s - 1)) for s in steps], ref, rtol=1e-5)
  np.testing.assert_allclose(float(sched(w - 1)), d ** -0.5 * w ** -0.5, rtol=1e-6)
  counts = jnp.arange(0, 3 * w, 7)
  values = np.asarray(jax.vmap(sched)(counts))
  peak = int(np.argmax(values))
  assert abs(int(counts[peak]) - (w - 1)) <= 7
  assert np.all(np.diff(values[:peak + 1]) > 0) and np.all(np.diff(values[peak:]) < 0)
  # through the config: schedule='rsqrt', learning_rate = d_model^-0.5
  cfg = ml_collections.ConfigDict(dict(name='adam', learning_rate=d ** -0.5, schedule='rsqrt',
                                       warmup_steps=w, b1=0.9, b2=0.98, eps=1e-9))
  np.testing.assert_allclose(float(optim.make_schedule(cfg, 10)(w - 1)), ref[4], rtol=1e-6)
  params = {'x': jnp.ones(3)}
  tx = optim.make_optimizer(cfg, 10)
  updates, _ = tx.update({'x': jnp.ones(3)}, tx.init(params), params)
  np.testing.assert_allclose(updates['x'], -d ** -0.5 * w ** -1.5, rtol=1e-3)   # step 1
  cfg.warmup_steps = 0
  with pytest.raises(ValueError, match='warmup_steps >= 1'):
    optim.make_schedule(cfg, 10)


# ----------------------------------------------------------------------------- the maths
@pytest.mark.parametrize('name', list(MODELS))
def test_decoder_output_at_t_ignores_target_inputs_after_t(built, name):
  model, params = built[name]
  src, sl, tgt = _batch()
  memory, valid = model.apply({'params': params}, src, sl, method=tr.Transformer.encode)
  y = model.apply({'params': params}, tgt, method=tr.Transformer.embed_target)

  def logits_of(y):
    return model.apply({'params': params}, memory, valid, y,
                       method=tr.Transformer.decode_embedded)
  jac = jax.jit(jax.jacfwd(logits_of))(y)              # [b, T, V, b, T, d]
  for b in range(3):
    dep = np.abs(np.asarray(jac[b, :, :, b])).sum((1, 3)) > 0     # [T (out), T (in)]
    np.testing.assert_array_equal(dep, np.tril(np.ones((T, T), bool)))
  assert np.all(np.asarray(jac[0, :, :, 1]) == 0)     # and nothing across the batch


def test_lm_output_at_t_ignores_inputs_after_t():
  model = tr.TransformerLM(TGT_V, **SMALL)
  tokens = _batch()[2]
  params = model.init(jax.random.key(1), tokens)['params']
  y = model.apply({'params': params}, tokens, method=tr.TransformerLM.embed_tokens)
  jac = jax.jacfwd(lambda y: model.apply({'params': params}, y,
                                         method=tr.TransformerLM.from_embedded))(y)
  dep = np.abs(np.asarray(jac[0, :, :, 0])).sum((1, 3)) > 0
  np.testing.assert_array_equal(dep, np.tril(np.ones((T, T), bool)))


@pytest.mark.parametrize('name', list(MODELS))
def test_source_padding_changes_nothing(built, name):
  """Each padded source gives, at its real positions, the encoder outputs and decoder logits
  of the same source unpadded (alone, at its own length), whatever the padding holds."""
  model, params = built[name]
  src, sl, tgt = _batch()
  run = jax.jit(lambda s, l, t: model.apply({'params': params}, s, l,
                                            method=tr.Transformer.encode))
  dec = jax.jit(lambda s, l, t: model.apply({'params': params}, s, l, t))
  memory, _ = run(src, sl, tgt)
  logits = dec(src, sl, tgt)
  noisy = jnp.where(jnp.arange(S)[None] >= sl[:, None], 9, src)
  np.testing.assert_allclose(dec(noisy, sl, tgt), logits, atol=1e-5)
  for b, n in enumerate(LENGTHS):
    alone = src[b:b + 1, :n]
    np.testing.assert_allclose(run(alone, sl[b:b + 1], None)[0][0], memory[b, :n],
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dec(alone, sl[b:b + 1], tgt[b:b + 1])[0], logits[b],
                               rtol=1e-4, atol=1e-4)


def test_attention_weights_are_sown_and_give_padding_no_weight(built):
  model, params = built['paper']
  src, sl, tgt = _batch()
  _, out = model.apply({'params': params}, src, sl, tgt, mutable=['intermediates'])
  cross = tr.attention_weights(out['intermediates'], 'decoder', 'cross_attention')
  enc = tr.attention_weights(out['intermediates'], 'encoder', 'self_attention')
  selfw = tr.attention_weights(out['intermediates'], 'decoder', 'self_attention')
  assert cross.shape == (2, 3, 4, T, S) and enc.shape == (2, 3, 4, S, S)
  pad = np.arange(S)[None, :] >= LENGTHS[:, None]                   # [b, S]
  assert np.all(np.asarray(cross)[:, pad[:, None, None, :].repeat(4, 1).repeat(T, 2)] == 0)
  np.testing.assert_allclose(np.asarray(cross).sum(-1), 1.0, atol=1e-5)
  assert np.all(np.asarray(selfw)[..., np.triu(np.ones((T, T), bool), 1)] == 0)


def _chain(seed=0):
  """A fixed random bigram table added to both decoders' logits ([V_in, V_out]; PAD and BOS
  never win): random decoders alone repeat one token; with it the outputs vary, and EOS."""
  table = 4.0 * np.random.default_rng(seed).normal(size=(TGT_V, TGT_V))   # ~ the logits
  table[:, :2] = -1e4
  return jnp.asarray(table, jnp.float32)


@pytest.mark.parametrize('name', list(MODELS))
def test_cached_decoding_equals_recomputing_the_prefix(built, name):
  """Greedy decoding through the key/value cache and by re-running the whole prefix at
  every step: the same tokens, and the logits they were read from agree."""
  model, params = built[name]
  src, sl, _ = _batch()
  memory, valid = model.apply({'params': params}, src, sl, method=tr.Transformer.encode)
  bos = jnp.full((3,), text.BOS, jnp.int32)
  step = tr.seq2seq_step_fn(model, params)
  chain = _chain()

  def logged(tokens, state):
    logits, state, _ = step(tokens, state)
    return logits + chain[tokens], state, logits

  @jax.jit
  def cached():
    state = dict(cache=tr.init_seq2seq_cache(model, params, memory, valid, T),
                 memory=memory, valid=valid)
    return sampling.greedy(logged, state, bos, T, text.EOS)

  def full(buf):
    logits = model.apply({'params': params}, memory, valid, buf,
                         method=tr.Transformer.decode_logits)
    return jnp.concatenate([logits + chain[buf], logits], -1)

  @jax.jit
  def naive():
    tokens, logits = sampling.greedy_naive(lambda b: full(b)[..., :TGT_V], bos, T, text.EOS)
    buf = jnp.concatenate([bos[:, None], tokens[:, :-1]], 1)
    return tokens, full(buf)[..., TGT_V:]
  (tok_c, logits_c), (tok_n, logits_n) = cached(), naive()
  np.testing.assert_array_equal(tok_c, tok_n)
  np.testing.assert_allclose(logits_c, logits_n, rtol=1e-4, atol=1e-4)
  assert np.any(tok_c != tok_c[:, :1])                   # not one repeated token


@pytest.mark.parametrize('cache_block, decode_cache', [(128, 'blocks'), (4, 'blocks'),
                                                       (128, 'flax')])
def test_cached_lm_sampling_equals_the_naive_sampler_for_the_same_key(cache_block,
                                                                      decode_cache):
  """cache_block 4: the 10 tokens fill three blocks of the cache, the last one in part, so
  the block-by-block softmax is checked across blocks; 'flax' is flax's decode cache."""
  model = tr.TransformerLM(TGT_V, **SMALL, pre_ln=True, cache_block=cache_block,
                           decode_cache=decode_cache)
  prompt = jnp.array([[3, 4, 5], [6, 7, 8]], jnp.int32)
  params = _sharpen(model.init(jax.random.key(2), prompt)['params'])
  length = 7
  fast = jax.jit(lambda p, k: sampling.sample_lm(
      tr.lm_step_fn(model), p, tr.init_lm_cache(model, 2, 3 + length), k, prompt, length))
  naive = jax.jit(lambda p, k: sampling.sample_lm_naive(
      lambda q, t: model.apply({'params': q}, t), p, k, prompt, length))
  sampled = fast(params, jax.random.key(5))
  np.testing.assert_array_equal(sampled, naive(params, jax.random.key(5)))
  # and the logits: stepping the cache through a sequence equals one causal pass over it
  tokens = jnp.concatenate([prompt, sampled], 1)
  full = model.apply({'params': params}, tokens)
  _, stepped = jax.lax.scan(lambda c, tok: tr.lm_step_fn(model)(params, c, tok),
                            tr.init_lm_cache(model, 2, tokens.shape[1]), tokens.T)
  np.testing.assert_allclose(jnp.swapaxes(stepped, 0, 1), full, atol=1e-4)


# ----------------------------------------------------------------------------- the task
def _config(**model):
  c = base_config()
  c.task = 'seq2seq'
  c.model = ml_collections.ConfigDict(dict(SMALL, arch='transformer', num_layers=1))
  c.model.update(model)
  return c


INFO = {'vocab': {'source': text.Vocab(text.SPECIALS + tuple('abcdefghijklmnop')),
                  'target': text.Vocab(text.SPECIALS + tuple('0123456789-'))},
        'features': {'source': ((S,), 'int32'), 'source_length': ((), 'int32'),
                     'target': ((T,), 'int32'), 'target_length': ((), 'int32')}}


def _task_batch():
  src, sl, tgt = _batch()
  tl = jnp.array([6, 3, 1], jnp.int32)
  tgt = jnp.where(jnp.arange(T)[None] < tl[:, None], tgt % 11 + 4, 0)
  return dict(source=src, source_length=sl, target=tgt, target_length=tl)


def test_beam_one_equals_greedy_on_the_transformer():
  task = task_lib.make_task(_config(beam_size=1, length_penalty=0.0), INFO)
  assert isinstance(task, task_lib.TransformerSeq2SeqTask)
  batch = _task_batch()
  params = _sharpen(task.init(jax.random.key(3), batch).params)
  g, weights = task.greedy_decode(params, batch['source'], batch['source_length'])
  b, _ = task.beam_decode(params, batch['source'], batch['source_length'])
  np.testing.assert_array_equal(b[:, 0], g)
  assert weights.shape == (3, T, S)                    # the maps' cross-attention, per step
  np.testing.assert_allclose(np.asarray(weights).sum(-1), 1.0, atol=1e-5)
  # the per-head maps: the teacher-forced pass over the greedy output sows the same weights
  pred, heads = task.head_attention(params, batch)
  np.testing.assert_array_equal(pred, g)
  assert heads.shape == (1, 3, 4, T, S)
  np.testing.assert_allclose(np.asarray(heads)[-1].mean(1), weights, atol=1e-5)


def test_label_smoothed_loss_equals_numpy_with_padding_excluded():
  eps = 0.1
  task = task_lib.make_task(_config(label_smoothing=eps, dropout_rate=0.3), INFO)
  batch = _task_batch()
  params = task.init(jax.random.key(0), batch).params
  logits = np.asarray(task.logits(params, batch), np.float64)       # deterministic
  v = logits.shape[-1]
  logp = logits - logits.max(-1, keepdims=True)
  logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
  q = (1 - eps) * np.eye(v)[np.asarray(batch['target'])] + eps / v
  per_token = -(q * logp).sum(-1)
  real = np.arange(T)[None] < np.asarray(batch['target_length'])[:, None]
  ref = per_token[real].mean()                                      # 10 real tokens
  no_dropout = task_lib.make_task(_config(label_smoothing=eps, dropout_rate=0.0), INFO)
  loss_fn = jax.jit(no_dropout.loss)
  loss, (metrics, _) = loss_fn(params, {}, batch, jax.random.key(1))
  np.testing.assert_allclose(loss, ref, rtol=1e-5)
  nll, mask = metrics['nll']                                         # reported unsmoothed
  np.testing.assert_allclose(jnp.sum(nll) / jnp.sum(mask),
                             -np.take_along_axis(logp, np.asarray(batch['target'])[..., None],
                                                 -1)[..., 0][real].mean(), rtol=1e-5)
  garbage = dict(batch, target=jnp.where(batch['target'] == 0, 7, batch['target']))
  np.testing.assert_allclose(loss_fn(params, {}, garbage, jax.random.key(1))[0], loss,
                             rtol=1e-6)
  # dropout is on in training (the key matters) and off in evaluation
  dropped = jax.jit(task.loss)
  l1, l2 = (dropped(params, {}, batch, jax.random.key(k))[0] for k in (1, 2))
  assert abs(float(l1) - float(l2)) > 1e-4
  np.testing.assert_allclose(jax.jit(task.token_nll)(params, batch)[0], nll, rtol=1e-5)


@pytest.mark.parametrize('model, match', [
    (dict(num_heads=3), 'divisible by model.num_heads'),
    (dict(positions='rotary'), 'model.positions'),
    (dict(positions='learned', max_len=4), 'max_len'),
    (dict(share_embeddings=True), 'share_embeddings'),
    (dict(label_smoothing=1.0), 'label_smoothing'),
    (dict(dropout_rate=1.0), 'dropout_rate'),
    (dict(featurs=3), 'featurs.*valid'),
    (dict(cache_block=0), 'model.cache_block'),
    (dict(decode_cache='paged'), 'model.decode_cache'),
])
def test_bad_transformer_config_values_raise_one_line_errors(model, match):
  with pytest.raises(ValueError, match=match) as e:
    task_lib.make_task(_config(**model), INFO)
  assert '\n' not in str(e.value)


def test_transformer_arch_is_for_seq2seq_and_lm_only():
  c = _config()
  c.task, c.model.kind = 'seq', 'tagger'
  with pytest.raises(ValueError, match="model.kind='lm'"):
    task_lib.make_task(c, INFO)


# ----------------------------------------------------------------------------- learning
@pytest.mark.learning
def test_tiny_transformer_lm_beats_the_interpolated_trigram_on_held_out_fortunes(tmp_path):
  """transformer_charlm_fortunes:tiny (2 layers of 64, 600 steps on 100k characters):
  measured 3.19 bits/char against the trigram's 3.33 on the same held-out windows."""
  from jaxgen import experiments  # pylint: disable=g-import-not-at-top
  config = experiments.get_config('transformer_charlm_fortunes:tiny')
  config.progress = False
  out = experiments.train_and_evaluate(config, str(tmp_path))
  bits, trigram = out['eval/bits_per_char'], out['final/trigram_bits_per_char']
  assert out['final/unigram_bits_per_char'] > trigram > 3.0
  assert bits < trigram - 0.1, (bits, trigram)
  assert (tmp_path / 'samples' / 'final.txt').read_text().count('\n') >= 1


@pytest.mark.learning
def test_tiny_transformer_learns_to_translate_held_out_dates(tmp_path):
  """transformer_dates:tiny (one layer of 32 each side, 1,000 steps) on 3,680 dates never
  seen in training in any language: measured 0.944 greedy exact match (0.946 beam); the
  threshold is 0.85 (chance is ~0: all 11 characters must be right)."""
  from jaxgen import experiments  # pylint: disable=g-import-not-at-top
  config = experiments.get_config('transformer_dates:tiny')
  config.progress = False
  out = experiments.train_and_evaluate(config, str(tmp_path))
  assert out['final/exact_match_greedy'] >= 0.85, out
  assert out['final/exact_match_beam'] >= 0.85, out
  assert (tmp_path / 'attention' / 'final.png').stat().st_size > 1000
  assert (tmp_path / 'attention' / 'heads.png').stat().st_size > 1000
  assert (tmp_path / 'samples' / 'final.txt').read_text().count('->') == config.num_samples


def test_killed_transformer_run_resumes_to_the_same_parameters(tmp_path):
  """Checkpoint, kill, resume: the same state, dropout keys included (the LM: the cheapest
  Transformer task to evaluate)."""
  from jaxgen import experiments  # pylint: disable=g-import-not-at-top
  config = experiments.get_config('transformer_charlm_fortunes:tiny')
  config.progress = False
  config.num_steps, config.checkpoint_every, config.eval_every = 6, 3, 0
  config.num_samples = 0
  config.model.dropout_rate = 0.1                # the dropout keys replay too
  config.model.num_layers = 1
  config.data.kwargs.max_chars = 20_000
  config.model.baseline_orders = (1,)
  experiments.train_and_evaluate(config, str(tmp_path / 'full'))
  assert experiments.train_and_evaluate(config, str(tmp_path / 'killed'), stop_after=4) == {}
  experiments.train_and_evaluate(config, str(tmp_path / 'killed'))
  _, a = experiments.load_state(config, str(tmp_path / 'full'))
  _, b = experiments.load_state(config, str(tmp_path / 'killed'))
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
