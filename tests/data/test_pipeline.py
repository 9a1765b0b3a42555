"""The grain Batcher, validation splits and `info['features']`."""
import chex
import ml_collections
import numpy as np
import pytest
import tensorflow_datasets as tfds

from jaxgen import data
from jaxgen.data import pipeline


def _ids(n):
  return data.ArraySource({'i': np.arange(n), 'x': np.arange(n, dtype=np.float32)[:, None]})


def test_batch_of_a_step_is_a_pure_function_of_seed_and_step():
  src = _ids(103)
  b = data.Batcher(src, 10, seed=5)
  forward = [b.batch(s) for s in range(25)]
  backward = {s: data.Batcher(src, 10, seed=5).batch(s) for s in reversed(range(25))}
  for s in (24, 3, 17, 0, 10):   # out of order, in a fresh Batcher
    chex.assert_trees_all_equal(forward[s], backward[s], b.batch(s))
  np.testing.assert_array_equal(b.batch(10**6)['i'], data.Batcher(src, 10, seed=5).batch(10**6)['i'])


def test_order_is_grains_seeded_shuffle_batched_and_repeated():
  import grain  # pylint: disable=g-import-not-at-top
  src, bs = _ids(50), 8
  b = data.Batcher(src, bs, seed=3)
  expected = list(grain.MapDataset.range(50).shuffle(seed=pipeline.shuffle_seed(3)).repeat(3))
  spe = b.steps_per_epoch
  assert spe == 6
  for s in (0, 5, 6, 13):
    e, i = divmod(s, spe)
    np.testing.assert_array_equal(b.indices(s), expected[e * 50 + i * bs:e * 50 + (i + 1) * bs])
    np.testing.assert_array_equal(b.batch(s)['i'], np.sort(b.indices(s)))


def test_each_epoch_visits_every_example_once():
  src, bs = _ids(64), 8
  b = data.Batcher(src, bs, seed=11)
  orders = []
  for epoch in range(3):
    seen = np.concatenate([b.batch(s)['i'] for s in range(epoch * 8, (epoch + 1) * 8)])
    assert sorted(seen.tolist()) == list(range(64))
    orders.append(b.permutation(epoch))
  assert not np.array_equal(orders[0], orders[1])
  # With a remainder the last n mod batch_size of an epoch's order are left out, never repeated.
  b = data.Batcher(_ids(70), 8, seed=11)
  for epoch in range(3):
    seen = np.concatenate([b.batch(s)['i'] for s in range(epoch * 8, (epoch + 1) * 8)])
    assert len(set(seen.tolist())) == 64


@pytest.mark.parametrize('seed', [0, 7])
def test_two_process_shards_concatenate_to_the_global_batch(seed):
  src = _ids(96)
  whole = data.Batcher(src, 16, seed=seed)
  parts = [data.Batcher(src, 16, seed=seed, process_index=p, process_count=2) for p in range(2)]
  for s in (0, 4, 9):
    chex.assert_trees_all_equal(
        {k: np.concatenate([p.batch(s)[k] for p in parts]) for k in ('i', 'x')}, whole.batch(s))
  evals = [list(p.epoch()) for p in parts]
  for (b0, m0), (b1, m1), (bw, mw) in zip(*evals, whole.epoch()):
    np.testing.assert_array_equal(np.concatenate([b0['i'], b1['i']]), bw['i'])
    np.testing.assert_array_equal(np.concatenate([m0, m1]), mw)


def test_eval_epoch_covers_exactly_the_split():
  src = _ids(37)
  batches = list(data.Batcher(src, 8).epoch())
  assert len(batches) == 5
  masks = np.stack([m for _, m in batches])
  assert masks.dtype == np.float32 and masks.sum() == 37
  seen = np.concatenate([b['i'][m > 0] for b, m in batches])
  np.testing.assert_array_equal(seen, np.arange(37))


def test_per_batch_randomness_is_seeded_by_seed_and_step():
  src = data.load('digits', 'train')
  b = data.Batcher(src, 16, seed=2, transform=data.make_transform(['dequantize']))
  np.testing.assert_array_equal(b.batch(4)['image'],
                                data.Batcher(src, 16, seed=2,
                                             transform=data.make_transform(['dequantize']))
                                .batch(4)['image'])
  x = b.batch(4)['image']
  assert x.dtype == np.float32 and 0 <= x.min() and x.max() < 1


def test_clear_errors():
  src = _ids(10)
  with pytest.raises(ValueError, match='batch_size must be positive'):
    data.Batcher(src, 0)
  with pytest.raises(ValueError, match='not divisible by the 3 processes'):
    data.Batcher(src, 4, process_count=3)
  with pytest.raises(ValueError, match='10 examples, fewer than one batch of 16'):
    data.Batcher(src, 16)
  cfg = ml_collections.ConfigDict(dict(name='digits', batch_size=4096))
  with pytest.raises(ValueError, match="'digits' split 'train'.*fewer than one batch"):
    data.make_batchers(cfg)


def test_batcher_info_is_the_sources_info():
  b = data.Batcher(data.load('mnist5k', 'test'), 50)
  assert b.info is b.source.info and b.info['num_classes'] == 10


