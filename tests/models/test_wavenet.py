"""WaveNet: mu-law, exact causality and receptive field, sizes, naive == cached generation,
the HLO of the cached loop, conditioning, and learning real speech."""
import json
import os
import wave

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from jaxgen import testing
from jaxgen.models import wavenet as W
from jaxgen.nn import causal_conv
from jaxgen.nn import mel as mel_lib
from jaxgen.nn import mulaw


# --------------------------------------------------------------------------- mu-law
def test_mu_law_round_trip():
  q = jnp.arange(256)
  x = jnp.linspace(-1, 1, 10001)

  @jax.jit
  def run(q, x):
    y = mulaw.mu_law_compress(x)
    decoded = mulaw.mu_law_decode(mulaw.mu_law_encode(x))
    return (mulaw.mu_law_encode(mulaw.mu_law_decode(q)), y, mulaw.mu_law_expand(y),
            mulaw.mu_law_compress(decoded), mulaw.mu_law_decode(q))

  q_again, y, x_again, y_decoded, levels = run(q, x)
  np.testing.assert_array_equal(q_again, q)
  np.testing.assert_allclose(x_again, x, atol=1e-6)
  # Decoding returns the centre of the class: within half a class in the companded domain.
  assert float(jnp.max(jnp.abs(y_decoded - y))) <= 1.0 / 255 + 1e-6
  assert float(levels[0]) == -1.0 and float(levels[-1]) == 1.0
  np.testing.assert_array_equal(mulaw.mu_law_encode(jnp.array([-1.0, 0.0, 1.0])), [0, 128, 255])
  # Companding spends more classes near zero: 1% of the range gets about a quarter of them.
  assert int(mulaw.mu_law_encode(0.01)) - int(mulaw.mu_law_encode(-0.01)) > 50


# --------------------------------------------------------------------------- the network
def _random_params(model, *args, scale=0.5, seed=0):
  """Parameters of `model` drawn in numpy (skips compiling Flax's initialisers; fast)."""
  shapes = jax.eval_shape(model.init, jax.random.key(0), *args)['params']
  rng = np.random.default_rng(seed)
  return jax.tree.map(lambda s: jnp.asarray(
      scale * rng.standard_normal(s.shape) / np.sqrt(max(1, np.prod(s.shape[:-1]))),
      jnp.float32), shapes)


def _small(**kw):
  base = dict(dilations=(1, 2, 4, 1, 2, 4), residual_channels=8, dilation_channels=8,
              skip_channels=16, end_channels=16)
  base.update(kw)
  return W.WaveNet(**base)


