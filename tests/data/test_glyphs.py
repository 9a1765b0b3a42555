"""The few-shot glyph set: letters by script from Unifont and TrueType fonts, splits by script,
and N-way K-shot episodes that are pure functions of (seed, split, index)."""
import numpy as np
import pytest

from jaxgen import data
from jaxgen.data import glyphs


def test_script_names_and_unifont_bitmaps():
  assert glyphs.script_of('\u0531') == 'ARMENIAN'          # ARMENIAN CAPITAL LETTER AYB
  assert glyphs.script_of('\u1950') == 'TAI LE'            # TAI LE LETTER KA
  assert glyphs.script_of('\u13a0') == 'CHEROKEE'
  bitmap = glyphs.unifont_bitmap('0000000018242442427E424242420000')   # Unifont's 'A'
  assert bitmap.shape == (16, 8)
  np.testing.assert_array_equal(bitmap[4], [0, 0, 0, 1, 1, 0, 0, 0])   # 0x18
  np.testing.assert_array_equal(bitmap[9], [0, 1, 1, 1, 1, 1, 1, 0])   # 0x7E, the bar
  assert glyphs.unifont_bitmap('0' * 64).shape == (16, 16)


def test_the_set_is_omniglot_like_and_has_no_repeated_letters():
  g = glyphs.glyph_set()
  c = len(g['codepoint'])
  assert g['images'].shape == (c, 20, 28, 28) and g['images'].dtype == np.uint8
  assert 1500 < c < 3000 and 30 <= len(g['scripts']) <= 60        # Omniglot: 1,623 and 50
  per_script = np.bincount(g['script'])
  assert per_script.min() >= 14 and per_script.max() <= 100
  assert g['fonts'].min() >= 3                                     # Unifont + 2 fonts at least
  unifont = glyphs.read_unifont()
  bitmaps = [unifont[int(cp)] for cp in g['codepoint']]
  assert len(set(bitmaps)) == c                                    # Latin A, Cyrillic A: once
  ink = g['images'].reshape(c * 20, -1).max(1)
  assert ink.min() > 100                                           # no blank drawings
  # the drawings of a letter differ (several fonts, random distortions)
  assert all(len({d.tobytes() for d in g['images'][i]}) == 20 for i in range(0, c, 97))


def test_splits_are_disjoint_scripts_in_the_stated_shares():
  g = glyphs.glyph_set()
  per_script = np.bincount(g['script'])
  s = glyphs.split_scripts(len(g['scripts']), per_script)
  ids = [set(s[k].tolist()) for k in ('train', 'validation', 'test')]
  assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
  assert set.union(*ids) == set(range(len(g['scripts'])))
  share = {k: per_script[s[k]].sum() / per_script.sum() for k in s}
  assert 0.68 < share['train'] < 0.8 and share['validation'] > 0.05 and share['test'] > 0.15
  train, test = data.load('glyphs', 'train'), data.load('glyphs', 'test')
  assert not set(train.info['scripts']) & set(test.info['scripts'])
  assert train.num_classes == 4 * train.info['letters']           # rotations
  assert len(train) == 1_000_000 and len(test) == 2_000


def test_episodes_are_pure_functions_of_seed_split_and_index():
  a = data.load('glyphs', 'test', ways=5, shots=2)
  b = data.load('glyphs', 'test', ways=5, shots=2)
  ea, eb = a.get(np.array([3, 17])), b.get(np.array([17, 3]))
  np.testing.assert_array_equal(ea['images'][0], eb['images'][1])
  np.testing.assert_array_equal(ea['labels'], eb['labels'][::-1])
  assert ea['images'].shape == (2, 11, 28, 28, 1) and ea['images'].dtype == np.uint8
  other = data.load('glyphs', 'test', ways=5, shots=2, seed=1).get(np.array([3]))
  assert not np.array_equal(other['images'], ea['images'][:1])
  val = data.load('glyphs', 'validation', ways=5, shots=2, validation_fraction=0.1)
  assert not np.array_equal(val.get(np.array([3]))['images'], ea['images'][:1])
  assert a.info['features'] == {'images': ((11, 28, 28, 1), 'uint8'),
                                'labels': ((11,), 'int32')}
  assert a.info['ways'] == 5 and a.info['shots'] == 2


