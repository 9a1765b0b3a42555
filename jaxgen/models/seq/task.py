"""Recurrent sequence models as trainer tasks.

config.task 'seq'      language models, taggers and sequence classifiers over `RNNStack`
                       (section 1 of this file);
config.task 'seq2seq'  encoder-decoders with attention (section 2);
model.arch 'transformer'  the Transformer in either task (section 3).
"""
from __future__ import annotations

import dataclasses
import functools
import math
import os
from typing import Mapping

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgen.data import text
from jaxgen.data.sources import feature
from jaxgen.models.seq import attention as attention_lib
from jaxgen.models.seq import lm as lm_lib
from jaxgen.models.seq import rnn
from jaxgen.models.seq import sampling
from jaxgen.models.seq import seq2seq
from jaxgen.models.seq.rnn import CELLS, RNNStack
from jaxgen.train.config import check_choice, read_model_config
from jaxgen.train.task import Task, Variables

LN2 = math.log(2.0)
SEQ_KINDS = ('lm', 'tagger', 'readout', 'tree')


# ============================================================== 1. language models, taggers
LM_KEYS = dict(kind='lm', embed_dim=0, sample_length=256, temperature=1.0, prompt='\n%\n',
               baseline_orders=(1, 3, 5))


def _vocab(info, family: str):
  vocab = (info or {}).get('vocab')
  if vocab is None:
    raise ValueError(f'The {family} task needs text data whose info has a vocab '
                     '(jaxgen.data.text sources: fortunes, gcide_syllables, ...).')
  return vocab


