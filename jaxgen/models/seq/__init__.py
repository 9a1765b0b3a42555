"""Recurrent sequence models: task 'seq' (LMs, taggers, readouts, trees) and 'seq2seq'.

  rnn        cells (Elman, LSTM with forget bias and peepholes, GRU), truncated BPTT, output
             masking, the deep RNN of Graves (2013) and bidirectional layers.
  lm         the networks over an `RNNStack`: language model, tagger, sequence readout.
  recursive  recursive nets over batched trees (Socher et al. 2011; Tree-LSTM, Tai et al. 2015).
  attention  Bahdanau (2015) and Luong (2015: dot, general, concat, location; global, local-m,
             local-p) attention.
  seq2seq    encoder-decoders (Sutskever et al. 2014) with a single-step attentional decoder.
  transformer  the Transformer (Vaswani et al. 2017): encoder-decoder and decoder-only LM,
             post-/pre-LN, sinusoidal or learned positions, a decode cache as a step_fn.
  sampling   language-model sampling with an explicit carry (and the naive reference), and
             encoder-decoder decoding.
  task       `make_task`: LMTask, TaggerTask, ReadoutTask, TreeTask; Seq2SeqTask;
             TransformerSeq2SeqTask, TransformerLMTask (model.arch='transformer').
  configs    the experiments' configs.
"""
from jaxgen.models.seq.task import make_task
