"""The `jaxgen` command line."""
import json
import os

from jaxgen import cli


def test_list_shows_experiments_and_datasets(capsys):
  assert cli.main(['list']) == 0
  out = capsys.readouterr().out
  assert 'made_mnist' in out and 'mnist5k' in out and 'tfds:<name>' in out


def test_bad_names_exit_2_with_the_valid_ones(capsys, tmp_path):
  assert cli.main(['train', 'nope', '--workdir', str(tmp_path)]) == 2
  assert 'Valid experiments:' in capsys.readouterr().err
  assert cli.main(['train', 'made_mnist:tiny', '--set', 'model.width=3',
                   '--workdir', str(tmp_path)]) == 2
  assert 'Valid keys there:' in capsys.readouterr().err
  assert cli.main(['train', 'made_mnist:tiny', '--set', 'data.name=mnist9',
                   '--workdir', str(tmp_path)]) == 2
  assert 'Valid datasets:' in capsys.readouterr().err


def test_train_eval_sample(capsys, tmp_path):
  wd = str(tmp_path / 'run')
  args = ['--workdir', wd, '--set', 'num_steps=6', '--set', 'eval_every=3', '--set',
          'checkpoint_every=3', '--set', 'progress=False', '--set', 'num_samples=4',
          '--set', 'model.hidden_sizes=(16,)']
  assert cli.main(['train', 'made_mnist:tiny'] + args) == 0
  out = capsys.readouterr().out
  result = json.loads(out[:out.rindex('}') + 1])
  assert result['step'] == 6 and result['eval/nll'] > 0
  for f in ('metrics.jsonl', 'final_metrics.json', 'samples/final.png', 'samples/step_0000003.png'):
    assert os.path.exists(os.path.join(wd, f)), f
  assert os.listdir(os.path.join(wd, 'tensorboard'))
  assert cli.main(['eval', 'made_mnist:tiny'] + args) == 0
  out = capsys.readouterr().out
  assert json.loads(out[:out.rindex('}') + 1])['eval/nll'] == result['eval/nll']
  assert cli.main(['sample', 'made_mnist:tiny', '--num', '9'] + args) == 0
  assert os.path.exists(os.path.join(wd, 'samples', 'sample_seed0.png'))


def _digits_npz(path, **changes):
  """A user's file: 600 real digits as uint8 images with labels (or with `changes`)."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from jaxgen import data  # pylint: disable=g-import-not-at-top
  arrays = data.load('mnist5k', 'train').get(np.arange(600))
  arrays.update(changes)
  arrays = {k: v for k, v in arrays.items() if v is not None}
  np.savez(path, **arrays)
  return str(path)


def test_train_on_a_users_npz_file(capsys, tmp_path):
  path = _digits_npz(tmp_path / 'digits.npz')
  wd = str(tmp_path / 'run')
  assert cli.main(['train', 'made_mnist:tiny', '--set', f'data.name=file:{path}', '--set',
                   'num_steps=4', '--set', 'progress=False', '--set', 'num_samples=0',
                   '--set', 'data.eval_batch_size=40', '--workdir', wd]) == 0
  out = capsys.readouterr().out
  assert json.loads(out[:out.rindex('}') + 1])['eval/nll'] > 0


def test_a_bad_users_file_gives_one_clear_error(capsys, tmp_path):
  import numpy as np  # pylint: disable=g-import-not-at-top
  cases = {
      'missing key': (dict(image=None, label=None, pixels=np.zeros((600, 28, 28), np.uint8)),
                      "'image'"),
      'wrong dtype': (dict(image=np.random.default_rng(0).random((600, 28, 28, 1))),
                      'uint8'),
      'wrong shape': (dict(image=np.zeros((600, 28, 28, 2), np.uint8)), 'channel'),
  }
  for name, (changes, expected) in cases.items():
    path = _digits_npz(tmp_path / f'{name.replace(" ", "_")}.npz', **changes)
    wd = str(tmp_path / name.replace(' ', '_'))
    assert cli.main(['train', 'made_mnist:tiny', '--set', f'data.name=file:{path}',
                     '--workdir', wd]) == 2, name
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, (name, err)


def test_train_on_a_data_by_model_mesh(capsys, tmp_path):
  """`--set mesh.model=2`: a 1 x 2 mesh (the tests' mesh.data is 1), the batch replicated on
  `model`; MADE has no attention or MLP weights, so the 'transformer' rules match nothing."""
  wd = str(tmp_path / 'run')
  assert cli.main(['train', 'made_mnist:tiny', '--workdir', wd, '--set', 'mesh.model=2',
                   '--set', 'sharding.tensor_parallel=transformer', '--set', 'num_steps=2',
                   '--set', 'eval_every=0', '--set', 'progress=False', '--set',
                   'num_samples=0', '--set', 'model.hidden_sizes=(16,)']) == 0
  out = capsys.readouterr().out
  assert json.loads(out[:out.rindex('}') + 1])['step'] == 2
  with open(os.path.join(wd, 'config.json'), encoding='utf-8') as f:
    config = json.load(f)
  assert config['mesh']['model'] == 2 and config['sharding']['tensor_parallel'] == 'transformer'
