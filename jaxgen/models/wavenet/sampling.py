"""WaveNet generation: naive and cached (Paine et al. 2016, "Fast WaveNet Generation").

Generation (both are pure functions of (params, rng, conditioning), compiled with jax.jit as
one `lax.scan` over time; step t draws x_t by inverse CDF from the uniforms
`step_uniforms(rng, T, batch)[t]`, drawn before the loop, so both paths give the same
samples for the same key and no random bits are generated inside the loop):
  * `generate_naive` re-runs the network on the last R inputs for every sample
    (O(R * layers) per sample);
  * `generate_cached` keeps for every layer a ring buffer of its last (k - 1) d inputs
    (`jaxgen.nn.causal_conv.queue_*`), so a sample costs O(layers) (Paine et al. 2016).

HLO (what we found, `cached_generation_hlo`, `queue_copies`, built on `jaxgen.testing.hlo`): the caches are carried through
the scan's while loop. Our first layout -- a ring of (k - 1) d rows, reading x_{t-d} from
slot t mod d and then overwriting that slot with x_t -- compiled to a loop body that began
with two `copy` instructions of *every* queue (e.g. `f32[64,3,8] copy(get-tuple-element)`):
nothing in the dataflow orders the read before the in-place dynamic-update-slice, so XLA's
copy insertion protects the read with whole-buffer copies, O(receptive field) per sample.
The layout used here has one extra row and writes before it reads (the reads then consume
the updated buffer), and the compiled body holds no copy of any queue: each step touches one
row per queue for writing and k - 1 for reading (tests/models/test_wavenet.py checks the
HLO, and that the checker finds the copies of the read-then-write layout). Outside the loop,
once: the global-conditioning term V^T h folded into each layer's bias, the stacked local
projections, and each layer's residual and skip 1x1 kernels fused into one [W_res | W_skip]
matrix (one matrix-vector product per layer after the gate; the skips are summed as the loop
goes, where training uses one einsum over the stacked gates). Random numbers are drawn
before the loop too, so the body is only the network.
"""
from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax

from jaxgen.models.wavenet.model import (WaveNet, embed_codes, sample_output, start_code,
                                         step_uniforms, targets_to_audio)
from jaxgen.nn import causal_conv
from jaxgen.nn.gated import gated_activation


# --------------------------------------------------------------------------- generation
def _conditioning(model: WaveNet, params, batch: int, num_samples: int, global_ids,
                  local_features):
  """(h [batch, G] or None, y [batch, T, C] or None): conditioning computed once, in parallel."""
  model._check_conditioning(  # pylint: disable=protected-access
      num_samples, global_ids, local_features, None)
  h = y = None
  if global_ids is not None:
    global_ids = jnp.asarray(global_ids, jnp.int32)
    if global_ids.shape != (batch,):
      raise ValueError(f'global_ids must be [batch={batch}], got {global_ids.shape}.')
    h = model.apply({'params': params}, global_ids, method=WaveNet.global_embedding)
  if local_features is not None:
    if local_features.shape[0] != batch:
      raise ValueError(f'local_features has batch {local_features.shape[0]}, not {batch}.')
    y = model.apply({'params': params}, local_features, method=WaveNet.upsample_local)
  return h, y


@functools.partial(jax.jit, static_argnames=('model', 'num_samples', 'batch', 'temperature',
                                             'return_outputs'))
