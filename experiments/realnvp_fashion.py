"""RealNVP on Fashion-MNIST (Dinh, Sohl-Dickstein & Bengio 2017, "Density estimation using
Real NVP").

Run:   jaxgen train realnvp_fashion --workdir /tmp/realnvp_fashion
Paper: jaxgen train realnvp_fashion:paper --workdir /tmp/realnvp_fashion_paper   (paper size)
Tiny:  jaxgen train realnvp_fashion:tiny --workdir /tmp/realnvp_fashion_tiny

Paper (table 1): 3.49 bits/dim on CIFAR-10, 4.28 on ImageNet 32x32; no Fashion-MNIST figure.
Measured against: Glow on the same data and budget (glow_fashion). The model is realnvp_mnist's
(multi-scale, batch-normalized affine couplings, logit alpha 0.05; its default and ':paper' sizes)
on the full 60,000 / 10,000 Fashion-MNIST split; bits/dim in 8-bit pixel space.

Default run (measured): 1,500 steps, 4.05 bits/dim on the Fashion-MNIST test split, 1,361 s on
a 2-core CPU shared with other jobs (207 s of it compiling). The evaluation at step 750 read
1,435 bits/dim: one test image (index 6573, a shirt) scored 1.4e7 bits/dim with the running
batch-norm statistics while the median was 4.25; at step 1,500 the mean is back to 4.05.
"""
from jaxgen.models.flows import configs


def get_config(variant: str = ''):
  c = configs.image_config('realnvp', 'fashion_mnist')
  return configs.apply_variant(c, variant, 'realnvp_fashion', configs.tiny_realnvp,
                               configs.paper_image)
