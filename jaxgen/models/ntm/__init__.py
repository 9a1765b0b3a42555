"""The Neural Turing Machine (Graves et al. 2014).

  model     the addressing functions (content, interpolation, circular shift, sharpening),
            read and write, and `NTMCell` for `nn.RNN`.
"""
from jaxgen.models.ntm.model import (NTMCell, address, circular_shift, content_weights,
                                     cosine_similarity, interpolate, read, sharpen, write)
