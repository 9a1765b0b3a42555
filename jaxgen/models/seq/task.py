"""Recurrent sequence models as trainer tasks.

config.task 'seq'      language models, taggers and sequence classifiers over `RNNStack`
                       (section 1 of this file);
config.task 'seq2seq'  encoder-decoders with attention (section 2).
"""
from __future__ import annotations

import ml_collections

from jaxgen.train.task import Task


# ============================================================== 1. language models, taggers


# ============================================================== 2. encoder-decoders
# Section 2's imports sit here so the two sections' edits stay apart.
import dataclasses  # noqa: E402  pylint: disable=g-import-not-at-top,wrong-import-position
import os  # noqa: E402  pylint: disable=g-import-not-at-top,wrong-import-position
from typing import Mapping  # noqa: E402  pylint: disable=g-import-not-at-top

import jax  # noqa: E402  pylint: disable=g-import-not-at-top
import jax.numpy as jnp  # noqa: E402  pylint: disable=g-import-not-at-top
import numpy as np  # noqa: E402  pylint: disable=g-import-not-at-top
import optax  # noqa: E402  pylint: disable=g-import-not-at-top

from jaxgen.data import text  # noqa: E402  pylint: disable=g-import-not-at-top
from jaxgen.data.sources import feature  # noqa: E402  pylint: disable=g-import-not-at-top
from jaxgen.train.config import check_choice, read_model_config  # noqa: E402
from jaxgen.train.task import Variables  # noqa: E402  pylint: disable=g-import-not-at-top
from jaxgen.models.seq import attention as attention_lib  # noqa: E402
from jaxgen.models.seq import rnn  # noqa: E402  pylint: disable=g-import-not-at-top
from jaxgen.models.seq import sampling  # noqa: E402  pylint: disable=g-import-not-at-top
from jaxgen.models.seq import seq2seq  # noqa: E402  pylint: disable=g-import-not-at-top

# Seq2SeqTask (config.task 'seq2seq'): an encoder-decoder over source / target pairs.
#
# config.model: the fields of `seq2seq.Seq2Seq` (attention, score, window, D, input_feeding,
# cell, features, embed_dim, num_layers, bidirectional, reverse_source, attention_dim,
# readout_dim, forget_bias; the vocabulary sizes and max_source_length come from the data)
# and the task's own keys, `S2S_KEYS`:
#   beam_size        k of beam search (`sampling.beam_search`), for eval and final metrics;
#   length_penalty   Wu et al.'s (2016) alpha;
#   eval_beam        also report beam search's exact match at every evaluation;
#   attention_maps   how many test examples' attention maps finalize() draws (PNG).
# Data: the `jaxgen.data.text` pair layout (source, source_length, target, target_length,
# info['vocab'] = {'source': Vocab, 'target': Vocab}); the target holds EOS and no BOS.

S2S_KEYS = dict(beam_size=4, length_penalty=0.6, eval_beam=True, attention_maps=6)
S2S_DERIVED = ('source_vocab_size', 'target_vocab_size', 'max_source_length')


def exact_match(pred: jax.Array, target: jax.Array, target_length: jax.Array) -> jax.Array:
  """float [batch]: 1 where the decoded tokens equal the target up to and with its EOS."""
  t = target.shape[1]
  pred = pred[:, :t]
  if pred.shape[1] < t:
    pred = jnp.pad(pred, ((0, 0), (0, t - pred.shape[1])))
  ok = jnp.logical_or(pred == target, jnp.arange(t)[None, :] >= target_length[:, None])
  return jnp.all(ok, axis=1).astype(jnp.float32)


