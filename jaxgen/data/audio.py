"""Audio datasets: 8 kHz speech and music from Debian packages, and tensorflow-datasets audio.

Every split is a `Source` of fixed-length crops:
  audio    float32 [n, crop_length] in [-1, 1]
  speaker  int32 [n]  (only with `global_id`: the global-conditioning id of the crop)
and its `info` holds 'features' ({'audio': ((crop_length,), 'float32'), ...}) and
'sample_rate'.

Datasets:
  speech8k   568 WAV prompts, about 25 minutes of one speaker (Allison) at 8 kHz, from
             `asterisk-core-sounds-en-wav` (/usr/share/asterisk/sounds/en_US_f_Allison).
             Held-out files form the test split (about 1 file in 10, chosen by a hash of
             the file name, so the split never changes). `global_id='category'` gives each
             crop the id of its prompt group (digits, letters, phonetic, ...).
  music8k    5 tracks, about 18 minutes of music at 8 kHz, from `asterisk-moh-opsound-wav`
             (/usr/share/asterisk/moh). With five files the test split is the last 10% of
             every track; `global_id='file'` gives each crop its track's id.
  tfds_audio any tensorflow-datasets audio dataset (speech_commands, nsynth, ljspeech, ...)
             read with `tfds.data_source` (see `tfds_audio`).

Crops: the training split has `num_examples` crops; crop i is a pure function of
(seed, i) -- a clip drawn with probability proportional to its number of crop positions,
and a uniform offset in it -- so the pipeline's shuffled batches are random crops that a
resumed run replays exactly. The test split is every non-overlapping crop of the held-out
audio, in order. Clips shorter than one crop are left out.

Validation (`validation_fraction=f > 0`): speech8k holds out about a fraction f of the
training files (by a second hash of the file name), music8k the last f of every track's
training part, tfds_audio the dataset's own 'validation' split or else a seeded fraction f of
the training records; the training split is what remains, and the validation crops are
ordered like the test crops. With f = 0 the training split is unchanged.
"""
from __future__ import annotations

import functools
import glob
import os
import zlib
from typing import Sequence

import numpy as np
from scipy.io import wavfile

SPEECH_DIR = '/usr/share/asterisk/sounds/en_US_f_Allison'
MUSIC_DIR = '/usr/share/asterisk/moh'
SAMPLE_RATE = 8000
SPEECH_PACKAGE = 'asterisk-core-sounds-en-wav'
MUSIC_PACKAGE = 'asterisk-moh-opsound-wav'


