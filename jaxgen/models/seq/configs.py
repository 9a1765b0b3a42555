"""The recurrent family's experiment configs.

Section 1: language models, taggers, classifiers (task 'seq'). Section 2: encoder-decoders
(task 'seq2seq').
"""
from __future__ import annotations

import ml_collections

from jaxgen.train.config import base_config, parse_variant, set_schedule


# ============================================================== 1. language models, taggers


# ============================================================== 2. encoder-decoders

SEQ2SEQ_ATTENTIONS = ('none', 'bahdanau', 'luong')


def seq2seq_config(name: str, variant: str = '', dataset: str = 'dates'
                   ) -> ml_collections.ConfigDict:
  """The config of encoder-decoder experiment `name` on `dataset` for `variant`.

  Variant keys (`parse_variant`'s grammar, e.g. 'attention=luong,score=general,window=local_p'):
    attention  'none' (Sutskever / Cho: the encoder's final state starts the decoder, source
               read reversed), 'bahdanau' (default: bidirectional GRU encoder, additive
               attention from s_{i-1}, maxout readout) or 'luong' (unidirectional LSTM
               encoder, attention from h_t, input feeding);
    score      Luong's score: dot, general (default), concat, location;
    window     Luong's global (default), local_m or local_p, with half-width D (default 4,
               the dates' sources being ~20 characters; the paper's D = 10 is for sentences);
    cell       overrides the cell (gru, lstm, elman).
  Flags: 'tiny' (the tests' size: a 32-unit model, 400 steps at a higher learning rate),
  'paper' (the papers' sizes:
  1000-unit cells, 620-dim embeddings, an accelerator's job).
  """
  v = parse_variant(variant, name, options={
      'attention': ('bahdanau', SEQ2SEQ_ATTENTIONS),
      'score': ('general', ('dot', 'general', 'concat', 'location')),
      'window': ('global', ('global', 'local_m', 'local_p')),
      'D': 4, 'cell': ('', ('', 'gru', 'lstm', 'elman'))})
  c = base_config()
  c.task = 'seq2seq'
  c.data.name = dataset
  c.data.batch_size = 64
  c.data.eval_batch_size = 256
  m = c.model
  m.attention = v.attention
  if v.attention == 'bahdanau':
    m.cell, m.bidirectional = 'gru', True
  elif v.attention == 'luong':
    m.cell, m.bidirectional = 'lstm', False
    m.score, m.window, m.D, m.input_feeding = v.score, v.window, int(v.D), True
  else:
    m.cell, m.bidirectional, m.reverse_source = 'lstm', False, True
  if v.cell:
    m.cell = v.cell
  m.features = 64
  m.embed_dim = 32
  m.attention_dim = 64
  m.readout_dim = 32
  m.num_layers = 1
  m.beam_size = 4
  m.length_penalty = 0.6
  m.eval_beam = True
  m.attention_maps = 6
  c.optimizer.name = 'adam'
  c.optimizer.learning_rate = 3e-3
  c.optimizer.schedule = 'cosine'
  c.optimizer.warmup_steps = 100
  c.optimizer.grad_clip_norm = 1.0
  set_schedule(c, 3000, log_every=100, eval_every=1000, checkpoint_every=1000, num_samples=16)
  if v.tiny:
    m.features, m.embed_dim, m.attention_dim, m.readout_dim = 32, 16, 32, 16
    m.beam_size = 2
    m.eval_beam = False               # beam search runs once, in finalize
    c.data.eval_batch_size = 512
    c.optimizer.warmup_steps = 20
    c.optimizer.learning_rate = 1e-2
    set_schedule(c, 400, log_every=50, eval_every=400, checkpoint_every=200, num_samples=4)
  elif v.paper:
    m.features, m.embed_dim, m.attention_dim, m.readout_dim = 1000, 620, 1000, 500
    m.beam_size = 12
    c.data.batch_size = 80
    c.optimizer.learning_rate = 1e-3
    set_schedule(c, 20_000, log_every=200, eval_every=2000, checkpoint_every=2000)
  if dataset == 'deu_eng' and not v.paper:   # words, not characters: a wider model
    if v.tiny:
      c.data.kwargs = {'max_words': 6}
      set_schedule(c, 200, log_every=50, eval_every=200, checkpoint_every=100, num_samples=4)
    else:
      c.data.kwargs = {'max_words': 10, 'min_count': 3}
      m.features, m.embed_dim, m.attention_dim, m.readout_dim = 96, 96, 96, 64
      c.optimizer.learning_rate = 2e-3
      c.data.eval_batch_size = 128
      set_schedule(c, 2000, log_every=100, eval_every=1000, checkpoint_every=1000,
                   num_samples=16)
  return c
