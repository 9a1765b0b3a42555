"""jaxgen.testing itself: every check passes on a correct bijector or model and fails, with a
message naming the check and the offending index, on a deliberately wrong one."""
import distrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from jaxgen import bijectors as bj
from jaxgen import testing
from jaxgen.testing import hlo


# --------------------------------------------------------------------------- bijectors
class Affine(distrax.Bijector):
  """y = a * x + b elementwise over a vector event; `error` breaks one part on purpose."""

  def __init__(self, a, b, error=None):
    super().__init__(event_ndims_in=1)
    self.a, self.b, self.error = a, b, error

  def forward_and_log_det(self, x):
    y = self.a * x + self.b
    ld = jnp.broadcast_to(jnp.sum(jnp.log(jnp.abs(self.a))), x.shape[:-1])
    if self.error == 'log_det':
      ld = ld + 0.01
    if self.error == 'jit' and isinstance(x, jax.core.Tracer):
      y = y + 1e-3
    return y, ld

  def inverse_and_log_det(self, y):
    x = (y - self.b) / self.a
    if self.error == 'inverse':
      x = x.at[..., 1].add(1e-3)
    ld = jnp.broadcast_to(-jnp.sum(jnp.log(jnp.abs(self.a))), y.shape[:-1])
    if self.error == 'inverse_log_det':
      ld = ld * 1.1
    return x, ld

  def forward(self, x):
    y = self.forward_and_log_det(x)[0]
    return y.at[0, 0].add(1e-4) if self.error == 'separate' else y


A, B = jnp.array([2.0, -0.5, 1.5]), jnp.array([0.1, 0.2, -0.3])
X = jax.random.normal(jax.random.key(0), (4, 3))


def _conditioner(key, shape, num_params):
  w = 0.3 * jax.random.normal(key, (int(np.prod(shape)), int(np.prod(shape)) * num_params))
  return lambda x: jnp.tanh(x.reshape(x.shape[:-3] + (-1,)) @ w).reshape(
      x.shape[:-1] + (num_params * shape[-1],))


CORRECT = {
    'affine_vector': (lambda: Affine(A, B), X),
    'distrax_tanh_elementwise': (distrax.Tanh, 0.5 * X),
    'distrax_block_scalar_affine': (lambda: distrax.Block(distrax.ScalarAffine(0.3, 1.7), 1), X),
    'jaxgen_affine_coupling_image': (
        lambda: bj.AffineCoupling(bj.checkerboard_mask((2, 2, 2), 0),
                                  _conditioner(jax.random.key(1), (2, 2, 2), 2)),
        jax.random.normal(jax.random.key(2), (2, 2, 2, 2))),
    'jaxgen_conv1x1_image': (lambda: bj.Conv1x1(bj.random_rotation(jax.random.key(3), 2)
                                                * jnp.array([1.3, 0.7]), event_ndims=3),
                             jax.random.normal(jax.random.key(4), (2, 2, 3, 2))),
}


@pytest.mark.parametrize('name', sorted(CORRECT))
def test_check_bijector_passes_on_correct_bijectors(name):
  make, x = CORRECT[name]
  testing.check_bijector(make(), x)


def test_each_assert_passes_on_a_correct_bijector_eagerly_and_jitted():
  b = Affine(A, B)
  for jit in (True, False):
    testing.assert_round_trip(b, X, jit=jit)
    testing.assert_log_det_matches_jacobian(b, X, jit=jit)
    testing.assert_inverse_log_det(b, b.forward(X), jit=jit)
    testing.assert_forward_and_log_det_consistent(b, X, jit=jit)
  testing.assert_jit_consistent(b, X)
  testing.check_bijector(b, X, jit=False)


@pytest.mark.parametrize('error,check,message', [
    ('log_det', testing.assert_log_det_matches_jacobian,
     r'log_det_jacobian: forward_log_det_jacobian vs slogdet\(jax.jacfwd\(forward\)\): '
     r'max error 0.01 > tolerance 0.0001'),
    ('inverse', testing.assert_round_trip,
     r'round_trip: inverse\(forward\(x\)\) vs x: max error 0.001 > tolerance 1e-05 .* '
     r'at index \(\d, 1\)'),
    ('separate', testing.assert_forward_and_log_det_consistent,
     r'forward_and_log_det: forward\(x\) vs forward_and_log_det\(x\)\[0\]: .* at index \(0, 0\)'),
    ('jit', testing.assert_jit_consistent, r'jit: jitted forward vs eager: max error 0.001'),
])
def test_each_assert_fails_on_its_bug(error, check, message):
  b = Affine(A, B, error)
  with pytest.raises(AssertionError, match=message):
    check(b, X)
  check(Affine(A, B), X)   # the same call passes without the bug