def generate_naive(model: WaveNet, params, rng: jax.Array, num_samples: int, batch: int = 1,
                   global_ids=None, local_features=None, temperature: float = 1.0,
                   return_outputs: bool = False):
  """Generation by re-running the network on the last R inputs for every sample.

  Args:
    model: the WaveNet.
    params: its parameters.
    rng: key; step t draws with the uniforms `step_uniforms(rng, T, batch)[t]`.
    num_samples: T, samples per stream.
    batch: number of streams.
    global_ids: int [batch] (global conditioning).
    local_features: [batch, T / hop, local_features] (local conditioning).
    temperature: softmax / logistic temperature.
    return_outputs: also return the network outputs [batch, T, out] of every step.
  Returns:
    audio [batch, T] in [-1, 1] (and the outputs).
  """
  r = model.receptive_field
  h, y = _conditioning(model, params, batch, num_samples, global_ids, local_features)
  del h
  gids = None if global_ids is None else jnp.asarray(global_ids, jnp.int32)
  if y is not None:   # pad so window [t - R + 1, t] of y exists for every t
    y = jnp.pad(y, ((0, 0), (r - 1, 0), (0, 0)))
  code_dtype = jnp.int32 if model.output_distribution == 'categorical' else jnp.float32
  # codes[:, r - 1 + s] is input s (the code of x_{s-1}); earlier slots are padding.
  codes = jnp.full((batch, r + num_samples), start_code(model), code_dtype)
  uniforms = step_uniforms(rng, num_samples, batch)

  def step(codes, inp):
    t, u = inp
    window = lax.dynamic_slice_in_dim(codes, t, r, axis=1)
    valid = (jnp.arange(r) + t - (r - 1) >= 0)[None, :]
    y_win = None if y is None else lax.dynamic_slice_in_dim(y, t, r, axis=1)
    out = model.apply({'params': params}, embed_codes(model, window), gids,
                      local_upsampled=y_win, valid=valid)[:, -1]
    x = sample_output(model, u, out, temperature)
    codes = lax.dynamic_update_slice_in_dim(codes, x[:, None].astype(code_dtype), t + r, axis=1)
    return codes, (x, out) if return_outputs else x

  codes, ys = lax.scan(step, codes, (jnp.arange(num_samples), uniforms))
  return _finish(model, ys, return_outputs)


def _finish(model, ys, return_outputs):
  if return_outputs:
    x, out = ys
    return targets_to_audio(model, x.T), jnp.swapaxes(out, 0, 1)
  return targets_to_audio(model, ys.T)


def _step_params(model: WaveNet, params, h, y):
  """The parameters of one generation step, rearranged once outside the scan.

  Per layer: the dilated conv kernel, its bias plus the (time-constant) global term V^T h,
  and one fused output matrix [W_res | W_skip] [C_z, C + S] so each layer needs a single
  matrix-vector product after the gate; the local projections of all layers are stacked into
  one [C_y, L * 2C_z] matrix.
  """
  num_layers = len(model.dilations)
  p = params
  layers = []
  for i in range(num_layers):
    conv = p[f'dilated_{i}']['conv']
    bias = conv['bias']
    if h is not None:   # V^T h is constant over time: fold it into the conv bias.
      bias = bias + h @ p[f'global_proj_{i}']['kernel']
    skip = p['skip_kernel'][i]
    if i < num_layers - 1:
      out_kernel = jnp.concatenate([p[f'residual_{i}']['kernel'], skip], axis=1)
      out_bias = jnp.concatenate([p[f'residual_{i}']['bias'], jnp.zeros_like(p['skip_bias'])])
    else:   # the last layer feeds only the skip sum
      out_kernel, out_bias = skip, None
    layers.append({'kernel': conv['kernel'], 'bias': bias, 'out_kernel': out_kernel,
                   'out_bias': out_bias})
  sp = {
      'input_kernel': p['input_conv']['conv']['kernel'],
      'input_bias': p['input_conv']['conv']['bias'],
      'layers': layers,
      'skip_bias': p['skip_bias'],
      'post1': p['post1'], 'post2': p['post2'],
  }
  if y is not None:
    sp['local_kernel'] = jnp.concatenate(
        [p[f'local_proj_{i}']['kernel'] for i in range(num_layers)], axis=1)
  return sp


