"""MADE on statically binarized MNIST (Germain et al. 2015, "MADE", Table 6).

Run:   jaxgen train made_mnist --workdir /tmp/made_mnist
Tiny:  jaxgen train made_mnist:tiny --workdir /tmp/made_mnist_tiny

Paper: binarized MNIST (50k train), one hidden layer of 500 units, test NLL 88.40 nats with a
single mask and 86.64 nats with connectivity-agnostic training and a 32-mask ensemble
(2 hidden layers). Here: mnist5k (4,000 train / 1,000 test real MNIST digits, statically
binarized), one hidden layer of 500 units, 8 mask sets: 107.5 nats single mask and 105.2 nats
for the 8-mask ensemble (12x less training data than the paper, hence the gap).
"""
from jaxgen.train.config import base_config, unknown_variant


def get_config(variant: str = ''):
  c = base_config()
  c.task = 'made'
  c.data.name = 'mnist5k'
  c.data.preprocess = ['binarize_static']
  c.data.batch_size = 128
  c.data.eval_batch_size = 200
  c.model.hidden_sizes = (500,)
  c.model.num_masks = 8
  c.model.ordering = 'natural'
  c.model.direct = True
  c.model.mask_seed = 0
  # With 4,000 training digits MADE overfits after ~1,000 steps; a little decoupled weight
  # decay helps (the paper early-stopped on a validation set instead).
  c.optimizer.name = 'adamw'
  c.optimizer.weight_decay = 0.05
  c.optimizer.learning_rate = 3e-3
  c.optimizer.schedule = 'cosine'
  c.num_steps = 2000
  c.log_every = 100
  c.eval_every = 1000
  c.checkpoint_every = 1000
  c.num_samples = 64
  if variant == 'tiny':
    c.model.hidden_sizes = (256,)
    c.model.num_masks = 4
    c.num_steps = 400
    c.log_every = 50
    c.eval_every = 200
    c.checkpoint_every = 200
    c.num_samples = 16
  elif variant:
    raise unknown_variant('made_mnist', variant, ('', 'tiny'))
  return c
