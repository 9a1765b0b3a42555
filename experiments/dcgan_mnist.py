"""DCGAN on mnist5k (Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with
Deep Convolutional GANs").

Run:   jaxgen train dcgan_mnist --workdir /tmp/dcgan_mnist
Paper: jaxgen train dcgan_mnist:paper --workdir /tmp/dcgan_mnist5k_paper   (the paper's batch and width)
Tiny:  jaxgen train dcgan_mnist:tiny --workdir /tmp/dcgan_mnist5k_tiny

The paper: trained on LSUN, ImageNet-1k and faces at 64x64 and scored by the transfer of its
features (CIFAR-10, SVHN); it reports no sample-quality number to match. The recipe is the
paper's: transposed-conv G and strided-conv D with batch norm except at G's output and D's input,
ReLU / LeakyReLU(0.2), N(0, 0.02) weights, Adam 2e-4 with beta1 = 0.5, non-saturating loss; here
at 28x28 (two stride-2 layers from 7x7) on 4,000 real digits, sized for a CPU (32 base channels,
batch 64, 2,000 steps), with an EMA generator. Measured by the classifier-based scores of
`jaxgen.eval` (Fréchet distance on the mnist5k classifier's features, class coverage, mean
confidence) of 1,000 samples; 1,000 real test digits score the floor
(`final/real_frechet_distance`).
"""
from jaxgen.models.gan.configs import dcgan_config


def get_config(variant: str = ''):
  return dcgan_config('mnist5k', variant)
