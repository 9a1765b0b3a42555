"""PixelCNN (van den Oord et al. 2016a) on mnist5k, binarized or 256-level.

Run:   jaxgen train pixelcnn_mnist --workdir /tmp/pixelcnn_mnist
       jaxgen train pixelcnn_mnist:256 --workdir /tmp/pixelcnn_mnist256    (8-bit levels)
Paper: jaxgen train pixelcnn_mnist:paper --workdir /tmp/pixelcnn_mnist_paper   (accelerator)
Tiny:  jaxgen train pixelcnn_mnist:tiny --workdir /tmp/pixelcnn_mnist_tiny

The paper: "Pixel Recurrent Neural Networks" (2016a), Table 4, statically binarized MNIST test NLL:
79.20 nats for a 7-layer Diagonal BiLSTM (the best PixelRNN); PixelCNN is the paper's fastest
and weakest model (CIFAR-10, Table 5: PixelCNN 3.14 bits/dim vs Diagonal BiLSTM 3.00). Here:
mnist5k (4,000 train / 1,000 test real digits, 12x less data than the paper's 50k), a 7x7
mask-A convolution, 6 residual mask-B blocks of h=32 and a 2-way softmax per pixel; expect a
higher NLL than the paper (about 90-100 nats) and the blind spot's cost against the Gated
PixelCNN (gated_pixelcnn_mnist). The tiny variant reaches < 125 nats (0.23 bits/dim;
independent pixels: 207 nats); `tiny,256` reaches < 1.5 bits/dim (independent 256-way
pixels: 1.75).

Default run (measured): 1,000 steps, 95.47 nats (0.176 bits/dim) on the binarized mnist5k test
split, 704 s on a 2-core CPU shared with other jobs.
"""
from jaxgen.models.pixel.configs import pixel_experiment, variant_flags

FLAGS = ('256',)


def get_config(variant: str = ''):
  flags = variant_flags(variant, FLAGS, 'pixelcnn_mnist')
  return pixel_experiment(flags, 'mnist5k', 'pixelcnn', num_steps=1000)
