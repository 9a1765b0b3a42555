"""DCGAN on Fashion-MNIST (Radford, Metz & Chintala 2016, "Unsupervised Representation Learning
with Deep Convolutional GANs").

Run:   jaxgen train dcgan_fashion --workdir /tmp/dcgan_fashion
Paper: jaxgen train dcgan_fashion:paper --workdir /tmp/dcgan_fashion_mnist_paper   (the paper's batch and width)
Tiny:  jaxgen train dcgan_fashion:tiny --workdir /tmp/dcgan_fashion_mnist_tiny

Paper recipe (section 4): transposed-conv G / strided-conv D, batch norm except at G's output
and D's input, ReLU / LeakyReLU(0.2), N(0, 0.02) weights, Adam 2e-4 with beta1 = 0.5,
non-saturating loss; here at 28x28 on the 60,000 Fashion-MNIST training images, sized for a CPU
(32 base channels, batch 64, 2,000 steps), with an EMA generator. The paper reports no number to
match on this data; measured by the classifier-based scores of `jaxgen.eval` (Fréchet distance on
the Fashion-MNIST classifier's features, class coverage, mean confidence) of 1,000 samples, next
to 1,000 real test images (`final/real_frechet_distance`).
"""
from jaxgen.models.gan.configs import dcgan_config


def get_config(variant: str = ''):
  return dcgan_config('fashion_mnist', variant)
