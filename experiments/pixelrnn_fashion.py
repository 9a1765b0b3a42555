"""PixelRNN (van den Oord et al. 2016a): Diagonal BiLSTM or Row LSTM on Fashion-MNIST, 8 bits.

Run:   jaxgen train pixelrnn_fashion --workdir /tmp/pixelrnn_fashion          (Diagonal BiLSTM)
       jaxgen train pixelrnn_fashion:row --workdir /tmp/pixelrnn_row_fashion  (Row LSTM)
Tiny:  jaxgen train pixelrnn_fashion:tiny --workdir /tmp/pixelrnn_fashion_tiny

Paper: 2016a, Table 5 (CIFAR-10, 256-way softmax): Row LSTM 3.07 bits/dim, Diagonal BiLSTM
3.00, PixelCNN 3.14. Fashion-MNIST has no number in the paper; compare with pixelcnn_fashion
and gated_pixelcnn_fashion at the same budget (the paper's ordering: Diagonal BiLSTM <= Row
LSTM < PixelCNN). The tiny variant reaches < 4.2 bits/dim (independent pixels: 4.59).
"""
from jaxgen.models.pixel_common import pixel_config, variant_flags

FLAGS = ('tiny', 'long', 'row')


def get_config(variant: str = ''):
  flags = variant_flags(variant, FLAGS, 'pixelrnn_fashion')
  tiny = 'tiny' in flags
  c = pixel_config('pixelrnn', 'fashion_mnist', 256, tiny, num_steps=300,
                   long='long' in flags)
  c.model.kind = 'row_lstm' if 'row' in flags else 'diagonal_bilstm'
  c.model.features = 8 if tiny else 16
  c.model.num_layers = 1 if tiny else 4
  c.model.kernel_size = 3
  c.model.first_kernel_size = 7
  c.model.output_features = 32 if tiny else 64
  return c
