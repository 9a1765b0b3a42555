"""The flow papers' recipes as configs; `experiments/{nice,realnvp,glow,maf,iaf}_*.py` start here.

  image_config(kind, dataset)  NICE / RealNVP / Glow / MAF by maximum likelihood on 8-bit
                               images (uint8 in, dequantized by the task, bits/dim out), at
                               the default size: minutes on a 2-core CPU.
  paper_image(c)               the 'paper' variant: the paper's architecture and a 10,000-step
                               schedule (an accelerator's job; hours on a CPU).
  toy_config(dataset)          MAF on a 2-D density (nats); `toy_variant` parses
                               'data=DATASET,tiny'.
  iaf_config(target)           IAF by reverse KL against an unnormalised 2-D density.
  apply_variant(c, variant, name, tiny, paper)   the 'tiny' and 'paper' variants
                               (`jaxgen.train.config.parse_variant`).
  early_stopping(c, eval_every, patience)   model selection on bits/dim over a validation
                               split of 10% of train (MAF's recipe; maf_mnist turns it on).
"""
from __future__ import annotations

from typing import Callable

import ml_collections

from jaxgen.train.config import base_config, parse_variant, set_schedule, set_selection

# The architectures of the papers, at the scale of 28x28 images: the 'paper' variants.
PAPER_MODELS = {
    # NICE s.5.1 (MNIST): 4 additive couplings, m = ReLU MLP of 5 x 1000, logistic prior.
    'nice': dict(hidden=(1000,) * 5, num_couplings=4, prior='logistic', logit_alpha=None),
    # RealNVP s.4.1: multi-scale, resnet s/t with 64 features, batch norm, logit alpha 0.05.
    'realnvp': dict(num_scales=3, channels=64, num_blocks=4, couplings_per_stage=3, batch_norm=True,
                    bn_momentum=0.95, logit_alpha=0.05),
    # Glow s.5: L levels of K steps, NN() width 512 (here 28x28: two squeezes, so L = 2).
    'glow': dict(num_scales=2, depth=16, hidden=512, lu=True, scan=True,
                 sample_temperature=0.7),
    # MAF s.4.3 (MNIST): 5 layers, MADE 1 x 1024, batch norm, logit lambda 1e-6. The
    # log-scale alpha is soft-clamped to (-4, 4) ('tanh'; the paper's is unbounded, 'exp'),
    # which keeps the density finite far from the data.
    'maf': dict(num_layers=5, hidden_sizes=(1024,), transformer='affine',
                scale_activation='tanh', batch_norm=True, base_density='gaussian',
                num_components=10, scan=True, logit_alpha=1e-6),
}

# The default runs: the same models, narrower or shallower where the paper's size would take
# hours on a 2-core CPU (RealNVP's and Glow's convolutional s/t networks cost the most per
# image), with the steps that train each in 5-25 minutes there; the measured figures are in
# each experiment's docstring. mnist5k has 4,000 training digits, so these sizes lose little to
# the papers' on it (NICE's 5 x 1000 MLPs overfit them).
MODEL_DEFAULTS = {
    'nice': dict(PAPER_MODELS['nice'], hidden=(256,) * 4),
    'realnvp': dict(PAPER_MODELS['realnvp'], num_scales=2, channels=32, num_blocks=1),
    # Unrolled: XLA:CPU runs convolutions inside a while loop several times slower
    # (experiments/bench/flows.py); 'paper' scans.
    'glow': dict(PAPER_MODELS['glow'], depth=8, hidden=64, scan=False),
    'maf': dict(PAPER_MODELS['maf']),
}
# (steps, batch) of the default runs.
DEFAULT_RUNS = {'nice': (6000, 64), 'realnvp': (1500, 32), 'glow': (2000, 64), 'maf': (3000, 64)}
PAPER_STEPS, PAPER_BATCH = 10_000, 64


def _adam(lr: float, schedule: str = 'constant', warmup: int = 0, clip: float = 0.0):
  return ml_collections.ConfigDict(dict(
      name='adam', learning_rate=lr, schedule=schedule, warmup_steps=warmup, b1=0.9,
      b2=0.999, eps=1e-8, weight_decay=0.0, grad_clip_norm=clip))


def _schedule(c, num_steps: int, log_every: int, eval_every: int, num_samples: int):
  return set_schedule(c, num_steps, log_every, eval_every, eval_every, num_samples)