def test_inverse_log_det_fails_on_a_wrong_inverse_log_det():
  b = Affine(A, B, 'inverse_log_det')
  y = b.forward(X)
  with pytest.raises(AssertionError, match=r'inverse_log_det: inverse_log_det_jacobian vs '
                                           r'slogdet\(jax.jacfwd\(inverse\)\)'):
    testing.assert_inverse_log_det(b, y)
  with pytest.raises(AssertionError, match=r'\+ forward_log_det_jacobian\(inverse\(y\)\) vs 0'):
    testing.assert_inverse_log_det(b, y)


def test_check_bijector_reports_every_failing_check():
  with pytest.raises(AssertionError) as info:
    testing.check_bijector(Affine(A, B, 'log_det'), X)
  text = str(info.value)
  assert 'log_det_jacobian:' in text and 'inverse_log_det:' in text   # the sum with fldj
  assert 'round_trip:' not in text and 'jit:' not in text
  # A bug hidden by a loose tolerance is not reported; per-check tolerances override.
  testing.check_bijector(Affine(A, B, 'log_det'), X, log_det_atol=0.02)
  with pytest.raises(AssertionError, match='forward_and_log_det: forward'):
    testing.check_bijector(Affine(A, B, 'separate'), X,
                           tolerances={'forward_and_log_det': (1e-6, 1e-5)})
  testing.check_bijector(Affine(A, B, 'separate'), X, checks=('round_trip', 'log_det_jacobian'))
  with pytest.raises(ValueError, match='Unknown checks'):
    testing.check_bijector(Affine(A, B), X, checks=('roundtrip',))


def test_log_dets_must_have_the_batch_shape():
  class Scalar(Affine):
    def forward_and_log_det(self, x):
      y, ld = super().forward_and_log_det(x)
      return y, jnp.sum(ld)        # summed over the batch: wrong shape
  with pytest.raises(AssertionError, match=r'has shape \(\), expected the batch shape \(4,\)'):
    testing.assert_forward_and_log_det_consistent(Scalar(A, B), X)


def test_jacobian_log_det_of_a_linear_map_per_example():
  w = jax.random.normal(jax.random.key(5), (3, 4, 4))     # one matrix per example
  x = jax.random.normal(jax.random.key(6), (3, 4))
  ld = testing.jacobian_log_det(lambda v: jnp.einsum('bij,bj->bi', w, v), x, event_ndims=1)
  np.testing.assert_allclose(ld, np.linalg.slogdet(np.asarray(w))[1], rtol=1e-5)
  with pytest.raises(ValueError, match='not a bijection'):
    testing.jacobian_log_det(lambda v: v[..., :2], x, event_ndims=1)


# --------------------------------------------------------------------------- causality
def exclusive_cumsum(x):
  """y_i = sum_{j < i} x_j (tanh keeps it nonlinear): strictly autoregressive."""
  return jnp.tanh(jnp.cumsum(x, -1) - x)


def test_jacobian_dependency_pattern_and_accidental_zeros():
  dep = testing.jacobian_dependency(exclusive_cumsum, jnp.ones(4), method='fwd')
  np.testing.assert_array_equal(dep, np.tril(np.ones((4, 4), bool), -1))
  # d (x^2) / dx is zero at x = 0: one draw misses the dependency, noise draws find it.
  square = lambda v: v ** 2
  assert not testing.jacobian_dependency(square, jnp.zeros(3), num_draws=1).any()
  np.testing.assert_array_equal(testing.jacobian_dependency(square, jnp.zeros(3)), np.eye(3))
  # Parameter draws: a zero weight in one draw is covered by another.
  f = lambda w, v: jnp.tanh(v * w)
  draws = [jnp.array([0.0, 1.0]), jnp.array([1.0, 0.0])]
  np.testing.assert_array_equal(testing.jacobian_dependency(f, jnp.ones(2), param_draws=draws),
                                np.eye(2))
  np.testing.assert_array_equal(testing.jacobian_dependency(f, jnp.ones(2),
                                                            param_draws=draws[:1]),
                                np.diag([False, True]))
  with pytest.raises(ValueError, match='floating point'):
    testing.jacobian_dependency(square, jnp.arange(3))


