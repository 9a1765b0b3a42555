"""SAGAN on mnist5k (Zhang, Goodfellow, Metaxas & Odena 2018, "Self-Attention Generative
Adversarial Networks").

Run:   jaxgen train sagan_mnist --workdir /tmp/sagan_mnist
Paper: jaxgen train sagan_mnist:paper --workdir /tmp/sagan_mnist5k_paper   (the paper's batch and width)
Tiny:  jaxgen train sagan_mnist:tiny --workdir /tmp/sagan_mnist5k_tiny
Conditional (the paper's setting: conditional BN in G, projection D):
       jaxgen train sagan_mnist:conditional --workdir /tmp/sagan_mnist5k_cond

The paper: ImageNet 128x128, FID 18.65 / Inception score 52.52 (Table 2), with residual G and D,
self-attention on the 32x32 and 64x64 maps, spectral norm in G and D, hinge loss, and the two
time-scale update rule (Adam, G 1e-4, D 4e-4, beta1 = 0, beta2 = 0.9). Here the same recipe at
28x28 (attention on the 14x14 maps) on 4,000 real digits, sized for a CPU (16 base channels,
batch 64, 2,000 steps), with an EMA generator. No Inception weights can be had offline, so it is
measured by the classifier-based scores of `jaxgen.eval` (Fréchet distance on the mnist5k
classifier's features, class coverage, mean confidence) of 1,000 samples, next to 1,000 real
test digits (`final/real_frechet_distance`).
"""
from jaxgen.models.gan.configs import sagan_config


def get_config(variant: str = ''):
  return sagan_config('mnist5k', variant)