class LMTask(Task):
  """A recurrent language model on token windows (config.task 'seq', model.kind 'lm').

  config.model:
    cell, features, num_layers, input_skip, output_skip, forget_bias, peepholes, truncate,
    dropout   the `RNNStack` (unidirectional): Elman is cell='elman', num_layers=1; the deep
              LSTM of Graves (2013) is cell='lstm', num_layers=N with both skips.
    embed_dim  the input embedding (0: one-hot inputs, Graves 2013).
    sample_length, temperature, prompt
              what `sample` generates: `sample_length` tokens after the prompt text.
    baseline_orders
              the n-gram orders `finalize` fits on the same windows (jaxgen.eval.ngram).

  Data: 'tokens' int [n, L + 1] windows and 'length' [n] (jaxgen.data.text.windows): the
  inputs are `tokens[:, :-1]`, the targets `tokens[:, 1:]`. Metrics: 'loss' (nats per
  token) and 'bits_per_char' (bits per token: per character for byte-level ASCII text), both
  (sum, count) pairs, so padding in the last window never dilutes them.
  """
  sample_kind = 'text'

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, kwargs = read_model_config(config.model, 'seq (kind lm)', LM_KEYS, RNNStack)
    check_choice(kwargs.get('cell', 'lstm'), CELLS, 'model.cell')
    if kwargs.get('bidirectional'):
      raise ValueError('model.bidirectional must be False for a language model (kind lm): a '
                       'backward layer would read the tokens it predicts.')
    self.t = t
    self.vocab = _vocab(info, 'seq (kind lm)')
    shape, _ = feature(info, 'tokens', 'seq')
    self.window = shape[0]
    self.net = lm_lib.RNNLM(len(self.vocab), RNNStack(**kwargs), int(t['embed_dim']))

  # -- helpers -------------------------------------------------------------
  def _split(self, batch):
    tokens = jnp.asarray(batch['tokens'], jnp.int32)
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    n = jnp.clip(jnp.asarray(batch['length'], jnp.int32) - 1, 0, inputs.shape[1])
    mask = jnp.arange(inputs.shape[1])[None] < n[:, None]
    return inputs, targets, n, mask

  def token_nll(self, params, batch, rng=None, train=False):
    """(per-token NLL in nats [b, L], mask [b, L])."""
    inputs, targets, n, mask = self._split(batch)
    rngs = {'dropout': rng} if (train and rng is not None) else None
    logits = self.net.apply({'params': params}, inputs, n, train=train, rngs=rngs)
    logp = jax.nn.log_softmax(logits.astype(jnp.float32))
    nll = -jnp.take_along_axis(logp, targets[..., None], -1)[..., 0]
    return jnp.where(mask, nll, 0.0), mask

  # -- Task ------------------------------------------------------------------
  def init(self, rng, batch) -> Variables:
    inputs, _, n, _ = self._split(batch)
    return Variables(params=self.net.init(rng, inputs[:1], n[:1])['params'])

  def loss(self, params, extra, batch, rng):
    nll, mask = self.token_nll(params, batch, rng, train=True)
    count = jnp.sum(mask)
    loss = jnp.sum(nll) / jnp.maximum(count, 1)
    return loss, ({'bits_per_char': (jnp.sum(nll) / LN2, count)}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    nll, mask = self.token_nll(params, batch)
    total, count = jnp.sum(nll, 1), jnp.sum(mask, 1).astype(jnp.float32)
    return {'loss': (total, count), 'bits_per_char': (total / LN2, count)}

  @functools.partial(jax.jit, static_argnums=(0, 3, 4, 6))
  def generate(self, params, rng, num: int, length: int, prompt, temperature=1.0):
    """int32 [num, length] tokens continuing `prompt` (int [P]) with the fast sampler."""
    step = self.net.step_fn()
    prompt = jnp.broadcast_to(jnp.asarray(prompt, jnp.int32), (num, len(prompt)))
    return sampling.sample_lm(step, params, self.net.initial_carries(num), rng, prompt,
                              length, temperature)

  def sample(self, params, extra, rng, num: int):
    prompt = np.asarray(self.vocab.encode(self.t['prompt']) or [0], np.int32)
    toks = self.generate(params, rng, num, int(self.t['sample_length']), prompt,
                         float(self.t['temperature']))
    return [self.t['prompt'] + self.vocab.decode(row, stop_at_eos=False)
            for row in np.asarray(jax.device_get(toks))]

  def finalize(self, state, workdir, test_data, rng) -> dict:
    """The n-gram baselines of the same windows: fitted on train, scored on test (bits)."""
    del state, workdir, rng
    from jaxgen.data import pipeline  # pylint: disable=g-import-not-at-top
    from jaxgen.eval import ngram  # pylint: disable=g-import-not-at-top
    train, _ = pipeline.make_batchers(self.config.data)
    orders = tuple(int(o) for o in self.t['baseline_orders'])
    out = ngram.baselines(train.source.get(np.arange(len(train.source))),
                          test_data.source.get(np.arange(len(test_data.source))),
                          len(self.vocab), orders)
    return {k.replace('_bits', '_bits_per_char'): v for k, v in out.items()}

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


TAGGER_KEYS = dict(kind='tagger', embed_dim=32)


class TaggerTask(Task):
  """Per-position labels from a recurrent stack (config.task 'seq', model.kind 'tagger').

  The syllabification task (jaxgen.data.text.gcide_syllables): label 1 where a syllable
  ends after a letter. config.model: the `RNNStack` fields (`bidirectional=True`: the BiRNN
  of Schuster & Paliwal 1997; False: the unidirectional baseline, which sees only the
  letters up to the one it labels) and `embed_dim`.

  Data: 'tokens' int [n, T], 'length' [n], 'labels' int [n, T]. Metrics, all summed over the
  split: 'loss' (nats per letter), 'accuracy' (per letter), 'boundary_f1' (F1 of the
  predicted label-1 positions against the true ones: 2 TP / (2 TP + FP + FN) over the whole
  split), 'word_accuracy' (every label of the word right).
  """

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, kwargs = read_model_config(config.model, 'seq (kind tagger)', TAGGER_KEYS, RNNStack)
    check_choice(kwargs.get('cell', 'lstm'), CELLS, 'model.cell')
    self.vocab = _vocab(info, 'seq (kind tagger)')
    feature(info, 'labels', 'seq (kind tagger)')
    self.num_classes = int((info or {}).get('num_classes', 2))
    self.net = lm_lib.Tagger(len(self.vocab), self.num_classes, RNNStack(**kwargs),
                             int(t['embed_dim']))

  def logits(self, params, batch, rng=None, train=False):
    tokens = jnp.asarray(batch['tokens'], jnp.int32)
    rngs = {'dropout': rng} if (train and rng is not None) else None
    return self.net.apply({'params': params}, tokens, jnp.asarray(batch['length']),
                          train=train, rngs=rngs)

  def init(self, rng, batch) -> Variables:
    tokens = jnp.asarray(batch['tokens'], jnp.int32)[:1]
    return Variables(params=self.net.init(rng, tokens, jnp.asarray(batch['length'])[:1])['params'])

  def _metrics(self, logits, batch):
    labels = jnp.asarray(batch['labels'], jnp.int32)
    mask = jnp.arange(labels.shape[1])[None] < jnp.asarray(batch['length'])[:, None]
    logp = jax.nn.log_softmax(logits.astype(jnp.float32))
    nll = jnp.where(mask, -jnp.take_along_axis(logp, labels[..., None], -1)[..., 0], 0.0)
    pred = jnp.argmax(logits, -1)
    right = jnp.logical_and(pred == labels, mask)
    tp = jnp.sum(mask & (pred == 1) & (labels == 1), 1)
    fp = jnp.sum(mask & (pred == 1) & (labels != 1), 1)
    fn = jnp.sum(mask & (pred != 1) & (labels == 1), 1)
    count = jnp.sum(mask, 1).astype(jnp.float32)
    f = lambda a: a.astype(jnp.float32)
    return {'loss': (jnp.sum(nll, 1), count), 'accuracy': (f(jnp.sum(right, 1)), count),
            'boundary_f1': (f(2 * tp), f(2 * tp + fp + fn)),
            'word_accuracy': f(jnp.sum(right, 1) == jnp.sum(mask, 1))}

  def loss(self, params, extra, batch, rng):
    m = self._metrics(self.logits(params, batch, rng, train=True), batch)
    total, count = m['loss']
    loss = jnp.sum(total) / jnp.maximum(jnp.sum(count), 1)
    return loss, ({'accuracy': tuple(jnp.sum(a) for a in m['accuracy'])}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    return self._metrics(self.logits(params, batch), batch)

  def syllabify(self, params, batch) -> list[str]:
    """The words of `batch` with a '-' after every letter the model ends a syllable at."""
    pred = np.asarray(jax.device_get(jnp.argmax(self.logits(params, batch), -1)))
    out = []
    for toks, n, p in zip(np.asarray(batch['tokens']), np.asarray(batch['length']), pred):
      word = self.vocab.decode(toks[:n])
      out.append(''.join(c + ('-' if p[i] == 1 and i + 1 < len(word) else '')
                         for i, c in enumerate(word)))
    return out

  def finalize(self, state, workdir, test_data, rng) -> dict:
    """Writes the first test batch's words as syllabified by the model (syllables.txt)."""
    del rng
    batch, mask = next(iter(test_data.epoch()))
    words = [w for w, m in zip(self.syllabify(state.params, batch), mask) if m]
    if workdir and jax.process_index() == 0:
      with open(os.path.join(workdir, 'syllables.txt'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(words) + '\n')
    return {}

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


READOUT_KEYS = dict(kind='readout', objective='regress', tolerance=0.04)
OBJECTIVES = ('regress', 'classify')


class ReadoutTask(Task):
  """One output per sequence (config.task 'seq', model.kind 'readout').

  objective 'regress': the adding problem (Hochreiter & Schmidhuber 1997): data 'x' float
    [n, T, F], 'length', 'target' float [n]; loss MSE; metrics 'mse' and 'solved' (the
    share with |error| < `tolerance`, the paper's 0.04 criterion).
  objective 'classify': row-by-row images (e.g. mnist5k: 28 steps of 28 pixels): data
    'image' uint8 [n, h, w, c] read one row per step (scaled to [0, 1]), 'label'; or, for
    data without images, 'tokens' [n, T] (one-hot) and 'length' (the sequential baseline
    of the tree task); loss cross-entropy; metric 'accuracy'.
  config.model: the (unidirectional) `RNNStack` fields.
  """

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, kwargs = read_model_config(config.model, 'seq (kind readout)', READOUT_KEYS, RNNStack)
    check_choice(kwargs.get('cell', 'lstm'), CELLS, 'model.cell')
    self.objective = check_choice(t['objective'], OBJECTIVES, 'model.objective')
    self.tolerance = float(t['tolerance'])
    if self.objective == 'classify':
      feats = (info or {}).get('features', {})
      self.input_key = 'image' if 'image' in feats else 'tokens'
      feature(info, self.input_key, 'seq (kind readout, classify)')
      if self.input_key == 'tokens':
        self.vocab_size = len(_vocab(info, 'seq (kind readout, tokens)'))
      self.num_classes = int((info or {}).get('num_classes') or 0)
      if not self.num_classes:
        raise ValueError("model.objective 'classify' needs labelled data (info num_classes).")
      out = self.num_classes
    else:
      feature(info, 'x', 'seq (kind readout, regress)')
      out = 1
    self.net = lm_lib.SequenceReadout(out, RNNStack(**kwargs))

  def _inputs(self, batch):
    if self.objective == 'classify' and self.input_key == 'tokens':   # one-hot tokens
      x = jax.nn.one_hot(jnp.asarray(batch['tokens'], jnp.int32), self.vocab_size)
      return x, jnp.asarray(batch['length'])
    if self.objective == 'classify':
      img = jnp.asarray(batch['image'], jnp.float32) / 255.0
      x = img.reshape(img.shape[0], img.shape[1], -1)       # one row per step
      return x, None
    return jnp.asarray(batch['x'], jnp.float32), jnp.asarray(batch['length'])

  def init(self, rng, batch) -> Variables:
    x, n = self._inputs(batch)
    return Variables(params=self.net.init(rng, x[:1], None if n is None else n[:1])['params'])

  def _per_example(self, params, batch, rng=None, train=False):
    x, n = self._inputs(batch)
    rngs = {'dropout': rng} if (train and rng is not None) else None
    out = self.net.apply({'params': params}, x, n, train=train, rngs=rngs)
    if self.objective == 'classify':
      labels = jnp.asarray(batch['label'], jnp.int32)
      logp = jax.nn.log_softmax(out.astype(jnp.float32))
      nll = -jnp.take_along_axis(logp, labels[:, None], -1)[:, 0]
      return nll, {'accuracy': (jnp.argmax(out, -1) == labels).astype(jnp.float32)}
    err = out[:, 0] - jnp.asarray(batch['target'], jnp.float32)
    return err ** 2, {'mse': err ** 2,
                      'solved': (jnp.abs(err) < self.tolerance).astype(jnp.float32)}

  def loss(self, params, extra, batch, rng):
    per, metrics = self._per_example(params, batch, rng, train=True)
    return jnp.mean(per), ({k: jnp.mean(v) for k, v in metrics.items()}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    per, metrics = self._per_example(params, batch)
    return dict(metrics, loss=per)

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


TREE_KEYS = dict(kind='tree', arch='treelstm', features=64)


class TreeTask(Task):
  """Classifying trees by their root vector (config.task 'seq', model.kind 'tree').

  The recursive nets of `jaxgen.models.seq.recursive` (arch 'rnn': Socher et al. 2011 with
  per-label composition; 'treelstm': Tai et al. 2015) on `tree_arrays` data (e.g.
  arith_trees: expressions evaluated mod 10). Metrics: 'loss', 'accuracy', and the accuracy
  by tree height ('accuracy_h<k>', averaged over the trees of that height).
  """

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, _ = read_model_config(config.model, 'seq (kind tree)', TREE_KEYS)
    from jaxgen.models.seq import recursive  # pylint: disable=g-import-not-at-top
    check_choice(t['arch'], recursive.ARCHS, 'model.arch')
    info = info or {}
    feature(info, 'node_token', 'seq (kind tree)')
    _vocab(info, 'seq (kind tree)')
    for key in ('num_classes', 'max_depth', 'num_ops'):
      if key not in info:
        raise ValueError(f"The tree task needs tree data whose info has {key!r} "
                         '(jaxgen.data.synthetic.arith_trees).')
    self.max_height = int(info['max_depth'])
    # Node tokens: digits 0..9 then the operators (jaxgen.data.synthetic.tree_arrays).
    self.net = recursive.TreeClassifier(
        recursive.RecursiveNet(vocab_size=10 + int(info['num_ops']), features=int(t['features']),
                               num_labels=int(info['num_ops']), num_leaf_tokens=10,
                               max_height=self.max_height, arch=t['arch']),
        int(info['num_classes']))

  @staticmethod
  def _args(batch):
    return [jnp.asarray(batch[k], jnp.int32)
            for k in ('node_token', 'left', 'right', 'height', 'num_nodes')]

  def init(self, rng, batch) -> Variables:
    return Variables(params=self.net.init(rng, *[a[:1] for a in self._args(batch)])['params'])

  def _per_example(self, params, batch):
    logits = self.net.apply({'params': params}, *self._args(batch))
    labels = jnp.asarray(batch['label'], jnp.int32)
    nll = -jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], -1)[:, 0]
    return nll, (jnp.argmax(logits, -1) == labels).astype(jnp.float32)

  def loss(self, params, extra, batch, rng):
    nll, acc = self._per_example(params, batch)
    return jnp.mean(nll), ({'accuracy': jnp.mean(acc)}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    nll, acc = self._per_example(params, batch)
    args = self._args(batch)
    root_height = jnp.take_along_axis(args[3], (args[4] - 1)[:, None], 1)[:, 0]
    out = {'loss': nll, 'accuracy': acc}
    for k in range(1, self.max_height + 1):
      at = (root_height == k).astype(jnp.float32)
      out[f'accuracy_h{k}'] = (acc * at, at)
    return out

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


def make_seq_task(config: ml_collections.ConfigDict, info=None) -> Task:
  """The task of config.model.kind ('lm', 'tagger', 'readout' or 'tree')."""
  kind = check_choice(config.model.get('kind', 'lm'), SEQ_KINDS, 'model.kind')
  if kind == 'lm':
    return LMTask(config, info)
  if kind == 'readout':
    return ReadoutTask(config, info)
  if kind == 'tree':
    return TreeTask(config, info)
  return TaggerTask(config, info)


# ============================================================== 2. encoder-decoders
# Seq2SeqTask (config.task 'seq2seq'): an encoder-decoder over source / target pairs.
#
# config.model: the fields of `seq2seq.Seq2Seq` (attention, score, window, D, input_feeding,
# cell, features, embed_dim, num_layers, bidirectional, reverse_source, attention_dim,
# readout_dim, forget_bias, dropout; the vocabulary sizes and max_source_length come from the data)
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
    if get('attention') in ('none', 'cho') and get('bidirectional'):
      raise ValueError(f"model.attention={get('attention')!r} needs model.bidirectional=False:"
                       " the encoder's final carry starts the decoder.")
    if get('attention') == 'cho' and get('cell') != 'gru':
      raise ValueError(f"model.attention='cho' needs model.cell='gru' (Cho 2014's gated "
                       f"unit), got {get('cell')!r}.")
    if get('reverse_source') and get('attention') not in ('none', 'cho'):
      raise ValueError("model.reverse_source=True is for model.attention='none' or 'cho' "
                       'only.')
    width = int(get('features')) * (2 if get('bidirectional') else 1)
    if get('attention') == 'luong' and get('score') == 'dot' and width != int(get('features')):
      raise ValueError(f"model.score='dot' needs encoder states as wide as the decoder's "
                       f'({width} vs {get("features")}): set model.bidirectional=False, or '
                       'use score general or concat.')
    self.attention = get('attention')
    vocab = self._read_decoding_and_data(t, info)
    self.net = seq2seq.Seq2Seq(len(vocab['source']), len(vocab['target']),
                               max_source_length=self.source_len, **kwargs)
    self._greedy = jax.jit(self._greedy_impl)
    self._beam = jax.jit(self._beam_impl)
    self._samples = None

  def _read_decoding_and_data(self, t, info):
    """Sets the decoding keys (`S2S_KEYS`, checked), the pair data's vocabularies, their
    joins and the padded lengths from `info`; returns the vocabularies."""
    self.beam_size = int(t['beam_size'])
    if self.beam_size < 1:
      raise ValueError(f'model.beam_size must be >= 1, got {self.beam_size}.')
    self.alpha = float(t['length_penalty'])
    if self.alpha < 0:
      raise ValueError(f'model.length_penalty must be >= 0, got {self.alpha}.')
    self.eval_beam = bool(t['eval_beam'])
    self.num_maps = int(t['attention_maps'])
    vocab = (info or {}).get('vocab')
    if not isinstance(vocab, Mapping) or not {'source', 'target'} <= set(vocab):
      raise ValueError("The seq2seq family needs pair data with info['vocab'] = {'source': "
                       "Vocab, 'target': Vocab} (see jaxgen.data.text).")
    self.vocab = vocab
    # Subword data names the word vocabulary a word-level model of it has (BLEU on those).
    self.word_vocab = info.get('word_vocab')
    # Character vocabularies decode joined by '', word vocabularies by ' ' (or info['join']).
    self.join = {side: (info.get('join') if info.get('join') is not None else (
        '' if all(len(t) == 1 for t in vocab[side].tokens[len(text.SPECIALS):]) else ' '))
                 for side in ('source', 'target')}
    (self.source_len,), _ = feature(info, 'source', 'seq2seq')
    (self.target_len,), _ = feature(info, 'target', 'seq2seq')
    return vocab

  # -- the model -----------------------------------------------------------------------
  def logits(self, params, batch, rng=None, train: bool = False):
    """Teacher-forced (logits [b, T, V], attention weights [b, T, S]); dropout where
    `train` (with `rng`)."""
    target_in = seq2seq.shift_right(batch['target'], text.BOS)
    rngs = {'dropout': rng} if (train and rng is not None) else None
    return self.net.apply({'params': params}, batch['source'], batch['source_length'],
                          target_in, train=train, rngs=rngs)

  def token_nll(self, params, batch, rng=None, train: bool = False):
    """(nll [b, T] zero at padding, mask [b, T], correct [b, T]): per-token figures."""
    logits, _ = self.logits(params, batch, rng, train)
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
    nll, mask, correct = self.token_nll(params, batch, rng, train=True)
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
      if self.word_vocab is not None:
        # What a word-level model of the same data is scored on: the words outside its
        # vocabulary (its UNKs) dropped from hypotheses and references alike.
        report[f'bleu_{name}_word_vocab'] = sacrebleu.corpus_bleu(
            [known_words(h, self.word_vocab) for h in hyps[name]],
            [[known_words(r, self.word_vocab) for r in refs]], tokenize=tokenize).score
    if self.attention not in ('none', 'cho') and self.num_maps and jax.process_index() == 0:
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


def known_words(line: str, vocab: text.Vocab) -> str:
  """`line` without the words outside `vocab` (nor its specials): a subword model's text as
  a word-level model of the same vocabulary could have written it, its UNKs dropped."""
  index = vocab.index
  return ' '.join(w for w in line.split() if w in index and w not in text.SPECIALS)


def make_task(config: ml_collections.ConfigDict, info=None) -> Task:
  if config.model.get('arch') == 'transformer':
    return make_transformer_task(config, info)  # noqa: F821  (section 3)
  if config.get('task') == 'seq2seq':
    return Seq2SeqTask(config, info)  # noqa: F821  (section 2)
  return make_seq_task(config, info)  # noqa: F821  (section 1)


# ============================================================== 3. Transformers
# config.model.arch = 'transformer' selects these tasks (Vaswani et al. 2017,
# `jaxgen.models.seq.transformer`): in task 'seq2seq' the encoder-decoder
# (`TransformerSeq2SeqTask`), in task 'seq' with model.kind 'lm' the decoder-only language
# model (`TransformerLMTask`). They reuse the recurrent tasks' evaluation: exact match, BLEU,
# beam search and attention maps (section 2), bits per character and the n-gram baselines
# (section 1).
#
# config.model: the fields of `transformer.Transformer` / `transformer.TransformerLM`
# (num_layers, d_model, d_ff, num_heads, dropout_rate, attention_dropout, relu_dropout,
# pre_ln, positions, max_len, scale_embeddings, tie_output and, for the encoder-decoder,
# share_embeddings; the vocabulary sizes come from the data) and the task keys:
#   arch             'transformer';
#   label_smoothing  eps_ls of the training loss (sec. 5.4: 0.1; padding positions excluded);
#                    evaluation reports the unsmoothed NLL;
#   the seq2seq keys of S2S_KEYS (beam_size, length_penalty, eval_beam, attention_maps) or
#   the LM keys of LM_KEYS but embed_dim (sample_length, temperature, prompt,
#   baseline_orders).
# Training draws dropout from the step's key; evaluation and decoding are deterministic.
from jaxgen.models.seq import transformer as transformer_lib  # noqa: E402

TRANSFORMER_S2S_KEYS = dict(S2S_KEYS, arch='transformer', label_smoothing=0.1)
TRANSFORMER_LM_KEYS = dict({k: v for k, v in LM_KEYS.items() if k != 'embed_dim'},
                           arch='transformer', label_smoothing=0.0)


def _label_smoothing(t) -> float:
  eps = float(t['label_smoothing'])
  if not 0.0 <= eps < 1.0:
    raise ValueError(f'model.label_smoothing must lie in [0, 1), got {eps}.')
  return eps


def _check_learned_length(kwargs, length: int, what: str):
  if kwargs.get('positions') == 'learned' and int(kwargs.get('max_len', 512)) < length:
    raise ValueError(f"model.positions='learned' has model.max_len="
                     f"{kwargs.get('max_len', 512)} rows, fewer than {what} ({length}): "
                     f'set model.max_len >= {length}.')


class TransformerSeq2SeqTask(Seq2SeqTask):
  """The Transformer encoder-decoder as a seq2seq task (see the section comment).

  Decoding (greedy, beam search, the attention maps) steps the cached decoder
  (`transformer.seq2seq_step_fn`) through `sampling.greedy` / `sampling.beam_search`; the
  maps show the last decoder layer's cross-attention, averaged over the heads.
  """

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    Task.__init__(self, config)
    t, kwargs = read_model_config(config.model, 'seq2seq (arch transformer)',
                                  TRANSFORMER_S2S_KEYS, transformer_lib.Transformer,
                                  ('source_vocab_size', 'target_vocab_size', 'decode'))
    self.label_smoothing = _label_smoothing(t)
    self.attention = 'transformer'
    vocab = self._read_decoding_and_data(t, info)
    if kwargs.get('share_embeddings') and vocab['source'].tokens != vocab['target'].tokens:
      raise ValueError('model.share_embeddings=True needs one vocabulary for source and '
                       'target; this data has two (for deu_eng set data.kwargs.shared_vocab='
                       'True), or set model.share_embeddings=False.')
    _check_learned_length(kwargs, max(self.source_len, self.target_len), 'the longest sequence')
    self.net = transformer_lib.Transformer(len(vocab['source']), len(vocab['target']), **kwargs)
    jax.eval_shape(lambda: self.net.init(      # the module's own checks, nothing allocated
        jax.random.key(0), jnp.zeros((1, 2), jnp.int32), jnp.ones((1,), jnp.int32),
        jnp.zeros((1, 2), jnp.int32)))
    self._greedy = jax.jit(self._greedy_impl)
    self._beam = jax.jit(self._beam_impl)
    self._sown = jax.jit(self._sown_impl)
    self._samples = None

  # -- the model -----------------------------------------------------------------------
  def logits(self, params, batch, rng=None, train: bool = False):
    """Teacher-forced logits [b, T, V] (dropout from `rng` when training)."""
    target_in = seq2seq.shift_right(jnp.asarray(batch['target']), text.BOS)
    rngs = {'dropout': rng} if (train and rng is not None) else None
    return self.net.apply({'params': params}, jnp.asarray(batch['source']),
                          jnp.asarray(batch['source_length']), target_in, train=train,
                          rngs=rngs)

  def _token_figures(self, logits, batch, epsilon: float):
    target = jnp.asarray(batch['target'])
    mask = rnn.length_mask(batch['target_length'], target.shape[1])
    nll = transformer_lib.label_smoothed_nll(logits, target, mask, epsilon)
    correct = jnp.logical_and(jnp.argmax(logits, -1) == target, mask)
    return nll, mask.astype(jnp.float32), correct.astype(jnp.float32)

  def token_nll(self, params, batch, rng=None, train: bool = False):
    """(nll [b, T] zero at padding, mask [b, T], correct [b, T]), unsmoothed (dropout where
    `train`)."""
    return self._token_figures(self.logits(params, batch, rng, train), batch, 0.0)

  def step_fn(self, params):
    """The cached decoder: `(tokens [n], state) -> (logits [n, V], state, weights [n, S])`."""
    return transformer_lib.seq2seq_step_fn(self.net, params)

  def _encode(self, params, source, source_length):
    """The decoding state of a source batch: the encoder output and an empty cache."""
    memory, valid = self.net.apply({'params': params}, jnp.asarray(source),
                                   jnp.asarray(source_length),
                                   method=transformer_lib.Transformer.encode)
    cache = transformer_lib.init_seq2seq_cache(self.net, params, memory, valid,
                                               self.target_len)
    return dict(cache=cache, memory=memory, valid=valid)

  # -- Task ----------------------------------------------------------------------------
  def init(self, rng, batch) -> Variables:
    target_in = seq2seq.shift_right(jnp.asarray(batch['target'])[:1], text.BOS)
    return Variables(self.net.init(rng, jnp.asarray(batch['source'])[:1],
                                   jnp.asarray(batch['source_length'])[:1],
                                   target_in)['params'])

  def loss(self, params, extra, batch, rng):
    """The label-smoothed cross-entropy per real target token; metrics unsmoothed."""
    logits = self.logits(params, batch, rng, train=True)
    smoothed, mask, correct = self._token_figures(logits, batch, self.label_smoothing)
    nll = (smoothed if not self.label_smoothing
           else self._token_figures(logits, batch, 0.0)[0])
    loss = jnp.sum(smoothed) / jnp.maximum(jnp.sum(mask), 1.0)
    return loss, ({'nll': (nll, mask), 'accuracy': (correct, mask)}, extra)

  # -- attention, head by head ---------------------------------------------------------
  def head_attention(self, params, batch):
    """Cross-attention of every decoder layer and head over the greedy outputs: (greedy
    tokens [b, T], weights [num_layers, b, heads, T, S]), sown by the attention modules in
    a teacher-forced pass over those outputs (the weights the decoder used for them)."""
    pred, _ = self.greedy_decode(params, batch['source'], batch['source_length'])
    return pred, self._sown(params, jnp.asarray(batch['source']),
                            jnp.asarray(batch['source_length']), pred)

  def _sown_impl(self, params, source, source_length, pred):
    target_in = seq2seq.shift_right(pred, text.BOS)
    _, out = self.net.apply({'params': params}, source, source_length, target_in,
                            mutable=['intermediates'])
    return transformer_lib.attention_weights(out['intermediates'], 'decoder',
                                             'cross_attention')

  def write_head_maps(self, params, batch, directory: str) -> str:
    """Draws the first example's cross-attention, one map per layer (rows) and head
    (columns), into directory/heads.png."""
    from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top
    batch = {k: np.asarray(v)[:1] for k, v in batch.items()}
    pred, weights = self.head_attention(params, batch)
    pred, weights = np.asarray(pred)[0], np.asarray(weights)[:, 0]
    n_src = int(batch['source_length'][0])
    src = [self.vocab['source'].tokens[j] for j in batch['source'][0][:n_src]]
    ids = pred.tolist()
    n_out = ids.index(text.EOS) + 1 if text.EOS in ids else len(ids)
    toks = [self.vocab['target'].tokens[j] for j in ids[:n_out]]
    layers, heads = weights.shape[:2]
    fig = Figure(figsize=(3.2 * heads, 2.6 * layers))
    axes = fig.subplots(layers, heads, squeeze=False)
    for l in range(layers):
      for h in range(heads):
        plot_attention(axes[l, h], src, toks, weights[l, h, :n_out, :n_src])
        axes[l, h].set_title(f'layer {l + 1}, head {h + 1}', fontsize=8)
    fig.tight_layout()
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, 'heads.png')
    fig.savefig(path, dpi=80)
    return path

  def finalize(self, state, workdir: str, test_data, rng) -> dict:
    """Seq2SeqTask's report and maps (attention/final.png: the last layer's cross-attention
    averaged over heads), and every layer's and head's map of one example (heads.png)."""
    report = super().finalize(state, workdir, test_data, rng)
    if self.num_maps and jax.process_index() == 0:
      path = self.write_head_maps(state.params, self._sample_sources(self.num_maps),
                                  os.path.join(workdir, 'attention'))
      print(f'jaxgen: per-head attention maps written to {path}')
    return report


class TransformerLMTask(LMTask):
  """A decoder-only Transformer language model on token windows (see the section comment).

  Sampling steps the cached decoder (`transformer.lm_step_fn`) through `sampling.sample_lm`.
  """

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    Task.__init__(self, config)
    t, kwargs = read_model_config(config.model, 'seq (kind lm, arch transformer)',
                                  TRANSFORMER_LM_KEYS, transformer_lib.TransformerLM,
                                  ('vocab_size', 'decode'))
    self.t = t
    self.label_smoothing = _label_smoothing(t)
    self.vocab = _vocab(info, 'seq (kind lm)')
    shape, _ = feature(info, 'tokens', 'seq')
    self.window = shape[0]
    prompt = len(self.vocab.encode(t['prompt']) or [0])
    _check_learned_length(kwargs, max(self.window - 1, prompt + int(t['sample_length'])),
                          'a window or prompt + sample_length')
    self.net = transformer_lib.TransformerLM(len(self.vocab), **kwargs)
    jax.eval_shape(lambda: self.net.init(jax.random.key(0), jnp.zeros((1, 2), jnp.int32)))

  def _logits(self, params, batch, rng=None, train=False):
    inputs, targets, _, mask = self._split(batch)
    rngs = {'dropout': rng} if (train and rng is not None) else None
    return self.net.apply({'params': params}, inputs, train=train, rngs=rngs), targets, mask

  def token_nll(self, params, batch, rng=None, train=False):
    """(per-token NLL in nats [b, L], mask [b, L])."""
    logits, targets, mask = self._logits(params, batch, rng, train)
    return transformer_lib.label_smoothed_nll(logits, targets, mask, 0.0), mask

  def loss(self, params, extra, batch, rng):
    """The (label-smoothed) cross-entropy per real target; bits per char unsmoothed."""
    logits, targets, mask = self._logits(params, batch, rng, train=True)
    nll = transformer_lib.label_smoothed_nll(logits, targets, mask, 0.0)
    smoothed = (transformer_lib.label_smoothed_nll(logits, targets, mask, self.label_smoothing)
                if self.label_smoothing else nll)
    count = jnp.sum(mask)
    loss = jnp.sum(smoothed) / jnp.maximum(count, 1)
    return loss, ({'bits_per_char': (jnp.sum(nll) / LN2, count)}, extra)

  @functools.partial(jax.jit, static_argnums=(0, 3, 4, 6))
  def generate(self, params, rng, num: int, length: int, prompt, temperature=1.0):
    """int32 [num, length] tokens continuing `prompt` (int [P]) with the cached decoder."""
    prompt = jnp.broadcast_to(jnp.asarray(prompt, jnp.int32), (num, len(prompt)))
    cache = transformer_lib.init_lm_cache(self.net, num, prompt.shape[1] + length)
    return sampling.sample_lm(transformer_lib.lm_step_fn(self.net), params, cache, rng,
                              prompt, length, temperature)


def make_transformer_task(config: ml_collections.ConfigDict, info=None) -> Task:
  """The Transformer task of a config with model.arch 'transformer'."""
  if config.get('task') == 'seq2seq':
    return TransformerSeq2SeqTask(config, info)
  if config.get('task') == 'seq' and config.model.get('kind', 'lm') == 'lm':
    return TransformerLMTask(config, info)
  raise ValueError("model.arch='transformer' is for task 'seq2seq' (the encoder-decoder) or "
                   "task 'seq' with model.kind='lm' (the decoder-only LM); got task "
                   f"{config.get('task')!r}, kind {config.model.get('kind')!r}.")