def test_assert_autoregressive_passes_and_names_the_leak():
  x = jnp.linspace(-1, 1, 5)
  dep = testing.assert_autoregressive(exclusive_cumsum, x, exact=True)
  assert dep.shape == (5, 5)
  leak = lambda v: exclusive_cumsum(v).at[1].add(0.1 * v[3])
  with pytest.raises(AssertionError, match=r'autoregressive: output \(1,\) depends on input '
                                           r'\(3,\) \(input rank 3 is not strictly before '
                                           r'output rank 1\); 1 forbidden'):
    testing.assert_autoregressive(leak, x)
  # Depending on one's own position: allowed only with allow_same (mask 'B', a flow's u_i).
  inclusive = lambda v: jnp.tanh(jnp.cumsum(v, -1))
  with pytest.raises(AssertionError, match=r'output \(0,\) depends on input \(0,\)'):
    testing.assert_autoregressive(inclusive, x)
  testing.assert_autoregressive(inclusive, x, allow_same=True, exact=True)
  # exact: a missing allowed connection is reported.
  sparse = lambda v: exclusive_cumsum(v.at[0].set(0.0))      # nothing depends on x_0
  with pytest.raises(AssertionError, match=r'output \(1,\) does not depend on input \(0,\)'):
    testing.assert_autoregressive(sparse, x, exact=True)


def test_assert_autoregressive_with_an_ordering_and_batches():
  order = np.array([2, 0, 3, 1])                 # position 1 first, then 3, 0, 2 (MADE degrees)
  w = jax.random.normal(jax.random.key(7), (4, 4)) * (order[None, :] < order[:, None])
  f = lambda v: jnp.tanh(v @ w.T)
  x = jax.random.normal(jax.random.key(8), (2, 4))
  testing.assert_autoregressive(f, x, order, batch_ndims=1)
  with pytest.raises(AssertionError, match='input rank'):
    testing.assert_autoregressive(f, x, batch_ndims=1)          # the natural order fails
  mixes = lambda v: f(v) + 0.1 * v[::-1, :1]                     # example 0 sees example 1
  with pytest.raises(AssertionError, match=r'output \(0, 0\) depends on input \(1, 0\) '
                                           r'\(another example\)'):
    testing.assert_autoregressive(mixes, x, order, batch_ndims=1)
  # Two outputs per position (MADE's num_outputs_per_dim): give their order.
  two = lambda v: jnp.concatenate([f(v), 2 * f(v)], -1)
  testing.assert_autoregressive(two, x, order, output_order=np.tile(order, 2), batch_ndims=1)
  with pytest.raises(ValueError, match='output_order'):
    testing.assert_autoregressive(two, x, order, batch_ndims=1)


def _dilated(x, dilation, future=0):
  """y_t = tanh(x_t W0 + x_{t-d} W1) (+ x_{t+future} when future > 0): [b, t, c] -> [b, t, 3]."""
  w = jax.random.normal(jax.random.key(9), (2, x.shape[-1], 3))
  past = jnp.pad(x, ((0, 0), (dilation, 0), (0, 0)))[:, :x.shape[1]]
  y = x @ w[0] + past @ w[1]
  if future:
    y = y + jnp.pad(x, ((0, 0), (0, future), (0, 0)))[:, future:] @ w[0]
  return jnp.tanh(y)


def test_assert_causal_in_time_and_the_receptive_field():
  x = jax.random.normal(jax.random.key(10), (2, 10, 2))
  stack = lambda v: _dilated(_dilated(v, 1)[..., :2], 2)      # receptive field 1 + 1 + 2 = 4
  dep = testing.assert_causal_in_time(stack, x, receptive_field=4, exact=True)
  assert dep.shape == (2, 10, 3, 2, 10, 2)
  with pytest.raises(AssertionError, match=r"output \(0, 4, 0\) depends on inputs at times 1..4; "
                                           r'a receptive field of 5'):
    testing.assert_causal_in_time(stack, x, receptive_field=5)
  with pytest.raises(AssertionError, match=r'output \(0, 3, 0\) depends on inputs at times 0..3; '
                                           r'a receptive field of 3 \(up to t\) means times 1..3'):
    testing.assert_causal_in_time(stack, x, receptive_field=3)
  leak = lambda v: _dilated(v, 1, future=1)
  with pytest.raises(AssertionError, match=r'causal_in_time: output \(0, 0, 0\) depends on input '
                                           r'\(0, 1, 0\)'):
    testing.assert_causal_in_time(leak, x)
  # strict: a predictor of x_t from x_{<t}.
  shifted = lambda v: stack(jnp.pad(v, ((0, 0), (1, 0), (0, 0)))[:, :-1])
  testing.assert_causal_in_time(shifted, x, strict=True, receptive_field=4)
  with pytest.raises(AssertionError, match=r'output \(0, 0, 0\) depends on input \(0, 0, 0\)'):
    testing.assert_causal_in_time(stack, x, strict=True)


