"""Writing what a run produces besides checkpoints: every kind of sample a task declares.

A task's `sample_kind` says what its samples are, and `write_samples` owns the writer:
  'image'   [n, h, w, c] floats in [0, 1]  -> a PNG grid
  'audio'   [n, t] floats in [-1, 1]       -> a 16-bit WAV (the streams one after another)
  'tokens'  int [n, t] token ids           -> a text file, one line per sample, through the
                                              task's `decode` (ids -> str)
  'text'    a list of n strings            -> a text file, one line per sample
  'array'   anything else                  -> a .npy file
Folders are created as needed.
"""
from __future__ import annotations

import math
import os
import wave

import numpy as np


def image_grid(images: np.ndarray, ncols: int | None = None, pad: int = 1) -> np.ndarray:
  """Tiles images [n, h, w, c] (floats in [0, 1]) into one uint8 [H, W, c] grid."""
  images = np.asarray(images, np.float32)
  if images.ndim == 3:
    images = images[..., None]
  if images.ndim != 4 or images.shape[-1] not in (1, 3):
    raise ValueError(f'image_grid needs [n, h, w, 1 or 3] images, got {images.shape}.')
  n, h, w, c = images.shape
  ncols = ncols or int(math.ceil(math.sqrt(n)))
  nrows = int(math.ceil(n / ncols))
  grid = np.ones((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c), np.float32)
  for i in range(n):
    r, q = divmod(i, ncols)
    grid[pad + r * (h + pad):pad + r * (h + pad) + h,
         pad + q * (w + pad):pad + q * (w + pad) + w] = images[i]
  return (np.clip(grid, 0, 1) * 255).round().astype(np.uint8)


def save_image_grid(images: np.ndarray, path: str, ncols: int | None = None,
                    scale: int = 2) -> str:
  """Writes a PNG sample grid; returns the path."""
  from PIL import Image  # pylint: disable=g-import-not-at-top
  grid = image_grid(images, ncols)
  img = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
  if scale > 1:
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  img.save(path)
  return path


def save_wav(audio: np.ndarray, path: str, sample_rate: int) -> str:
  """Writes mono 16-bit PCM from floats in [-1, 1] ([t] or [n, t]: streams concatenated)."""
  audio = np.asarray(audio, np.float32).reshape(-1)
  pcm = (np.clip(audio, -1, 1) * 32767).round().astype('<i2')
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with wave.open(path, 'wb') as f:
    f.setnchannels(1)
    f.setsampwidth(2)
    f.setframerate(int(sample_rate))
    f.writeframes(pcm.tobytes())
  return path


def read_wav(path: str) -> tuple[np.ndarray, int]:
  """Reads 8/16-bit PCM WAV as float32 in [-1, 1] (channels averaged) and its rate."""
  with wave.open(path, 'rb') as f:
    rate, width, channels = f.getframerate(), f.getsampwidth(), f.getnchannels()
    raw = f.readframes(f.getnframes())
  if width == 2:
    x = np.frombuffer(raw, '<i2').astype(np.float32) / 32768.0
  elif width == 1:
    x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
  else:
    raise ValueError(f'{path}: unsupported sample width {width} bytes.')
  if channels > 1:
    x = x.reshape(-1, channels).mean(-1)
  return x, rate


SAMPLE_KINDS = ('image', 'audio', 'tokens', 'text', 'array')


def save_text(lines, path: str) -> str:
  """Writes one line per sample (newlines inside a sample are shown as \\n)."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path, 'w', encoding='utf-8') as f:
    for line in lines:
      f.write(str(line).replace('\n', '\\n') + '\n')
  return path


def write_samples(samples, kind: str, directory: str, tag: str, sample_rate: int | None = None,
                  decode=None) -> str:
  """Writes `samples` of `kind` as `directory/tag.{png,wav,txt,npy}`; returns the path.

  Args:
    samples: the task's samples (see the module docstring for each kind's layout).
    kind: one of `SAMPLE_KINDS`.
    directory: the folder (created if missing).
    tag: the file's stem, e.g. 'step_0001000' or 'final'.
    sample_rate: audio only, in Hz.
    decode: tokens only: a function from an int array [t] to its text.
  Raises:
    ValueError: for an unknown kind, or a kind's missing argument or wrong layout.
  """
  if kind not in SAMPLE_KINDS:
    raise ValueError(f'Unknown sample kind {kind!r}; valid: {", ".join(SAMPLE_KINDS)}.')
  if kind == 'text':
    return save_text(list(samples), os.path.join(directory, f'{tag}.txt'))
  samples = np.asarray(samples)
  if kind == 'image':
    return save_image_grid(samples, os.path.join(directory, f'{tag}.png'))
  if kind == 'audio':
    if not sample_rate:
      raise ValueError('Audio samples need the task\'s sample_rate.')
    if samples.ndim not in (1, 2):
      raise ValueError(f'Audio samples must be [n, t] or [t]; got {samples.shape}.')
    return save_wav(samples, os.path.join(directory, f'{tag}.wav'), sample_rate)
  if kind == 'tokens':
    if decode is None:
      raise ValueError("Token samples need the task's decode(ids) -> str.")
    if samples.ndim != 2:
      raise ValueError(f'Token samples must be int [n, t]; got {samples.shape}.')
    return save_text([decode(row) for row in samples], os.path.join(directory, f'{tag}.txt'))
  path = os.path.join(directory, f'{tag}.npy')
  os.makedirs(directory, exist_ok=True)
  np.save(path, samples)
  return path
