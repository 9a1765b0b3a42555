"""MAF MoG on the 2-D densities: MAF with a MADE mixture-of-Gaussians base (Papamakarios,
Pavlakou & Murray 2017, s.4.2 "MAF MoG").

Run:   jaxgen train maf_mog_2d --workdir /tmp/maf_mog_2d           (moons)
       jaxgen train maf_mog_2d:8gaussians --workdir /tmp/maf_mog_2d_8g
Tiny:  jaxgen train maf_mog_2d:tiny --workdir /tmp/maf_mog_2d_tiny  (or data=DATASET,tiny)
Paper: none (a synthetic 2-D task, no paper size to restore)

maf_2d's five layers, with the base density a MADE mixture of 10 Gaussians per dimension
(one pass for the density, a scan over dimensions for samples). Measured against maf_2d with
the same budget: the paper finds MAF MoG better than MAF on most of its datasets (tables 1-2)
and 8gaussians' entropy, 0.31 nats, bounds the test NLL from below.
"""
from jaxgen.models.flows import configs


def get_config(variant: str = ''):
  return configs.toy_variant(variant, 'maf_mog_2d', base_density='mog', num_components=10)