def _masked_linear(shape, num_groups, strict, leak=False):
  """A dense map of an image, masked to raster-then-group order (a PixelCNN in one layer)."""
  h, w, c = shape
  rank = testing.raster_order(h, w, c, num_groups).reshape(-1)
  mask = rank[None, :] < rank[:, None] if strict else rank[None, :] <= rank[:, None]
  if leak:
    mask = mask.copy()
    mask[5, 9] = True                          # output 5 sees a later input
  weights = jax.random.normal(jax.random.key(11), mask.shape) * mask
  return lambda v: jnp.tanh(v.reshape(v.shape[0], -1) @ weights.T).reshape(v.shape)


def test_raster_order_and_assert_raster_causal():
  np.testing.assert_array_equal(testing.raster_order(2, 2, 3, 3)[0, 1], [3, 4, 5])
  np.testing.assert_array_equal(testing.raster_order(1, 2, 6, 3)[0, 1], [3, 3, 4, 4, 5, 5])
  np.testing.assert_array_equal(testing.raster_order(2, 2, 2)[1, 0], [2, 2])
  with pytest.raises(ValueError, match='cannot be split into 3'):
    testing.raster_order(2, 2, 4, 3)
  shape = (3, 3, 3)
  x = jax.random.normal(jax.random.key(12), (1,) + shape)
  dep = testing.assert_raster_causal(_masked_linear(shape, 3, strict=True), x, num_groups=3,
                                     exact=True)
  # The first pixel: G sees R, B sees R and G (the PixelCNN tests' pattern).
  np.testing.assert_array_equal(dep[0, 0, 0, :, 0, 0, 0, :], [[0, 0, 0], [1, 0, 0], [1, 1, 0]])
  mask_b = _masked_linear(shape, 3, strict=False)
  testing.assert_raster_causal(mask_b, x, num_groups=3, allow_same=True, exact=True)
  with pytest.raises(AssertionError, match=r'raster_causal: output \(0, 0, 0, 0\) depends on '
                                           r'input \(0, 0, 0, 0\)'):
    testing.assert_raster_causal(mask_b, x, num_groups=3)
  leak = _masked_linear(shape, 3, strict=True, leak=True)
  with pytest.raises(AssertionError, match=r'output \(0, 0, 1, 2\) depends on input '
                                           r'\(0, 1, 0, 0\) \(input rank 9 is not strictly '
                                           r'before output rank 5\)'):
    testing.assert_raster_causal(leak, x, num_groups=3)
  # Whole pixels (num_groups=1): G's dependence on R in the same pixel is a violation.
  with pytest.raises(AssertionError, match=r'output \(0, 0, 0, 1\) depends on input '
                                           r'\(0, 0, 0, 0\)'):
    testing.assert_raster_causal(_masked_linear(shape, 3, strict=True), x)
  # exact: a model with a blind spot fails.
  blind = lambda v: _masked_linear(shape, 3, strict=True)(v.at[:, 0, 2].set(0.0))
  with pytest.raises(AssertionError, match='does not depend on input'):
    testing.assert_raster_causal(blind, x, num_groups=3, exact=True)