class AudioCrops:
  """A split of fixed-length crops of a list of clips (a `jaxgen.data.Source`).

  Args:
    clips: 1-D arrays of audio (float in [-1, 1], or int16 PCM).
    crop_length: samples per crop.
    ids: optional int id per clip (returned as 'speaker').
    num_examples: random crops (training); None for every non-overlapping crop in order.
    seed: seed of the random crops.
    info: metadata (sample_rate, num_ids, ...).
  """

  def __init__(self, clips: Sequence[np.ndarray], crop_length: int,
               ids: Sequence[int] | None = None, num_examples: int | None = None,
               seed: int = 0, info: dict | None = None):
    if crop_length < 1:
      raise ValueError(f'crop_length must be positive, got {crop_length}.')
    keep = [i for i, c in enumerate(clips) if len(c) >= crop_length]
    if not keep:
      longest = max((len(c) for c in clips), default=0)
      raise ValueError(f'No clip is as long as crop_length={crop_length} (the longest has '
                       f'{longest} samples).')
    self.clips = [clips[i] for i in keep]
    self.ids = None if ids is None else np.asarray([ids[i] for i in keep], np.int32)
    self.crop_length = int(crop_length)
    self.seed = int(seed)
    self.info = dict(info or {})
    self.info['features'] = crop_features(self.crop_length, self.ids is not None)
    positions = np.array([len(c) - crop_length + 1 for c in self.clips], np.int64)
    if num_examples is None:   # every non-overlapping crop, in order
      per_clip = (positions - 1) // crop_length + 1
      self._clip = np.repeat(np.arange(len(self.clips)), per_clip)
      self._offset = np.concatenate([np.arange(n) * crop_length for n in per_clip])
      self.num_examples = len(self._clip)
    else:
      if num_examples < 1:
        raise ValueError(f'num_examples must be positive, got {num_examples}.')
      self._clip = self._offset = None
      self._cdf = np.cumsum(positions) / positions.sum()
      self._positions = positions
      self.num_examples = int(num_examples)

  def __len__(self) -> int:
    return self.num_examples

  def subsample(self, num: int):
    """Keeps `num` evenly spaced crops of an ordered (test) split."""
    if self._clip is None:
      raise ValueError('Only an ordered split (num_examples=None) can be subsampled.')
    keep = np.linspace(0, len(self) - 1, num).round().astype(int)
    self._clip, self._offset = self._clip[keep], self._offset[keep]
    self.num_examples = len(keep)

  def locate(self, index: int) -> tuple[int, int]:
    """(clip, offset) of crop `index`."""
    if self._clip is not None:
      return int(self._clip[index]), int(self._offset[index])
    u = np.random.default_rng([self.seed, int(index)]).random(2)
    clip = min(int(np.searchsorted(self._cdf, u[0], side='right')), len(self.clips) - 1)
    return clip, int(u[1] * self._positions[clip])

  def get(self, indices) -> dict[str, np.ndarray]:
    indices = np.asarray(indices).reshape(-1)
    if indices.size and (indices.min() < 0 or indices.max() >= len(self)):
      raise ValueError(f'Crop indices must lie in [0, {len(self)}); got {indices.min()}..'
                       f'{indices.max()}.')
    audio = np.zeros((len(indices), self.crop_length), np.float32)
    clip_ids = np.zeros(len(indices), np.int32)
    for row, index in enumerate(indices):
      clip, offset = self.locate(index)
      audio[row] = to_float(self.clips[clip][offset:offset + self.crop_length])
      clip_ids[row] = clip
    out = {'audio': audio}
    if self.ids is not None:
      out['speaker'] = self.ids[clip_ids]
    return out

  def __repr__(self):
    return (f'AudioCrops({len(self)} crops of {self.crop_length} samples from '
            f'{len(self.clips)} clips)')


def crop_features(crop_length: int, with_ids: bool) -> dict:
  """`info['features']` of a split of crops."""
  features = {'audio': ((int(crop_length),), 'float32')}
  if with_ids:
    features['speaker'] = ((), 'int32')
  return features


def to_float(x: np.ndarray) -> np.ndarray:
  """int16 PCM -> float32 in [-1, 1); floats pass through (as float32)."""
  x = np.asarray(x)
  if np.issubdtype(x.dtype, np.integer):
    return x.astype(np.float32) / float(np.iinfo(x.dtype).max + 1)
  return x.astype(np.float32)


@functools.lru_cache(maxsize=4)
def read_wav_dir(directory: str, package: str = '', env: str = ''
                 ) -> tuple[tuple[str, ...], tuple[np.ndarray, ...], int]:
  """(relative paths, clips (int16 PCM as stored), sample rate) of every WAV under `directory`.

  `package` and `env` name the Debian package and environment variable that provide the
  folder, for the error raised when it holds no WAV file.
  """
  paths = sorted(glob.glob(os.path.join(directory, '**', '*.wav'), recursive=True))
  if not paths:
    how = f'Install them with `sudo apt-get install {package}` (Debian/Ubuntu), or ' if package \
        else ''
    where = f'set {env} or pass' if env else 'pass'
    raise FileNotFoundError(f'No WAV files under {directory}. {how}{where} '
                            'data_dir=<a folder of WAV files>.')
  clips, rates = [], set()
  for p in paths:
    rate, x = wavfile.read(p)
    clips.append(x if x.ndim == 1 else x.mean(-1).astype(x.dtype))
    rates.add(rate)
  if len(rates) != 1:
    raise ValueError(f'WAV files under {directory} mix sample rates {sorted(rates)}.')
  rel = tuple(os.path.relpath(p, directory) for p in paths)
  return rel, tuple(clips), rates.pop()


