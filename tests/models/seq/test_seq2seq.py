"""Encoder-decoders and their attention (Bahdanau 2015, Luong 2015): the papers' equations.

Tiny shapes throughout: 3 sources of at most 7 tokens (two padded), 5 target steps.
"""
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxgen.data import text
from jaxgen.models.seq import attention as attn
from jaxgen.models.seq import seq2seq as s2s
from jaxgen.models.seq import task as task_lib
from jaxgen.train.config import base_config

SRC_V, TGT_V, S, T = 20, 15, 7, 5
LENGTHS = np.array([7, 4, 2], np.int32)
SMALL = dict(features=8, embed_dim=6, attention_dim=5, readout_dim=4)
MODELS = {
    'bahdanau': dict(attention='bahdanau', cell='gru'),
    'bahdanau_lstm2': dict(attention='bahdanau', cell='lstm', num_layers=2),
    'luong_general_feed': dict(attention='luong', bidirectional=False, cell='lstm',
                               num_layers=2, score='general'),
    'luong_dot_local_m': dict(attention='luong', bidirectional=False, score='dot',
                              window='local_m', D=2, input_feeding=False),
    'luong_concat_local_p': dict(attention='luong', bidirectional=False, score='concat',
                                 window='local_p', D=2),
    'luong_location': dict(attention='luong', bidirectional=False, score='location',
                           max_source_length=S),
    'none': dict(attention='none', bidirectional=False, cell='lstm', reverse_source=True),
    'cho': dict(attention='cho', bidirectional=False, cell='gru'),
}
ATTENTION_FREE = ('none', 'cho')


def _apply(model, params, *args):
  return jax.jit(lambda p, *a: model.apply({'params': p}, *a))(params, *args)


def _batch(seed=0):
  rng = np.random.default_rng(seed)
  src = rng.integers(4, SRC_V, (3, S)).astype(np.int32)
  src[np.arange(S)[None] >= LENGTHS[:, None]] = text.PAD
  tgt = rng.integers(4, TGT_V, (3, T)).astype(np.int32)
  return jnp.asarray(src), jnp.asarray(LENGTHS), jnp.asarray(tgt)


@pytest.fixture(scope='module')
def built():
  """{name: (model, params)} for every model in MODELS, initialised once."""
  src, sl, tgt = _batch()
  out = {}
  for name, kw in MODELS.items():
    model = s2s.Seq2Seq(SRC_V, TGT_V, **SMALL, **kw)
    params = jax.jit(model.init)(jax.random.key(0), src, sl,
                                 s2s.shift_right(tgt, text.BOS))['params']
    out[name] = (model, params)
  return out


@pytest.mark.parametrize('name', list(MODELS))
def test_teacher_forced_logits_equal_stepping_the_decoder(built, name):
  model, params = built[name]
  src, sl, tgt = _batch()
  tin = s2s.shift_right(tgt, text.BOS)
  logits, weights = _apply(model, params, src, sl, tin)
  memory, carry = model.apply({'params': params}, src, sl, method=s2s.Seq2Seq.encode)
  step = jax.jit(lambda c, y: model.apply({'params': params}, memory, c, y,
                                          method=s2s.Seq2Seq.step))
  for t in range(T):
    carry, lg, w = step(carry, tin[:, t])
    np.testing.assert_allclose(lg, logits[:, t], atol=1e-5)
    np.testing.assert_allclose(w, weights[:, t], atol=1e-6)
  assert logits.shape == (3, T, TGT_V) and weights.shape == (3, T, S)


