"""SNAIL, the simple neural attentive meta-learner (Mishra et al. 2018), task 'snail'.

  model     the dense, TC and attention blocks, the Omniglot embedding, the few-shot
            `SNAIL`, and its baselines `ProtoNet` (Snell et al. 2017) and pixel
            `nearest_neighbour`.
  task      `SnailTask` (N-way K-shot episodes of `jaxgen.data.glyphs`) and `make_task`.
  configs   the experiments' configs.
"""
from jaxgen.models.snail.model import (SNAIL, AttentionBlock, DenseBlock, Embedding, ProtoNet,
                                       SNAILSequence, TCBlock, nearest_neighbour,
                                       reachable_offsets, tc_dilations)
from jaxgen.models.snail.task import SnailTask, make_task
