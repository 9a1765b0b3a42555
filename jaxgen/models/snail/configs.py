"""SNAIL's few-shot experiment configs (Mishra et al. 2018, Sec. 4.1 and Appendix C.1).

  snail_config(name, variant)   a finished config; options ways=N, shots=K,
                                arch=snail|protonet, dilation=2|1 (the TC blocks' first
                                dilation: the paper's 2, the common implementations' 1).

Default: 5-way 1-shot episodes of `glyphs` (the Omniglot-like letters of `jaxgen.data.glyphs`,
rotations as extra classes), batches of 32 episodes, Adam at 1e-3, the paper's Omniglot
network, 2,000 steps (about 20 minutes on a 2-core CPU), the validation split (scripts of
its own) evaluated every 500 steps and the best validation accuracy kept. 'paper': 40,000
steps (an accelerator's job; the paper does not state its number of steps). arch=protonet: a prototypical network on the same embedding,
trained on the same episodes. 'tiny' (the tests' size): 5-way 1-shot, an embedding of 16
filters and 32 features, TC blocks of 32 filters and attention of half the width, batches
of 16 episodes, Adam at 3e-3, 800 steps (SNAIL stays at chance for its first ~300 steps,
then learns: 0.55 at step 800).
"""
from __future__ import annotations

import ml_collections

from jaxgen.train.config import base_config, parse_variant, set_schedule, set_selection

TINY_BLOCKS = (('A', 32, 16), ('TC', 32), ('A', 64, 32), ('TC', 32), ('A', 128, 64))


def snail_config(name: str, variant: str = '') -> ml_collections.ConfigDict:
  """The config of few-shot experiment `name` (see the module docstring)."""
  v = parse_variant(variant, name, options={'ways': 5, 'shots': 1,
                                            'arch': ('snail', ('snail', 'protonet')),
                                            'dilation': (2, (1, 2))})
  c = base_config()
  c.task = 'snail'
  c.data.name = 'glyphs'
  c.data.kwargs = ml_collections.ConfigDict({'ways': int(v.ways), 'shots': int(v.shots)})
  c.data.batch_size = 32
  c.data.eval_batch_size = 100
  c.model.arch = v.arch
  if v.arch == 'snail':
    c.model.first_dilation = int(v.dilation)
  if v.tiny:
    c.model.embedding = ml_collections.ConfigDict({'filters': 16, 'features': 32})
    if v.arch == 'snail':
      c.model.blocks = TINY_BLOCKS
  c.optimizer.name = 'adam'
  c.optimizer.learning_rate = 1e-3
  set_schedule(c, 2000, log_every=100, eval_every=500, checkpoint_every=500, num_samples=4)
  if v.paper:
    set_schedule(c, 40_000, log_every=500, eval_every=2000, checkpoint_every=2000)
  if v.tiny:
    c.data.batch_size = 16
    c.optimizer.learning_rate = 3e-3
    set_schedule(c, 800, log_every=100, eval_every=800, checkpoint_every=400,
                 num_samples=2)
  set_selection(c, 'accuracy', 'max', validation_fraction=0.1)
  return c


def bandit_config(name: str, variant: str = '') -> ml_collections.ConfigDict:
  """The config of bandit meta-RL experiment `name`: options arms=K, pulls=N, dilation=2|1.

  Default: 5 arms, 100 pulls (the middle row of the paper's Table 3), batches of 64
  episodes, the paper's bandit network, advantage actor-critic with Adam; the validation
  split's mean episode reward selects the checkpoint. 'tiny' (the tests' size): 5 arms, 20
  pulls, fewer steps.
  """
  v = parse_variant(variant, name, options={'arms': 5, 'pulls': 10, 'dilation': (2, (1, 2))},
                    paper=False)     # the paper's nine (N, K) rows are the options
  pulls = int(v.pulls)
  c = base_config()
  c.task = 'snail_bandit'
  c.data.name = 'bandits'
  c.data.kwargs = ml_collections.ConfigDict({'arms': int(v.arms), 'pulls': pulls})
  c.data.batch_size = 64
  c.data.eval_batch_size = 500
  c.model.first_dilation = int(v.dilation)
  c.model.discount = 0.99
  c.model.gae_lambda = 0.95
  c.model.value_coef = 0.5
  c.model.entropy_coef = 0.01
  c.model.epochs = 1
  c.model.clip = 0.2
  c.model.gittins_discount = 0.0          # 1 - 1/N
  c.optimizer.name = 'adam'
  c.optimizer.learning_rate = 1e-3
  c.optimizer.grad_clip_norm = 1.0
  set_schedule(c, 3000, log_every=100, eval_every=500, checkpoint_every=500, num_samples=4)
  if v.tiny:
    set_schedule(c, 400, log_every=100, eval_every=400, checkpoint_every=200,
                 num_samples=2)
  set_selection(c, 'reward', 'max', validation_fraction=0.1)
  return c
