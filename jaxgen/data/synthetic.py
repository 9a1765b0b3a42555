"""Synthetic sequence tasks that the papers define by a generator.

  adding       the adding problem of Hochreiter & Schmidhuber (1997, Sec. 5.4, "Experiment 4").
  arith_trees  expression trees over digits (+ mod 10, max, min): a tree task for recursive nets.
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
