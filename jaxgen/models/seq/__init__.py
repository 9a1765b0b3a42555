"""Recurrent sequence models (task 'seq'): RNNs, LSTMs, deep and bidirectional stacks.

  rnn       cells (Elman, LSTM with forget bias and peepholes, GRU), truncated BPTT, output
            masking, the deep RNN of Graves (2013) and bidirectional layers.
"""
from jaxgen.models.seq.task import make_task
