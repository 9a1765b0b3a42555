"""The NTM's tasks as a trainer task: binary outputs on the masked steps, bits and bit errors.

config.model (task 'ntm'):
  arch          'ntm' (`model.NTM`: its fields memory_size, memory_width, controller_features,
                controller, num_read_heads, num_write_heads, shift_range may be set) or
                'lstm' (`model.LSTMBaseline`: hidden_size, num_layers), the paper's baseline.
  generalize    the (min_length, max_length) ranges of the copy sequences the final
                evaluation scores beside the trained ones (the paper's figure 4: lengths
                beyond training), e.g. ((11, 20), (21, 40)) for training on 1-10.

Data (`jaxgen.data.synthetic`'s copy, repeat_copy, associative_recall, priority_sort): x
[b, T, in], target [b, T, out] in {0, 1}, mask [b, T]. The loss is the binary cross-entropy
summed over the masked steps' bits (a sequence's cost, as the paper's figures in bits) and
averaged over the batch. Metrics per sequence: 'bits' (that cost in bits) and 'bit_errors'
(bits whose thresholded output differs from the target: the paper's copy figures count
these).
"""
from __future__ import annotations

import functools
import math
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgen.data.sources import feature
from jaxgen.models.ntm import model as ntm_model
from jaxgen.train.config import check_choice, read_model_config
from jaxgen.train.task import Task, Variables

ARCHS = {'ntm': ntm_model.NTM, 'lstm': ntm_model.LSTMBaseline}
TASK_KEYS = dict(arch='ntm', generalize=())


def sequence_costs(logits, target, mask):
  """(bits [b], bit errors [b]) of logits / target [b, T, out] on mask [b, T]."""
  bce = optax.sigmoid_binary_cross_entropy(logits, target)
  bits = jnp.sum(bce * mask[..., None], axis=(1, 2)) / math.log(2.0)
  wrong = (logits > 0).astype(jnp.float32) != target
  errors = jnp.sum(wrong * mask[..., None], axis=(1, 2))
  return bits, errors


