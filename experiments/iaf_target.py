"""IAF fitted by reverse KL to an unnormalised 2-D density (Kingma et al. 2016, "Improved
Variational Inference with Inverse Autoregressive Flow"; targets of Rezende & Mohamed 2015,
"Variational Inference with Normalizing Flows", table 1 and figure 3).

Run:   jaxgen train iaf_target --workdir /tmp/iaf_target          (target u1)
       jaxgen train iaf_target:target=u3 --workdir /tmp/iaf_target_u3    (u1, u2, u3, u4)
Tiny:  jaxgen train iaf_target:tiny --workdir /tmp/iaf_target_tiny  (or target=TARGET,tiny)
Paper: none (a synthetic 2-D task, no paper size to restore)

Six IAF layers (MADE 2 x 64) with reversed orderings; every sample and its log q come from one
pass, which is what the reverse KL needs. Reported: `eval/kl` = KL(q || p) in nats, with
log Z from a grid integral (`jaxgen.models.flows.targets`); 0 is a perfect fit. Rezende &
Mohamed show these targets as figures only (planar / radial flows of length 2-32); measured
against KL = 0 and the sample and density panels (target, q, samples) in samples/*.png.
"""
from jaxgen.models.flows import configs
from jaxgen.models.flows import targets
from jaxgen.train.config import parse_variant


def tiny(c):
  c.num_steps = 500


def get_config(variant: str = ''):
  v = parse_variant(variant, 'iaf_target', options={'target': ('u1', tuple(targets.ENERGIES))},
                    paper=False)
  c = configs.iaf_config(v.target)
  if v.tiny:
    configs.apply_variant(c, 'tiny', 'iaf_target', tiny)
  return c
