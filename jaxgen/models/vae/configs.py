"""The VAE experiments' configs (Kingma et al. 2016, s.5.1 and appendix C, at our scale).

  vae_config(name, variant, posterior)   a finished config; flags 'tiny', 'paper' and
                                         'matched' (the encoder widened to 690 units: a
                                         diagonal posterior with as many weights as the
                                         IAF default, 1.72M), options depth=T,
                                         arch=mlp|resnet, latents=D.

The default run: dynamically binarized mnist5k with 5% of train held out for selection,
32 latents, the 'mlp' encoder and decoder, Adamax (learning rate 2e-3, the paper's), batches
of 100, Polyak-averaged evaluation weights (decay 0.999), the validation -ELBO every 250
steps selecting the tested checkpoint, early stopping after 8 evaluations without
improvement, at most 30,000 steps (the runs stop between 12,000 and 20,000). The IAF posterior has T = 2 steps of 2-layer MADEs of width 320 with a
64-wide context. ':paper' is the paper's ResNet model (its strided-convolution encoder and
mirrored decoder, as `model.Decoder` says), at most 60,000 steps. 'tiny' (the tests' size) is small
and short, no selection.
"""
from __future__ import annotations

import ml_collections

from jaxgen.train.config import base_config, parse_variant, set_schedule, set_selection


def vae_config(name: str, variant: str = '', posterior: str = 'iaf',
               dataset: str = 'mnist5k') -> ml_collections.ConfigDict:
  """The config of VAE experiment `name` with the `posterior` ('diagonal', 'iaf', 'linear')."""
  v = parse_variant(variant, name, flags=('matched',), options={
      'depth': 2, 'arch': ('mlp', ('mlp', 'resnet')), 'latents': 32})
  c = base_config()
  c.task = 'vae'
  c.data.name = dataset
  c.data.preprocess = ['binarize_dynamic']
  c.data.batch_size = 100
  c.data.eval_batch_size = 250
  c.model = ml_collections.ConfigDict(dict(
      posterior=posterior, depth=int(v.depth), latent_dim=int(v.latents), made_hidden=(320, 320),
      context_dim=64, gate_bias=2.0, architecture='resnet' if v.paper else v.arch, hidden=500,
      channels=64, encoder_hidden=0, free_bits=0.0, free_bits_groups=0, polyak_decay=0.999, iw_samples=128,
      iw_chunk=8, final_iw_samples=1000))
  if v.matched:       # the diagonal baseline at the IAF default's size: 1.72M weights each
    c.model.encoder_hidden = 690
  c.optimizer.name = 'adamax'
  c.optimizer.learning_rate = 2e-3
  c.optimizer.schedule = 'constant'
  c.optimizer.grad_clip_norm = 100.0
  set_schedule(c, 30_000, log_every=250, eval_every=250, checkpoint_every=1000, num_samples=64)
  if v.tiny:
    c.model.update(latent_dim=32, made_hidden=(64,), context_dim=16, hidden=128, channels=16,
                   iw_samples=32, final_iw_samples=64, polyak_decay=0.99)
    set_schedule(c, 600, log_every=100, eval_every=600, checkpoint_every=300, num_samples=16)
    return c
  if v.paper:
    c.model.update(iw_chunk=4)
    c.data.eval_batch_size = 100
    set_schedule(c, 60_000, eval_every=500, checkpoint_every=2000)
  set_selection(c, 'nll_elbo', 'min', patience=8, validation_fraction=0.05)
  return c
