"""Synthetic sequence tasks that the papers define by a generator.

  adding       the adding problem of Hochreiter & Schmidhuber (1997, Sec. 5.4, "Experiment 4").
  arith_trees  expression trees over digits (+ mod 10, max, min): a tree task for recursive nets.
  copy, repeat_copy, associative_recall, priority_sort
               the Neural Turing Machine's four tasks (Graves et al. 2014, Sec. 4.1-4.5).
  bandits      Bernoulli multi-armed bandit tasks (Duan et al. 2016, Sec. 4.1; Mishra et al.
               2018, Sec. 4.2.1): each episode's arm means and reward draws.
"""
from __future__ import annotations

import numpy as np

ADDING_SIZES = {'train': 20_000, 'validation': 2_000, 'test': 2_000}
_ADDING_SEEDS = {'train': 0, 'validation': 1, 'test': 2}


def adding_problem(n: int, T: int, rng: np.random.Generator):
  """n sequences of the adding problem exactly as Hochreiter & Schmidhuber (1997) define it.

  Each step is a pair (value, marker): values uniform in [-1, 1]; lengths uniform in
  [T, T + T // 10]; one of the first ten pairs is marked 1 (its value X1), then one of the
  first T/2 - 1 still unmarked pairs (X2); the first and last pairs are marked -1 unless
  marked 1; X1 is set to 0 when the first pair is the one marked. The target, given at
  the sequence's end, is 0.5 + (X1 + X2) / 4, in [0, 1]; a sequence counts as processed
  correctly when the absolute error is below 0.04.

  Returns:
    x float32 [n, T + T // 10, 2] (zero past each length), length int32 [n], target
    float32 [n].
  """
  if T < 20:
    raise ValueError(f'The adding problem needs T >= 20 (its second mark lies in the first '
                     f'T/2 - 1 pairs, after one of the first ten), got T={T}.')
  width = T + T // 10
  x = np.zeros((n, width, 2), np.float32)
  lengths = rng.integers(T, width + 1, size=n).astype(np.int32)
  values = rng.uniform(-1.0, 1.0, size=(n, width)).astype(np.float32)
  target = np.zeros(n, np.float32)
  for i in range(n):
    L = lengths[i]
    x[i, :L, 0] = values[i, :L]
    first = rng.integers(0, 10)
    rest = [j for j in range(T // 2 - 1) if j != first]
    second = rest[rng.integers(0, len(rest))]
    x[i, 0, 1] = -1.0
    x[i, L - 1, 1] = -1.0
    x[i, first, 1] = 1.0
    x[i, second, 1] = 1.0
    if first == 0 or second == 0:
      x[i, 0, 0] = 0.0            # "we set X1 to zero"
    target[i] = 0.5 + (x[i, first, 0] + x[i, second, 0]) / 4.0
  return x, lengths, target


def adding(split: str, T: int = 100, num_examples: int | None = None,
           validation_fraction: float = 0.0, validation_seed: int = 0):
  """The adding problem as a dataset: fixed seeded splits (20k train, 2k validation, 2k test).

  The validation split has its own seed (it is never carved from train); `validation_fraction`
  only switches it on, as for the other datasets.
  """
  from jaxgen.data.sources import ArraySource  # pylint: disable=g-import-not-at-top
  from jaxgen.data.registry import require_validation_fraction  # pylint: disable=g-import-not-at-top
  require_validation_fraction('adding', split, validation_fraction)
  del validation_seed
  n = int(num_examples or ADDING_SIZES[split])
  x, lengths, target = adding_problem(n, int(T), np.random.default_rng([_ADDING_SEEDS[split], T]))
  return ArraySource({'x': x, 'length': lengths, 'target': target}, info={'T': int(T)})


adding.own_validation = True


# --------------------------------------------------------------------------- expression trees
ARITH_OPS = ('+', 'M', 'm')     # sum mod 10, max, min (ListOps' SM, MAX, MIN)
ARITH_SIZES = {'train': 20_000, 'validation': 2_000, 'test': 4_000}


def random_expression(rng: np.random.Generator, max_depth: int, p_leaf: float = 0.3):
  """A random binary expression tree: a digit (int) or (op, left, right), depth <= max_depth.

  Below the root a node is a leaf with probability `p_leaf` (always at max_depth), so trees
  of every shape and depth occur.
  """
  def grow(depth):
    if depth == max_depth or (depth > 0 and rng.random() < p_leaf):
      return int(rng.integers(0, 10))
    return (ARITH_OPS[int(rng.integers(0, len(ARITH_OPS)))], grow(depth + 1), grow(depth + 1))
  return grow(0)


def evaluate_mod10(tree) -> int:
  """The value of an expression tree (the label of the tree task): + mod 10, M max, m min."""
  if isinstance(tree, int):
    return tree
  op, a, b = tree
  a, b = evaluate_mod10(a), evaluate_mod10(b)
  return {'+': (a + b) % 10, 'M': max(a, b), 'm': min(a, b)}[op]


def infix(tree) -> str:
  """The fully bracketed infix text of a tree, e.g. '(3+(4*2))'."""
  if isinstance(tree, int):
    return str(tree)
  op, a, b = tree
  return f'({infix(a)}{op}{infix(b)})'


def tree_arrays(tree, max_nodes: int) -> dict[str, np.ndarray]:
  """A tree as arrays in post-order (children before parents; the root is last).

  node_token  int32 [max_nodes]: a leaf's digit 0..9, an operator's 10 + its index;
  left, right int32 [max_nodes]: the children's node indices (-1 at leaves and padding);
  height      int32 [max_nodes]: 0 at leaves, 1 + the children's maximum above;
  num_nodes   the number of real nodes (the root is node num_nodes - 1).
  """
  token, left, right, height = [], [], [], []

  def visit(t):
    if isinstance(t, int):
      token.append(t), left.append(-1), right.append(-1), height.append(0)
      return len(token) - 1
    op, a, b = t
    ia, ib = visit(a), visit(b)
    token.append(10 + ARITH_OPS.index(op)), left.append(ia), right.append(ib)
    height.append(1 + max(height[ia], height[ib]))
    return len(token) - 1

  visit(tree)
  n = len(token)
  if n > max_nodes:
    raise ValueError(f'A tree of {n} nodes does not fit max_nodes={max_nodes}.')
  pad = lambda v, fill: np.array(v + [fill] * (max_nodes - n), np.int32)
  return {'node_token': pad(token, 0), 'left': pad(left, -1), 'right': pad(right, -1),
          'height': pad(height, -1), 'num_nodes': np.int32(n)}


def arith_trees(split: str, max_depth: int = 4, num_examples: int | None = None,
                validation_fraction: float = 0.0, validation_seed: int = 0):
  """Expression trees over digits with + (mod 10), M (max) and m (min): 10 classes.

  Each example has the tree (`tree_arrays`: node_token, left, right, height, num_nodes) and
  the same expression as bracketed infix text for a sequential model (tokens, length, in
  info['vocab']), and its 'label' (the value: + is the sum mod 10, M the max, m the min; the
  SM / MAX / MIN of ListOps, Nangia & Bowman 2018). `num_examples` sets the train size (the
  other splits scale with it). Splits are held out by expression
  text: an expression in test never occurs in train (20k train, 2k validation, 4k test
  draws, duplicates within a split kept, as a generator's draws are).
  """
  from jaxgen.data import text  # pylint: disable=g-import-not-at-top
  from jaxgen.data.sources import ArraySource  # pylint: disable=g-import-not-at-top
  from jaxgen.data.registry import require_validation_fraction  # pylint: disable=g-import-not-at-top
  require_validation_fraction('arith_trees', split, validation_fraction)
  del validation_seed
  n = ARITH_SIZES[split]
  if num_examples:                 # the train size; validation and test scale with it
    n = max(1, int(round(int(num_examples) * n / ARITH_SIZES['train'])))
  rng = np.random.default_rng([7, max_depth])
  max_nodes = 2 ** (max_depth + 1) - 1
  vocab = text.Vocab(text.SPECIALS + tuple('0123456789') + ARITH_OPS + ('(', ')'))
  rows, seqs, labels = [], [], []
  while len(rows) < n:
    t = random_expression(rng, max_depth)
    s = infix(t)
    if text.split_of(s, (0.15, 0.1), salt='arith') != split:
      continue
    rows.append(tree_arrays(t, max_nodes))
    seqs.append(vocab.encode(s))
    labels.append(evaluate_mod10(t))
  tokens, lengths = text.pad(seqs, 4 * 2 ** max_depth)
  arrays = {k: np.stack([r[k] for r in rows]) for k in rows[0]}
  arrays.update(tokens=tokens, length=lengths, label=np.asarray(labels, np.int32))
  return ArraySource(arrays, info={'vocab': vocab, 'num_classes': 10, 'max_depth': max_depth,
                                   'num_ops': len(ARITH_OPS)})


arith_trees.own_validation = True


# --------------------------------------------------------------------------- the NTM's tasks
NTM_TASKS = ('copy', 'repeat_copy', 'associative_recall', 'priority_sort')
NTM_SIZES = {'train': 50_000, 'validation': 1_000, 'test': 2_000}
_NTM_SEEDS = {'train': 10, 'validation': 11, 'test': 12}
REPEAT_NORM = 10.0         # the repeat count's input is count / REPEAT_NORM


def _bits(rng, shape):
  return rng.integers(0, 2, size=shape).astype(np.float32)


def copy_task(n: int, min_length: int, max_length: int, width: int, rng: np.random.Generator):
  """Copy (Graves et al. 2014, Sec. 4.1): L random `width`-bit vectors (L uniform in
  [min_length, max_length]), then a delimiter on its own input channel; the target is the L
  vectors again, while the input is zero. Time steps: 2 max_length + 1."""
  T = 2 * max_length + 1
  x = np.zeros((n, T, width + 1), np.float32)
  y = np.zeros((n, T, width), np.float32)
  mask = np.zeros((n, T), np.float32)
  lengths = rng.integers(min_length, max_length + 1, size=n).astype(np.int32)
  for i, L in enumerate(lengths):
    seq = _bits(rng, (L, width))
    x[i, :L, :width] = seq
    x[i, L, width] = 1.0
    y[i, L + 1:2 * L + 1] = seq
    mask[i, L + 1:2 * L + 1] = 1.0
  return x, y, mask, lengths


def repeat_copy_task(n: int, min_length: int, max_length: int, min_repeats: int,
                     max_repeats: int, width: int, rng: np.random.Generator):
  """Repeat copy (Sec. 4.2): L random vectors (L in [min_length, max_length]), then the
  number of copies R (in [min_repeats, max_repeats]) on its own input channel as R /
  REPEAT_NORM (the paper normalises it), with a start delimiter on another; the target is the
  L vectors R times, then an end marker on an extra output channel. Returns lengths [n, 2]
  (L, R)."""
  T = max_length + 2 + max_length * max_repeats + 1
  x = np.zeros((n, T, width + 2), np.float32)
  y = np.zeros((n, T, width + 1), np.float32)
  mask = np.zeros((n, T), np.float32)
  lengths = rng.integers(min_length, max_length + 1, size=n).astype(np.int32)
  repeats = rng.integers(min_repeats, max_repeats + 1, size=n).astype(np.int32)
  for i, (L, R) in enumerate(zip(lengths, repeats)):
    seq = _bits(rng, (L, width))
    x[i, :L, :width] = seq
    x[i, L, width] = 1.0                         # start of the count
    x[i, L + 1, width + 1] = R / REPEAT_NORM
    start = L + 2
    y[i, start:start + L * R, :width] = np.tile(seq, (R, 1))
    y[i, start + L * R, width] = 1.0             # the end marker
    mask[i, start:start + L * R + 1] = 1.0
  return x, y, mask, np.stack([lengths, repeats], -1)


def associative_recall_task(n: int, min_items: int, max_items: int, item_length: int,
                            width: int, rng: np.random.Generator):
  """Associative recall (Sec. 4.3): K items (K in [min_items, max_items]) of `item_length`
  random vectors each, every item opened by a delimiter on input channel `width`; then a
  query (a copy of one of the first K - 1 items) opened and closed by a delimiter on channel
  `width + 1`; the target is the item that followed the query in the list."""
  T = (max_items + 1) * (item_length + 1) + 1 + item_length
  x = np.zeros((n, T, width + 2), np.float32)
  y = np.zeros((n, T, width), np.float32)
  mask = np.zeros((n, T), np.float32)
  counts = rng.integers(min_items, max_items + 1, size=n).astype(np.int32)
  for i, K in enumerate(counts):
    items = _bits(rng, (K, item_length, width))
    t = 0
    for k in range(K):
      x[i, t, width] = 1.0
      x[i, t + 1:t + 1 + item_length, :width] = items[k]
      t += item_length + 1
    q = rng.integers(0, K - 1)
    x[i, t, width + 1] = 1.0
    x[i, t + 1:t + 1 + item_length, :width] = items[q]
    x[i, t + 1 + item_length, width + 1] = 1.0
    t += item_length + 2
    y[i, t:t + item_length] = items[q + 1]
    mask[i, t:t + item_length] = 1.0
  return x, y, mask, counts


def priority_sort_task(n: int, num_inputs: int, num_outputs: int, width: int,
                       rng: np.random.Generator):
  """Priority sort (Sec. 4.5): `num_inputs` random vectors, each with a priority uniform in
  [-1, 1] on its own input channel; after a delimiter, the target is the `num_outputs`
  vectors of highest priority, highest first."""
  T = num_inputs + 1 + num_outputs
  x = np.zeros((n, T, width + 2), np.float32)
  y = np.zeros((n, T, width), np.float32)
  mask = np.zeros((n, T), np.float32)
  for i in range(n):
    seq = _bits(rng, (num_inputs, width))
    priority = rng.uniform(-1.0, 1.0, size=num_inputs).astype(np.float32)
    x[i, :num_inputs, :width] = seq
    x[i, :num_inputs, width] = priority
    x[i, num_inputs, width + 1] = 1.0
    order = np.argsort(-priority, kind='stable')[:num_outputs]
    y[i, num_inputs + 1:] = seq[order]
    mask[i, num_inputs + 1:] = 1.0
  return x, y, mask, np.full(n, num_inputs, np.int32)


def _ntm_task(task: str, split: str, kw: dict, validation_fraction: float):
  """The arrays of one NTM task's split: fixed seeds per (task, split, sizes)."""
  from jaxgen.data.sources import ArraySource  # pylint: disable=g-import-not-at-top
  from jaxgen.data import registry  # pylint: disable=g-import-not-at-top
  if split not in NTM_SIZES:
    raise ValueError(f'Unknown split {split!r} for dataset {task}; valid: {tuple(NTM_SIZES)}.')
  registry.require_validation_fraction(task, split, validation_fraction)
  n = kw.pop('num_examples', None)
  n = NTM_SIZES[split] if n is None else int(n)
  sizes = {k: int(v) for k, v in kw.items()}
  if n < 1 or min(sizes.values()) < 1:
    raise ValueError(f'{task}: num_examples and every size must be >= 1, got '
                     f'num_examples={n}, {sizes}.')
  for lo, hi in [('min_length', 'max_length'), ('min_repeats', 'max_repeats'),
                 ('min_items', 'max_items'), ('num_outputs', 'num_inputs')]:
    if lo in sizes and sizes[lo] > sizes[hi]:
      raise ValueError(f'{task}: {lo} ({sizes[lo]}) must be <= {hi} ({sizes[hi]}).')
  if task == 'associative_recall' and sizes['min_items'] < 2:
    raise ValueError(f'associative_recall needs min_items >= 2 (the query is followed by an '
                     f'item), got {sizes["min_items"]}.')
  seed = [_NTM_SEEDS[split], NTM_TASKS.index(task)] + list(sizes.values())
  fn = {'copy': copy_task, 'repeat_copy': repeat_copy_task,
        'associative_recall': associative_recall_task, 'priority_sort': priority_sort_task}[task]
  x, y, mask, lengths = fn(n, **sizes, rng=np.random.default_rng(seed))
  return ArraySource({'x': x, 'target': y, 'mask': mask, 'length': lengths},
                     info={'task': task, **sizes})


def copy(split: str, min_length: int = 1, max_length: int = 10, width: int = 8,
         num_examples: int | None = None, validation_fraction: float = 0.0,
         validation_seed: int = 0):
  """The copy task as a dataset (`copy_task`): 50k train, 1k validation, 2k test sequences,
  each split from its own seed, so 'validation' is never carved from train. Arrays: x
  [n, T, width + 1], target [n, T, width], mask [n, T] (the steps the target counts at) and
  length [n]."""
  del validation_seed
  return _ntm_task('copy', split, dict(min_length=min_length, max_length=max_length,
                                       width=width, num_examples=num_examples),
                   validation_fraction)


def repeat_copy(split: str, min_length: int = 1, max_length: int = 10, min_repeats: int = 1,
                max_repeats: int = 10, width: int = 8, num_examples: int | None = None,
                validation_fraction: float = 0.0, validation_seed: int = 0):
  """The repeat copy task as a dataset (`repeat_copy_task`; length [n, 2] holds L and R)."""
  del validation_seed
  return _ntm_task('repeat_copy', split, dict(
      min_length=min_length, max_length=max_length, min_repeats=min_repeats,
      max_repeats=max_repeats, width=width, num_examples=num_examples), validation_fraction)


def associative_recall(split: str, min_items: int = 2, max_items: int = 6, item_length: int = 3,
                       width: int = 6, num_examples: int | None = None,
                       validation_fraction: float = 0.0, validation_seed: int = 0):
  """The associative recall task as a dataset (`associative_recall_task`; the paper's items
  of 3 vectors of 6 bits, 2-6 items; length [n] is the item count)."""
  del validation_seed
  return _ntm_task('associative_recall', split, dict(
      min_items=min_items, max_items=max_items, item_length=item_length, width=width,
      num_examples=num_examples), validation_fraction)


def priority_sort(split: str, num_inputs: int = 20, num_outputs: int = 16, width: int = 8,
                  num_examples: int | None = None, validation_fraction: float = 0.0,
                  validation_seed: int = 0):
  """The priority sort task as a dataset (`priority_sort_task`; the paper's 20 inputs, 16
  outputs)."""
  del validation_seed
  return _ntm_task('priority_sort', split, dict(
      num_inputs=num_inputs, num_outputs=num_outputs, width=width,
      num_examples=num_examples), validation_fraction)


for _fn in (copy, repeat_copy, associative_recall, priority_sort):
  _fn.own_validation = True


# --------------------------------------------------------------------------- bandits
BANDIT_SIZES = {'train': 1_000_000, 'validation': 1_000, 'test': 2_000}
_BANDIT_SEEDS = {'train': 20, 'validation': 21, 'test': 22}


class BanditSource:
  """Bernoulli bandit tasks: K arms whose means p ~ U[0, 1] are drawn once per episode of N
  pulls (the task distribution of Duan et al. 2016 and Mishra et al. 2018).

  Item i holds 'probs' float32 [K] and 'uniforms' float32 [N, K], the draws that decide the
  rewards: pulling arm a at step t pays 1[uniforms[t, a] < probs[a]], a Bernoulli(p_a)
  reward. Fixing the draws makes an episode a pure function of (seed, split, i), and lets
  every policy (a learner, Thompson sampling, UCB1, Gittins) be scored on the same rewards.
  """

  def __init__(self, arms: int, pulls: int, num_episodes: int, seed: int = 0,
               split: str = 'train'):
    self.arms, self.pulls, self.num_episodes = int(arms), int(pulls), int(num_episodes)
    self.seed = [int(seed), _BANDIT_SEEDS[split], self.arms, self.pulls]
    self.info = {'arms': self.arms, 'pulls': self.pulls, 'split': split,
                 'features': {'probs': ((self.arms,), 'float32'),
                              'uniforms': ((self.pulls, self.arms), 'float32')}}

  def __len__(self) -> int:
    return self.num_episodes

  def episode(self, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Episode `index`: (probs float32 [K], uniforms float32 [N, K])."""
    rng = np.random.default_rng(self.seed + [int(index)])
    probs = rng.uniform(size=self.arms).astype(np.float32)
    return probs, rng.uniform(size=(self.pulls, self.arms)).astype(np.float32)

  def get(self, indices: np.ndarray) -> dict[str, np.ndarray]:
    eps = [self.episode(int(i)) for i in np.asarray(indices).reshape(-1)]
    return {'probs': np.stack([e[0] for e in eps]),
            'uniforms': np.stack([e[1] for e in eps])}

  def __repr__(self):
    return f'BanditSource({self.arms} arms, {self.pulls} pulls, {self.num_episodes} episodes)'


def bandits(split: str, arms: int = 5, pulls: int = 10, num_episodes: int | None = None,
            seed: int = 0, validation_fraction: float = 0.0, validation_seed: int = 0
            ) -> BanditSource:
  """Dataset 'bandits': K-armed Bernoulli bandit episodes of N pulls (`BanditSource`); 1M
  train, 1,000 validation and 2,000 test episodes, each split with its own seed (the
  validation split is never carved from train, so validation_fraction is unused)."""
  del validation_fraction, validation_seed
  if split not in BANDIT_SIZES:
    raise ValueError(f'Unknown split {split!r} for dataset bandits; valid: '
                     f'{tuple(BANDIT_SIZES)}.')
  if int(arms) < 2 or int(pulls) < 2:
    raise ValueError(f'bandits: arms and pulls must be >= 2, got arms={arms}, pulls={pulls}.')
  n = BANDIT_SIZES[split] if num_episodes is None else int(num_episodes)
  if n < 1:
    raise ValueError(f'bandits: num_episodes must be >= 1, got {n}.')
  return BanditSource(arms, pulls, n, seed, split)


bandits.own_validation = True
