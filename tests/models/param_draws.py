"""Random parameters for the Jacobian tests of the autoregressive image models."""
import jax
import jax.numpy as jnp
import numpy as np


def random_params(task, batch, seed=0):
  """Random parameters of the task's shapes (numpy draws: no XLA-compiled initialiser).

  Kernels ~ N(0, 1 / fan_in), biases ~ N(0, 0.1^2), so no unit saturates and no entry of a
  Jacobian is zero by accident of initialisation.
  """
  shapes = jax.eval_shape(lambda key, b: task.init(key, b).params, jax.random.key(0), batch)
  rng = np.random.default_rng(seed)

  def draw(leaf):
    fan_in = int(np.prod(leaf.shape[:-1])) if len(leaf.shape) > 1 else 0
    scale = 1.0 / np.sqrt(fan_in) if fan_in else 0.1
    return jnp.asarray(rng.normal(size=leaf.shape) * scale, leaf.dtype)

  return jax.tree.map(draw, shapes)
