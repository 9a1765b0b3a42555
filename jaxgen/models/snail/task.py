"""Few-shot classification as a trainer task: SNAIL or a prototypical network on episodes.

config.model (task 'snail'):
  arch            'snail' (`model.SNAIL`: first_dilation, embedding, blocks may be set) or
                  'protonet' (`model.ProtoNet`: embedding), the baseline on the same
                  embedding network.
  embedding       kwargs of `model.Embedding` (filters, num_blocks, features, leak).

Data: N-way K-shot episodes (`jaxgen.data.glyphs`): images uint8 [b, N K + 1, h, w, 1] and
labels int32 [b, N K + 1], the query last; `info` gives ways and shots. The loss is the
cross-entropy of the query's logits (the query only, as the paper). Metrics per episode:
'accuracy' (the query classified right), 'loss', and 'nn_accuracy', pixel nearest
neighbour's accuracy on the same episodes (`model.nearest_neighbour`), so every evaluation
reports the learner beside the baseline that needs no learning.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgen.data.sources import feature
from jaxgen.models.snail import model as snail_model
from jaxgen.train.config import check_choice, read_model_config
from jaxgen.train.task import Task, Variables

ARCHS = {'snail': snail_model.SNAIL, 'protonet': snail_model.ProtoNet}
TASK_KEYS = dict(arch='snail')


class SnailTask(Task):
  """SNAIL or its prototypical-network baseline on few-shot episodes (module docstring)."""
  sample_kind = 'image'

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    arch = config.model.get('arch', 'snail')
    check_choice(arch, tuple(ARCHS), 'model.arch')
    _, kwargs = read_model_config(config.model, 'snail', TASK_KEYS, ARCHS[arch],
                                  ('ways', 'shots'))
    info = dict(info or {})
    (length, *image_shape), dtype = feature(info, 'images', 'snail')
    if 'ways' not in info or 'shots' not in info:
      raise ValueError("The snail task reads few-shot episodes: its data must say 'ways' "
                       "and 'shots' (dataset 'glyphs').")
    self.ways, self.shots = int(info['ways']), int(info['shots'])
    if length != self.ways * self.shots + 1 or dtype != 'uint8':
      raise ValueError(f'snail: episodes of {self.ways}-way {self.shots}-shot need uint8 '
                       f'images of {self.ways * self.shots + 1} items; got {length} '
                       f'({dtype}).')
    self.arch, self.info = arch, info
    self.net = ARCHS[arch](ways=self.ways, shots=self.shots, **kwargs)

  def init(self, rng, batch) -> Variables:
    variables = dict(self.net.init(rng, batch['images'][:1], batch['labels'][:1]))
    return Variables(params=variables.pop('params'), extra=variables)

  def _logits(self, params, extra, batch, train: bool):
    variables = {'params': params, **extra}
    if train:
      logits, updates = self.net.apply(variables, batch['images'], batch['labels'], True,
                                       mutable=['batch_stats'])
      return logits, {**extra, **updates}
    return self.net.apply(variables, batch['images'], batch['labels'], False), extra

  def _metrics(self, logits, batch):
    target = batch['labels'][:, -1]
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, target)
    correct = (jnp.argmax(logits, -1) == target).astype(jnp.float32)
    return {'loss': loss, 'accuracy': correct}

  def loss(self, params, extra, batch, rng):
    del rng
    logits, extra = self._logits(params, extra, batch, train=True)
    m = {k: jnp.mean(v) for k, v in self._metrics(logits, batch).items()}
    return m['loss'], (m, extra)

  def eval_step(self, params, extra, batch, rng):
    del rng
    logits, _ = self._logits(params, extra, batch, train=False)
    out = self._metrics(logits, batch)
    out['nn_accuracy'] = (snail_model.nearest_neighbour(batch['images'], batch['labels'])
                          == batch['labels'][:, -1]).astype(jnp.float32)
    return out

  @functools.partial(jax.jit, static_argnums=0)
  def predict(self, params, extra, images, labels):
    """The query's predicted class [b] of episodes (images, labels)."""
    logits, _ = self._logits(params, extra, {'images': images, 'labels': labels}, False)
    return jnp.argmax(logits, -1)

  def sample(self, params, extra, rng, num: int):
    """`min(num, 4)` fresh episodes of the test scripts as rows [n, h, T w, 1] in [0, 1]: the support
    items sorted by label, then the query; the query is drawn dark on white when the model
    labels it right, inverted when wrong."""
    from jaxgen.data import glyphs  # pylint: disable=g-import-not-at-top
    n = max(1, min(num, 4))
    source = glyphs.glyphs('test', self.ways, self.shots,
                           num_episodes=n, seed=int(jax.random.randint(rng, (), 0, 2**30)))
    batch = source.get(np.arange(n))
    pred = np.asarray(self.predict(params, extra, jnp.asarray(batch['images']),
                                   jnp.asarray(batch['labels'])))
    rows = []
    for i in range(n):
      order = np.argsort(batch['labels'][i, :-1], kind='stable')
      items = 1.0 - batch['images'][i].astype(np.float32) / 255.0
      query = items[-1] if pred[i] == batch['labels'][i, -1] else 1.0 - items[-1]
      gap = np.full_like(items[0][:, :4], 0.5)
      rows.append(np.concatenate([*items[:-1][order], gap, query], axis=1))
    return np.stack(rows)

  def finalize(self, state, workdir, test_data, rng):
    del workdir, test_data, rng
    return {'num_params': float(sum(np.size(p) for p in jax.tree.leaves(state.params)))}

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


def make_task(config: ml_collections.ConfigDict, info=None):
  """`SnailTask` for task 'snail', `bandit.BanditTask` for task 'snail_bandit'."""
  if config.get('task') == 'snail_bandit':
    from jaxgen.models.snail import bandit  # pylint: disable=g-import-not-at-top
    return bandit.make_task(config, info)
  return SnailTask(config, info)
