"""VAE with a diagonal-Gaussian posterior on mnist5k (Kingma & Welling 2014), the baseline of
`vae_iaf_mnist` (Kingma et al. 2016, table 1): the same encoder, decoder and schedule.

Run:   jaxgen train vae_mnist --workdir /tmp/vae
Paper: jaxgen train vae_mnist:paper --workdir /tmp/vae_paper   (the ResNet model)
Tiny:  jaxgen train vae_mnist:tiny --workdir /tmp/vae_tiny
A 2-D latent space, whose posteriors can be plotted: ':latents=2'.

Paper (Kingma et al. 2016, table 1, dynamically binarized MNIST, ResNet, 32 latents):
-ELBO 84.08, -log p(x) 81.08 nats.
"""
from jaxgen.models.vae.configs import vae_config


def get_config(variant: str = ''):
  return vae_config('vae_mnist', variant, posterior='diagonal')
