"""Row-by-row MNIST (mnist5k): 28 steps of 28 pixels, LSTM against the Elman RNN.

Run:   jaxgen train rowmnist_lstm --workdir /tmp/rowmnist_lstm
       jaxgen train rowmnist_lstm:cell=elman --workdir /tmp/rowmnist_elman
Tiny:  jaxgen train rowmnist_lstm:tiny --workdir /tmp/rowmnist_tiny

Each image is read one row per step and classified from the last step's state (mnist5k:
4,000 train, 10% held out for validation, 1,000 test real MNIST digits).

Default runs (measured: `jaxgen train rowmnist_lstm[:cell=elman] --set progress=False`; 128
units, 3,000 steps of 64 images, best validation step tested; this 2-core CPU):
  cell=lstm   97.2% test accuracy (45 s)
  cell=elman  95.4% (32 s): 28 steps are short enough for a tanh RNN; the adding problem's
              100 are not.
"""
from jaxgen.models.seq.configs import readout_config


def get_config(variant: str = ''):
  return readout_config('rowmnist_lstm', variant, 'mnist5k')
