"""Few-shot glyphs: an Omniglot-like set of letters grouped by script, drawn by several fonts.

Omniglot (Lake et al. 2015) holds 1,623 characters of 50 alphabets, each drawn 20 times by
different people; few-shot learners are trained on some alphabets and tested on characters of
alphabets they never saw. This module builds the same structure from offline Debian data:

  characters  the letters (Unicode categories Lu and Lo, no precomposed accents, no CJK or
              Hangul syllables) of the Basic Multilingual Plane that GNU Unifont draws
              (`unifont`: /usr/share/unifont/unifont.hex) and at least `min_fonts` of the
              TrueType fonts of `fonts-noto-core`, `fonts-freefont-ttf` and `fonts-dejavu-core`
              also draw; a letter whose Unifont bitmap equals an earlier one's (Latin A,
              Cyrillic A and Greek Alpha) is kept once, so no test letter repeats a training
              one. Scripts are read from the Unicode names ('ARMENIAN CAPITAL LETTER AYB' is
              Armenian); scripts with fewer than `min_per_script` letters are dropped and the
              largest are capped at `max_per_script` letters (a seeded choice).
  drawings    `num_drawings` (20, as Omniglot) 28x28 grey images per letter: drawing j is the
              letter in source font (j mod the letter's number of fonts, Unifont among them,
              in a seeded order), scaled to a 20-pixel box, centred as MNIST is, under a
              random affine distortion (rotation +-12 degrees, scale 0.85-1.1 per axis, shear
              +-0.15, shift +-1.5 pixels), half of them with a pen one pixel thicker, grey
              levels stretched to 0..255: the fonts play Omniglot's drawers, the
              distortions their unsteady hands.
  splits      by script (a seeded permutation of the scripts): about 70% of the letters for
              'train', 10% for 'validation' and 20% for 'test', so test letters and their
              scripts are unseen; `rotations=True` (the default, as Vinyals et al. 2016 and
              the papers after them) makes each letter four classes, turned by 0, 90, 180
              and 270 degrees, in every split.

`glyph_set()` builds the drawings once per process (about 20 s) and caches them on disk
under $JAXGEN_CACHE_DIR (default ~/.cache/jaxgen), keyed by the build's parameters and the
font files' sizes. `episodes(split, ways, shots)` (dataset 'glyphs') is a source of N-way
K-shot episodes whose content is a pure function of (seed, split, episode index):

  images  uint8 [n, N*K + 1, 28, 28, 1]: the N*K support drawings in a shuffled order, then
          the query (a further drawing of one of the N classes);
  labels  int32 [n, N*K + 1]: each item's class in 0..N-1 (the query's is the target: a model
          must not see it, SNAIL feeds zeros in its place).
"""
from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import unicodedata

import numpy as np

UNIFONT_HEX = '/usr/share/unifont/unifont.hex'
FONT_GLOBS = ('/usr/share/fonts/truetype/noto/*-Regular.ttf',
              '/usr/share/fonts/truetype/freefont/Free*.ttf',
              '/usr/share/fonts/truetype/dejavu/DejaVu*.ttf')
PACKAGES = 'unifont fonts-noto-core fonts-freefont-ttf fonts-dejavu-core'
# Font files that are another weight, slant or width of a family already listed, or symbols.
_SKIP_FONTS = ('Bold', 'Oblique', 'Italic', 'Condensed', 'Light', 'Display', 'UI-', 'Math',
               'Music', 'Symbols', 'Numerals', 'Siyaq')
# Words of a Unicode name that end its script's name ('TAI LE LETTER KA' is Tai Le).
_NAME_STOPS = ('CAPITAL', 'SMALL', 'LETTER', 'SYLLABLE', 'SYLLABICS', 'LIGATURE', 'VOWEL',
               'CONSONANT', 'INDEPENDENT', 'CHARACTER', 'FINAL', 'SIGN')