def _is_heldout(relpath: str, test_fraction: float, salt: str = '') -> bool:
  return zlib.crc32((salt + relpath).encode()) % 1000 < test_fraction * 1000


def _categories(relpaths) -> tuple[np.ndarray, list[str]]:
  names = [os.path.dirname(p) or '.' for p in relpaths]
  vocab = sorted(set(names))
  return np.array([vocab.index(n) for n in names], np.int32), vocab


def _split_clips(relpaths, clips, split, holdout, test_fraction, global_id,
                 validation_fraction=0.0):
  """Clips and ids of one split: hold out whole files, or the tail of every file.

  'validation' is carved from the training part the same way (files by a second hash, or
  the tail of every file's training part).
  """
  if global_id not in (None, 'file', 'category'):
    raise ValueError(f"global_id must be None, 'file' or 'category'; got {global_id!r}.")
  if holdout not in ('files', 'tail'):
    raise ValueError(f"holdout must be 'files' or 'tail'; got {holdout!r}.")
  if global_id == 'file' and holdout == 'files':
    raise ValueError("global_id='file' needs holdout='tail': with held-out files the test "
                     "ids would never have been seen in training.")
  if global_id == 'category':
    ids, vocab = _categories(relpaths)
  else:
    ids, vocab = np.arange(len(clips), dtype=np.int32), list(relpaths)
  if holdout == 'files':
    def which(p):
      if _is_heldout(p, test_fraction):
        return 'test'
      if validation_fraction and _is_heldout(p, validation_fraction, salt='validation/'):
        return 'validation'
      return 'train'
    sel = [i for i, p in enumerate(relpaths) if which(p) == split]
    out_clips = [clips[i] for i in sel]
    out_ids = ids[sel]
  else:
    cut = [int(round(len(c) * (1 - test_fraction))) for c in clips]
    if split == 'test':
      out_clips = [c[k:] for c, k in zip(clips, cut)]
    else:
      heads = [c[:k] for c, k in zip(clips, cut)]
      vcut = [int(round(len(h) * (1 - validation_fraction))) for h in heads]
      out_clips = [h[:k] if split == 'train' else h[k:] for h, k in zip(heads, vcut)]
    out_ids = ids
  info = {'num_ids': len(vocab) if global_id else 0, 'ids': vocab if global_id else []}
  return out_clips, (out_ids if global_id else None), info


def _check_split(name, split, validation_fraction):
  if split not in ('train', 'validation', 'test'):
    raise ValueError(f"Unknown split {split!r}; valid: ('train', 'validation', 'test').")
  if split == 'validation' and not validation_fraction:
    from jaxgen.data import registry  # pylint: disable=g-import-not-at-top
    raise ValueError(registry.no_validation_message(name))


