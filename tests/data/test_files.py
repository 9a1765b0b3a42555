"""`file:` sources: a user's .npz arrays and image folders, and one clear error per bad file."""
import os

import chex
import ml_collections
import numpy as np
import pytest
from PIL import Image

from jaxgen import data

RNG = np.random.default_rng(0)


def _npz(tmp_path, name='d.npz', **arrays):
  path = str(tmp_path / name)
  np.savez(path, **arrays)
  return path


def test_npz_without_prefixes_carves_a_stratified_test_split(tmp_path):
  images = RNG.integers(0, 256, (50, 6, 5), dtype=np.uint8)
  labels = np.arange(50) % 5
  path = _npz(tmp_path, image=images, label=labels)
  train, test = data.load(f'file:{path}', 'train'), data.load(f'file:{path}', 'test')
  assert len(train) == 40 and len(test) == 10
  assert np.all(np.bincount(test.arrays['label']) == 2)
  assert train.info['features'] == {'image': ((6, 5, 1), 'uint8'), 'label': ((), 'int32')}
  assert train.info['num_classes'] == 5 and train.info['shape'] == (6, 5, 1)
  # Round trip: every example is in exactly one split, unchanged.
  got = {(a.tobytes(), int(l)) for s in (train, test) for a, l in zip(s.arrays['image'][..., 0],
                                                                        s.arrays['label'])}
  assert got == {(a.tobytes(), int(l)) for a, l in zip(images, labels)}
  chex.assert_trees_all_equal(data.load(f'file:{path}', 'test').arrays, test.arrays)
  # A carved validation split comes out of train.
  val = data.load(f'file:{path}', 'validation', validation_fraction=0.25)
  rest = data.load(f'file:{path}', 'train', validation_fraction=0.25)
  assert len(val) == 10 and len(rest) == 30
  with pytest.raises(ValueError, match='set data.validation_fraction'):
    data.load(f'file:{path}', 'validation')


def test_npz_with_split_prefixes_uses_them(tmp_path):
  x = RNG.normal(size=(30, 3))
  path = _npz(tmp_path, **{'train/x': x[:20], 'validation/x': x[20:24], 'test/x': x[24:]})
  splits = {s: data.load(f'file:{path}', s) for s in ('train', 'validation', 'test')}
  np.testing.assert_array_equal(splits['train'].arrays['x'], x[:20].astype(np.float32))
  np.testing.assert_array_equal(splits['validation'].arrays['x'], x[20:24].astype(np.float32))
  np.testing.assert_array_equal(splits['test'].arrays['x'], x[24:].astype(np.float32))
  assert splits['test'].info['features'] == {'x': ((3,), 'float32')}
  # The file's own validation split wins over a fraction.
  assert len(data.load(f'file:{path}', 'validation', validation_fraction=0.5)) == 4
  path = _npz(tmp_path, 'a.npz', **{'train/audio': RNG.uniform(-1, 1, (8, 100)),
                                    'test/audio': RNG.uniform(-1, 1, (4, 100)),
                                    'sample_rate': np.array(16000)})
  audio = data.load(f'file:{path}', 'train')
  assert audio.info['sample_rate'] == 16000
  assert audio.info['features'] == {'audio': ((100,), 'float32')}


def test_image_folder_with_class_subfolders(tmp_path):
  root = tmp_path / 'imgs'
  pixels = {}
  for c, name in enumerate(['zebra', 'cat']):        # labels follow sorted names: cat=0
    os.makedirs(root / name)
    for i in range(5):
      x = RNG.integers(0, 256, (4, 7), dtype=np.uint8)
      Image.fromarray(x).save(root / name / f'{i}.png')
      pixels[x.tobytes()] = {'cat': 0, 'zebra': 1}[name]
  train, test = (data.load(f'file:{root}', s) for s in ('train', 'test'))
  assert len(train) == 8 and len(test) == 2
  assert train.info['classes'] == ['cat', 'zebra'] and train.info['num_classes'] == 2
  assert train.info['features'] == {'image': ((4, 7, 1), 'uint8'), 'label': ((), 'int32')}
  got = {a[..., 0].tobytes(): int(l) for s in (train, test)
         for a, l in zip(s.arrays['image'], s.arrays['label'])}
  assert got == pixels
  # And it trains through the pipeline.
  cfg = ml_collections.ConfigDict(dict(name=f'file:{root}', batch_size=4, eval_batch_size=2,
                                       preprocess=['dequantize']))
  tr, te = data.make_batchers(cfg)
  assert tr.batch(0)['image'].shape == (4, 4, 7, 1) and tr.info['num_classes'] == 2


def test_flat_colour_folder_has_no_labels(tmp_path):
  for i in range(5):
    Image.fromarray(RNG.integers(0, 256, (3, 3, 3), dtype=np.uint8)).save(tmp_path / f'{i}.png')
  src = data.load(f'file:{tmp_path}', 'train')
  assert src.info['features'] == {'image': ((3, 3, 3), 'uint8')}


