"""Binary masks of coupling layers (True = passed through unchanged, the conditioning half).

  alternating_mask  [dim]:       True at even (or odd) positions; NICE's partition of a
                                 vector into odd and even dimensions (Dinh et al. 2015, s.5.1).
  checkerboard_mask [h, w, c]:   True where (i + j) % 2 == parity; RealNVP's spatial
                                 checkerboard (Dinh et al. 2017, s.3.4, figure 3 left).
  channel_mask      [h, w, c]:   True on the first (parity 0) or second half of the channels;
                                 RealNVP's channel-wise mask (figure 3 right) and Glow's split.
"""
from __future__ import annotations

import numpy as np


def alternating_mask(dim: int, parity: int = 0) -> np.ndarray:
  """bool [dim]: True where index % 2 == parity."""
  if dim < 2:
    raise ValueError(f'A coupling needs at least 2 dimensions; got dim={dim}.')
  return (np.arange(dim) % 2) == (parity % 2)


def checkerboard_mask(shape, parity: int = 0) -> np.ndarray:
  """bool [h, w, c]: True where (row + column) % 2 == parity, for every channel."""
  if len(shape) != 3:
    raise ValueError(f'checkerboard_mask needs an image shape (h, w, c); got {tuple(shape)}.')
  h, w, c = shape
  board = (np.arange(h)[:, None] + np.arange(w)[None, :]) % 2 == (parity % 2)
  return np.broadcast_to(board[:, :, None], (h, w, c)).copy()


def channel_mask(shape, parity: int = 0) -> np.ndarray:
  """bool [..., c]: True on channels [:c//2] (parity 0) or [c//2:] (parity 1)."""
  c = shape[-1]
  if c < 2:
    raise ValueError(f'channel_mask needs at least 2 channels; got shape {tuple(shape)}.')
  first = np.arange(c) < c // 2
  mask = first if parity % 2 == 0 else ~first
  return np.broadcast_to(mask, tuple(shape)).copy()
