"""Spectral normalisation helpers around Flax's `nn.SpectralNorm` (Miyato et al. 2018).

Spectral normalisation divides a weight by an estimate of its largest singular value,
W_SN = W / sigma(W) (Miyato et al. 2018, "Spectral Normalization for Generative Adversarial
Networks", eq. 8), with sigma(W) from one power iteration per training-mode call,
u <- W^T v / |W^T v|, v <- W u / |W u|, sigma = v^T W u (Algorithm 1). Flax's
`nn.SpectralNorm` keeps `u` and `sigma` in the 'batch_stats' collection and updates them when
called with `update_stats=True`; a convolution kernel [kh, kw, c_in, c_out] is normalised as the
matrix [kh * kw * c_in, c_out].
"""
from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import numpy as np


def maybe_spectral_norm(layer: nn.Module, x: jax.Array, *, spectral_norm: bool,
                        update_stats: bool) -> jax.Array:
  """Applies `layer` to `x`, through `nn.SpectralNorm` when `spectral_norm` is set.

  Call it inside a compact method; the layer's parameters stay under the layer's own name and its
  power-iteration state lives in 'batch_stats' (updated only when `update_stats`).
  """
  if spectral_norm:
    return nn.SpectralNorm(layer)(x, update_stats=update_stats)
  return layer(x)


def _get(tree, path):
  for key in path:
    if not hasattr(tree, 'get') or key not in tree:
      return None
    tree = tree[key]
  return tree


def spectral_norms(variables: dict[str, Any]) -> dict[str, tuple[float, float]]:
  """For every spectrally normalised weight: (its largest singular value, the stored sigma).

  The weight the layer uses is W / sigma, so after enough power iterations the ratio of the two
  is about 1. Kernels are reshaped to [-1, c_out] as `nn.SpectralNorm` does.

  Args:
    variables: a model's variables with 'params' and 'batch_stats' collections.
  Returns:
    {'path/to/layer/kernel': (sigma_max(W), sigma_estimate)}.
  """
  if 'params' not in variables or 'batch_stats' not in variables:
    raise ValueError("spectral_norms needs variables with 'params' and 'batch_stats'; got "
                     f'{sorted(variables)}.')
  out = {}
  flat = jax.tree_util.tree_flatten_with_path(variables['batch_stats'])[0]
  for path, value in flat:
    keys = [getattr(k, 'key', str(k)) for k in path]
    if not keys[-1].endswith('/sigma'):
      continue
    # batch_stats [..., 'SpectralNorm_k', 'layer/kernel/sigma'] <-> params [..., 'layer', 'kernel']
    param_path = keys[:-2] + keys[-1].split('/')[:-1]
    w = _get(variables['params'], param_path)
    if w is None:
      raise ValueError(f'No parameter at {"/".join(param_path)} for spectral-norm state '
                       f'{"/".join(keys)}.')
    w = np.asarray(w, np.float64)
    top = np.linalg.svd(w.reshape(-1, w.shape[-1]), compute_uv=False)[0]
    out['/'.join(param_path)] = (float(top), float(np.asarray(value)))
  return out
