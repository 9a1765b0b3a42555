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
