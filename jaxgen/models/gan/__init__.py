"""GANs: the game's mathematics, DCGAN, SAGAN and the 2-D GAN, as one trainer task.

  math    losses on logits (minimax, non-saturating, hinge), the optimal discriminator and
          V(D*, G) = -log 4 + 2 JSD (Goodfellow et al. 2014).
  dcgan   Radford et al. 2016's generator and discriminator.
  sagan   Zhang et al. 2018's residual, self-attention, spectrally normalised networks.
  toy     MLP networks for 2-D mixtures and mode counting.
  task    `GANTask`: alternating D/G updates in one jitted step, two optimisers, generator EMA.
"""
from jaxgen.models.gan import math
from jaxgen.models.gan.task import GANTask, build_networks, make_task
