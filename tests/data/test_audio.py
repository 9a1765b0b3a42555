"""Audio sources: Debian speech and music, held-out splits, random crops, tfds (mock data)."""
import numpy as np
import pytest
import tensorflow_datasets as tfds

from jaxgen import data
from jaxgen.data import audio


@pytest.fixture(scope='module')
def speech():
  return {split: data.load('speech8k', split, crop_length=2000) for split in ('train', 'test')}


def test_speech8k_crops(speech):
  train, test = speech['train'], speech['test']
  batch = train.get(np.array([3, 1000, 7]))
  assert batch['audio'].shape == (3, 2000) and batch['audio'].dtype == np.float32
  assert np.abs(batch['audio']).max() <= 1.0 and batch['audio'].std() > 1e-3
  assert 'speaker' not in batch
  # Crop i is a pure function of (seed, i): the same every time, different for another i.
  np.testing.assert_array_equal(train.get(np.array([1000]))['audio'][0], batch['audio'][1])
  assert not np.array_equal(batch['audio'][0], batch['audio'][2])
  assert train.info['sample_rate'] == 8000
  # About 25 minutes of audio, about a tenth of the files held out.
  minutes = lambda s: sum(len(c) for c in s.clips) / 8000 / 60
  assert 20 < minutes(train) + minutes(test) < 26 and 1 < minutes(test) < 4
  assert len(test) == sum((len(c) - 2000) // 2000 + 1 for c in test.clips)


def test_speech8k_holds_out_whole_files(speech):
  train, test = speech['train'], speech['test']
  train_clips = {c.tobytes() for c in train.clips}
  assert not any(c.tobytes() in train_clips for c in test.clips)
  # Test crops tile the held-out files in order.
  first = test.get(np.array([0, 1]))['audio']
  np.testing.assert_array_equal(first.reshape(-1), audio.to_float(test.clips[0][:4000]))


def test_global_ids_and_music_tail_split():
  speech = data.load('speech8k', 'train', crop_length=2000, global_id='category')
  assert speech.info['num_ids'] == 7 and 'digits' in speech.info['ids']
  ids = speech.get(np.arange(200))['speaker']
  assert ids.dtype == np.int32 and len(np.unique(ids)) >= 3
  music = {s: data.load('music8k', s, crop_length=4000, global_id='file')
           for s in ('train', 'test')}
  assert music['train'].info['num_ids'] == 5
  assert sorted(np.unique(music['test'].get(np.arange(len(music['test'])))['speaker'])) == [
      0, 1, 2, 3, 4]
  for tr, te in zip(music['train'].clips, music['test'].clips):
    assert abs(len(te) / (len(tr) + len(te)) - 0.1) < 0.01
  with pytest.raises(ValueError, match="holdout='tail'"):
    data.load('speech8k', 'train', global_id='file')


def test_clear_errors(tmp_path, monkeypatch):
  monkeypatch.setenv('JAXGEN_SPEECH8K_DIR', str(tmp_path))
  with pytest.raises(FileNotFoundError, match='apt-get install asterisk-core-sounds-en-wav'):
    data.load('speech8k', 'train')
  with pytest.raises(FileNotFoundError, match='apt-get install asterisk-moh-opsound-wav'):
    data.load('music8k', 'train', data_dir=str(tmp_path))
  monkeypatch.delenv('JAXGEN_SPEECH8K_DIR')
  with pytest.raises(ValueError, match='crop_length'):
    data.load('speech8k', 'train', crop_length=10_000_000)
  with pytest.raises(ValueError, match='split'):
    data.load('speech8k', 'validation')


class DummyAudio(tfds.core.GeneratorBasedBuilder):
  """A tfds dataset with int16 audio and a speaker label (its records come from mock_data)."""
  VERSION = tfds.core.Version('1.0.0')

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
        'audio': tfds.features.Tensor(shape=(None,), dtype=np.int16),
        'speaker_id': tfds.features.ClassLabel(num_classes=4)}))

  def _split_generators(self, dl_manager):
    return {'train': self._generate_examples(), 'test': self._generate_examples()}

  def _generate_examples(self):
    yield 0, {'audio': np.zeros(10, np.int16), 'speaker_id': 0}


def test_tfds_audio_with_mock_data():
  with tfds.testing.mock_data(num_examples=6):
    train = audio.tfds_audio('train', name='dummy_audio', crop_length=16, num_examples=20,
                             id_key='speaker_id')
    test = audio.tfds_audio('test', name='dummy_audio', crop_length=16, id_key='speaker_id')
    record = np.asarray(tfds.data_source('dummy_audio', split='train')[2]['audio'])
    batch = train.get(np.arange(20))
    test_batch = test.get(np.arange(len(test)))
  assert len(train) == 20 and len(test) == 6
  assert batch['audio'].shape == (20, 16) and batch['audio'].dtype == np.float32
  assert batch['speaker'].dtype == np.int32 and set(batch['speaker']) <= {0, 1, 2, 3}
  assert train.info['num_ids'] == 4
  # Test crops start at the record's start, scaled from int16 (zero-padded when short).
  n = min(16, len(record))
  np.testing.assert_allclose(test_batch['audio'][2, :n], record[:n] / 32768.0)
  # Training crops are slices of their record at a seeded offset (record i mod 6).
  row = batch['audio'][8]
  scaled = record / 32768.0
  assert any(np.allclose(row[:min(16, len(scaled) - o)], scaled[o:o + 16])
             for o in range(max(1, len(scaled) - 15)))
