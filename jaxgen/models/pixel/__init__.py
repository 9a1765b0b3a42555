"""Autoregressive image models: PixelCNN, Gated / Conditional PixelCNN, PixelRNN (task 'pixel').

  pixelcnn   PixelCNN (van den Oord et al. 2016a) and the (Conditional) Gated PixelCNN (2016b).
  pixelrnn   PixelRNN: Row LSTM and Diagonal BiLSTM (2016a).
  layers     the output stack the networks share.
  sampling   the plain and cached (Ramachandran et al. 2017) ancestral samplers.
  task       `PixelTask` and `make_task`: maximum likelihood, sampling, conditional accuracy.
  configs    the experiments' configs.
The output distributions (per-channel softmax, PixelCNN++'s mixture) are in `jaxgen.nn.outputs`.
"""
from jaxgen.models.pixel.pixelcnn import GatedPixelCNN, PixelCNN, SpatialConditioning
from jaxgen.models.pixel.pixelrnn import PixelRNN
from jaxgen.models.pixel.task import ARCHS, PixelTask, make_output, make_task
