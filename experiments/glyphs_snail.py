"""SNAIL few-shot classification of letters of unseen scripts (Mishra et al. 2018, Sec. 4.1).

SNAIL (`jaxgen.models.snail`: the Omniglot embedding, then attention and TC blocks over the
episode read as a sequence) classifies the query of N-way K-shot episodes of `glyphs`, the
Omniglot-like letters of `jaxgen.data.glyphs` (2,063 letters of 38 scripts drawn from Debian's
Unifont and TrueType fonts, 20 drawings each; train, validation and test scripts disjoint;
rotations by 90 degrees as extra classes, as on Omniglot). Beside it, on the same episodes:
a prototypical network on the same embedding (`:arch=protonet`, Snell et al. 2017) and
pixel nearest neighbour (`eval/nn_accuracy` in every evaluation). The paper reports, on
Omniglot, 5-way 1-shot 99.07%, 5-way 5-shot 99.78%, 20-way 1-shot 97.64%, 20-way 5-shot
99.36% (prototypical networks: 98.8, 99.7, 96.0, 98.9).

Run:   jaxgen train glyphs_snail --workdir /tmp/glyphs_snail            (5-way 1-shot)
       jaxgen train glyphs_snail:arch=protonet --workdir /tmp/glyphs_proto  (the baseline)
       jaxgen train glyphs_snail:ways=20,shots=5 ...   (other episode sizes; dilation=1 for
                                                        the common TC dilations)
Tiny:  jaxgen train glyphs_snail:tiny --workdir /tmp/glyphs_snail_tiny
Paper: jaxgen train glyphs_snail:paper ...    (40,000 steps)
(from a checkout: PYTHONPATH=. python -m jaxgen.cli train ... --set progress=False)

Tiny (measured 2026-12-03 in tests/models/test_snail_task.py, the 2-core machine shared
with two other runs): an embedding of 16 filters, blocks of half the paper's width, 800 steps
of 16 episodes at 7.7 steps/s: 0.678 accuracy on the 2,000 test episodes (pixel nearest
neighbour 0.636, chance 0.2). It sits at chance for its first ~300 steps, then learns.

Default runs (measured 2026-12-03, `PYTHONPATH=. python -m jaxgen.cli train glyphs_snail
--workdir /tmp/def_snail --set progress=False` and the same with `:arch=protonet`, each
pinned to one core of a 2-core Intel Xeon with `taskset`; 2,000 steps of 32 5-way 1-shot
episodes; SNAIL 0.91 steps/s (37 min), the prototypical network 0.97 steps/s (34 min)).
Accuracy on the 2,000 test episodes of the 8 test scripts (366 letters, x4 rotations), and
on the 500 validation episodes every 500 steps:

                           params    test    validation at step 500 / 1000 / 1500 / 2000
  SNAIL                   3,213,502  0.895        0.638 / 0.762 / 0.798 / 0.830
  prototypical network      116,096  0.938        0.842 / 0.846 / 0.844 / 0.864
  pixel nearest neighbour         0  0.636        0.618

Both learners beat pixel matching by far on letters and scripts they never saw. At this
budget the prototypical network, whose metric is built in, is ahead of SNAIL (0.938 against
0.895). SNAIL must first learn to match the query with its support items through
attention: it sits near chance for the first ~300 steps and is still rising at step 2,000,
while the prototypical network has been flat since step 500. The paper trains far longer
and reports SNAIL ahead of prototypical networks on Omniglot by 0.3 to 1.6 points; a longer
default run is the open item (`:paper`, 40,000 steps, is an accelerator's job: 0.61 s per
step on this CPU, experiments/bench/snail.py).
"""
from jaxgen.models.snail.configs import snail_config


def get_config(variant: str = ''):
  return snail_config('glyphs_snail', variant)
