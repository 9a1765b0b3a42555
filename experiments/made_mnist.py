"""MADE on statically binarized MNIST (Germain et al. 2015, "MADE", Table 6).

Run:   jaxgen train made_mnist --workdir /tmp/made_mnist
Paper: jaxgen train made_mnist:paper --workdir /tmp/made_mnist_paper   (the paper's single-mask model)
Tiny:  jaxgen train made_mnist:tiny --workdir /tmp/made_mnist_tiny

The paper: binarized MNIST (50k train), one hidden layer of 500 units, test NLL 88.40 nats with a
single mask and 86.64 nats with connectivity-agnostic training and a 32-mask ensemble
(2 hidden layers). Here: mnist5k (4,000 train / 1,000 test real MNIST digits, statically
binarized), one hidden layer of 500 units, 8 mask sets: 107.5 nats single mask and 105.2 nats
for the 8-mask ensemble (12x less training data than the paper, hence the gap).

Default run (measured, session 1): 2,000 steps, 107.5 nats single mask and 105.2 nats for the
8-mask ensemble on the binarized mnist5k test split.
"""
from jaxgen.models.made.configs import made_config


def get_config(variant: str = ''):
  return made_config('made_mnist', variant, 'mnist5k')