SIZE = 28
_WORK = 56                     # drawings are distorted at twice the size, then averaged down
SPLIT_SHARES = {'train': 0.7, 'validation': 0.1, 'test': 0.2}
EPISODES = {'train': 1_000_000, 'validation': 500, 'test': 2_000}
_SPLIT_SEEDS = {'train': 0, 'validation': 1, 'test': 2}
VERSION = 1


def missing_message(what: str) -> str:
  return (f'glyphs: {what} not found. Install the fonts with `sudo apt-get install '
          f'{PACKAGES}` (Debian/Ubuntu; scripts/install_test_data.sh does).')


def script_of(char: str) -> str | None:
  """The script of a letter from its Unicode name ('ARMENIAN CAPITAL LETTER AYB' ->
  'ARMENIAN'), or None where the name names none."""
  words = []
  for w in unicodedata.name(char, '').split():
    if w in _NAME_STOPS:
      break
    words.append(w)
  return ' '.join(words) or None


def read_unifont(path: str = UNIFONT_HEX) -> dict[int, str]:
  """{code point: hex bitmap} of Unifont's .hex file (16 rows of 8 or 16 pixels)."""
  if not os.path.exists(path):
    raise FileNotFoundError(missing_message(path))
  out = {}
  with open(path, encoding='ascii') as f:
    for line in f:
      cp, bits = line.strip().split(':')
      out[int(cp, 16)] = bits
  return out