def image_config(arch: str, dataset: str = 'mnist5k', **model) -> ml_collections.ConfigDict:
  """Maximum likelihood of `arch` on the uint8 images of `dataset`."""
  kind = arch
  if kind not in MODEL_DEFAULTS:
    raise ValueError(f'Unknown flow arch {kind!r}; valid: {sorted(MODEL_DEFAULTS)}.')
  c = base_config()
  c.task = 'flows'
  c.data.name = dataset
  c.data.preprocess = []          # raw pixels: the task dequantizes them
  steps, c.data.batch_size = DEFAULT_RUNS[kind]
  c.data.eval_batch_size = 200
  c.model = ml_collections.ConfigDict(dict(arch=kind, **{**MODEL_DEFAULTS[kind], **model}))
  c.optimizer = _adam(1e-3, 'warmup_cosine', warmup=200, clip=100.0)
  return _schedule(c, steps, 100, steps // 2, 64)


def paper_image(c: ml_collections.ConfigDict, **model):
  """The 'paper' variant of an image flow: the paper's sizes where the default shrinks them
  (the experiment's own model keys, such as num_classes or base_density, are kept), `model`
  on top, and 10,000 steps."""
  kind = c.model.arch
  c.model.update({k: v for k, v in PAPER_MODELS[kind].items() if MODEL_DEFAULTS[kind][k] != v})
  c.model.update(model)
  c.data.batch_size = PAPER_BATCH
  _schedule(c, PAPER_STEPS, 100, 2000, c.num_samples)


def early_stopping(c: ml_collections.ConfigDict, eval_every: int, patience: int,
                   metric: str = 'bits_per_dim') -> ml_collections.ConfigDict:
  """Selects the best step on a validation split (10% of train) by `metric`, evaluated every
  `eval_every` steps, and stops after `patience` evaluations without improvement: MAF's
  recipe (Papamakarios et al. 2017, s.4: early stopping on a validation set carved from the
  training set). See `jaxgen.train.selection`."""
  return set_selection(c, metric, 'min', eval_every=eval_every, patience=patience,
                       validation_fraction=0.1)


def toy_config(dataset: str = 'moons', **model) -> ml_collections.ConfigDict:
  """MAF on a 2-D density (`jaxgen.data` 'moons', '8gaussians', 'checkerboard', 'rings')."""
  c = base_config()
  c.task = 'flows'
  c.data.name = dataset
  c.data.batch_size = 256
  c.data.eval_batch_size = 1000
  c.model = ml_collections.ConfigDict(dict(
      arch='maf', num_layers=5, hidden_sizes=(64, 64), transformer='affine',
      scale_activation='tanh', batch_norm=True, base_density='gaussian', num_components=10,
      scan=True))
  c.model.update(model)
  c.optimizer = _adam(1e-3, 'cosine', clip=100.0)
  return _schedule(c, 5000, 250, 2500, 20_000)


def iaf_config(target: str = 'u1', **model) -> ml_collections.ConfigDict:
  """IAF by reverse KL to exp(-U_target); data only sets the samples per step."""
  c = base_config()
  c.task = 'flows'
  c.data.name = 'moons'           # unused contents: batch_size = samples per step
  c.data.batch_size = 256
  c.data.eval_batch_size = 1000
  c.model = ml_collections.ConfigDict(dict(
      arch='iaf', target=target, num_layers=6, hidden_sizes=(64, 64), transformer='affine',
      scale_activation='tanh', scan=True))
  c.model.update(model)
  c.optimizer = _adam(1e-3, 'cosine', clip=100.0)
  return _schedule(c, 5000, 250, 2500, 20_000)


def tiny_realnvp(c: ml_collections.ConfigDict):
  """The 'tiny' RealNVP: 2 scales, one coupling per stage, 8-channel ResNets, 200 steps."""
  c.model.num_scales = 2
  c.model.channels = 8
  c.model.num_blocks = 1
  c.model.couplings_per_stage = 1
  c.data.batch_size = 16
  c.num_steps = 200
  c.num_samples = 16


def tiny_glow(c: ml_collections.ConfigDict):
  """The 'tiny' Glow: 2 levels of 2 unrolled steps (XLA:CPU runs convolutions inside while
  loops ~6x slower, see experiments/bench/flows.py), NN() width 16, 200 steps."""
  c.model.depth = 2
  c.model.hidden = 16
  c.model.scan = False
  c.data.batch_size = 16
  c.num_steps = 200
  c.num_samples = 20 if c.model.get('num_classes', 0) else 16


def tiny_toy(c: ml_collections.ConfigDict):
  """The 'tiny' 2-D MAF: 3 layers of 2 x 32, 300 steps at learning rate 3e-3."""
  c.model.num_layers = 3
  c.model.hidden_sizes = (32, 32)
  c.optimizer.learning_rate = 3e-3
  c.num_steps = 300


def toy_variant(variant: str, name: str, **model) -> ml_collections.ConfigDict:
  """The config of a 2-D MAF experiment from 'data=DATASET' and 'tiny' (DATASET: moons)."""
  from jaxgen.data.registry import TOY_2D  # pylint: disable=g-import-not-at-top
  v = parse_variant(variant, name, options={'data': ('moons', TOY_2D)}, paper=False)
  return _apply(toy_config(v.data, **model), v, tiny_toy)


def apply_variant(c: ml_collections.ConfigDict, variant: str, name: str,
                  tiny: Callable[[ml_collections.ConfigDict], None],
                  paper: Callable[[ml_collections.ConfigDict], None] | None = None,
                  options=None):
  """'' (the default run), 'tiny' (tests: seconds on CPU) or, where `paper` is given,
  'paper' (the paper's size); else a ValueError naming the valid ones."""
  v = parse_variant(variant, name, options=options, paper=paper is not None)
  return _apply(c, v, tiny, paper)


def _apply(c, v, tiny, paper=None):
  if v.paper:
    paper(c)
  elif v.tiny:
    tiny(c)
    c.log_every = min(c.log_every, 50)
    c.eval_every = c.checkpoint_every = c.num_steps // 2
    c.optimizer.warmup_steps = min(c.optimizer.warmup_steps, c.num_steps // 10)
  return c
