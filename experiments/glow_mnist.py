"""Glow on mnist5k (Kingma & Dhariwal 2018, "Glow: Generative Flow with Invertible 1x1
Convolutions").

Run:   jaxgen train glow_mnist --workdir /tmp/glow_mnist
Paper: jaxgen train glow_mnist:paper --workdir /tmp/glow_mnist_paper   (paper size)
Tiny:  jaxgen train glow_mnist:tiny --workdir /tmp/glow_mnist_tiny

Paper (table 2): 3.35 bits/dim on CIFAR-10, 4.09 on ImageNet 32x32 (L = 3, K = 32, width
512). On full MNIST (60,000 digits) FFJORD's table 2 (Grathwohl et al. 2019) lists Glow at
1.05 and RealNVP at 1.06 bits/dim. Measured against: RealNVP on the same data and budget
(realnvp_mnist); mnist5k has 15x fewer training digits, so expect a higher figure. Here 28x28
allows two squeezes, so L = 2 levels of K steps (ActNorm, LU 1x1 conv, affine coupling), the
learned split and top priors, inputs x / 256 - 1/2; samples at temperature 0.7 (s.5.3);
bits/dim in 8-bit pixel space. The default run has K = 8 unrolled steps with NN() width 64 for
2,000 steps (XLA:CPU runs convolutions in a while loop several times slower); ':paper' has
K = 16 of width 512 under one `nn.scan` per level, 10,000 steps.

Default run (measured): 2,000 steps, 2.64 bits/dim on the mnist5k test split (3.43 at 1,000);
samples at temperature 0.7 are stroke-like blobs, not yet digits. 1,659 s on a 2-core CPU
shared with other jobs, 124 s of it compiling the unrolled steps.
"""
from jaxgen.models.flows import configs


def get_config(variant: str = ''):
  c = configs.image_config('glow', 'mnist5k')
  return configs.apply_variant(c, variant, 'glow_mnist', configs.tiny_glow,
                               configs.paper_image)
