"""Test set-up: 8 virtual CPU devices and a persistent compilation cache, before JAX starts."""
import os

os.environ.setdefault('XLA_FLAGS', '')
if '--xla_force_host_platform_device_count' not in os.environ['XLA_FLAGS']:
  os.environ['XLA_FLAGS'] += ' --xla_force_host_platform_device_count=8'
os.environ.setdefault('JAX_PLATFORMS', 'cpu')
# Experiments in tests train on ONE device unless a test sets `config.mesh.data` itself: eight
# virtual devices on two cores make every step ~10x slower, and under heavy load XLA:CPU's
# in-process all-reduce can stall past its 40 s rendezvous timeout. The multi-device tests
# (tests/train) set mesh.data=8 explicitly and run few steps.
os.environ.setdefault('JAXGEN_MESH_DATA', '1')

import jax  # pylint: disable=g-import-not-at-top,wrong-import-position
import pytest  # pylint: disable=g-import-not-at-top,wrong-import-position

# Outside the checkout, so fresh clones on the same machine (CI) reuse compiled programs.
_CACHE = os.environ.get('JAXGEN_TEST_CACHE',
                        os.path.join(os.path.expanduser('~'), '.cache', 'jaxgen', 'jax_cache'))
jax.config.update('jax_compilation_cache_dir', _CACHE)
# Every program, however quick to compile: the suite's ~700 tests compile thousands of small
# ones (0.05-0.5 s each), and reading one back is a few milliseconds.
jax.config.update('jax_persistent_cache_min_compile_time_secs', 0.0)


@pytest.fixture(scope='session')
def mnist5k_binary():
  """Statically binarized mnist5k as float32 [n, 784] train and test arrays."""
  from jaxgen import data  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  out = []
  for split, seed in (('train', 1), ('test', 2)):
    src = data.transforms.binarize_static_source(data.load('mnist5k', split), seed)
    out.append(src.arrays['image'].reshape(len(src), -1).astype(np.float32))
  return tuple(out)
