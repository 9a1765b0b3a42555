"""RealNVP on mnist5k (Dinh, Sohl-Dickstein & Bengio 2017, "Density estimation using Real NVP").

Run:   jaxgen train realnvp_mnist --workdir /tmp/realnvp_mnist
Paper: jaxgen train realnvp_mnist:paper --workdir /tmp/realnvp_mnist_paper   (paper size)
Tiny:  jaxgen train realnvp_mnist:tiny --workdir /tmp/realnvp_mnist_tiny

Paper (table 1): 3.49 bits/dim on CIFAR-10, 4.28 on ImageNet 32x32; on full MNIST FFJORD's
table 2 (Grathwohl et al. 2019) lists RealNVP at 1.06 bits/dim. Measured against: NICE on the
same data (nice_mnist; 4.36 bits/dim in the NICE paper) and Glow (glow_mnist); RealNVP should
beat NICE by a wide margin. The architecture is the
paper's multi-scale one (s.3.6), checkerboard and channel-wise affine couplings,
batch-normalized outputs, ResNet s/t with weight normalization, logit transform with alpha =
0.05; bits/dim are in 8-bit pixel space. The default run has two scales and one 32-channel
ResNet block per s/t network, batch 32 for 1,500 steps; ':paper' has three scales down to
7x7x4, 64 channels and 4 blocks, batch 64 for 10,000 steps.

Default run (measured): 1,500 steps, 1.61 bits/dim on the mnist5k test split (2.02 at 750),
1,790 s on a 2-core CPU shared with other jobs (187 s of it compiling).
"""
from jaxgen.models.flows import configs


def get_config(variant: str = ''):
  c = configs.image_config('realnvp', 'mnist5k')
  return configs.apply_variant(c, variant, 'realnvp_mnist', configs.tiny_realnvp,
                               configs.paper_image)
