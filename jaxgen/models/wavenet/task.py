"""WaveNet as a trainer task: maximum likelihood on audio, generated WAVs and their spectra.

config.model (task 'wavenet'):
  num_stacks, dilation_cycle   dilations 1..2^(cycle-1), repeated num_stacks times (or an
                               explicit `dilations` tuple)
  mel                          the log-mel analysis of local conditioning
                               (`jaxgen.nn.mel.log_mel_spectrogram` arguments)
  sample_rate, sample_length, temperature    generation
  ...                          the fields of `model.WaveNet`; unknown keys raise a ValueError
                               listing the valid ones.
"""
from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from jaxgen.data.sources import feature
from jaxgen.train.config import check_choice, read_model_config
from jaxgen.models.wavenet.model import WaveNet, encode_audio, log_prob
from jaxgen.models.wavenet.sampling import generate_cached
from jaxgen.nn import causal_conv
from jaxgen.nn import mel as mel_lib
from jaxgen.train.task import Task, Variables

TASK_KEYS = dict(num_stacks=3, dilation_cycle=10, dilations=(), mel=None, sample_rate=8000,
                 sample_length=None, temperature=1.0)


def model_from_config(model_cfg) -> tuple[WaveNet, dict]:
  """(the WaveNet of `config.model`, the task's own values); unknown keys raise."""
  t, kwargs = read_model_config(model_cfg, 'wavenet', TASK_KEYS, WaveNet)
  kwargs.pop('dilations', None)
  dilations = tuple(t['dilations']) or causal_conv.wavenet_dilations(
      int(t['num_stacks']), int(t['dilation_cycle']))
  return WaveNet(dilations=dilations, **kwargs), t


