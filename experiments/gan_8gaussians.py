"""The 2-D GAN on a ring of 8 Gaussians, scored by mode counting (Goodfellow et al. 2014's GAN;
the mode-collapse probe of Metz et al. 2017, "Unrolled Generative Adversarial Networks",
section 3.1, Figure 2).

Run:   jaxgen train gan_8gaussians --workdir /tmp/gan_8gaussians
Tiny:  jaxgen train gan_8gaussians:tiny --workdir /tmp/gan_8gaussians_tiny
Paper: none (a synthetic 2-D task, no paper size to restore)

Data: 8 Gaussians of std 0.1 on a circle of radius 2 (`jaxgen.data` '8gaussians'). MLP G and D
(3 hidden layers of 128 ReLUs), non-saturating loss, Adam 5e-4 (beta1 = 0.5). Unrolled GANs'
paper reports that a standard GAN collapses onto one mode at a time; what is measured here, on
2,500 samples of the EMA generator: `final/modes_covered` (of 8; a mode counts with at least a
quarter of its fair share of samples within 3 std), `final/high_quality_fraction` (samples within
3 std of a mode) and `final/mode_kl` (KL of the mode histogram to uniform). Sample grids are
scatter plots of the generator's points.
"""
from jaxgen.models.gan.configs import toy_config


def get_config(variant: str = ''):
  return toy_config('8gaussians', variant)
