"""PixelRNN (van den Oord et al. 2016a): Diagonal BiLSTM or Row LSTM on Fashion-MNIST, 8 bits.

Run:   jaxgen train pixelrnn_fashion --workdir /tmp/pixelrnn_fashion          (Diagonal BiLSTM)
       jaxgen train pixelrnn_fashion:row --workdir /tmp/pixelrnn_row_fashion  (Row LSTM)
Paper: jaxgen train pixelrnn_fashion:paper --workdir /tmp/pixelrnn_fashion_paper   (accelerator)
Tiny:  jaxgen train pixelrnn_fashion:tiny --workdir /tmp/pixelrnn_fashion_tiny

The paper: 2016a, Table 5 (CIFAR-10, 256-way softmax): Row LSTM 3.07 bits/dim, Diagonal BiLSTM
3.00, PixelCNN 3.14. Fashion-MNIST has no number in the paper; compare with pixelcnn_fashion
and gated_pixelcnn_fashion at the same budget (the paper's ordering: Diagonal BiLSTM <= Row
LSTM < PixelCNN). The tiny variant reaches < 4.2 bits/dim (independent pixels: 4.59).

Default run (measured): Diagonal BiLSTM, 300 steps, 3.60 bits/dim on the Fashion-MNIST test
split, 1,345 s on a 2-core CPU shared with other jobs.
"""
from jaxgen.models.pixel.configs import pixel_experiment, variant_flags

FLAGS = ('row',)


def get_config(variant: str = ''):
  flags = variant_flags(variant, FLAGS, 'pixelrnn_fashion')
  arch = 'row_lstm' if flags['row'] else 'diagonal_bilstm'
  c = pixel_experiment(flags, 'fashion_mnist', arch, num_steps=300, num_levels=256)
  if not flags['tiny']:
    c.model.num_layers = 4
  return c
