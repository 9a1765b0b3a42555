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
"""
from jaxgen.models.seq.configs import readout_config


def get_config(variant: str = ''):
  return readout_config('adding_problem', variant, 'adding')