class WaveNetTask(Task):
  """WaveNet as a trainer task.

  Batches: {'audio': float32 [b, t] in [-1, 1], optional 'speaker': int32 [b] (global
  conditioning), optional 'mel': [b, t / hop, n_mels] (local; computed in JAX from the
  audio with `config.model.mel` when absent)}.
  Metrics: `nll` (nats per sample) and `bits_per_sample` of the model's output distribution
  (256 mu-law classes or the 65,536-value grid; the two are not comparable).
  """

  sample_kind = 'audio'

  def __init__(self, config, info=None):
    super().__init__(config)
    self.model, t = model_from_config(config.model)
    feature(info, 'audio', 'wavenet')
    self.sample_rate = int(t['sample_rate'])
    self.sample_length = int(t['sample_length'] or self.sample_rate)
    self.temperature = float(t['temperature'])
    self.mel = dict(t['mel'] or {})
    if self.model.local_features:
      self.mel.setdefault('num_mels', self.model.local_features)
      self.mel.setdefault('hop_length', self.model.hop_length)
      self.mel.setdefault('sample_rate', self.sample_rate)
      if (self.mel['num_mels'] != self.model.local_features or
          self.mel['hop_length'] != self.model.hop_length):
        raise ValueError(f'model.mel {self.mel} must match local_features='
                         f'{self.model.local_features} and the upsampling hop '
                         f'{self.model.hop_length}.')
    self._sample_conditioning = None

  # -- batches
  def conditioning(self, batch) -> dict:
    """The model's keyword conditioning from a batch (mel computed from audio if absent)."""
    kw = {}
    if self.model.num_global:
      if 'speaker' not in batch:
        raise ValueError(f'num_global={self.model.num_global} needs batch key "speaker"; '
                         f'the batch has {sorted(batch)}.')
      kw['global_ids'] = jnp.asarray(batch['speaker'], jnp.int32)
    if self.model.local_features:
      mel = batch.get('mel')
      kw['local_features'] = (mel_lib.log_mel_spectrogram(batch['audio'], **self.mel)
                              if mel is None else mel)
    return kw

  def _audio(self, batch):
    if 'audio' not in batch:
      raise ValueError(f'WaveNet batches need key "audio" [batch, time]; got {sorted(batch)}.')
    audio = jnp.asarray(batch['audio'], jnp.float32)
    if audio.ndim != 2:
      raise ValueError(f'batch["audio"] must be [batch, time], got {audio.shape}.')
    return audio

  def nll(self, params, batch) -> jax.Array:
    """Per-example NLL in nats per sample, [batch]."""
    audio = self._audio(batch)
    targets, inputs = encode_audio(self.model, audio)
    out = self.model.apply({'params': params}, inputs, **self.conditioning(batch))
    return -jnp.mean(log_prob(self.model, out, targets), axis=-1)

  # -- Task interface
  def init(self, rng, batch):
    audio = self._audio(batch)[:1]
    cond = self.conditioning({k: v[:1] for k, v in batch.items()})
    _, inputs = encode_audio(self.model, audio)
    return Variables(self.model.init(rng, inputs, **cond)['params'], {})

  def loss(self, params, extra, batch, rng):
    del rng
    nll = jnp.mean(self.nll(params, batch))
    return nll, ({'nll': nll, 'bits_per_sample': nll / np.log(2)}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    nll = self.nll(params, batch)
    return {'nll': nll, 'bits_per_sample': nll / np.log(2), 'loss': nll}

  def sample_conditioning(self, num: int) -> dict:
    """Conditioning of `sample`: ids 0, 1, ... (cycled) and log-mels of held-out crops."""
    kw = {}
    if self.model.num_global:
      kw['global_ids'] = jnp.arange(num, dtype=jnp.int32) % self.model.num_global
    if self.model.local_features:
      kw['local_features'] = self.mel_of(self.heldout_audio(num))
    return kw

  def mel_of(self, audio) -> jax.Array:
    return mel_lib.jit_log_mel(jnp.asarray(audio), **self.mel)

  def heldout_audio(self, num: int) -> np.ndarray:
    """`num` test-split crops of `sample_length` samples (the vocoder resynthesises them)."""
    if self._sample_conditioning is None or len(self._sample_conditioning) < num:
      from jaxgen import data  # pylint: disable=g-import-not-at-top
      kwargs = dict(self.config.data.get('kwargs', {}) or {})
      kwargs['crop_length'] = self.sample_length
      source = data.load(self.config.data.name, 'test', **kwargs)
      idx = np.linspace(0, len(source) - 1, num).round().astype(int)
      self._sample_conditioning = np.asarray(source.get(idx)['audio'], np.float32)
    return self._sample_conditioning[:num]

  def sample(self, params, extra, rng, num):
    del extra
    if self.model.local_features and self.sample_length % self.model.hop_length:
      raise ValueError(f'model.sample_length {self.sample_length} must be a multiple of the '
                       f'hop {self.model.hop_length}.')
    return generate_cached(self.model, params, rng, self.sample_length, num,
                           temperature=self.temperature, **self.sample_conditioning(num))

  def finalize(self, state, workdir, test_data, rng):
    """Spectra of generated audio against real test speech (and the vocoder's mel error)."""
    del test_data
    num = min(int(self.config.get('num_samples', 4) or 4), 8)
    audio = np.asarray(self.sample(state.params, state.extra, rng, num))
    real = self.heldout_audio(num)
    gen_spec = np.asarray(mel_lib.log_spectrum(audio))
    real_spec = np.asarray(mel_lib.log_spectrum(real))
    out = {'spectrum_l1_db': float(np.mean(np.abs(gen_spec - real_spec)))}
    bands = np.array_split(np.arange(len(gen_spec)), 4)
    nyq = self.sample_rate / 2
    for b in bands:
      lo, hi = int(b[0] / (len(gen_spec) - 1) * nyq), int(b[-1] / (len(gen_spec) - 1) * nyq)
      out[f'spectrum_db_gen_minus_real_{lo}_{hi}hz'] = float(np.mean(gen_spec[b] - real_spec[b]))
    if self.model.local_features:
      out['vocoder_mel_l1'] = float(np.mean(np.abs(np.asarray(self.mel_of(audio)) -
                                                   np.asarray(self.mel_of(real)))))
    from jaxgen.train import artifacts  # pylint: disable=g-import-not-at-top
    if workdir and jax.process_index() == 0:
      artifacts.save_wav(real, os.path.join(workdir, 'samples', 'heldout_real.wav'),
                         self.sample_rate)
    return out


def make_task(config: ml_collections.ConfigDict, info=None) -> WaveNetTask:
  return WaveNetTask(config, info)