class NTMTask(Task):
  """An NTM or its LSTM baseline on one of the NTM's tasks (see the module docstring)."""
  sample_kind = 'image'

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    arch = config.model.get('arch', 'ntm')
    check_choice(arch, tuple(ARCHS), 'model.arch')
    t, kwargs = read_model_config(config.model, 'ntm', TASK_KEYS, ARCHS[arch],
                                  ('out_features',))
    self.arch = arch
    self.in_features = feature(info, 'x', 'ntm')[0][-1]
    self.out_features = feature(info, 'target', 'ntm')[0][-1]
    self.info = dict(info or {})
    self.generalize = tuple(tuple(int(v) for v in r) for r in t['generalize'])
    for r in self.generalize:
      if len(r) != 2 or not 1 <= r[0] <= r[1]:
        raise ValueError(f'model.generalize holds (min_length, max_length) pairs with '
                         f'1 <= min <= max, got {r}.')
    if self.generalize and self.info.get('task') != 'copy':
      raise ValueError(f'model.generalize scores copy sequences; the data is '
                       f'{self.info.get("task")!r}.')
    self.net = ARCHS[arch](out_features=self.out_features, **kwargs)

  def init(self, rng, batch) -> Variables:
    return Variables(params=self.net.init(rng, batch['x'][:1])['params'])

  def _costs(self, params, batch):
    logits = self.net.apply({'params': params}, batch['x'])
    return sequence_costs(logits, batch['target'], batch['mask'])

  def loss(self, params, extra, batch, rng):
    del rng
    bits, errors = self._costs(params, batch)
    loss = jnp.mean(bits) * math.log(2.0)               # nats per sequence
    return loss, ({'bits': jnp.mean(bits), 'bit_errors': jnp.mean(errors)}, extra)

  def eval_step(self, params, extra, batch, rng):
    del extra, rng
    bits, errors = self._costs(params, batch)
    return {'bits': bits, 'bit_errors': errors, 'loss': bits * math.log(2.0)}

  @functools.partial(jax.jit, static_argnums=0)
  def _weights(self, params, x):
    return self.net.apply({'params': params}, x, return_weights=self.arch == 'ntm')

  def _example(self, rng, num: int):
    """`num` sequences of the task the data came from, drawn from `rng`."""
    from jaxgen.data import synthetic  # pylint: disable=g-import-not-at-top
    seed = int(jax.random.randint(rng, (), 0, 2**31 - 1))
    sizes = {k: v for k, v in self.info.items() if k not in ('task', 'features')}
    fn = getattr(synthetic, f'{self.info.get("task", "copy")}_task')
    return fn(num, **sizes, rng=np.random.default_rng(seed))

  def sample(self, params, extra, rng, num: int):
    """Images of `min(num, 4)` fresh sequences: input, target and output (thresholded) over
    time, stacked top to bottom, grey = 0.5 where the target does not count; [n, h, T, 1]."""
    x, y, mask, _ = self._example(rng, max(1, min(num, 4)))
    out = self._weights(params, jnp.asarray(x))
    logits = out[0] if isinstance(out, tuple) else out
    pred = np.asarray(jax.nn.sigmoid(logits))
    shown = np.where(mask[..., None] > 0, pred, 0.5)
    target = np.where(mask[..., None] > 0, y, 0.5)
    gap = np.ones_like(x[:, :, :1])
    rows = np.concatenate([np.clip(x, 0, 1), gap, target, gap, shown], axis=-1)
    return np.repeat(np.repeat(rows.transpose(0, 2, 1)[..., None], 4, 1), 4, 2)

  def generalization(self, params, rng, num: int = 200) -> list[dict]:
    """Bit errors per sequence of `num` copy sequences per length range: the trained range
    (info's) and each of `generalize`."""
    from jaxgen.data import synthetic  # pylint: disable=g-import-not-at-top
    ranges = [(int(self.info['min_length']), int(self.info['max_length']))]
    ranges += list(self.generalize)
    rows = []
    for i, (lo, hi) in enumerate(ranges):
      seed = int(jax.random.randint(jax.random.fold_in(rng, i), (), 0, 2**31 - 1))
      x, y, mask, lengths = synthetic.copy_task(num, lo, hi, int(self.info['width']),
                                                np.random.default_rng(seed))
      bits, errors = jax.jit(self._costs)(params, {'x': x, 'target': y, 'mask': mask})
      rows.append({'min_length': lo, 'max_length': hi, 'bit_errors': float(jnp.mean(errors)),
                   'bits': float(jnp.mean(bits)), 'per_length': {
                       int(L): float(np.mean(np.asarray(errors)[lengths == L]))
                       for L in np.unique(lengths)}})
    return rows

  def write_weightings(self, params, rng, directory: str) -> str | None:
    """The paper's figure 6 for one copy sequence of the longest trained length: inputs,
    outputs, and the write and read weightings over time, in directory/weightings.png (NTM
    only)."""
    if self.arch != 'ntm':
      return None
    from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top
    from jaxgen.data import synthetic  # pylint: disable=g-import-not-at-top
    top = int(self.info['max_length'])                   # the longest trained sequence
    seed = int(jax.random.randint(rng, (), 0, 2**31 - 1))
    x, _, mask, _ = synthetic.copy_task(1, top, top, int(self.info['width']),
                                        np.random.default_rng(seed))
    logits, read_w, write_w = self._weights(params, jnp.asarray(x))
    pred = np.where(mask[0][:, None] > 0, np.asarray(jax.nn.sigmoid(logits[0])), 0.0)
    panels = [('inputs', x[0]), ('outputs', pred), ('write weightings', write_w[0, :, 0]),
              ('read weightings', read_w[0, :, 0])]
    fig = Figure(figsize=(8, 6))
    for ax, (title, a) in zip(fig.subplots(2, 2).flat, panels):
      ax.imshow(np.asarray(a).T, cmap='Greys', vmin=0.0, vmax=1.0, aspect='auto',
                interpolation='nearest')
      ax.set_title(title, fontsize=9)
      ax.set_xlabel('time', fontsize=8)
    fig.tight_layout()
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, 'weightings.png')
    fig.savefig(path, dpi=80)
    return path

  def write_generalization(self, rows: list[dict], directory: str) -> str:
    """Bit errors per sequence against sequence length (the rows of `generalization`), the
    trained range shaded, in directory/generalization.png (the paper's figures 4 and 5)."""
    from matplotlib.figure import Figure  # pylint: disable=g-import-not-at-top
    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    lengths = [int(L) for r in rows for L in r['per_length']]
    errors = [e for r in rows for e in r['per_length'].values()]
    ax.plot(lengths, errors, 'o-', ms=3, label=f'{self.arch} ({len(lengths)} lengths)')
    ax.axvspan(rows[0]['min_length'] - 0.5, rows[0]['max_length'] + 0.5, color='0.9',
               label='trained lengths')
    ax.set_xlabel('sequence length')
    ax.set_ylabel('bit errors per sequence')
    ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, 'generalization.png')
    fig.savefig(path, dpi=80)
    return path

  def finalize(self, state, workdir, test_data, rng):
    out = {}
    if self.info.get('task') == 'copy':
      rows = self.generalization(state.params, rng)
      for r in rows:
        out[f'bit_errors_length_{r["min_length"]}_{r["max_length"]}'] = r['bit_errors']
      if workdir:
        import json  # pylint: disable=g-import-not-at-top
        with open(os.path.join(workdir, 'generalization.json'), 'w', encoding='utf-8') as f:
          json.dump(rows, f, indent=1)
        self.write_generalization(rows, workdir)
        self.write_weightings(state.params, jax.random.fold_in(rng, 99), workdir)
    out['num_params'] = float(sum(np.size(p) for p in jax.tree.leaves(state.params)))
    return out

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


def make_task(config: ml_collections.ConfigDict, info=None) -> NTMTask:
  return NTMTask(config, info)
