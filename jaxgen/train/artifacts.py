"""Writing what a run produces besides checkpoints: sample grids (PNG) and audio (WAV)."""
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