def _load(directory, package, env, split, crop_length, num_examples, seed, holdout,
          test_fraction, global_id, examples_per_crop, max_test_examples, validation_fraction,
          name):
  _check_split(name, split, validation_fraction)
  relpaths, clips, rate = read_wav_dir(directory, package, env)
  clips_s, ids, info = _split_clips(relpaths, clips, split, holdout, test_fraction, global_id,
                                    validation_fraction)
  info.update(sample_rate=rate, directory=directory)
  if split == 'train':
    if num_examples is None:
      total = sum(len(c) for c in clips_s if len(c) >= crop_length)
      num_examples = max(1, int(examples_per_crop * total // crop_length))
    return AudioCrops(clips_s, crop_length, ids, num_examples, seed, info)
  crops = AudioCrops(clips_s, crop_length, ids, None, seed, info)
  if max_test_examples and len(crops) > max_test_examples:
    crops.subsample(max_test_examples)
  return crops


def speech8k(split: str, crop_length: int = 4000, num_examples: int | None = None,
             seed: int = 0, global_id: str | None = None, test_fraction: float = 0.1,
             examples_per_crop: float = 4.0, max_test_examples: int | None = None,
             data_dir: str | None = None, validation_fraction: float = 0.0) -> AudioCrops:
  """One speaker's 8 kHz English prompts (asterisk-core-sounds-en-wav).

  Args:
    split: 'train', 'validation' or 'test' (held-out files, ~`test_fraction` of them).
    crop_length: samples per example.
    num_examples: training crops (default `examples_per_crop` x the audio's length in crops).
    seed: seed of the training crops.
    global_id: None, or 'category' (prompt group: digits, letters, phonetic, ...).
    max_test_examples: evenly spaced subset of the test crops (None: all).
    data_dir: another folder of WAV files (default $JAXGEN_SPEECH8K_DIR, else SPEECH_DIR).
    validation_fraction: about this share of the training files forms 'validation'.
  """
  directory = data_dir or os.environ.get('JAXGEN_SPEECH8K_DIR', SPEECH_DIR)
  return _load(directory, SPEECH_PACKAGE, 'JAXGEN_SPEECH8K_DIR', split, crop_length,
               num_examples, seed, 'files', test_fraction, global_id, examples_per_crop,
               max_test_examples, validation_fraction, 'speech8k')


def music8k(split: str, crop_length: int = 4000, num_examples: int | None = None,
            seed: int = 0, global_id: str | None = None, test_fraction: float = 0.1,
            examples_per_crop: float = 4.0, max_test_examples: int | None = None,
            data_dir: str | None = None, validation_fraction: float = 0.0) -> AudioCrops:
  """Five 8 kHz music tracks (asterisk-moh-opsound-wav); the test split is each track's tail.

  `global_id='file'` conditions on the track; 'validation' is the last
  `validation_fraction` of every track's training part. Other arguments as `speech8k`.
  """
  directory = data_dir or os.environ.get('JAXGEN_MUSIC8K_DIR', MUSIC_DIR)
  return _load(directory, MUSIC_PACKAGE, 'JAXGEN_MUSIC8K_DIR', split, crop_length,
               num_examples, seed, 'tail', test_fraction, global_id, examples_per_crop,
               max_test_examples, validation_fraction, 'music8k')


class TfdsAudioCrops(AudioCrops):
  """Crops of a tensorflow-datasets audio split, read record by record with `tfds.data_source`.

  Crop i of the training split comes from record i mod n at an offset drawn from (seed, i);
  the test split takes one crop per record from its start. Records shorter than a crop are
  zero-padded at the end.
  """

  def __init__(self, source, crop_length: int, audio_key: str, id_key: str | None,
               num_examples: int | None, seed: int, info: dict):
    self._source = source
    self.crop_length, self.seed, self.info = int(crop_length), int(seed), dict(info)
    self.info['features'] = crop_features(self.crop_length, bool(id_key))
    self.audio_key, self.id_key = audio_key, id_key
    self.random = num_examples is not None
    self.num_examples = int(num_examples) if self.random else len(source)

  def get(self, indices) -> dict[str, np.ndarray]:
    indices = np.asarray(indices).reshape(-1)
    n = len(self._source)
    audio = np.zeros((len(indices), self.crop_length), np.float32)
    ids = np.zeros(len(indices), np.int32)
    for row, index in enumerate(indices):
      record = self._source[int(index) % n]
      if self.audio_key not in record:
        raise ValueError(f'Record has no audio key {self.audio_key!r}; keys: '
                         f'{sorted(record)}. Pass audio_key=.')
      x = to_float(np.asarray(record[self.audio_key]))
      x = x.mean(-1) if x.ndim == 2 else x.reshape(-1)
      offset = 0
      if self.random and len(x) > self.crop_length:
        u = np.random.default_rng([self.seed, int(index)]).random()
        offset = int(u * (len(x) - self.crop_length + 1))
      piece = x[offset:offset + self.crop_length]
      audio[row, :len(piece)] = piece
      if self.id_key:
        ids[row] = int(np.asarray(record[self.id_key]))
    out = {'audio': audio}
    if self.id_key:
      out['speaker'] = ids
    return out


class _Records:
  """Records `indices` of a tfds data source, as a sequence (a carved split)."""

  def __init__(self, source, indices: np.ndarray):
    self._source, self._indices = source, np.asarray(indices, np.int64)

  def __len__(self) -> int:
    return len(self._indices)

  def __getitem__(self, i: int):
    return self._source[int(self._indices[i])]


def tfds_audio(split: str, name: str = 'speech_commands', crop_length: int = 8000,
               num_examples: int | None = None, seed: int = 0, audio_key: str | None = None,
               id_key: str | None = None, data_dir: str | None = None,
               tfds_split: str | None = None, validation_fraction: float = 0.0,
               validation_seed: int = 0) -> TfdsAudioCrops:
  """Crops of a tensorflow-datasets audio dataset (e.g. speech_commands, nsynth, ljspeech).

  Args:
    split: 'train', 'validation' or 'test' (or any tfds split name through `tfds_split`).
    name: the tfds dataset name.
    crop_length: samples per crop (at the dataset's own sample rate, in `info`).
    num_examples: training crops (default: the number of records).
    audio_key: the feature holding audio (default: 'audio', else 'speech').
    id_key: a feature to use as the global-conditioning id ('speaker').
    validation_fraction: without a tfds 'validation' split, this seeded share of the training
      records (seed `validation_seed`) forms 'validation' and leaves 'train'.
  """
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  carve = None
  try:
    builder = tfds.builder(name, data_dir=data_dir)
    read = tfds_split or split
    if not tfds_split and split in ('train', 'validation'):
      own = 'validation' in (builder.info.splits or {})
      if split == 'validation' and not own and not validation_fraction:
        from jaxgen.data import registry  # pylint: disable=g-import-not-at-top
        raise ValueError(registry.no_validation_message(f'tfds_audio {name}'))
      if validation_fraction and not own:
        read, carve = 'train', split
    source = tfds.data_source(name, split=read, data_dir=data_dir)
    if carve:
      from jaxgen.data import registry  # pylint: disable=g-import-not-at-top
      keep = registry.validation_split(len(source), validation_fraction,
                                       validation_seed)[carve == 'validation']
      source = _Records(source, keep)
  except ModuleNotFoundError as e:
    raise ModuleNotFoundError(
        f'tensorflow-datasets needs TensorFlow to build {name!r} (its Audio feature imports '
        f'it): `pip install tensorflow-cpu`. ({e})') from e
  except ValueError as e:
    if 'validation_fraction' in str(e):
      raise
    raise ValueError(f'tensorflow-datasets could not open {name!r} split {split!r}: {e}. '
                     'Prepare it once with `tfds build` (that needs a network).') from e
  except Exception as e:  # tfds raises several types for unknown names/splits.
    raise ValueError(f'tensorflow-datasets could not open {name!r} split {split!r}: {e}. '
                     'Prepare it once with `tfds build` (that needs a network).') from e
  features = builder.info.features
  keys = list(features.keys()) if hasattr(features, 'keys') else []
  if audio_key is None:
    audio_key = next((k for k in ('audio', 'speech') if k in keys), None)
    if audio_key is None:
      raise ValueError(f'{name!r} has no "audio" or "speech" feature ({keys}); pass audio_key.')
  rate = getattr(features[audio_key], 'sample_rate', None) if audio_key in keys else None
  info = {'sample_rate': rate, 'tfds_name': name}
  if id_key and id_key in keys and hasattr(features[id_key], 'num_classes'):
    info['num_ids'] = features[id_key].num_classes
  if split == 'train' and num_examples is None:
    num_examples = len(source)
  return TfdsAudioCrops(source, crop_length, audio_key, id_key,
                        num_examples if split == 'train' else None, seed, info)


for _loader in (speech8k, music8k, tfds_audio):
  _loader.own_validation = True   # registry.load passes validation_fraction through