def _cached_step(model: WaveNet, sp, queues, t, u, y_t):
  """Network outputs [batch, out] at time t from input u [batch, in] and the queues."""
  def conv(kernel, bias, queue, dilation, x):
    queue, taps = causal_conv.queue_push_taps(queue, t, x, dilation)
    return causal_conv.causal_conv_step(kernel, bias, taps), queue

  new_queues = []
  x, q = conv(sp['input_kernel'], sp['input_bias'], queues[0], 1, u)
  new_queues.append(q)
  g, c = 2 * model.dilation_channels, model.residual_channels
  local = None if y_t is None else y_t @ sp['local_kernel']
  skip = sp['skip_bias']
  for i, (d, layer) in enumerate(zip(model.dilations, sp['layers'])):
    a, q = conv(layer['kernel'], layer['bias'], queues[i + 1], d, x)
    new_queues.append(q)
    if local is not None:
      a = a + local[:, i * g:(i + 1) * g]
    out = gated_activation(a) @ layer['out_kernel']
    if layer['out_bias'] is None:
      skip = skip + out
    else:
      out = out + layer['out_bias']
      x, skip = x + out[:, :c], skip + out[:, c:]
  hidden = nn.relu(nn.relu(skip) @ sp['post1']['kernel'] + sp['post1']['bias'])
  return hidden @ sp['post2']['kernel'] + sp['post2']['bias'], new_queues


def init_queues(model: WaveNet, batch: int) -> list[jax.Array]:
  """Zero ring buffers: the input conv's [k, batch, in], layer l's [(k-1) d_l + 1, batch, C]."""
  k = model.kernel_size
  return ([causal_conv.queue_init(batch, model.in_dim, 1, k)] +
          [causal_conv.queue_init(batch, model.residual_channels, d, k)
           for d in model.dilations])


@functools.partial(jax.jit, static_argnames=('model', 'num_samples', 'batch', 'temperature',
                                             'return_outputs'))
def generate_cached(model: WaveNet, params, rng: jax.Array, num_samples: int, batch: int = 1,
                    global_ids=None, local_features=None, temperature: float = 1.0,
                    return_outputs: bool = False):
  """Fast generation (Paine et al. 2016): one `lax.scan` step per sample, O(layers) each.

  Same arguments and results as `generate_naive`; for the same key the samples are the same.
  The scan carries (input code, per-layer ring buffers); see the module docstring for the
  layout and what the compiled HLO does with it.
  """
  h, y = _conditioning(model, params, batch, num_samples, global_ids, local_features)
  sp = _step_params(model, params, h, y)
  code_dtype = jnp.int32 if model.output_distribution == 'categorical' else jnp.float32
  uniforms = step_uniforms(rng, num_samples, batch)
  y_steps = None if y is None else jnp.swapaxes(y, 0, 1)   # [T, batch, C]

  def step(carry, inp):
    code, queues = carry
    t, u, y_t = inp
    out, queues = _cached_step(model, sp, queues, t, embed_codes(model, code)
                               .reshape(batch, model.in_dim), y_t)
    x = sample_output(model, u, out, temperature)
    return (x.astype(code_dtype), queues), (x, out) if return_outputs else x

  code = jnp.full((batch,), start_code(model), code_dtype)
  _, ys = lax.scan(step, (code, init_queues(model, batch)),
                   (jnp.arange(num_samples), uniforms, y_steps))
  return _finish(model, ys, return_outputs)


def cached_generation_hlo(model: WaveNet, params, num_samples: int = 16, batch: int = 1,
                          global_ids=None, local_features=None) -> str:
  """The optimised HLO text of `generate_cached` (to inspect what the loop body copies)."""
  return generate_cached.lower(model, params, jax.random.key(0), num_samples, batch,
                               global_ids, local_features).compile().as_text()


def queue_copies(hlo: str, model: WaveNet, batch: int) -> list[str]:
  """Copies of a generation queue inside the scan's loop body (none are expected).

  One would mean a whole cache is copied for every generated sample; a one-off copy at
  initialisation, outside the loop, is harmless and not reported.
  """
  shapes = {f'f32[{(model.kernel_size - 1) * d + 1},{batch},{model.residual_channels}]'
            for d in model.dilations}
  from jaxgen.testing import hlo as hlo_lib  # pylint: disable=g-import-not-at-top
  return hlo_lib.while_body_copies(hlo, shapes)

