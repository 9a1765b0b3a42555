"""Additive coupling (Dinh et al. 2015, "NICE", eq. 7-8), with an optional context.

With a binary mask b (1 = unchanged, NICE's partition I_1) and a coupling function m:

  forward:          y = x + (1 - b) * m(b * x [, c])
  inverse:          x = y - (1 - b) * m(b * y [, c])
  forward log-det:  0      (the Jacobian is unit triangular: volume preserving)
  inverse log-det:  0

NICE stacks four of them with alternating masks and ends with a `DiagonalScaling`. The
conditioner returns `[..., C]` (one shift per element; masked positions are ignored).
"""
from __future__ import annotations

from typing import Any

from jaxgen.bijectors import transformers
from jaxgen.bijectors.coupling import MaskedCoupling


class AdditiveCoupling(MaskedCoupling):
  """NICE's additive coupling `y = x + (1 - b) * m(b * x, context)`.

  Args:
    mask: bool array broadcastable to the event shape; True = unchanged.
    conditioner: callable `m(masked_x)` or `m(masked_x, context)` -> `[..., C]`.
    context: optional context for a conditional coupling.
    event_ndims: the event rank (default `mask.ndim`).

  A batch of contexts broadcasts against the input's batch, as in `MaskedCoupling`: x [D]
  under contexts [3, k] gives y [3, D] and a log-det [3].
  """

  def __init__(self, mask, conditioner, context: Any | None = None,
               event_ndims: int | None = None):
    super().__init__(mask, conditioner, transformers.Additive(), context=context,
                     event_ndims=event_ndims)
    self._is_constant_log_det = True
