"""jaxgen.bijectors: normalizing-flow bijectors as `distrax.Bijector`s, usable without Flax.

Every bijector works inside `distrax.Transformed`, `distrax.Chain` and `distrax.Inverse`,
under `jax.jit`, `jax.vmap` and `jax.grad`. Conditioners are plain callables (a JAX
function, a Flax module's bound method, an Equinox module, ...); coupling and autoregressive
bijectors take an optional `context` passed to them as `conditioner(x, context)`. A batch
of contexts broadcasts against the input's batch as in distrax's `MaskedCoupling`: outputs
and log-dets take the broadcast batch shape, so one x is scored under several contexts.

Forward is distrax's sampling direction (latent -> data); the density pass is `inverse`.

  Couplings        AdditiveCoupling (NICE), AffineCoupling (RealNVP/Glow), MaskedCoupling
                   (any transformer; `spline_coupling`), DiagonalScaling (NICE);
                   masks: alternating_mask, checkerboard_mask, channel_mask
  Multi-scale      Squeeze, MultiScale (RealNVP s.3.6)
  Normalisation    BatchNorm (+ moments, update_running), ActNorm (+ actnorm_init)
  Linear           Conv1x1, Conv1x1LU (+ random_rotation, lu_params), Permute
                   (+ reverse_permutation, random_permutation)
  Autoregressive   MaskedAutoregressive, MAF, IAF; transformers Affine, Additive, Gated
                   (IAF's gated update), RationalQuadratic
  Preprocessing    Logit, Dequantize (+ uniform_noise)

Example (no Flax):

  import distrax, jax, jax.numpy as jnp
  from jaxgen import bijectors

  def shift_and_scale(params):
    def conditioner(x):                      # x: [..., 2]; returns [..., 2 * 2]
      return jnp.tanh(x @ params['w1']) @ params['w2']
    return conditioner

  def flow(params):
    layers = [bijectors.AffineCoupling(bijectors.alternating_mask(2, i % 2),
                                       shift_and_scale(p)) for i, p in enumerate(params)]
    return distrax.Transformed(distrax.MultivariateNormalDiag(jnp.zeros(2)),
                               distrax.Chain(layers))

  log_prob = jax.jit(lambda params, x: flow(params).log_prob(x))
"""
from jaxgen.bijectors import transformers
from jaxgen.bijectors.actnorm import ActNorm
from jaxgen.bijectors.actnorm import data_init as actnorm_init
from jaxgen.bijectors.additive_coupling import AdditiveCoupling
from jaxgen.bijectors.affine_coupling import AffineCoupling
from jaxgen.bijectors.batch_norm import BatchNorm
from jaxgen.bijectors.batch_norm import moments
from jaxgen.bijectors.batch_norm import update_running
from jaxgen.bijectors.conv1x1 import Conv1x1
from jaxgen.bijectors.conv1x1 import random_rotation
from jaxgen.bijectors.conv1x1_lu import Conv1x1LU
from jaxgen.bijectors.conv1x1_lu import lu_params
from jaxgen.bijectors.coupling import MaskedCoupling
from jaxgen.bijectors.coupling import spline_coupling
from jaxgen.bijectors.dequantize import Dequantize
from jaxgen.bijectors.dequantize import uniform_noise
from jaxgen.bijectors.diagonal_scaling import DiagonalScaling
from jaxgen.bijectors.logit import Logit
from jaxgen.bijectors.masked_autoregressive import IAF
from jaxgen.bijectors.masked_autoregressive import MAF
from jaxgen.bijectors.masked_autoregressive import MaskedAutoregressive
from jaxgen.bijectors.masks import alternating_mask
from jaxgen.bijectors.masks import channel_mask
from jaxgen.bijectors.masks import checkerboard_mask
from jaxgen.bijectors.multiscale import MultiScale
from jaxgen.bijectors.permute import Permute
from jaxgen.bijectors.permute import random_permutation
from jaxgen.bijectors.permute import reverse_permutation
from jaxgen.bijectors.squeeze import Squeeze
from jaxgen.bijectors.transformers import Additive
from jaxgen.bijectors.transformers import Affine
from jaxgen.bijectors.transformers import Gated
from jaxgen.bijectors.transformers import RationalQuadratic

__all__ = [
    'ActNorm', 'actnorm_init', 'AdditiveCoupling', 'AffineCoupling', 'BatchNorm', 'moments',
    'update_running', 'Conv1x1', 'random_rotation', 'Conv1x1LU', 'lu_params',
    'MaskedCoupling', 'spline_coupling', 'Dequantize', 'uniform_noise', 'DiagonalScaling',
    'Logit', 'IAF', 'MAF', 'MaskedAutoregressive', 'alternating_mask', 'channel_mask',
    'checkerboard_mask', 'MultiScale', 'Permute', 'random_permutation',
    'reverse_permutation', 'Squeeze', 'Additive', 'Affine', 'RationalQuadratic',
    'transformers',
]
