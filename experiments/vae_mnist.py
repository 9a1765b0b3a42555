"""VAE with a diagonal-Gaussian posterior on mnist5k (Kingma & Welling 2014), the baseline of
`vae_iaf_mnist` (Kingma et al. 2016, table 1): the same encoder, decoder and schedule.

Run:   jaxgen train vae_mnist --workdir /tmp/vae
Paper: jaxgen train vae_mnist:paper --workdir /tmp/vae_paper   (the ResNet model)
Tiny:  jaxgen train vae_mnist:tiny --workdir /tmp/vae_tiny
A 2-D latent space, whose posteriors can be plotted: ':latents=2'.

Paper (Kingma et al. 2016, table 1, dynamically binarized MNIST, ResNet, 32 latents):
-ELBO 84.08, -log p(x) 81.08 nats.

Default run (measured, session 12, seeds 0/1/2, mnist5k test digits at the best validation
step, K = 1,000): -ELBO 101.02 / 101.13 / 101.06, -log p(x) 95.13 / 95.05 / 95.05, gap 5.99
on average; best steps 13,000-14,500, stopped early at 15,000-16,500 (4.5 min on one core).
':matched' (1.72M weights, as many as the IAF default): 101.10 / 95.13. The IAF posterior
of `vae_iaf_mnist` beats it by 1.98 and 1.41 nats (its docstring has the table).
"""
from jaxgen.models.vae.configs import vae_config


def get_config(variant: str = ''):
  return vae_config('vae_mnist', variant, posterior='diagonal')
