"""Class-conditional Glow on mnist5k (Kingma & Dhariwal 2018, s.5.3 and the paper's code).

Run:   jaxgen train glow_mnist_cond --workdir /tmp/glow_mnist_cond
Paper: jaxgen train glow_mnist_cond:paper --workdir /tmp/glow_mnist_cond_paper   (paper size)
Tiny:  jaxgen train glow_mnist_cond:tiny --workdir /tmp/glow_mnist_cond_tiny

The one-hot label is the context of every coupling network and sets the mean and scale of
the top prior (the code's `ycond` / `learntop`); samples come in rows of classes 0-9.
Measured against: the unconditional glow_mnist with the same budget. For the true
distributions log p(x | y) <= log p(x) + log 10, so knowing the label can gain at most
log2(10) / 784 = 0.004 bits/dim; a larger gap between the two runs is a difference in fit.

Default run (measured): 2,000 steps, 2.61 bits/dim on the mnist5k test split (unconditional
glow_mnist: 2.64), 2,332 s on a 2-core CPU shared with other jobs (250 s of it compiling);
samples are still blobs in which the class is not yet recognisable.
"""
from jaxgen.models.flows import configs


def get_config(variant: str = ''):
  c = configs.image_config('glow', 'mnist5k', num_classes=10)
  c.num_samples = 100
  return configs.apply_variant(c, variant, 'glow_mnist_cond', configs.tiny_glow,
                               configs.paper_image)
