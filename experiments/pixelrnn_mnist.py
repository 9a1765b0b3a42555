"""PixelRNN (van den Oord et al. 2016a): Diagonal BiLSTM or Row LSTM on mnist5k.

Run:   jaxgen train pixelrnn_mnist --workdir /tmp/pixelrnn_mnist           (Diagonal BiLSTM)
       jaxgen train pixelrnn_mnist:row --workdir /tmp/pixelrnn_row_mnist   (Row LSTM)
       jaxgen train pixelrnn_mnist:256 --workdir /tmp/pixelrnn_mnist256    (8-bit levels)
Paper: jaxgen train pixelrnn_mnist:paper --workdir /tmp/pixelrnn_mnist_paper   (accelerator)
Tiny:  jaxgen train pixelrnn_mnist:tiny --workdir /tmp/pixelrnn_mnist_tiny

The paper: 2016a, Table 4, statically binarized MNIST test NLL: Diagonal BiLSTM 79.20 nats
(7 layers, h=16) and 80.75 nats (1 layer, h=32). Here: mnist5k (4,000 training digits, 12x
less than the paper), the paper's 7-layer h=16 Diagonal BiLSTM with residual connections, a
7x7 mask-A input convolution and a 2-way softmax; expect about 90-100 nats. The tiny variants
(`tiny`, `tiny,row`) reach < 125 nats (0.23 bits/dim; independent pixels: 207 nats); the
256-level `tiny,256` reaches < 1.5 bits/dim (independent 256-way pixels: 1.75).

Default run (measured): Diagonal BiLSTM, 400 steps, 96.35 nats on the binarized mnist5k test
split, 1,238 s on a 2-core CPU shared with other jobs.
"""
from jaxgen.models.pixel.configs import pixel_experiment, variant_flags

FLAGS = ('row', '256')


def get_config(variant: str = ''):
  flags = variant_flags(variant, FLAGS, 'pixelrnn_mnist')
  arch = 'row_lstm' if flags['row'] else 'diagonal_bilstm'
  return pixel_experiment(flags, 'mnist5k', arch, num_steps=400)
