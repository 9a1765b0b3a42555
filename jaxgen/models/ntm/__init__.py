"""The Neural Turing Machine (Graves et al. 2014), task 'ntm'.

  model     the addressing functions (content, interpolation, circular shift, sharpening),
            read and write, `NTMCell` for `nn.RNN`, the sequence model `NTM` and the paper's
            LSTM baseline.
  task      `NTMTask` (the copy, repeat copy, associative recall and priority sort tasks of
            `jaxgen.data.synthetic`) and `make_task`.
  configs   the experiments' configs.
"""
from jaxgen.models.ntm.model import (NTM, LSTMBaseline, NTMCell, address, circular_shift,
                                     content_weights, cosine_similarity, interpolate, read,
                                     sharpen, write)
from jaxgen.models.ntm.task import NTMTask, make_task
