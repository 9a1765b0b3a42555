"""Affine coupling (Dinh et al. 2017, "RealNVP", eq. 4-9; Glow's coupling), with a context.

With a binary mask b (1 = unchanged; `checkerboard_mask` or `channel_mask`) and a
conditioner returning a shift t and an unconstrained raw scale r:

  (t, r) = h(b * x [, c]),   s = exp(log_scale(r))
  forward:          y = b * x + (1 - b) * (x * s + t)
  inverse:          x = b * y + (1 - b) * (y - t) / s          with (t, r) = h(b * y [, c])
  forward log-det:  sum_{b=0} log_scale(r)
  inverse log-det:  -sum_{b=0} log_scale(r)

Stable scale parameterisations (`scale_activation`): 'tanh' (default) soft-clamps the log
scale to (-bound, bound) like RealNVP's tanh output; 'sigmoid' is Glow's s = sigmoid(r + 2);
'exp' is the unconstrained s = exp(r). The conditioner returns `[..., 2 * C]` for an event
with C elements on its last axis: shifts first, then raw scales (MADE's layout).
"""
from __future__ import annotations

from typing import Any

from jaxgen.bijectors import transformers
from jaxgen.bijectors.coupling import MaskedCoupling


class AffineCoupling(MaskedCoupling):
  """RealNVP's affine coupling `y = b x + (1 - b)(x exp(s(b x, c)) + t(b x, c))`.

  Args:
    mask: bool array broadcastable to the event shape; True = unchanged.
    conditioner: callable `h(masked_x)` or `h(masked_x, context)` -> `[..., 2 * C]`.
    context: optional context for a conditional coupling.
    event_ndims: the event rank (default `mask.ndim`).
    scale_activation: 'tanh', 'sigmoid' or 'exp' (see `transformers.log_scale`).
    bound: the log-scale bound of 'tanh'.

  A batch of contexts broadcasts against the input's batch, as in `MaskedCoupling`: x [D]
  under contexts [3, k] gives y [3, D] and a log-det [3].
  """

  def __init__(self, mask, conditioner, context: Any | None = None,
               event_ndims: int | None = None, scale_activation: str = 'tanh',
               bound: float = 3.0):
    super().__init__(mask, conditioner, transformers.Affine(scale_activation, bound),
                     context=context, event_ndims=event_ndims)
