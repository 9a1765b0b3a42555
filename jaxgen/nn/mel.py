"""Log-mel spectrograms in JAX: the local conditioning features of a WaveNet vocoder.

Shen et al. 2018 (Tacotron 2, section 2.1) condition WaveNet on log-mel frames; here frame f
summarises the audio around samples [f * hop, (f + 1) * hop): a Hann window of `n_fft`
samples centred on f * hop + hop / 2 (zero padding at the ends), its power spectrum
|rfft|^2, a triangular mel filterbank (HTK mel scale m = 2595 log10(1 + f / 700)), and
log(max(., floor)). An audio of t samples gives exactly t // hop frames, so upsampling by
`hop` (the WaveNet's transposed convolutions) lands back on the audio rate.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np


def hz_to_mel(f):
  return 2595.0 * np.log10(1.0 + np.asarray(f, np.float64) / 700.0)


def mel_to_hz(m):
  return 700.0 * (10.0**(np.asarray(m, np.float64) / 2595.0) - 1.0)


@functools.lru_cache(maxsize=16)
def mel_filterbank(num_mels: int, n_fft: int, sample_rate: int, fmin: float = 0.0,
                   fmax: float | None = None) -> np.ndarray:
  """Triangular filters on the HTK mel scale: float32 [n_fft // 2 + 1, num_mels].

  Each filter rises from mel point i to i + 1 and falls to i + 2 (num_mels + 2 points evenly
  spaced in mel between fmin and fmax); filters are area-normalised (Slaney), so a band's
  energy does not grow with its width.
  """
  fmax = sample_rate / 2 if fmax is None else fmax
  if not 0 <= fmin < fmax <= sample_rate / 2:
    raise ValueError(f'Need 0 <= fmin < fmax <= sample_rate / 2; got fmin={fmin}, fmax={fmax},'
                     f' sample_rate={sample_rate}.')
  freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
  hz = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), num_mels + 2))
  lower, centre, upper = hz[:-2], hz[1:-1], hz[2:]
  up = (freqs[:, None] - lower) / (centre - lower)
  down = (upper - freqs[:, None]) / (upper - centre)
  fb = np.maximum(0.0, np.minimum(up, down)) * (2.0 / (upper - lower))
  return fb.astype(np.float32)


def frame(audio: jax.Array, n_fft: int, hop_length: int) -> jax.Array:
  """[batch, t] -> [batch, t // hop, n_fft]: windows centred on f * hop + hop / 2."""
  num_frames = audio.shape[-1] // hop_length
  left = n_fft // 2 - hop_length // 2
  right = max(0, (num_frames - 1) * hop_length + n_fft - left - audio.shape[-1])
  padded = jnp.pad(audio, [(0, 0)] * (audio.ndim - 1) + [(max(left, 0), right)])
  start = max(-left, 0)
  idx = start + hop_length * np.arange(num_frames)[:, None] + np.arange(n_fft)[None, :]
  return padded[..., idx]


def log_mel_spectrogram(audio: jax.Array, sample_rate: int = 8000, n_fft: int = 512,
                        hop_length: int = 128, num_mels: int = 40, fmin: float = 50.0,
                        fmax: float | None = None, floor: float = 1e-5) -> jax.Array:
  """Log-mel features of audio.

  Args:
    audio: [batch, t] (or [t]) floats in [-1, 1].
    sample_rate, n_fft, hop_length, num_mels, fmin, fmax: the analysis (see module doc).
    floor: the power below which the log is clipped.
  Returns:
    [batch, t // hop_length, num_mels] natural-log mel powers.
  """
  audio = jnp.asarray(audio, jnp.float32)
  if audio.shape[-1] < hop_length:
    raise ValueError(f'Audio of {audio.shape[-1]} samples is shorter than one hop '
                     f'({hop_length}).')
  frames = frame(audio, n_fft, hop_length)
  window = jnp.asarray(np.hanning(n_fft + 1)[:-1], jnp.float32)   # periodic Hann
  power = jnp.abs(jnp.fft.rfft(frames * window, axis=-1))**2
  fb = jnp.asarray(mel_filterbank(num_mels, n_fft, sample_rate, fmin, fmax))
  return jnp.log(jnp.maximum(power @ fb, floor))


def log_spectrum(audio: jax.Array, n_fft: int = 256) -> jax.Array:
  """The long-term average log power spectrum of audio [batch, t] -> [n_fft // 2 + 1] (dB).

  Used to compare generated audio with real speech band by band.
  """
  frames = frame(jnp.asarray(audio, jnp.float32), n_fft, n_fft // 2)
  window = jnp.asarray(np.hanning(n_fft + 1)[:-1], jnp.float32)
  power = jnp.abs(jnp.fft.rfft(frames * window, axis=-1))**2
  return 10.0 * jnp.log10(jnp.mean(power, axis=tuple(range(power.ndim - 1))) + 1e-10)


jit_log_mel = jax.jit(log_mel_spectrogram, static_argnames=(
    'sample_rate', 'n_fft', 'hop_length', 'num_mels', 'fmin', 'fmax', 'floor'))
