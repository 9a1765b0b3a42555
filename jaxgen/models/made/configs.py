"""MADE's experiment configs (Germain et al. 2015, Table 6).

  made_config(name, variant, dataset)   a finished config; flags 'tiny' and 'paper'.

The default run: one hidden layer of 500 units and 8 mask sets on statically binarized
images, batches of 64, AdamW with weight decay, at most 2,000 steps. 'paper': the paper's
single-mask model (one hidden layer of 500 units, one mask, no weight decay, batches of
128), at most 10,000 steps.

Both select the model as the paper does: 5% (default) or 10% ('paper') of the training
digits are held out as a validation split (3,800 or 3,600 of mnist5k's 4,000 train: the
default keeps more of its small train split), the single-mask validation NLL is evaluated
every 100 steps (default) or 250 ('paper'), the best step's checkpoint is the one tested,
and training stops after 5 (default) or 10 ('paper') evaluations without improvement
(`jaxgen.train.selection`). 'tiny' (the tests' size) trains on all of train, no selection.
"""
from __future__ import annotations

import ml_collections

from jaxgen.train.config import base_config, parse_variant, set_schedule, set_selection


def made_config(name: str, variant: str = '', dataset: str = 'mnist5k'
                ) -> ml_collections.ConfigDict:
  """The config of MADE experiment `name` on `dataset` for `variant`."""
  v = parse_variant(variant, name)
  c = base_config()
  c.task = 'made'
  c.data.name = dataset
  c.data.preprocess = ['binarize_static']
  c.data.batch_size = 64
  c.data.eval_batch_size = 200
  c.model.hidden_sizes = (500,)
  c.model.num_masks = 8
  c.model.ordering = 'natural'
  c.model.direct = True
  c.model.mask_seed = 0
  c.optimizer.name = 'adamw'
  c.optimizer.weight_decay = 0.05
  c.optimizer.learning_rate = 3e-3
  c.optimizer.schedule = 'cosine'
  set_schedule(c, 2000, log_every=100, eval_every=1000, checkpoint_every=1000, num_samples=64)
  if v.tiny:
    c.model.hidden_sizes = (256,)
    c.model.num_masks = 4
    c.data.batch_size = 128
    set_schedule(c, 400, log_every=50, eval_every=200, checkpoint_every=200, num_samples=16)
  elif v.paper:
    c.data.batch_size = 128
    c.model.num_masks = 1
    c.optimizer.weight_decay = 0.0
    set_schedule(c, 10_000, log_every=100, eval_every=2000, checkpoint_every=2000)
  if v.paper:
    set_selection(c, 'nll', 'min', eval_every=250, patience=10, validation_fraction=0.1)
  elif not v.tiny:
    set_selection(c, 'nll', 'min', eval_every=100, patience=5, validation_fraction=0.05)
  return c
