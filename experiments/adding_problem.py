"""The adding problem (Hochreiter & Schmidhuber 1997, Sec. 5.4): LSTM against the Elman RNN.

Run:   jaxgen train adding_problem --workdir /tmp/adding_lstm            (LSTM, T = 100)
       jaxgen train adding_problem:cell=elman --workdir /tmp/adding_elman
       jaxgen train adding_problem:T=200 --workdir /tmp/adding_lstm_200
Tiny:  jaxgen train adding_problem:tiny,T=20 --workdir /tmp/adding_tiny

Sequences of T to T + T/10 (value, marker) pairs; the target, read at each sequence's end,
is 0.5 + (X1 + X2)/4 for the two marked values, one among the first ten pairs and one
among the first T/2 - 1. The paper's criterion: a sequence is solved when |error| < 0.04;
predicting the mean 0.5 solves 16% (MSE 0.038). LSTM solved T = 100 in the paper (average
test error 0.0014 after 74,000 training sequences); Elman-style RNNs did not.

Default runs (measured: `jaxgen train adding_problem[:cell=elman|:T=200] --set
progress=False`; 64 units, 8,000 steps of 32 sequences (256k sequences), 10% of the 20k
training sequences for validation, the best validation step tested; this 2-core CPU):
  cell=lstm (forget bias 5), T=100   solved 100.0%, test MSE 5.5e-5 (84 s)
  cell=elman, T=100                  solved 15.5%, MSE 0.038: the predict-0.5 plateau (36 s)
  cell=lstm, T=200                   solved 18.6%, MSE 0.023: leaving the plateau when the
                                     schedule ended (159 s); it needs a longer run
With the usual forget bias of 1 the LSTM did not leave the plateau at T = 100 in 30,000
steps: the 1997 LSTM had no forget gate (f = 1), and a bias of 5 starts close to it.
"""
from jaxgen.models.seq.configs import readout_config


def get_config(variant: str = ''):
  return readout_config('adding_problem', variant, 'adding')
