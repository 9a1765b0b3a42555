"""Model families. Each module exposes `make_task(config) -> jaxgen.train.Task`.

Families are imported on first use, so `import jaxgen` stays fast.
"""
import importlib

# name -> 'module' (its `make_task(config)` builds the task) or 'module:factory'.
FAMILIES = {
    'made': 'jaxgen.models.made',
    'flow': 'jaxgen.models.flows',          # NICE, RealNVP, Glow, MAF (config.model.kind)
    'iaf_target': 'jaxgen.models.flows:make_iaf_task',    # IAF by reverse KL to an unnormalised density
    'pixelcnn': 'jaxgen.models.pixelcnn',   # PixelCNN, Gated / Conditional PixelCNN
    'pixelrnn': 'jaxgen.models.pixelrnn',   # Row LSTM, Diagonal BiLSTM
    'wavenet': 'jaxgen.models.wavenet',
    'gan': 'jaxgen.models.gan',             # DCGAN, SAGAN, 2-D GAN
}


def make_task(config):
  """Builds the task named by `config.task` (optionally `module:function`)."""
  name = config.task
  if name not in FAMILIES:
    raise ValueError(f'Unknown task {name!r}. Valid tasks: {", ".join(sorted(FAMILIES))}.')
  module, _, factory = FAMILIES[name].partition(':')
  factory = getattr(importlib.import_module(module), factory or 'make_task')
  return factory(config)
