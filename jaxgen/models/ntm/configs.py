"""The NTM's experiment configs (Graves, Wayne & Danihelka 2014, Sec. 4).

  ntm_config(name, variant, dataset)   a finished config; flags 'tiny', 'paper', option
                                       arch=ntm|lstm (the baseline).

Default (copy): the paper's copy NTM (an LSTM controller of 100 units, one read and one
write head, N = 128 locations of M = 20, shifts -1..1) trained on lengths 1-10 and scored on
11-20 and 21-40 (2x and 4x), Adam at 1e-3 with gradients clipped to global norm 10 (not the
paper's optimiser; the tiny config learns with it in 1,000 steps), the memory initialised to
a small constant (Collier & Beel 2018), batches of 32. 'paper': the
paper's RMSProp (centered, momentum 0.9, learning rate 1e-4, each gradient component
clipped to [-10, 10]), lengths 1-20, scored on 21-40 and 41-80. arch=lstm: three stacked
LSTMs of 54 units (61k parameters; the NTM has 62k) (the paper's baseline had three of
256). 'tiny' (the tests' size): 32 locations of 8, a 64-unit controller, 1,000 steps.
"""
from __future__ import annotations

import ml_collections

from jaxgen.train.config import base_config, parse_variant, set_schedule, set_selection

ARCHS = ('ntm', 'lstm')


def ntm_config(name: str, variant: str = '', dataset: str = 'copy'
               ) -> ml_collections.ConfigDict:
  """The config of NTM experiment `name` on `dataset` (one of the NTM's tasks)."""
  v = parse_variant(variant, name, options={'arch': ('ntm', ARCHS)})
  c = base_config()
  c.task = 'ntm'
  c.data.name = dataset
  lengths = (1, 20) if v.paper else (1, 10)
  c.data.kwargs = ml_collections.ConfigDict({'min_length': lengths[0],
                                             'max_length': lengths[1]})
  c.data.batch_size = 32
  c.data.eval_batch_size = 250
  c.model.arch = v.arch
  if v.arch == 'ntm':
    c.model.memory_size = 32 if v.tiny else 128
    c.model.memory_width = 8 if v.tiny else 20
    c.model.controller_features = 64 if v.tiny else 100
    c.model.num_read_heads = c.model.num_write_heads = 1
    c.model.shift_range = 1
  else:
    c.model.hidden_size = 48 if v.tiny else 54
    c.model.num_layers = 3
  top = lengths[1]
  c.model.generalize = ((top + 1, 2 * top), (2 * top + 1, 4 * top))
  c.optimizer.name = 'adam'
  c.optimizer.learning_rate = 1e-3
  c.optimizer.grad_clip_norm = 10.0
  if v.paper:
    c.optimizer = ml_collections.ConfigDict(dict(
        name='rmsprop', learning_rate=1e-4, momentum=0.9, centered=True, decay=0.95,
        eps=1e-4, schedule='constant', warmup_steps=0, grad_clip_value=10.0))
  set_schedule(c, 10_000, log_every=200, eval_every=1000, checkpoint_every=1000, num_samples=4)
  if v.tiny:
    set_schedule(c, 1000, log_every=100, eval_every=500, checkpoint_every=500, num_samples=2)
  elif v.paper:
    set_schedule(c, 100_000, log_every=500, eval_every=5000, checkpoint_every=5000)
  if not v.tiny:
    set_selection(c, 'bits', 'min', patience=0, validation_fraction=0.1)
  return c
