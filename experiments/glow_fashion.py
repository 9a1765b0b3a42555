"""Glow on Fashion-MNIST (Kingma & Dhariwal 2018, "Glow: Generative Flow with Invertible 1x1
Convolutions").

Run:   jaxgen train glow_fashion --workdir /tmp/glow_fashion
Paper: jaxgen train glow_fashion:paper --workdir /tmp/glow_fashion_paper   (paper size)
Tiny:  jaxgen train glow_fashion:tiny --workdir /tmp/glow_fashion_tiny

Paper (table 2): 3.35 bits/dim on CIFAR-10; no Fashion-MNIST figure. Measured against RealNVP
on the same data and budget (realnvp_fashion). The model is glow_mnist's (L = 2 levels, LU
1x1 convolutions, learned priors; K = 8 of width 64 by default, 16 of width 512 in ':paper')
on the full 60,000 / 10,000 Fashion-MNIST split.

Default run (measured): 2,000 steps, 4.25 bits/dim on the Fashion-MNIST test split (4.90 at
1,000), 2,429 s on a 2-core CPU shared with other jobs (202 s of it compiling).
"""
from jaxgen.models.flows import configs


def get_config(variant: str = ''):
  c = configs.image_config('glow', 'fashion_mnist')
  return configs.apply_variant(c, variant, 'glow_fashion', configs.tiny_glow,
                               configs.paper_image)
