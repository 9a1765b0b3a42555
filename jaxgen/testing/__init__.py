"""jaxgen.testing: the checks jaxgen's own tests run, for your bijectors and models.

No pytest needed: every check is a function that raises `AssertionError` with a message
naming the check, the offending index and the error, and returns nothing (or what it
computed, for further checks).

  Bijectors   check_bijector (all of:) assert_round_trip, assert_log_det_matches_jacobian,
              assert_inverse_log_det, assert_forward_and_log_det_consistent,
              assert_jit_consistent; jacobian_log_det (slogdet of jax.jacfwd per example)
  Causality   jacobian_dependency, assert_autoregressive, assert_causal_in_time,
              assert_raster_causal (R -> G -> B within a pixel), raster_order
  Sampling    assert_same_samples (fast sampler == naive, same key)
  HLO         computations, while_body_copies (buffers a compiled loop copies every step)

Example:

  import distrax, jax
  from jaxgen import testing

  x = jax.random.normal(jax.random.key(0), (3, 4))
  testing.check_bijector(distrax.Block(distrax.ScalarAffine(1.0, 2.0), 1), x)
"""
from jaxgen.testing import bijectors
from jaxgen.testing import causality
from jaxgen.testing import hlo
from jaxgen.testing import sampling
from jaxgen.testing.bijectors import assert_forward_and_log_det_consistent
from jaxgen.testing.bijectors import assert_inverse_log_det
from jaxgen.testing.bijectors import assert_jit_consistent
from jaxgen.testing.bijectors import assert_log_det_matches_jacobian
from jaxgen.testing.bijectors import assert_round_trip
from jaxgen.testing.bijectors import check_bijector
from jaxgen.testing.bijectors import jacobian_log_det
from jaxgen.testing.causality import assert_autoregressive
from jaxgen.testing.causality import assert_causal_in_time
from jaxgen.testing.causality import assert_raster_causal
from jaxgen.testing.causality import jacobian_dependency
from jaxgen.testing.causality import raster_order
from jaxgen.testing.hlo import computations
from jaxgen.testing.hlo import while_body_copies
from jaxgen.testing.sampling import assert_same_samples

__all__ = [
    'assert_autoregressive', 'assert_causal_in_time', 'assert_forward_and_log_det_consistent',
    'assert_inverse_log_det', 'assert_jit_consistent', 'assert_log_det_matches_jacobian',
    'assert_raster_causal', 'assert_round_trip', 'assert_same_samples', 'check_bijector',
    'computations', 'jacobian_dependency', 'jacobian_log_det', 'raster_order',
    'while_body_copies',
]