# --------------------------------------------------------------------------- sampling
def test_assert_same_samples_is_exact_and_names_the_index():
  sample = lambda key, n: jax.random.randint(key, (n, 6), 0, 256)
  out = testing.assert_same_samples(sample, sample, jax.random.key(0), 3)
  assert out.shape == (3, 6)
  off_by_one = lambda key, n: sample(key, n).at[2, 4].add(1)
  with pytest.raises(AssertionError, match=r'same_samples: fast and naive samples differ first '
                                           r'at index \(2, 4\): .*1 of 18 elements differ'):
    testing.assert_same_samples(off_by_one, sample, jax.random.key(0), 3)
  # Continuous outputs: a tolerance; pytrees: the leaf is named.
  noisy = lambda key: {'x': jax.random.normal(key, (4,)), 'y': jnp.zeros(2)}
  close = lambda key: {'x': noisy(key)['x'] + 1e-6, 'y': jnp.zeros(2).at[1].set(0.5)}
  with pytest.raises(AssertionError, match=r"in \['x'\] differ first at index \(0,\)"):
    testing.assert_same_samples(close, noisy, jax.random.key(1))
  with pytest.raises(AssertionError, match=r"in \['y'\] differ first at index \(1,\)"):
    testing.assert_same_samples(close, noisy, jax.random.key(1), atol=1e-5)
  with pytest.raises(AssertionError, match='shapes'):
    testing.assert_same_samples(lambda k: jnp.zeros(3), lambda k: jnp.zeros(4), None)
  with pytest.raises(AssertionError, match='structures'):
    testing.assert_same_samples(lambda: (1, 2), lambda: [1, 2])


# --------------------------------------------------------------------------- HLO
FAKE_HLO = """HloModule jit_loop

%body.1 (p: (f32[32,2,8], s32[])) -> (f32[32,2,8], s32[]) {
  %p = (f32[32,2,8]{2,1,0}, s32[]) parameter(0)
  %gte = f32[32,2,8]{2,1,0} get-tuple-element(%p), index=0
  %copy.3 = f32[32,2,8]{2,1,0} copy(%gte)
  %copy.4 = f32[2,8]{1,0} copy(%small)
}

%cond.2 (p: (f32[32,2,8], s32[])) -> pred[] {
  %p = (f32[32,2,8]{2,1,0}, s32[]) parameter(0)
}

ENTRY %main.3 (x: f32[32,2,8]) -> f32[32,2,8] {
  %x = f32[32,2,8]{2,1,0} parameter(0)
  %copy.9 = f32[32,2,8]{2,1,0} copy(%x)
  %while = (f32[32,2,8]{2,1,0}, s32[]) while(%t), condition=%cond.2, body=%body.1
}
"""


def test_hlo_computations_and_while_body_copies_of_a_text():
  comps = hlo.computations(FAKE_HLO)
  assert list(comps) == ['body.1', 'cond.2', 'main.3']
  assert comps['body.1'][2] == '%copy.3 = f32[32,2,8]{2,1,0} copy(%gte)'
  # Only the loop body's copy of the named shape; the entry's one-off copy is not reported.
  assert testing.while_body_copies(FAKE_HLO, {'f32[32,2,8]'}) == [
      'body.1: %copy.3 = f32[32,2,8]{2,1,0} copy(%gte)']
  assert testing.while_body_copies(FAKE_HLO, {'f32[2,8]'}) == [
      'body.1: %copy.4 = f32[2,8]{1,0} copy(%small)']
  assert testing.while_body_copies(FAKE_HLO, {'f32[33,2,8]'}) == []
  assert testing.while_body_copies(FAKE_HLO.replace('body=%body.1', ''), {'f32[32,2,8]'}) == []


def _ring_buffer_loop(rows, write_first):
  def step(carry, t):
    queue, x = carry
    if write_first:        # write slot t, then read the updated buffer: updated in place
      queue = lax.dynamic_update_index_in_dim(queue, jnp.tanh(x), t % rows, 0)
      old = lax.dynamic_index_in_dim(queue, (t + 1) % rows, keepdims=False)
    else:                  # read a slot and overwrite it: XLA copies the queue every step
      old = lax.dynamic_index_in_dim(queue, t % rows, keepdims=False)
      queue = lax.dynamic_update_index_in_dim(queue, jnp.tanh(x), t % rows, 0)
    return (queue, x + old), None
  run = lambda x0: lax.scan(step, (jnp.zeros((rows, 2, 8)), x0), jnp.arange(8))[0]
  return jax.jit(run).lower(jnp.ones((2, 8))).compile().as_text()


def test_while_body_copies_of_compiled_loops():
  assert testing.while_body_copies(_ring_buffer_loop(32, False), {'f32[32,2,8]'})
  assert testing.while_body_copies(_ring_buffer_loop(33, True), {'f32[33,2,8]'}) == []


def test_the_package_docstring_example_runs():
  doc = testing.__doc__
  code = doc[doc.index('  import distrax'):].split('\n')
  exec('\n'.join(line[2:] for line in code), {})  # pylint: disable=exec-used