def unifont_bitmap(bits: str) -> np.ndarray:
  """A .hex entry as a bool [16, 8 or 16] bitmap."""
  width = len(bits) // 16 * 4
  rows = [int(bits[i:i + width // 4], 16) for i in range(0, len(bits), width // 4)]
  return np.array([[(r >> (width - 1 - c)) & 1 for c in range(width)] for r in rows], bool)


def font_files() -> list[str]:
  """The TrueType fonts drawn from, sorted (one regular face per family)."""
  files = sorted(f for g in FONT_GLOBS for f in glob.glob(g))
  return [f for f in files if not any(s in os.path.basename(f) for s in _SKIP_FONTS)]


def _cmaps(files):
  from fontTools.ttLib import TTFont  # pylint: disable=g-import-not-at-top  (matplotlib's)
  out = {}
  for f in files:
    with TTFont(f, lazy=True) as font:
      out[f] = frozenset(font['cmap'].getBestCmap())
  return out


def select_characters(unifont: dict[int, str], cmaps: dict[str, frozenset],
                      min_fonts: int = 2, min_per_script: int = 14,
                      max_per_script: int = 100, seed: int = 0):
  """The letters of the set: (code points [C], their scripts [C], the script names).

  See the module docstring for the rules; the order is by script name, then code point.
  """
  seen_bitmaps = set()
  by_script: dict[str, list[int]] = {}
  for cp in sorted(unifont):
    if cp > 0xFFFF:
      continue
    ch = chr(cp)
    name = unicodedata.name(ch, '')
    if (unicodedata.category(ch) not in ('Lu', 'Lo') or unicodedata.decomposition(ch)
        or not name or name.startswith(('CJK', 'HANGUL', 'MODIFIER')) or 'MTAVRULI' in name):
      continue
    script = script_of(ch)
    if script is None or sum(cp in c for c in cmaps.values()) < min_fonts:
      continue
    if unifont[cp] in seen_bitmaps or not any(int(h, 16) for h in unifont[cp]):
      continue
    seen_bitmaps.add(unifont[cp])
    by_script.setdefault(script, []).append(cp)
  names = sorted(s for s, cps in by_script.items() if len(cps) >= min_per_script)
  codepoints, scripts = [], []
  for i, s in enumerate(names):
    cps = by_script[s]
    if len(cps) > max_per_script:
      pick = np.random.default_rng([seed, i]).choice(len(cps), max_per_script, replace=False)
      cps = [cps[j] for j in sorted(pick)]
    codepoints += cps
    scripts += [i] * len(cps)
  return np.array(codepoints, np.int32), np.array(scripts, np.int32), tuple(names)


def _fit(ink: np.ndarray) -> np.ndarray | None:
  """Ink in [0, 1] (any size) cropped to its bounding box, scaled to fit 40x40 and centred in
  a 56x56 canvas by its bounding box (MNIST's 20-in-28 at twice the size); None if blank."""
  from PIL import Image  # pylint: disable=g-import-not-at-top
  rows, cols = np.flatnonzero(ink.max(1) > 0.1), np.flatnonzero(ink.max(0) > 0.1)
  if not len(rows):
    return None
  crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
  h, w = crop.shape
  scale = 40.0 / max(h, w)
  nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
  img = Image.fromarray((crop * 255).astype(np.uint8)).resize((nw, nh), Image.BILINEAR)
  out = np.zeros((_WORK, _WORK), np.float32)
  top, left = (_WORK - nh) // 2, (_WORK - nw) // 2
  out[top:top + nh, left:left + nw] = np.asarray(img, np.float32) / 255.0
  return out


def render_ttf(char: str, font) -> np.ndarray | None:
  """`char` drawn by a PIL FreeType font, fitted as `_fit` does (None if it draws nothing)."""
  from PIL import Image, ImageDraw  # pylint: disable=g-import-not-at-top
  img = Image.new('L', (192, 192))
  ImageDraw.Draw(img).text((48, 48), char, font=font, fill=255)
  return _fit(np.asarray(img, np.float32) / 255.0)


def render_unifont(bits: str) -> np.ndarray | None:
  """A Unifont bitmap, enlarged 4x by pixel repetition, fitted as `_fit` does."""
  bitmap = unifont_bitmap(bits).astype(np.float32)
  return _fit(np.kron(bitmap, np.ones((4, 4), np.float32)))


def distort(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """One drawing: a random affine map and stroke thickening of a 56x56 rendering, averaged
  down to uint8 [28, 28] at full contrast (see the module docstring for the ranges)."""
  from PIL import Image, ImageFilter  # pylint: disable=g-import-not-at-top
  u = rng.random(7)
  angle = np.deg2rad(-12 + 24 * u[0])
  sy, sx = 0.85 + 0.25 * u[1:3]
  shear = -0.15 + 0.3 * u[3]
  shift = -3 + 6 * u[4:6]                               # at 56 pixels: +-1.5 at 28
  rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
  forward = rot @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sy, sx])   # on (row, col)
  inv = np.linalg.inv(forward)                          # PIL maps output -> input pixels
  centre = np.full(2, _WORK / 2)
  off = centre - inv @ (centre + shift)
  img = Image.fromarray(np.round(base * 255).astype(np.uint8)).transform(
      (_WORK, _WORK), Image.AFFINE,                     # (x, y) = (col, row)
      (inv[1, 1], inv[1, 0], off[1], inv[0, 1], inv[0, 0], off[0]), Image.BILINEAR)
  if u[6] < 0.5:                                        # half the drawings: a thicker pen
    img = img.filter(ImageFilter.MaxFilter(3))
  small = np.asarray(img.resize((SIZE, SIZE), Image.BOX), np.float32)
  small = small / max(float(small.max()), 1.0)          # hairline fonts: full contrast too
  return np.round(small * 255).astype(np.uint8)


def _cache_path(key: dict) -> str:
  root = os.environ.get('JAXGEN_CACHE_DIR', os.path.join(os.path.expanduser('~'), '.cache',
                                                         'jaxgen'))
  digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
  return os.path.join(root, f'glyphs-v{VERSION}-{digest}.npz')


@functools.lru_cache(maxsize=2)
def glyph_set(num_drawings: int = 20, min_fonts: int = 2, min_per_script: int = 14,
              max_per_script: int = 100, seed: int = 0) -> dict:
  """The letters and their drawings (see the module docstring), built once and cached.

  Returns:
    {'images': uint8 [C, num_drawings, 28, 28], 'codepoint': int32 [C], 'script': int32 [C],
     'scripts': the script names, 'fonts': int32 [C] (each letter's number of sources,
     Unifont included)}.
  """
  files = font_files()
  if not os.path.exists(UNIFONT_HEX) or not files:
    raise FileNotFoundError(missing_message(UNIFONT_HEX if files else 'the TrueType fonts'))
  key = dict(num_drawings=num_drawings, min_fonts=min_fonts, min_per_script=min_per_script,
             max_per_script=max_per_script, seed=seed,
             files=[(f, os.path.getsize(f)) for f in [UNIFONT_HEX] + files])
  path = _cache_path(key)
  if os.path.exists(path):
    try:
      with np.load(path) as z:
        return {k: (tuple(z[k].tolist()) if k == 'scripts' else z[k]) for k in z.files}
    except (OSError, ValueError, KeyError):
      pass                                              # a damaged cache is rebuilt
  out = _build(files, key)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  tmp = f'{path}.{os.getpid()}.tmp.npz'
  np.savez_compressed(tmp, **{k: (np.array(v) if k == 'scripts' else v)
                              for k, v in out.items()})
  os.replace(tmp, path)                                 # atomic: readers never see half
  return out


def _build(files: list[str], key: dict) -> dict:
  from PIL import ImageFont  # pylint: disable=g-import-not-at-top
  unifont = read_unifont()
  cmaps = _cmaps(files)
  codepoints, scripts, names = select_characters(
      unifont, cmaps, key['min_fonts'], key['min_per_script'], key['max_per_script'],
      key['seed'])
  fonts = {}
  images = np.zeros((len(codepoints), key['num_drawings'], SIZE, SIZE), np.uint8)
  counts = np.zeros(len(codepoints), np.int32)
  for i, cp in enumerate(codepoints):
    bases = [render_unifont(unifont[int(cp)])]
    for f in files:
      if int(cp) in cmaps[f]:
        if f not in fonts:
          fonts[f] = ImageFont.truetype(f, 96)
        bases.append(render_ttf(chr(int(cp)), fonts[f]))
    bases = [b for b in bases if b is not None]
    counts[i] = len(bases)
    rng = np.random.default_rng([key['seed'], int(cp)])
    order = rng.permutation(len(bases))
    for j in range(key['num_drawings']):
      images[i, j] = distort(bases[order[j % len(bases)]], rng)
  return {'images': images, 'codepoint': codepoints, 'script': scripts, 'scripts': names,
          'fonts': counts}


def split_scripts(num_scripts: int, letters_per_script: np.ndarray, seed: int = 0
                  ) -> dict[str, np.ndarray]:
  """{split: script ids}: the scripts in a seeded order, cut where the running share of
  letters passes SPLIT_SHARES (train first, then validation, then test)."""
  order = np.random.default_rng([seed, 7]).permutation(num_scripts)
  share = np.cumsum(letters_per_script[order]) / np.sum(letters_per_script)
  cut1 = int(np.searchsorted(share, SPLIT_SHARES['train'])) + 1
  cut2 = int(np.searchsorted(share, SPLIT_SHARES['train'] + SPLIT_SHARES['validation'])) + 1
  cut2 = max(cut2, cut1 + 1)
  return {'train': np.sort(order[:cut1]), 'validation': np.sort(order[cut1:cut2]),
          'test': np.sort(order[cut2:])}


class EpisodeSource:
  """N-way K-shot episodes of one split's classes (see the module docstring).

  Args:
    images: uint8 [C, D, 28, 28], the split's letters and their drawings.
    ways, shots: N classes per episode, K support drawings of each.
    num_episodes: the split's length (episode i is a pure function of (seed, split, i)).
    rotations: each letter is four classes (turned by 0, 90, 180, 270 degrees).
    seed, split: seed the episodes.
    info: extra metadata.
  """

  def __init__(self, images: np.ndarray, ways: int, shots: int, num_episodes: int,
               rotations: bool = True, seed: int = 0, split: str = 'train',
               info: dict | None = None):
    self.images = images
    self.ways, self.shots, self.rotations = int(ways), int(shots), bool(rotations)
    self.num_classes = len(images) * (4 if rotations else 1)
    if self.ways > self.num_classes:
      raise ValueError(f'glyphs: {ways}-way episodes need {ways} classes; the {split} split '
                       f'has {self.num_classes}.')
    if self.shots + 1 > images.shape[1]:
      raise ValueError(f'glyphs: {shots}-shot episodes need {shots + 1} drawings per class '
                       f'(the query is one more); there are {images.shape[1]}.')
    self.num_episodes = int(num_episodes)
    self.seed = [int(seed), _SPLIT_SEEDS[split]]
    length = self.ways * self.shots + 1
    self.info = {**(info or {}), 'ways': self.ways, 'shots': self.shots, 'split': split,
                 'num_classes': self.ways, 'split_classes': self.num_classes,
                 'features': {'images': ((length, SIZE, SIZE, 1), 'uint8'),
                              'labels': ((length,), 'int32')}}

  def __len__(self) -> int:
    return self.num_episodes

  def episode(self, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Episode `index`: (images uint8 [N*K+1, 28, 28, 1], labels int32 [N*K+1])."""
    rng = np.random.default_rng(self.seed + [int(index)])
    classes = rng.choice(self.num_classes, self.ways, replace=False)
    query_class = rng.integers(self.ways)
    support, labels, query = [], [], None
    for label, c in enumerate(classes):
      drawings = rng.choice(self.images.shape[1], self.shots + (label == query_class),
                            replace=False)
      letter, turns = divmod(int(c), 4) if self.rotations else (int(c), 0)
      drawn = [np.rot90(self.images[letter, d], turns) for d in drawings]
      if label == query_class:
        query = drawn.pop()
      support += drawn
      labels += [label] * self.shots
    order = rng.permutation(len(support))
    images = np.stack([support[i] for i in order] + [query])[..., None]
    return images, np.array([labels[i] for i in order] + [query_class], np.int32)

  def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
    eps = [self.episode(int(i)) for i in np.asarray(indices).reshape(-1)]
    return {'images': np.stack([e[0] for e in eps]), 'labels': np.stack([e[1] for e in eps])}

  def __repr__(self):
    return (f'EpisodeSource({self.ways}-way {self.shots}-shot, {self.num_episodes} episodes, '
            f'{self.num_classes} classes)')


def split_images(split: str, seed: int = 0, **set_kwargs) -> tuple[np.ndarray, dict]:
  """(images uint8 [C, D, 28, 28] of the split's letters, info) of `glyph_set(**set_kwargs)`."""
  g = glyph_set(**set_kwargs)
  per_script = np.bincount(g['script'], minlength=len(g['scripts']))
  ids = split_scripts(len(g['scripts']), per_script, seed)[split]
  keep = np.isin(g['script'], ids)
  info = {'scripts': [g['scripts'][i] for i in ids], 'letters': int(keep.sum())}
  return g['images'][keep], info


def glyphs(split: str, ways: int = 5, shots: int = 1, num_episodes: int | None = None,
           rotations: bool = True, seed: int = 0, validation_fraction: float = 0.0,
           **set_kwargs) -> EpisodeSource:
  """Dataset 'glyphs': N-way K-shot episodes of `split`'s scripts (see the module
  docstring). 'validation' is a split of its own scripts (validation_fraction is unused)."""
  del validation_fraction
  if split not in EPISODES:
    raise ValueError(f'Unknown split {split!r} for dataset glyphs; valid: {tuple(EPISODES)}.')
  if int(ways) < 2 or int(shots) < 1:
    raise ValueError(f'glyphs: ways must be >= 2 and shots >= 1, got ways={ways}, '
                     f'shots={shots}.')
  n = EPISODES[split] if num_episodes is None else int(num_episodes)
  if n < 1:
    raise ValueError(f'glyphs: num_episodes must be >= 1, got {n}.')
  images, info = split_images(split, seed, **set_kwargs)
  return EpisodeSource(images, ways, shots, n, rotations, seed, split, info)


glyphs.own_validation = True
