"""The SNAIL family as a trainer task: the tiny few-shot SNAIL learns unseen scripts' letters,
the prototypical baseline builds on the same episodes, config errors are one line."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen import data, experiments
from jaxgen.models import snail


def _task(variant, ways=3, shots=1):
  cfg = experiments.get_config(f'glyphs_snail:tiny,ways={ways},shots={shots},{variant}'.rstrip(','))
  source = data.load('glyphs', 'test', ways=ways, shots=shots, num_episodes=4)
  batch = {k: jnp.asarray(v) for k, v in source.get(np.arange(4)).items()}
  return cfg, snail.make_task(cfg, source.info), batch, source


@pytest.mark.learning
def test_tiny_snail_learns_unseen_scripts(tmp_path):
  """glyphs_snail:tiny, 5-way 1-shot on scripts it never saw: above 0.5 accuracy on the
  2,000 test episodes (chance 0.2; measured 0.678, pixel nearest neighbour 0.636). SNAIL sits
  at chance for its first ~300 steps, then learns."""
  cfg = experiments.get_config('glyphs_snail:tiny')
  cfg.progress = False
  final = experiments.train_and_evaluate(cfg, str(tmp_path))
  assert final['eval/accuracy'] > 0.5
  assert 0.4 < final['eval/nn_accuracy'] < 0.9       # the pixel baseline on the same episodes
  assert (tmp_path / 'samples' / 'final.png').stat().st_size > 1000   # `SnailTask.sample`


def test_protonet_and_snail_losses_and_errors():
  cfg, task, batch, source = _task('arch=protonet')
  variables = task.init(jax.random.key(0), batch)
  loss, (metrics, extra) = task.loss(variables.params, variables.extra, batch,
                                     jax.random.key(1))
  assert np.isfinite(loss) and 0 <= metrics['accuracy'] <= 1
  assert jax.tree.structure(extra) == jax.tree.structure(variables.extra)   # batch stats
  out = task.eval_step(variables.params, variables.extra, batch, jax.random.key(2))
  assert out['accuracy'].shape == out['nn_accuracy'].shape == (4,)
  _, task, _, _ = _task('dilation=1')
  assert task.net.first_dilation == 1        # the TC dilations: tests/models/test_snail.py
  cfg.model.arch = 'matching'
  with pytest.raises(ValueError, match='model.arch'):
    snail.make_task(cfg, source.info)
  copy = data.load('copy', 'train', num_examples=2)
  with pytest.raises(ValueError, match="feature 'images'|'images'"):
    snail.make_task(experiments.get_config('glyphs_snail:tiny'), copy.info)


def test_killed_snail_run_resumes_to_the_same_parameters_and_batch_stats(tmp_path):
  """Checkpoint, kill, resume: the same parameters and batch-norm statistics (the episodes of
  each step replay from (seed, step))."""
  cfg = experiments.get_config('glyphs_snail:tiny')
  cfg.progress = False
  cfg.num_steps, cfg.checkpoint_every, cfg.eval_every, cfg.num_samples = 6, 3, 0, 0
  cfg.select_metric = ''
  experiments.train_and_evaluate(cfg, str(tmp_path / 'full'))
  assert experiments.train_and_evaluate(cfg, str(tmp_path / 'killed'), stop_after=4) == {}
  experiments.train_and_evaluate(cfg, str(tmp_path / 'killed'))
  a, b = (experiments.load_state(cfg, str(tmp_path / d))[1] for d in ('full', 'killed'))
  assert a.extra['batch_stats']
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
