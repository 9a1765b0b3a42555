"""RealNVP on mnist5k (Dinh, Sohl-Dickstein & Bengio 2017, "Density estimation using Real NVP").

Run:   jaxgen train realnvp_mnist --workdir /tmp/realnvp_mnist
Tiny:  jaxgen train realnvp_mnist:tiny --workdir /tmp/realnvp_mnist_tiny

Paper (table 1): 3.49 bits/dim on CIFAR-10, 4.28 on ImageNet 32x32; on full MNIST FFJORD's
table 2 (Grathwohl et al. 2019) lists RealNVP at 1.06 bits/dim. Measured against: NICE on the
same data (nice_mnist; 4.36 bits/dim in the NICE paper) and Glow (glow_mnist); RealNVP should
beat NICE by a wide margin. The architecture is the
paper's multi-scale one (s.3.6, three scales down to 7x7x4), checkerboard and channel-wise
affine couplings, batch-normalized outputs, ResNet s/t with weight normalization, logit
transform with alpha = 0.05; bits/dim are in 8-bit pixel space.
"""
from jaxgen.models.flows import configs


def get_config(variant: str = ''):
  c = configs.image_config('realnvp', 'mnist5k')
  return configs.apply_variant(c, variant, 'realnvp_mnist', configs.tiny_realnvp,
                               configs.paper_image)
