"""MAF on the 2-D densities (Papamakarios, Pavlakou & Murray 2017, "Masked Autoregressive Flow
for Density Estimation").

Run:   jaxgen train maf_2d --workdir /tmp/maf_2d                   (moons)
       jaxgen train maf_2d:data=rings --workdir /tmp/maf_2d_rings       (moons, 8gaussians,
                                                                    checkerboard, rings)
Tiny:  jaxgen train maf_2d:tiny --workdir /tmp/maf_2d_tiny          (or data=DATASET,tiny)
Paper: none (a synthetic 2-D task, no paper size to restore)

MAF(5): five MADE layers (2 x 64 ReLU) with reversed orderings and batch normalization
between them, N(0, I) base; test `eval/nll` in nats. The paper shows no 2-D table; measured
against maf_mog_2d (the MADE-MoG base) and against the entropy of the data where it is known:
8gaussians is a mixture of 8 well-separated isotropic Gaussians of std 0.1, whose entropy
log 8 + log(2 pi e 0.01) = 0.31 nats is the best test NLL any model can reach on it.
"""
from jaxgen.models.flows import configs


def get_config(variant: str = ''):
  return configs.toy_variant(variant, 'maf_2d')
