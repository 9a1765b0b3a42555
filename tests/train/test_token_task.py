"""A token-level task through the trainer: per-token (sum, weight) metrics and text samples.

A byte-level bigram language model on lines of real English text (this repository's README),
padded to a fixed length: the test NLL must be the total over the split's tokens divided by
their number (not a mean of per-line means, which weights short lines more), and the samples
come back as text through `artifacts`.
"""
import os
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

from jaxgen import data, train
from jaxgen.data.sources import ArraySource
from jaxgen.train.task import Task, Variables

LENGTH, VOCAB = 48, 256


def _lines():
  text = (pathlib.Path(__file__).resolve().parents[2] / 'README.md').read_text('utf-8')
  lines = [l.strip().encode('ascii', 'ignore')[:LENGTH] for l in text.splitlines()]
  lines = [l for l in lines if len(l) >= 4]
  tokens = np.zeros((len(lines), LENGTH), np.int32)
  for i, l in enumerate(lines):
    tokens[i, :len(l)] = np.frombuffer(l, np.uint8)
  return tokens, np.array([len(l) for l in lines], np.int32)


class Bigram(Task):
  """p(x_t | x_{t-1}) = softmax(W[x_{t-1}]); position 0 is predicted from byte 0."""
  sample_kind = 'tokens'

  def init(self, rng, batch):
    return Variables({'w': 0.01 * jax.random.normal(rng, (VOCAB, VOCAB))})

  def _token_nll(self, params, batch):
    x, n = batch['tokens'], batch['length']
    prev = jnp.pad(x[:, :-1], ((0, 0), (1, 0)))
    logp = jax.nn.log_softmax(params['w'][prev], -1)
    nll = -jnp.take_along_axis(logp, x[..., None], -1)[..., 0]
    mask = (jnp.arange(LENGTH)[None] < n[:, None]).astype(jnp.float32)
    return nll * mask, mask

  def loss(self, params, extra, batch, rng):
    nll, mask = self._token_nll(params, batch)
    return jnp.sum(nll) / jnp.sum(mask), ({'nll': (nll, mask)}, extra)

  def eval_step(self, params, extra, batch, rng):
    nll, mask = self._token_nll(params, batch)
    return {'nll': (nll, mask), 'loss': (nll, mask)}     # (sum, weight) per example

  def sample(self, params, extra, rng, num):
    def step(prev, key):
      x = jax.random.categorical(key, params['w'][prev])
      return x, x
    _, xs = jax.lax.scan(step, jnp.full((num,), ord('T')), jax.random.split(rng, 24))
    return xs.T

  def decode(self, ids):
    return bytes(int(i) for i in ids if 32 <= i < 127).decode('ascii')


def test_token_task_weights_metrics_per_token_and_writes_text(tmp_path, monkeypatch):
  tokens, lengths = _lines()
  test_idx = np.arange(0, len(tokens), 5)
  train_idx = np.setdiff1d(np.arange(len(tokens)), test_idx)
  src = {s: ArraySource({'tokens': tokens[i], 'length': lengths[i]})
         for s, i in (('train', train_idx), ('test', test_idx))}
  monkeypatch.setitem(data.registry._REGISTRY, 'readme_lines', lambda split: src[split])
  cfg = train.base_config()
  cfg.data.name = 'readme_lines'
  cfg.data.batch_size = 16
  cfg.data.eval_batch_size = 16          # the split does not divide: the last batch is padded
  cfg.optimizer.learning_rate = 0.1
  cfg.num_steps, cfg.eval_every, cfg.checkpoint_every, cfg.num_samples = 60, 0, 60, 5
  cfg.progress, cfg.mesh.data = False, 1
  assert len(test_idx) % cfg.data.eval_batch_size
  workdir = str(tmp_path / 'run')
  final = train.train_and_evaluate(cfg, workdir, lambda info: Bigram(cfg))

  _, state = train.load_state(cfg, workdir, lambda info: Bigram(cfg))
  w = np.asarray(jax.device_get(state.params['w']), np.float64)
  logp = w - np.log(np.exp(w - w.max(-1, keepdims=True)).sum(-1, keepdims=True)) - w.max(
      -1, keepdims=True)
  x = tokens[test_idx]
  prev = np.pad(x[:, :-1], ((0, 0), (1, 0)))
  nll = -np.take_along_axis(logp[prev], x[..., None], -1)[..., 0]
  mask = np.arange(LENGTH)[None] < lengths[test_idx][:, None]
  per_token = (nll * mask).sum() / mask.sum()
  per_line = ((nll * mask).sum(1) / mask.sum(1)).mean()
  np.testing.assert_allclose(final['eval/nll'], per_token, rtol=1e-4)
  assert abs(per_line - per_token) > 1e-3      # the two weightings really differ here
  assert final['eval/nll'] < np.log(VOCAB) - 1.0   # it learned something about English bytes

  lines = open(os.path.join(workdir, 'samples', 'final.txt'), encoding='utf-8').read()
  assert len(lines.splitlines()) == 5 and all(len(l) <= 24 for l in lines.splitlines())