class Seq2SeqTask(Task):
  """Encoder-decoder training, decoding and attention maps (see the comment above)."""
  sample_kind = 'text'

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, kwargs = read_model_config(config.model, 'seq2seq', S2S_KEYS, seq2seq.Seq2Seq,
                                  S2S_DERIVED)
    defaults = {f.name: f.default for f in dataclasses.fields(seq2seq.Seq2Seq)}
    get = lambda k: kwargs.get(k, defaults[k])
    check_choice(get('attention'), seq2seq.ATTENTIONS, 'model.attention')
    check_choice(get('score'), attention_lib.SCORES, 'model.score')
    check_choice(get('window'), attention_lib.WINDOWS, 'model.window')
    check_choice(get('cell'), rnn.CELLS, 'model.cell')
    for key in ('features', 'embed_dim', 'num_layers', 'attention_dim', 'readout_dim'):
      if int(get(key)) < 1:
        raise ValueError(f'model.{key} must be >= 1, got {get(key)}.')
    if get('attention') == 'luong' and get('window') != 'global' and int(get('D')) < 1:
      raise ValueError(f"model.D must be >= 1 for window={get('window')!r}, got {get('D')}.")
    if get('attention') == 'none' and get('bidirectional'):
      raise ValueError("model.attention='none' needs model.bidirectional=False: the "
                       "encoder's final carry starts the decoder.")
    if get('reverse_source') and get('attention') != 'none':
      raise ValueError("model.reverse_source=True is for model.attention='none' only.")
    width = int(get('features')) * (2 if get('bidirectional') else 1)
    if get('attention') == 'luong' and get('score') == 'dot' and width != int(get('features')):
      raise ValueError(f"model.score='dot' needs encoder states as wide as the decoder's "
                       f'({width} vs {get("features")}): set model.bidirectional=False, or '
                       'use score general or concat.')
    self.beam_size = int(t['beam_size'])
    if self.beam_size < 1:
      raise ValueError(f'model.beam_size must be >= 1, got {self.beam_size}.')
    self.alpha = float(t['length_penalty'])
    if self.alpha < 0:
      raise ValueError(f'model.length_penalty must be >= 0, got {self.alpha}.')
    self.eval_beam = bool(t['eval_beam'])
    self.num_maps = int(t['attention_maps'])
    self.attention = get('attention')
    vocab = (info or {}).get('vocab')
    if not isinstance(vocab, Mapping) or not {'source', 'target'} <= set(vocab):
      raise ValueError("The seq2seq family needs pair data with info['vocab'] = {'source': "
                       "Vocab, 'target': Vocab} (see jaxgen.data.text).")
    self.vocab = vocab
    # Character vocabularies decode joined by '', word vocabularies by ' ' (or info['join']).
    self.join = {side: (info.get('join') if info.get('join') is not None else (
        '' if all(len(t) == 1 for t in vocab[side].tokens[len(text.SPECIALS):]) else ' '))
                 for side in ('source', 'target')}
    (self.source_len,), _ = feature(info, 'source', 'seq2seq')
    (self.target_len,), _ = feature(info, 'target', 'seq2seq')
    self.net = seq2seq.Seq2Seq(len(vocab['source']), len(vocab['target']),
                               max_source_length=self.source_len, **kwargs)
    self._greedy = jax.jit(self._greedy_impl)
    self._beam = jax.jit(self._beam_impl)
    self._samples = None

  # -- the model -----------------------------------------------------------------------
  def logits(self, params, batch):
    """Teacher-forced (logits [b, T, V], attention weights [b, T, S])."""
    target_in = seq2seq.shift_right(batch['target'], text.BOS)
    return self.net.apply({'params': params}, batch['source'], batch['source_length'],
                          target_in)

  def token_nll(self, params, batch):
    """(nll [b, T] zero at padding, mask [b, T], correct [b, T]): per-token figures."""
    logits, _ = self.logits(params, batch)
    target = batch['target']
    mask = rnn.length_mask(batch['target_length'], target.shape[1]).astype(jnp.float32)
    nll = optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float32), target)
    correct = (jnp.argmax(logits, -1) == target).astype(jnp.float32)
    return nll * mask, mask, correct * mask

  def step_fn(self, params):
    """The decoder as `(tokens [n], (memory, carry)) -> (logits, state, weights)`."""
    def step(tokens, state):
      memory, carry = state
      carry, logits, weights = self.net.apply({'params': params}, memory, carry, tokens,
                                              method=seq2seq.Seq2Seq.step)
      return logits, (memory, carry), weights
    return step

  def _encode(self, params, source, source_length):
    return self.net.apply({'params': params}, source, source_length,
                          method=seq2seq.Seq2Seq.encode)

  def _greedy_impl(self, params, source, source_length):
    state = self._encode(params, source, source_length)
    bos = jnp.full(source.shape[:1], text.BOS, jnp.int32)
    return sampling.greedy(self.step_fn(params), state, bos, self.target_len, text.EOS)

  def _beam_impl(self, params, source, source_length):
    state = self._encode(params, source, source_length)
    bos = jnp.full(source.shape[:1], text.BOS, jnp.int32)
    step = self.step_fn(params)
    return sampling.beam_search(lambda tok, s: step(tok, s)[:2], state, bos, self.beam_size,
                                self.target_len, text.EOS, self.alpha)

  def greedy_decode(self, params, source, source_length):
    """Greedy outputs int [b, T] and their attention weights [b, T, S] (jitted)."""
    return self._greedy(params, jnp.asarray(source), jnp.asarray(source_length))

  def beam_decode(self, params, source, source_length):
    """Beam search: (sequences int [b, k, T], scores [b, k]), best first (jitted)."""
    return self._beam(params, jnp.asarray(source), jnp.asarray(source_length))

  # -- Task ----------------------------------------------------------------------------
  def init(self, rng, batch) -> Variables:
    target_in = seq2seq.shift_right(batch['target'][:1], text.BOS)
    return Variables(self.net.init(rng, batch['source'][:1], batch['source_length'][:1],
                                   target_in)['params'])

  def loss(self, params, extra, batch, rng):
    del rng
    nll, mask, correct = self.token_nll(params, batch)
    loss = jnp.sum(nll) / jnp.maximum(jnp.sum(mask), 1.0)
    return loss, ({'nll': (nll, mask), 'accuracy': (correct, mask)}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    nll, mask, correct = self.token_nll(params, batch)
    out = {'nll': (nll, mask), 'loss': (nll, mask), 'accuracy': (correct, mask)}
    pred, _ = self._greedy_impl(params, batch['source'], batch['source_length'])
    out['exact_match'] = exact_match(pred, batch['target'], batch['target_length'])
    if self.eval_beam:
      seqs, _ = self._beam_impl(params, batch['source'], batch['source_length'])
      out['exact_match_beam'] = exact_match(seqs[:, 0], batch['target'],
                                            batch['target_length'])
    return out

  def _bleu_text(self, ids) -> str:
    """A target's text for BLEU: UNK tokens dropped, so an UNK never matches an UNK."""
    ids = np.asarray(ids)
    return self.decode_text(np.where(ids == text.UNK, text.PAD, ids))

  def decode_text(self, ids, side: str = 'target') -> str:
    """The text of token ids (to the first EOS; PAD, BOS dropped)."""
    return self.vocab[side].decode(np.asarray(ids), join=self.join[side])

  def _sample_sources(self, num: int):
    if self._samples is None or len(self._samples['source']) < num:
      from jaxgen import data  # pylint: disable=g-import-not-at-top
      d = self.config.data
      src = data.load(d.name, 'test', **dict(d.get('kwargs', {}) or {}))
      # spread over the split (it is ordered by date), the same rows at every call
      self._samples = src.get(np.unique(np.linspace(0, len(src) - 1, num).astype(np.int64)))
    return {k: v[:num] for k, v in self._samples.items()}

  def sample(self, params, extra, rng, num: int):
    """Greedy decodings of `num` test sources spread over the split (the same ones at every
    call; `rng` is unused): 'source -> output', with '(reference ...)' where it is wrong."""
    del extra, rng
    batch = self._sample_sources(num)
    pred, _ = self.greedy_decode(params, batch['source'], batch['source_length'])
    pred = np.asarray(jax.device_get(pred))
    lines = []
    for i in range(len(pred)):
      src = self.decode_text(batch['source'][i][:batch['source_length'][i]], 'source')
      out, ref = self.decode_text(pred[i]), self.decode_text(batch['target'][i])
      lines.append(f'{src} -> {out}' + ('' if out == ref else f'   (reference {ref})'))
    return lines

  def finalize(self, state, workdir: str, test_data, rng) -> dict:
    """Exact match (greedy and beam) and BLEU over the test split; attention maps as PNG."""
    del rng
    import sacrebleu  # pylint: disable=g-import-not-at-top
    params = state.params
    hits = {'greedy': 0.0, 'beam': 0.0}
    hyps = {'greedy': [], 'beam': []}
    refs, count = [], 0.0
    for batch, mask in test_data.epoch():
      batch = {k: np.asarray(v) for k, v in batch.items()}
      mask = np.asarray(mask) > 0
      pred, _ = self.greedy_decode(params, batch['source'], batch['source_length'])
      seqs, _ = self.beam_decode(params, batch['source'], batch['source_length'])
      for name, p in (('greedy', pred), ('beam', seqs[:, 0])):
        em = np.asarray(exact_match(p, batch['target'], batch['target_length']))
        hits[name] += float(np.sum(em * mask))
        p = np.asarray(p)
        hyps[name] += [self._bleu_text(p[i]) for i in np.flatnonzero(mask)]
      refs += [self._bleu_text(batch['target'][i]) for i in np.flatnonzero(mask)]
      count += float(mask.sum())
    tokenize = 'char' if self.join['target'] == '' else '13a'
    report = {'num_test': count, 'beam_size': self.beam_size}
    for name in hits:
      report[f'exact_match_{name}'] = hits[name] / max(count, 1.0)
      report[f'bleu_{name}'] = sacrebleu.corpus_bleu(hyps[name], [refs],
                                                     tokenize=tokenize).score
    if self.attention != 'none' and self.num_maps and jax.process_index() == 0:
      batch = self._sample_sources(self.num_maps)
      path = self.write_attention_maps(params, batch, os.path.join(workdir, 'attention'))
      report['attention_maps'] = len(batch['source'])
      print(f'jaxgen: attention maps written to {path}')
    return report

  def attention_maps(self, params, batch):
    """[(source chars, output chars, weights [len(output), len(source)])] of greedy decoding."""
    pred, weights = self.greedy_decode(params, batch['source'], batch['source_length'])
    pred, weights = np.asarray(pred), np.asarray(weights)
    out = []
    for i in range(len(pred)):
      n_src = int(batch['source_length'][i])
      src = [self.vocab['source'].tokens[j] for j in batch['source'][i][:n_src]]
      ids = pred[i].tolist()
      n_out = ids.index(text.EOS) + 1 if text.EOS in ids else len(ids)
      toks = [self.vocab['target'].tokens[j] for j in ids[:n_out]]
      out.append((src, toks, weights[i, :n_out, :n_src]))
    return out

  def write_attention_maps(self, params, batch, directory: str) -> str:
    """Draws the greedy attention maps of `batch`'s examples into directory/final.png."""
    from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top
    maps = self.attention_maps(params, batch)
    cols = min(3, len(maps))
    rows = -(-len(maps) // cols)
    fig = Figure(figsize=(5 * cols, 3.2 * rows))     # no pyplot: no backend, no global state
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (src, toks, w) in zip(axes.flat, maps):
      plot_attention(ax, src, toks, w)
      src_text = self.join['source'].join(src)
      out_text = self.join['target'].join(t for t in toks if t not in text.SPECIALS)
      ax.set_title(f'{src_text} -> {out_text}', fontsize=8)
    for ax in list(axes.flat)[len(maps):]:
      ax.axis('off')
    fig.tight_layout()
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, 'final.png')
    fig.savefig(path, dpi=80)
    return path


def plot_attention(ax, source_tokens, output_tokens, weights):
  """One attention map on a matplotlib axis: outputs down, source across, weights in [0, 1]."""
  ax.imshow(weights, cmap='Greys', vmin=0.0, vmax=1.0, aspect='auto')
  ax.set_xticks(range(len(source_tokens)))
  ax.set_xticklabels([t if t.strip() else '_' for t in source_tokens], fontsize=7)
  ax.set_yticks(range(len(output_tokens)))
  ax.set_yticklabels(output_tokens, fontsize=7)


def make_task(config: ml_collections.ConfigDict, info=None) -> Task:
  if config.get('task') == 'seq2seq':
    return Seq2SeqTask(config, info)  # noqa: F821  (section 2)
  return make_seq_task(config, info)  # noqa: F821  (section 1)
