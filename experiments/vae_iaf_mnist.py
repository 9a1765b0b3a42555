"""VAE with an inverse autoregressive flow posterior on mnist5k (Kingma, Salimans, Jozefowicz,
Chen, Sutskever & Welling 2016, "Improved Variational Inference with Inverse Autoregressive
Flow", s.5.1).

Run:   jaxgen train vae_iaf_mnist --workdir /tmp/vae_iaf        (T = 2; ':depth=4' for 4)
Paper: jaxgen train vae_iaf_mnist:paper --workdir /tmp/vae_iaf_paper   (the ResNet model)
Tiny:  jaxgen train vae_iaf_mnist:tiny --workdir /tmp/vae_iaf_tiny
Ablations: --set model.posterior=linear (one linear IAF step: a full-covariance Gaussian),
--set model.context_dim=0 (IAF without the context h).

Paper (table 1, dynamically binarized MNIST, 32 latents, ResNet): diagonal posterior
-ELBO 84.08 / -log p(x) 81.08; IAF with T = 2 steps of width 320: 82.02 / 79.88 (IAF
better by 2.1 nats in the ELBO and 1.2 in log-likelihood). The baseline here is
`vae_mnist`, the diagonal posterior with the same encoder, decoder and schedule.
"""
from jaxgen.models.vae.configs import vae_config


def get_config(variant: str = ''):
  return vae_config('vae_iaf_mnist', variant, posterior='iaf')
