"""Variational autoencoders with IAF posteriors (Kingma & Welling 2014; Kingma et al. 2016),
task 'vae'.

  model     the VAE (diagonal, linear-IAF and IAF posteriors, the IAF steps as
            `jaxgen.bijectors.IAF` with the gated transformer), free bits, importance weights.
  sampling  prior samples, reconstructions, posterior samples (one pass each).
  task      `VAETask` and `make_task`: ELBO training, Polyak averaging, the IW bound.
  configs   the experiments' configs.
"""
from jaxgen.models.vae.model import VAE, free_bits_kl, importance_weighted
from jaxgen.models.vae.task import VAETask, make_task
