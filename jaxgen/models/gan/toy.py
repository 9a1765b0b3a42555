"""The 2-D GAN: MLP generator and discriminator for a mixture of 8 Gaussians, and mode counting.

The ring of 8 Gaussians is the standard mode-collapse probe (Metz et al. 2017, "Unrolled
Generative Adversarial Networks", section 3.1; Srivastava et al. 2017, VEEGAN, section 5.1):
a sample is *high quality* when it lies within 3 standard deviations of its nearest mode, and a
mode is *covered* when enough high-quality samples fall on it.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import numpy as np


class MLPGenerator(nn.Module):
  """z [batch, latent] -> points [batch, dim]: ReLU hidden layers, linear output."""
  hidden: Sequence[int] = (128, 128)
  dim: int = 2

  @nn.compact
  def __call__(self, z, y=None, train: bool = True):
    del y, train
    for width in self.hidden:
      z = nn.relu(nn.Dense(width)(z))
    return nn.Dense(self.dim, name='out')(z)


class MLPDiscriminator(nn.Module):
  """points [batch, dim] -> logits [batch]: ReLU hidden layers, linear logit."""
  hidden: Sequence[int] = (128, 128)

  @nn.compact
  def __call__(self, x, y=None, train: bool = True):
    del y, train
    for width in self.hidden:
      x = nn.relu(nn.Dense(width)(x))
    return nn.Dense(1, name='logit')(x)[:, 0]


def ring_centers(num_modes: int = 8, radius: float = 2.0) -> np.ndarray:
  """The modes of the ring mixture (as `jaxgen.data`'s '8gaussians'), [num_modes, 2]."""
  angles = 2 * np.pi * np.arange(num_modes) / num_modes
  return radius * np.stack([np.cos(angles), np.sin(angles)], 1)


def mode_statistics(samples, centers, std: float, num_std: float = 3.0,
                    min_count: int | None = None) -> dict[str, float]:
  """Mode counting on a Gaussian mixture.

  Args:
    samples: [n, d] generated points.
    centers: [k, d] the mixture's means; std: their common standard deviation.
    num_std: a sample within `num_std * std` of its nearest mode is high quality.
    min_count: high-quality samples a mode needs to count as covered (default: a quarter of a
      fair share, n / (4 k)).
  Returns:
    modes_covered (a count), high_quality_fraction, and mode_kl: KL(sample mode histogram ||
    uniform) over the high-quality samples (0 when the modes are equally filled).
  """
  samples, centers = np.asarray(samples, np.float64), np.asarray(centers, np.float64)
  if samples.ndim != 2 or centers.ndim != 2 or samples.shape[1] != centers.shape[1]:
    raise ValueError(f'mode_statistics needs samples [n, d] and centers [k, d]; got '
                     f'{samples.shape} and {centers.shape}.')
  n, k = samples.shape[0], centers.shape[0]
  dist = np.linalg.norm(samples[:, None, :] - centers[None], axis=-1)
  nearest, good = dist.argmin(-1), dist.min(-1) <= num_std * std
  counts = np.bincount(nearest[good], minlength=k)
  min_count = max(1, n // (4 * k)) if min_count is None else min_count
  share = counts / max(counts.sum(), 1)
  kl = float(np.sum(np.where(share > 0, share * np.log(np.maximum(share, 1e-12) * k), 0.0)))
  return dict(modes_covered=float(np.sum(counts >= min_count)),
              high_quality_fraction=float(good.mean()), mode_kl=kl)


def render_points(points, size: int = 128, limit: float = 3.0) -> np.ndarray:
  """A scatter plot of 2-D points as one greyscale image [1, size, size, 1] in [0, 1].

  Pixel darkness grows with the number of points in it (log scale); the axes span
  [-limit, limit] with y pointing up.
  """
  points = np.asarray(jax.device_get(points), np.float64)
  if points.ndim != 2 or points.shape[1] != 2:
    raise ValueError(f'render_points takes [n, 2] points; got {points.shape}.')
  hist, _, _ = np.histogram2d(-points[:, 1], points[:, 0], bins=size,
                              range=[[-limit, limit], [-limit, limit]])
  ink = np.log1p(hist) / max(np.log1p(hist).max(), 1e-9)
  return (1.0 - ink)[None, :, :, None].astype(np.float32)