@pytest.mark.parametrize('name', [n for n in MODELS if n not in ATTENTION_FREE])
def test_padding_gets_no_attention_and_padded_tokens_change_nothing(built, name):
  model, params = built[name]
  src, sl, tgt = _batch()
  tin = s2s.shift_right(tgt, text.BOS)
  logits, weights = _apply(model, params, src, sl, tin)
  pad = np.arange(S)[None, None, :] >= LENGTHS[:, None, None]
  assert np.all(np.asarray(weights)[np.broadcast_to(pad, weights.shape)] == 0.0)
  noisy = np.where(np.arange(S)[None] >= LENGTHS[:, None], 9, np.asarray(src))
  logits2, weights2 = _apply(model, params, jnp.asarray(noisy), sl, tin)
  np.testing.assert_allclose(logits2, logits, atol=1e-6)
  np.testing.assert_allclose(weights2, weights, atol=1e-7)
  if MODELS[name].get('window', 'global') == 'global':      # a softmax over the real tokens
    np.testing.assert_allclose(np.asarray(weights).sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize('name', ATTENTION_FREE)
def test_the_attention_free_decoder_ignores_padding_too(built, name):
  model, params = built[name]
  src, sl, tgt = _batch()
  tin = s2s.shift_right(tgt, text.BOS)
  noisy = np.where(np.arange(S)[None] >= LENGTHS[:, None], 9, np.asarray(src))
  np.testing.assert_allclose(_apply(model, params, jnp.asarray(noisy), sl, tin)[0],
                             _apply(model, params, src, sl, tin)[0], atol=1e-6)


def _step_weights(model, params, carry, memory, tokens):
  return model.apply({'params': params}, memory, carry, tokens, method=s2s.Seq2Seq.step)[2]


def test_bahdanau_scores_come_from_the_previous_state(built):
  """e_ij = v^T tanh(W s_{i-1} + U h_j): the step's weights are a function of the incoming
  state s_{i-1} (nonzero Jacobian), and not of the state s_i it computes (zero gradient
  through the decoder cell's parameters, which make s_i). Luong's h_t-queried weights, the
  contrast, do depend on the cell."""
  src, sl, tgt = _batch()
  y = tgt[:, 0]
  model, params = built['bahdanau']
  memory, carry = model.apply({'params': params}, src, sl, method=s2s.Seq2Seq.encode)

  def of_state(s_prev):
    c = dict(carry, cells=(s_prev,))
    return _step_weights(model, params, c, memory, y)
  jac = jax.jacfwd(of_state)(carry['cells'][0])            # [b, S, b, n]
  assert np.abs(np.asarray(jac)).max() > 1e-4
  # The scores against numpy: v^T tanh(W_a s_{i-1} + U_a h_j) from s_{i-1}.
  a = params['decoder']['attention']
  s_prev = np.asarray(carry['cells'][0])
  e = np.tanh((s_prev @ np.asarray(a['W_a']['kernel']))[:, None, :]
              + np.asarray(memory['keys'])) @ np.asarray(a['v_a']['kernel'])[:, 0]
  e = np.where(np.asarray(memory['mask']), e, -np.inf)
  ref = np.exp(e - e.max(-1, keepdims=True))
  ref /= ref.sum(-1, keepdims=True)
  np.testing.assert_allclose(of_state(carry['cells'][0]), ref, atol=1e-6)

  def of_cell(model, params, memory, carry):
    def f(cell_params):
      p = dict(params, decoder=dict(params['decoder'], cell_0=cell_params))
      return jnp.sum(_step_weights(model, p, carry, memory, y) ** 2)
    return jax.grad(f)(params['decoder']['cell_0'])
  grads = of_cell(model, params, memory, carry)
  assert all(np.all(np.asarray(g) == 0) for g in jax.tree.leaves(grads))
  model, params = built['luong_general_feed']
  memory, carry = model.apply({'params': params}, src, sl, method=s2s.Seq2Seq.encode)
  grads = of_cell(model, params, memory, carry)
  assert max(float(jnp.abs(g).max()) for g in jax.tree.leaves(grads)) > 1e-6


def test_bahdanau_initial_state_is_tanh_of_the_backward_state_at_the_first_word(built):
  model, params = built['bahdanau']
  src, sl, _ = _batch()
  memory, carry = model.apply({'params': params}, src, sl, method=s2s.Seq2Seq.encode)
  h = SMALL['features']
  bwd_h1 = np.asarray(memory['values'])[:, 0, h:]
  w = params['W_s_0']
  ref = np.tanh(bwd_h1 @ np.asarray(w['kernel']) + np.asarray(w['bias']))
  np.testing.assert_allclose(carry['cells'][0], ref, atol=1e-6)
  # The backward state at word 1 has read the whole (unpadded) source: it changes with the
  # last real word of the shortest source.
  src2 = np.asarray(src).copy()
  src2[2, LENGTHS[2] - 1] = (src2[2, LENGTHS[2] - 1] + 1 - 4) % (SRC_V - 4) + 4
  _, carry2 = model.apply({'params': params}, jnp.asarray(src2), sl,
                          method=s2s.Seq2Seq.encode)
  assert np.abs(np.asarray(carry2['cells'][0])[2] - ref[2]).max() > 1e-5
  np.testing.assert_allclose(np.asarray(carry2['cells'][0])[:2], ref[:2], atol=1e-7)


def test_cho_gru_cell_is_the_papers_equations():
  """Cho 2014, appendix A.1.2: the reset gate multiplies U h + C c together."""
  rng = np.random.default_rng(0)
  h, e, c = (rng.normal(size=(3, n)).astype(np.float32) for n in (4, 5, 6))
  cell = s2s.ChoGRUCell(4)
  params = cell.init(jax.random.key(0), h, (e, c))['params']
  new, out = cell.apply({'params': params}, h, (e, c))
  W, U, C = (np.asarray(params[k]['kernel']) for k in ('W', 'U', 'C'))
  b = np.asarray(params['W']['bias'])
  sig = lambda x: 1 / (1 + np.exp(-x))
  part = lambda m, k: m[..., k * 4:(k + 1) * 4]
  x, rec, ctx = e @ W + b, h @ U, c @ C
  r = sig(part(x, 0) + part(rec, 0) + part(ctx, 0))
  z = sig(part(x, 1) + part(rec, 1) + part(ctx, 1))
  cand = np.tanh(part(x, 2) + r * (part(rec, 2) + part(ctx, 2)))
  np.testing.assert_allclose(new, z * h + (1 - z) * cand, atol=1e-6)
  np.testing.assert_array_equal(new, out)


def test_cho_decoder_starts_from_the_summary_and_reads_it_at_every_step(built):
  model, params = built['cho']
  src, sl, tgt = _batch()
  memory, carry = model.apply({'params': params}, src, sl, method=s2s.Seq2Seq.encode)
  _, enc_carries = model.apply({'params': params}, src, sl,
                               method=lambda m, s, l: m.encoder(m.source_embed(s), l))
  dense = lambda p, x: np.tanh(x @ np.asarray(p['kernel']) + np.asarray(p['bias']))
  c = dense(params['V'], np.asarray(enc_carries[-1]))           # c = tanh(V h_N)
  np.testing.assert_allclose(memory['summary'], c, atol=1e-6)
  np.testing.assert_allclose(carry['cells'][0], dense(params['V_prime_0'], c), atol=1e-6)
  # With the decoder's state held fixed, every step's logits still move with c (unlike
  # attention='none', whose steps see the source only through the initial state).
  tin = s2s.shift_right(tgt, text.BOS)

  def step_logits(summary, t):
    mem = dict(memory, summary=summary)
    return model.apply({'params': params}, mem, carry, tin[:, t],
                       method=s2s.Seq2Seq.step)[1].sum()

  for t in range(T):
    g = jax.grad(step_logits)(memory['summary'], t)
    assert float(jnp.abs(g).min()) > 0.0


def test_local_p_weights_peak_at_p_t_with_an_unrenormalised_gaussian():
  """Luong eq. 10 from numpy: softmax over the window, times exp(-(s - p)^2 / (2 (D/2)^2))."""
  D, n = 4, 20
  p = jnp.array([7.3, 15.0])
  scores = jnp.zeros((2, n))
  mask = jnp.ones((2, n), bool)
  w = np.asarray(attn.local_weights(scores, mask, p, D, predictive=True))
  s = np.arange(1, n + 1)[None, :]
  inside = np.abs(s - np.asarray(p)[:, None]) <= D
  soft = inside / inside.sum(1, keepdims=True)
  ref = soft * np.exp(-(s - np.asarray(p)[:, None]) ** 2 / (2 * (D / 2) ** 2))
  np.testing.assert_allclose(w, ref, rtol=1e-6, atol=1e-8)
  assert list(np.argmax(w, 1)) == [6, 14]              # positions 7 and 15 (1-based)
  assert np.all(w[~inside] == 0)
  assert np.all(w.sum(1) < 0.9)                        # not renormalised
  np.testing.assert_allclose(w[1, 14], 1 / 9, rtol=1e-6)   # Gaussian = 1 at s = p exactly
  # local-m: the in-window softmax alone, summing to 1
  wm = np.asarray(attn.local_weights(scores, mask, p, D, predictive=False))
  np.testing.assert_allclose(wm, soft, rtol=1e-6)


def test_local_p_position_uses_each_examples_unpadded_length_and_gets_gradients(built):
  model, params = built['luong_concat_local_p']
  src, sl, tgt = _batch()
  memory, carry = model.apply({'params': params}, src, sl, method=s2s.Seq2Seq.encode)
  h = jax.random.normal(jax.random.key(1), (3, SMALL['features']))
  a = params['decoder']['attention']
  layer = attn.LuongAttention('concat', 'local_p', 2, SMALL['attention_dim'],
                              query_dim=SMALL['features'])
  p = layer.apply({'params': a}, h, memory, None, method=attn.LuongAttention.aligned_position)
  ref = LENGTHS / (1 + np.exp(-(np.tanh(np.asarray(h) @ np.asarray(a['W_p']['kernel']))
                                @ np.asarray(a['v_p']['kernel']))[:, 0]))
  np.testing.assert_allclose(p, ref, rtol=1e-5)

  def loss(ap):
    _, w = layer.apply({'params': ap}, h, memory, None)
    return jnp.sum(w * jnp.arange(S))          # any function of the weights
  g = jax.grad(loss)(a)
  for name in ('W_p', 'v_p'):                  # the gradient reaches p_t through the Gaussian
    assert float(jnp.abs(g[name]['kernel']).max()) > 1e-6, name


def test_local_m_window_is_centred_on_the_target_step(built):
  model, params = built['luong_dot_local_m']
  src, sl, tgt = _batch()
  _, weights = model.apply({'params': params}, src, sl, s2s.shift_right(tgt, text.BOS))
  w = np.asarray(weights)
  s = np.arange(1, S + 1)
  for t in range(1, T + 1):
    outside = np.abs(s - t) > 2
    assert np.all(w[:, t - 1, outside] == 0)
    for b in range(3):                         # softmax over the real in-window tokens
      if np.any(~outside & (s <= LENGTHS[b])):
        np.testing.assert_allclose(w[b, t - 1].sum(), 1.0, atol=1e-5)


# ----------------------------------------------------------------------------- the task
def _config(**model):
  c = base_config()
  c.task = 'seq2seq'
  c.model = ml_collections.ConfigDict(dict(SMALL, **model))
  return c


INFO = {'vocab': {'source': text.Vocab(text.SPECIALS + tuple('abcdefghijklmnop')),
                  'target': text.Vocab(text.SPECIALS + tuple('0123456789-'))},
        'features': {'source': ((S,), 'int32'), 'source_length': ((), 'int32'),
                     'target': ((T,), 'int32'), 'target_length': ((), 'int32')}}


@pytest.mark.parametrize('name', ['bahdanau', 'luong_general_feed', 'cho'])
def test_dropout_acts_in_training_only(built, name):
  """With dropout the training logits are random; evaluation and decoding equal the model
  without dropout (the same parameters: dropout adds none)."""
  model, params = built[name]
  src, sl, tgt = _batch()
  tin = s2s.shift_right(tgt, text.BOS)
  dropped = model.clone(dropout=0.5)
  ref = _apply(model, params, src, sl, tin)[0]
  np.testing.assert_allclose(_apply(dropped, params, src, sl, tin)[0], ref, atol=1e-6)
  train = jax.jit(lambda k: dropped.apply({'params': params}, src, sl, tin, train=True,
                                          rngs={'dropout': k})[0])
  a, b = train(jax.random.key(1)), train(jax.random.key(2))
  assert float(jnp.abs(a - b).max()) > 1e-3 and float(jnp.abs(a - ref).max()) > 1e-3
  np.testing.assert_array_equal(a, train(jax.random.key(1)))
  # Different steps of the teacher-forced scan draw different masks.
  memory, carry = dropped.apply({'params': params}, src, sl, method=s2s.Seq2Seq.encode)
  step = dropped.apply({'params': params}, memory, carry, tin[:, 0], method=s2s.Seq2Seq.step)
  np.testing.assert_allclose(step[1], ref[:, 0], atol=1e-5)


def test_masked_loss_is_unchanged_by_target_padding():
  task = task_lib.make_task(_config(attention='bahdanau'), INFO)
  src, sl, tgt = _batch()
  tl = jnp.array([5, 3, 1], jnp.int32)
  tgt = jnp.where(jnp.arange(T)[None] < tl[:, None], tgt % 11 + 4, 0)
  batch = dict(source=src, source_length=sl, target=tgt, target_length=tl)
  params = task.init(jax.random.key(0), batch).params
  loss, (metrics, _) = task.loss(params, {}, batch, None)
  garbage = dict(batch, target=jnp.where(tgt == 0, 7, tgt))        # other padding tokens
  longer = dict(batch, target=jnp.pad(tgt, ((0, 0), (0, 4))))      # more padding
  for other in (garbage, longer):
    l2, (m2, _) = task.loss(params, {}, other, None)
    np.testing.assert_allclose(l2, loss, rtol=1e-6)
    np.testing.assert_allclose(jnp.sum(m2['nll'][0]), jnp.sum(metrics['nll'][0]), rtol=1e-6)
    assert float(jnp.sum(m2['nll'][1])) == 9.0                      # 5 + 3 + 1 tokens
  # The loss is the mean over real tokens, not over sequences.
  nll, mask = metrics['nll']
  np.testing.assert_allclose(loss, jnp.sum(nll) / 9.0, rtol=1e-6)


def test_beam_one_equals_greedy_on_the_model():
  c = _config(attention='luong', bidirectional=False, beam_size=1, length_penalty=0.0)
  task = task_lib.make_task(c, INFO)
  src, sl, tgt = _batch()
  batch = dict(source=src, source_length=sl, target=tgt % 11 + 4,
               target_length=jnp.full((3,), T, jnp.int32))
  params = task.init(jax.random.key(3), batch).params
  g, _ = task.greedy_decode(params, src, sl)
  b, _ = task.beam_decode(params, src, sl)
  np.testing.assert_array_equal(b[:, 0], g)


def test_bleu_text_drops_unk_so_unk_never_matches_unk():
  task = task_lib.make_task(_config(attention='bahdanau'), INFO)
  assert task.decode_text([4, text.UNK, 5, text.EOS, 6]) == '0<unk>1'
  assert task._bleu_text([4, text.UNK, 5, text.EOS, 6]) == '01'   # pylint: disable=protected-access


def test_exact_match_counts_a_whole_sequence_with_its_eos():
  tgt = jnp.array([[5, 6, 2, 0], [5, 6, 2, 0], [5, 6, 2, 0]])
  pred = jnp.array([[5, 6, 2, 0], [5, 6, 7, 2], [5, 6, 2, 9]])
  np.testing.assert_array_equal(task_lib.exact_match(pred, tgt, jnp.array([3, 3, 3])),
                                [1.0, 0.0, 1.0])


@pytest.mark.parametrize('model, match', [
    (dict(attention='transformer'), 'model.attention'),
    (dict(attention='luong', score='cosine'), 'model.score'),
    (dict(attention='luong', window='local'), 'model.window'),
    (dict(attention='luong', score='dot'), "score='dot'"),
    (dict(attention='none'), 'bidirectional=False'),
    (dict(attention='cho', bidirectional=False, cell='lstm'), "cell='gru'"),
    (dict(attention='bahdanau', reverse_source=True), 'reverse_source'),
    (dict(attention='bahdanau', beam_size=0), 'beam_size'),
    (dict(attention='bahdanau', featurs=3), 'featurs.*valid'),
])
def test_bad_config_values_raise_one_line_errors(model, match):
  with pytest.raises(ValueError, match=match) as e:
    task_lib.make_task(_config(**model), INFO)
  assert '\n' not in str(e.value)


# ----------------------------------------------------------------------------- learning
@pytest.mark.learning
def test_tiny_dates_config_learns_to_translate_held_out_dates(tmp_path):
  """dates_seq2seq:tiny (a 32-unit Bahdanau model, 400 steps) on dates never seen in
  training, in any language: measured 0.996 greedy and beam exact match (3,680 test dates);
  the threshold is 0.9 (chance is ~0: all 11 characters must be right)."""
  from jaxgen import experiments  # pylint: disable=g-import-not-at-top
  config = experiments.get_config('dates_seq2seq:tiny')
  config.progress = False
  out = experiments.train_and_evaluate(config, str(tmp_path))
  assert out['final/exact_match_greedy'] >= 0.9, out
  assert out['final/exact_match_beam'] >= 0.9, out
  assert out['eval/accuracy'] >= 0.98, out
  assert (tmp_path / 'attention' / 'final.png').stat().st_size > 1000
  assert (tmp_path / 'samples' / 'final.txt').read_text().count('->') == config.num_samples


def test_killed_tiny_run_resumes_to_the_same_parameters(tmp_path):
  """The whole-system check for this family: checkpoint, kill, resume, same state."""
  import os  # pylint: disable=g-import-not-at-top
  from jaxgen import experiments  # pylint: disable=g-import-not-at-top
  config = experiments.get_config('dates_seq2seq:tiny')
  config.progress = False
  config.num_steps, config.checkpoint_every, config.eval_every = 6, 3, 6
  config.num_samples, config.model.attention_maps = 0, 0
  config.data.kwargs = {'first_year': 2000, 'last_year': 2003}     # 146 test dates
  full = experiments.train_and_evaluate(config, str(tmp_path / 'full'))
  assert experiments.train_and_evaluate(config, str(tmp_path / 'killed'), stop_after=5) == {}
  assert sorted(os.listdir(tmp_path / 'killed' / 'checkpoints'))[-1] == '3'
  resumed = experiments.train_and_evaluate(config, str(tmp_path / 'killed'))
  _, s_full = experiments.load_state(config, str(tmp_path / 'full'))
  _, s_res = experiments.load_state(config, str(tmp_path / 'killed'))
  for a, b in zip(jax.tree.leaves(s_full), jax.tree.leaves(s_res)):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
  assert resumed['eval/nll'] == full['eval/nll']
  assert resumed['final/exact_match_beam'] == full['final/exact_match_beam']


def test_word_vocab_bleu_of_subword_data_scores_the_word_models_references():
  """A BPE model's references, with the words outside the word vocabulary dropped
  (`known_words`), are exactly the references a word-level model of the same pairs is
  scored on (its UNKs dropped): its `bleu_*_word_vocab` compares with the word models'."""
  from jaxgen import data  # pylint: disable=g-import-not-at-top
  kw = dict(max_words=6, min_count=3)
  words = data.load('deu_eng', 'test', **kw)
  pieces = data.load('deu_eng', 'test', shared_vocab=True, vocab='bpe', vocab_size=600, **kw)
  wv, pv = words.info['vocab']['target'], pieces.info['vocab']['target']
  assert pieces.info['word_vocab'] == wv
  for w, p in zip(words.arrays['target'], pieces.arrays['target']):
    word_ref = wv.decode(np.where(w == text.UNK, text.PAD, w), join=' ')
    assert task_lib.known_words(pv.decode(p), wv) == ' '.join(word_ref.split())
  assert task_lib.known_words('the zyzzyva <unk> house', wv) == 'the house'