# --------------------------------------------------------------------------- features
def test_features_of_mnist5k_toy_2d_and_audio():
  assert data.load('mnist5k', 'train').info['features'] == {
      'image': ((28, 28, 1), 'uint8'), 'label': ((), 'int32')}
  assert data.load('moons', 'test').info['features'] == {'x': ((2,), 'float32')}
  speech = data.load('speech8k', 'test', crop_length=1000, global_id='category')
  assert speech.info['features'] == {'audio': ((1000,), 'float32'), 'speaker': ((), 'int32')}
  assert speech.info['sample_rate'] == 8000
  batch = speech.get(np.arange(3))
  assert {k: (v.shape[1:], v.dtype.name) for k, v in batch.items()} == speech.info['features']


def test_features_of_a_tfds_mock():
  with tfds.testing.mock_data(num_examples=12):
    src = data.load('tfds:mnist', 'train')
    batch = src.get(np.arange(2))
  assert src.info['features'] == {'image': ((28, 28, 1), 'uint8'), 'label': ((), 'int32')}
  assert src.info['num_classes'] == 10
  assert {k: (v.shape[1:], v.dtype.name) for k, v in batch.items()} == src.info['features']


def test_array_source_rejects_levels_stored_as_floats():
  with pytest.raises(ValueError, match=r'images must be uint8 0\.\.255.*\(x \* 255\)'):
    data.ArraySource({'image': np.full((4, 2, 2, 1), 200.0, np.float32)})
  with pytest.raises(ValueError, match='int64.*images must be uint8'):
    data.ArraySource({'image': np.zeros((4, 2, 2, 1), np.int64)})
  data.ArraySource({'image': np.ones((4, 2, 2, 1), np.float32)})   # values (binarized): kept
  with pytest.raises(ValueError, match="'dequantize' reads 'image' as levels"):
    data.transforms.dequantize({'image': np.ones((1, 2, 2, 1), np.float32)},
                               np.random.default_rng(0))
  cfg = ml_collections.ConfigDict(dict(name='digits', batch_size=8,
                                       preprocess=['binarize_static', 'to_float']))
  with pytest.raises(ValueError, match="drop 'to_float'"):
    data.make_batchers(cfg)


# --------------------------------------------------------------------------- validation
def test_validation_carve_is_disjoint_deterministic_and_stratified():
  full = data.load('mnist5k', 'train')
  train = data.load('mnist5k', 'train', validation_fraction=0.1)
  val = data.load('mnist5k', 'validation', validation_fraction=0.1)
  assert len(train) == 3600 and len(val) == 400
  assert np.all(np.bincount(val.arrays['label']) == 40)
  rows = lambda s: {a.tobytes() for a in s.arrays['image']}
  assert not rows(train) & rows(val) and rows(train) | rows(val) == rows(full)
  np.testing.assert_array_equal(
      val.arrays['image'], data.load('mnist5k', 'validation', validation_fraction=0.1).arrays['image'])
  other = data.load('mnist5k', 'validation', validation_fraction=0.1, validation_seed=1)
  assert rows(other) != rows(val)
  # Fraction 0 (the default): train is exactly the dataset's train split.
  chex.assert_trees_all_equal(data.load('mnist5k', 'train', validation_fraction=0.0).arrays,
                              full.arrays)


@pytest.mark.parametrize('name', ['digits', 'moons', 'music8k', 'speech8k'])
def test_every_dataset_gives_a_validation_split(name):
  kwargs = dict(crop_length=2000) if name.endswith('8k') else {}
  val = data.load(name, 'validation', validation_fraction=0.2, **kwargs)
  train = data.load(name, 'train', validation_fraction=0.2, **kwargs)
  assert len(val) > 0 and val.info['features'] == train.info['features']
  if name.endswith('8k'):   # whole files / track segments: no audio shared with train
    heard = {c.tobytes() for c in train.clips}
    assert not any(c.tobytes() in heard for c in val.clips)
  else:
    assert len(train) + len(val) == len(data.load(name, 'train', **kwargs))
  with pytest.raises(ValueError, match='set data.validation_fraction'):
    data.load(name, 'validation', **kwargs)


def test_tfds_validation_carved_when_the_dataset_has_none():
  with tfds.testing.mock_data(num_examples=20):
    val = data.load('tfds:mnist', 'validation', validation_fraction=0.25)
    train = data.load('tfds:mnist', 'train', validation_fraction=0.25)
    assert len(val) == 5 and len(train) == 15
    assert val.get(np.arange(2))['image'].shape == (2, 28, 28, 1)
    assert set(val.indices.tolist()).isdisjoint(train.indices.tolist())


def test_make_batchers_with_validation():
  cfg = ml_collections.ConfigDict(dict(name='digits', batch_size=16, eval_batch_size=40,
                                       preprocess=['binarize_static']))
  train0, test0 = data.make_batchers(cfg, seed=1)
  t, v, te = data.make_batchers(cfg, seed=1, with_validation=True)
  assert v is None
  chex.assert_trees_all_equal(t.batch(3), train0.batch(3))
  cfg.validation_fraction = 0.1
  assert len(data.make_batchers(cfg)) == 2
  t, v, te = data.make_batchers(cfg, seed=1, with_validation=True)
  assert len(t.source) + len(v.source) == len(train0.source)
  assert len(te.source) == len(test0.source) and v.batch_size == 40
  assert sum(m.sum() for _, m in v.epoch()) == len(v.source)