def test_exactly_causal_with_the_formula_receptive_field():
  model = _small(output_distribution='logistic_mixture', input_kind='scalar', num_mixtures=2,
                 num_global=3, local_features=4, upsample_strides=(2, 2))
  t = 24
  assert model.receptive_field == (2 - 1) * (sum(model.dilations) + 1) + 1 == 16
  inputs = jax.random.normal(jax.random.key(0), (1, t, 1))
  gid, local = jnp.array([1]), jax.random.normal(jax.random.key(1), (1, t // 4, 4))
  params = {'params': _random_params(model, inputs, gid, local)}

  # Output t sees inputs t-R+1..t exactly, i.e. (inputs are shifted) samples x_{t-R}..x_{t-1}.
  testing.assert_causal_in_time(lambda u: model.apply(params, u, gid, local), inputs,
                                receptive_field=model.receptive_field)
  targets = jnp.array([[5, 7, 9]])
  np.testing.assert_array_equal(W.shift_right(_small(), targets), [[-1, 5, 7]])


def test_paper_size_parameter_count_and_flops():
  model = W.WaveNet(dilations=causal_conv.wavenet_dilations(3, 10))   # 30 layers, 64/256
  params = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, 8, 256)))['params']
  c, g, s, e, n = 64, 128, 256, 256, 256
  expected = (2 * n * c + c + 30 * (2 * c * g + g) + 29 * (c * c + c) + 30 * (g // 2) * s + s
              + s * e + e + e * n + n)
  assert W.count_params(params) == expected == 1_272_192
  assert model.receptive_field == 3071
  # Every weight is used once per generated sample: ~2.5 MFLOP (multiply-adds x 2).
  assert 2.4e6 < 2 * expected < 2.6e6


def test_bad_inputs_raise_value_errors():
  model = _small(num_global=2)
  u = jnp.zeros((1, 8, 256))
  with pytest.raises(ValueError, match='global_ids'):
    model.init(jax.random.key(0), u)
  with pytest.raises(ValueError, match=r'\[batch, time, 256\]'):
    model.init(jax.random.key(0), jnp.zeros((1, 8, 3)), jnp.array([0]))
  with pytest.raises(ValueError, match='output_distribution'):
    _small(output_distribution='gaussian').init(jax.random.key(0), u)
  with pytest.raises(ValueError, match='one_hot needs categorical'):
    _small(output_distribution='logistic_mixture').init(jax.random.key(0), jnp.zeros((1, 8, 1)))
  local = _small(local_features=3, upsample_strides=(4,))
  with pytest.raises(ValueError, match='local frames'):
    local.init(jax.random.key(0), u, local_features=jnp.zeros((1, 3, 3)))


# --------------------------------------------------------------------------- generation
CONFIGS = {
    'softmax_one_hot': dict(num_global=3, local_features=4, upsample_strides=(2, 2)),
    'mixture_scalar': dict(output_distribution='logistic_mixture', input_kind='scalar',
                           num_mixtures=3, num_bins=65536, num_global=3, local_features=4,
                           upsample_strides=(2, 2)),
}


@pytest.fixture(scope='module', params=sorted(CONFIGS))
def conditioned(request):
  model = _small(**CONFIGS[request.param])
  batch, t = 3, 48
  gid = jnp.array([0, 2, 1])
  local = jax.random.normal(jax.random.key(1), (batch, t // 4, 4))
  _, u = W.encode_audio(model, jnp.zeros((batch, t)))
  params = _random_params(model, u, gid, local, scale=1.0)
  return model, params, gid, local, t


def test_naive_and_cached_generation_give_identical_samples(conditioned):
  model, params, gid, local, t = conditioned
  key = jax.random.key(3)
  kw = dict(global_ids=gid, local_features=local, temperature=0.9, return_outputs=True)
  naive, out_naive = W.generate_naive(model, params, key, t, 3, **kw)
  assert naive.shape == (3, t)
  testing.assert_same_samples(lambda k: W.generate_cached(model, params, k, t, 3, **kw)[0],
                              lambda k: naive, key)
  cached, out_cached = W.generate_cached(model, params, key, t, 3, **kw)
  testing.assert_same_samples(lambda: out_cached, lambda: out_naive, rtol=1e-4, atol=1e-4)
  # ... and both are the parallel network's distributions on the generated audio.
  _, inputs = W.encode_audio(model, cached)
  out = model.apply({'params': params}, inputs, gid, local)
  np.testing.assert_allclose(out_cached, out, rtol=1e-4, atol=1e-4)
  assert len(np.unique(np.asarray(cached))) > 10 and not np.array_equal(cached[0], cached[1])
  assert float(jnp.abs(cached).max()) <= 1.0
  other = W.generate_cached(model, params, jax.random.key(4), t, 3, global_ids=gid,
                            local_features=local, temperature=0.9)
  assert not np.array_equal(other, cached)


def test_cached_loop_copies_no_queue():
  """The compiled scan body updates every ring buffer in place (no whole-queue copy)."""
  model = _small(dilations=(1, 2, 4, 8, 16, 32))
  params = _random_params(model, jnp.zeros((1, 8, 256)))
  hlo = W.cached_generation_hlo(model, params, num_samples=8, batch=2)
  assert 'while' in hlo
  assert W.queue_copies(hlo, model, 2) == []

  # The check itself works: reading a slot and then overwriting it in the same buffer (no
  # extra row) leaves XLA unable to order the read first, and it copies the queue each step.
  def read_then_write(x0):
    def step(carry, t):
      queue, x = carry
      old = lax.dynamic_index_in_dim(queue, t % 32, keepdims=False)
      queue = lax.dynamic_update_index_in_dim(queue, jnp.tanh(x), t % 32, 0)
      return (queue, x + old), None
    return lax.scan(step, (jnp.zeros((32, 2, 8)), x0), jnp.arange(8))[0]

  bad = jax.jit(read_then_write).lower(jnp.ones((2, 8))).compile().as_text()
  from jaxgen.testing import hlo  # pylint: disable=g-import-not-at-top
  assert hlo.while_body_copies(bad, {'f32[32,2,8]'})


# --------------------------------------------------------------------------- features
def test_log_mel_frames_align_and_find_the_tone():
  sr, hop = 8000, 128
  t = np.arange(4096) / sr
  audio = jnp.asarray(np.stack([np.sin(2 * np.pi * 1000 * t), np.sin(2 * np.pi * 300 * t)]),
                      jnp.float32)
  mels = mel_lib.jit_log_mel(audio, sample_rate=sr, hop_length=hop, num_mels=40)
  assert mels.shape == (2, 4096 // hop, 40)
  fb = mel_lib.mel_filterbank(40, 512, sr, 50.0, None)
  peak = np.argmax(np.asarray(mels[:, 10]), axis=-1)
  np.testing.assert_array_equal(peak, [np.argmax(fb[64]), np.argmax(fb[19])])   # 1 kHz, 300 Hz
  upsampled = _small(local_features=40, upsample_strides=(4, 4, 8))
  y = upsampled.init_with_output(jax.random.key(0), mels,
                                 method=W.WaveNet.upsample_local)[0]
  assert y.shape == (2, 4096, 40)


# --------------------------------------------------------------------------- learning
@pytest.mark.learning
def test_tiny_config_learns_real_speech(tmp_path):
  """wavenet_speech:tiny, 150 steps on speech8k: test NLL < 3.3 nats per mu-law sample.

  For scale: the test classes' unigram entropy is 5.00 nats, an in-sample bigram model 3.53.
  """
  from jaxgen import experiments, train  # pylint: disable=g-import-not-at-top
  config = experiments.get_config('wavenet_speech:tiny')
  config.progress = False
  final = experiments.train_and_evaluate(config, str(tmp_path))
  assert final['eval/nll'] < 3.3, final
  assert 'final/spectrum_l1_db' in final
  with wave.open(str(tmp_path / 'samples' / 'final.wav')) as f:
    assert f.getframerate() == 8000
    assert f.getnframes() == config.num_samples * config.model.sample_length
  assert json.load(open(os.path.join(tmp_path, 'final_metrics.json')))['step'] == 150