def test_episode_structure():
  """K support items of each of the N labels, in a shuffled order; the query last, with one of
  the N labels and a drawing that is none of its class's support drawings."""
  src = data.load('glyphs', 'train', ways=5, shots=3, rotations=False)
  batch = src.get(np.arange(40))
  positions = []
  for images, labels in zip(batch['images'], batch['labels']):
    assert np.array_equal(np.bincount(labels[:-1], minlength=5), [3] * 5)
    assert 0 <= labels[-1] < 5
    same = images[:-1][labels[:-1] == labels[-1]]
    assert not any(np.array_equal(s, images[-1]) for s in same)
    positions.append(int(np.flatnonzero(labels[:-1] == 0)[0]))
  assert len(set(positions)) > 3                                  # shuffled, not sorted
  assert len({int(l) for l in batch['labels'][:, -1]}) == 5       # every label is queried
  # every image is one of the split's drawings (no rotations here)
  drawings = {d.tobytes() for d in src.images.reshape(-1, 28, 28)}
  assert all(im[..., 0].tobytes() in drawings for im in batch['images'][:5].reshape(-1, 28, 28, 1))


def test_rotations_make_classes_of_turned_letters():
  src = data.load('glyphs', 'test', ways=5, shots=1)
  drawings = src.images.reshape(-1, 28, 28)
  turned = {np.rot90(d, k).tobytes() for d in drawings for k in range(4)}
  batch = src.get(np.arange(30))
  items = batch['images'].reshape(-1, 28, 28)
  assert all(i.tobytes() in turned for i in items)
  plain = {d.tobytes() for d in drawings}
  assert sum(i.tobytes() not in plain for i in items) > len(items) // 2   # 3 of 4 are turned


def test_errors_name_the_problem(monkeypatch):
  with pytest.raises(ValueError, match='ways must be >= 2 and shots >= 1'):
    data.load('glyphs', 'train', ways=1)
  with pytest.raises(ValueError, match='20-shot episodes need 21 drawings per class'):
    data.load('glyphs', 'train', shots=20)
  with pytest.raises(ValueError, match=r'5000-way episodes need 5000 classes; the validation'):
    data.load('glyphs', 'validation', ways=5000, validation_fraction=0.1)
  with pytest.raises(ValueError, match='num_episodes must be >= 1'):
    data.load('glyphs', 'test', num_episodes=0)
  monkeypatch.setattr(glyphs, 'UNIFONT_HEX', '/nonexistent/unifont.hex')
  glyphs.glyph_set.cache_clear()
  try:
    with pytest.raises(FileNotFoundError, match='apt-get install unifont fonts-noto-core'):
      glyphs.glyph_set()
  finally:
    glyphs.glyph_set.cache_clear()


def test_disk_cache_round_trip(tmp_path, monkeypatch):
  monkeypatch.setenv('JAXGEN_CACHE_DIR', str(tmp_path))
  kw = dict(num_drawings=2, min_per_script=100, max_per_script=14)   # 7 scripts of 14
  glyphs.glyph_set.cache_clear()
  try:
    built = glyphs.glyph_set(**kw)
    files = list(tmp_path.glob('glyphs-v*.npz'))
    assert len(files) == 1
    glyphs.glyph_set.cache_clear()
    read = glyphs.glyph_set(**kw)
    assert read['scripts'] == built['scripts']
    for k in ('images', 'codepoint', 'script', 'fonts'):
      np.testing.assert_array_equal(read[k], built[k])
    files[0].write_bytes(b'damaged')                              # rebuilt, not an error
    glyphs.glyph_set.cache_clear()
    np.testing.assert_array_equal(glyphs.glyph_set(**kw)['images'], built['images'])
  finally:
    glyphs.glyph_set.cache_clear()
