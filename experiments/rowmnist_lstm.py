"""Row-by-row MNIST (mnist5k): 28 steps of 28 pixels, LSTM against the Elman RNN.

Run:   jaxgen train rowmnist_lstm --workdir /tmp/rowmnist_lstm
       jaxgen train rowmnist_lstm:cell=elman --workdir /tmp/rowmnist_elman
Tiny:  jaxgen train rowmnist_lstm:tiny --workdir /tmp/rowmnist_tiny

Each image is read one row per step and classified from the last step's state (mnist5k:
4,000 train, 10% held out for validation, 1,000 test real MNIST digits).
"""
from jaxgen.models.seq.configs import readout_config


def get_config(variant: str = ''):
  return readout_config('rowmnist_lstm', variant, 'mnist5k')