def _bad_npz(tmp_path, **arrays):
  return _npz(tmp_path, 'bad.npz', **arrays)


def _corrupt_png(tmp_path):
  os.makedirs(tmp_path / 'c' / 'a')
  Image.fromarray(np.zeros((2, 2), np.uint8)).save(tmp_path / 'c' / 'a' / '0.png')
  (tmp_path / 'c' / 'a' / '1.png').write_bytes(b'not a png')
  return str(tmp_path / 'c')


def _sizes(tmp_path):
  os.makedirs(tmp_path / 's')
  Image.fromarray(np.zeros((2, 2), np.uint8)).save(tmp_path / 's' / '0.png')
  Image.fromarray(np.zeros((3, 2), np.uint8)).save(tmp_path / 's' / '1.png')
  return str(tmp_path / 's')


def _text(tmp_path):
  (tmp_path / 't.npz').write_text('hello')
  return str(tmp_path / 't.npz')


def _npy(tmp_path):
  np.save(tmp_path / 'x.npy', np.zeros(3))
  return str(tmp_path / 'x.npy')


def _empty_dir(tmp_path):
  os.makedirs(tmp_path / 'e')
  (tmp_path / 'e' / 'notes.txt').write_text('no images')
  return str(tmp_path / 'e')


N = 20
BAD = {
    'not an npz (text)': (_text, 'is not an .npz archive'),
    'not an npz (.npy)': (_npy, 'is not an .npz archive.*np.savez'),
    'no arrays': (lambda p: _bad_npz(p), 'holds no arrays'),
    'different lengths': (lambda p: _bad_npz(p, x=np.ones((N, 2)), label=np.ones(N - 1, int)),
                          'different lengths'),
    'float image': (lambda p: _bad_npz(p, image=RNG.random((N, 4, 4))),
                    r'images must be uint8 0\.\.255; to convert floats in \[0, 1\] use '
                    r'\(x \* 255\)\.round\(\)\.astype\(np\.uint8\)'),
    'image rank': (lambda p: _bad_npz(p, image=np.zeros((N, 16), np.uint8)),
                   r"'image' has shape \(20, 16\)"),
    'image channels': (lambda p: _bad_npz(p, image=np.zeros((N, 4, 4, 2), np.uint8)),
                       '2 channels.*expected 1.*3.*4'),
    'float label': (lambda p: _bad_npz(p, x=np.ones((N, 2)), label=np.ones(N)),
                    "'label' is float64; labels must be integer"),
    '2-D label': (lambda p: _bad_npz(p, x=np.ones((N, 2)), label=np.ones((N, 2), int)),
                  "'label' has shape \\(20, 2\\); labels must be 1-D"),
    'non-finite': (lambda p: _bad_npz(p, x=np.where(np.eye(N, 2) > 0, np.nan, 1.0)),
                   "'x' holds 2 non-finite values"),
    'too few': (lambda p: _bad_npz(p, x=np.ones((2, 2))), 'has 2 examples, too few'),
    'mixed prefixes': (lambda p: _bad_npz(p, **{'train/x': np.ones((N, 2)), 'x': np.ones((N, 2))}),
                       'mixes arrays with split prefixes and without'),
    'no test split': (lambda p: _bad_npz(p, **{'train/x': np.ones((N, 2))}), 'no test/ arrays'),
    'unknown prefix': (lambda p: _bad_npz(p, **{'dev/x': np.ones((N, 2))}),
                       'unknown split prefix'),
    'split layouts': (lambda p: _bad_npz(p, **{'train/x': np.ones((N, 2)),
                                               'test/x': np.ones((N, 3))}),
                      'test/x is float32 \\(3,\\).*train/x is float32 \\(2,\\)'),
    'object array': (lambda p: _bad_npz(p, x=np.array([[1], [1, 2]], dtype=object)),
                     'cannot be loaded without pickle'),
    'corrupt image': (_corrupt_png, 'image a/1.png is unreadable'),
    'image sizes': (_sizes, 'images differ in size.*0.png is 2x2.*1.png is 2x3'),
    'no images': (_empty_dir, 'folder without PNG/JPEG images'),
}


@pytest.mark.parametrize('case', sorted(BAD))
def test_bad_files_give_one_clear_line(tmp_path, case):
  make, match = BAD[case]
  path = make(tmp_path)
  with pytest.raises(ValueError, match=match) as e:
    data.load(f'file:{path}', 'train')
  message = str(e.value)
  assert '\n' not in message and message.startswith(f'file:{os.path.abspath(path)}: ')


def test_missing_file_says_what_file_takes(tmp_path):
  with pytest.raises(FileNotFoundError, match=r'no such file or folder; data.name=.file:PATH. '
                     r'takes a \.npz'):
    data.load(f'file:{tmp_path}/missing.npz')
