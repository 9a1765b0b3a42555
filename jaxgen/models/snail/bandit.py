"""Meta-reinforcement learning on Bernoulli bandits: SNAIL as the agent (Mishra et al. 2018,
Sec. 4.2.1, the task of Duan et al. 2016's RL^2), task 'snail_bandit', and the classic
bandit algorithms it is measured against.

The task: each episode draws K arm means p ~ U[0, 1] and lets the agent pull N times; a pull
of arm a pays a Bernoulli(p_a) reward. The agent sees, at step t, the previous action
(one-hot; zeros at t = 0), the previous reward and the elapsed fraction t / N of the episode
(`episode_inputs`; the fraction stands in for the step count a recurrent agent keeps in its
state: a causal convolution or attention cannot count). Nothing carries over between
episodes, so good play has to be learnt across the task distribution: explore, then exploit.

  BanditSNAIL         the agent: a dense layer of `width` units, then the blocks (by default
                      TC(N, 32), TC(N, 32), A(32, 32), the bandit network of the paper's
                      Appendix C.2 as its public re-implementations read it), then a linear
                      policy head (K logits) and a linear value head on the same features.
  rollout             plays a batch of episodes with a policy: a jitted `lax.scan` over the N
                      pulls, each step running the causal network on the episode so far (the
                      output at step t depends on inputs up to t only, so one forward over the
                      finished episode gives the same logits): N passes over N steps.
  cached_rollout      the same play in one pass: `BanditSNAIL.step` computes one time step
                      from caches (a ring buffer of past inputs per dense block, as WaveNet's
                      fast generation, `jaxgen.nn.causal_conv`; the keys and values so far per
                      attention block), so an episode costs N steps, not N^2. The tests check
                      it plays the same actions with the same logits as `rollout` for the same
                      key; training and evaluation play with it.
  gae                 generalised advantage estimation (Schulman et al. 2016).
  BanditTask          the policy gradient: each step plays a fresh batch of episodes with the
                      current policy (the cached rollout, gradients stopped), then makes
                      `epochs` updates of the clipped surrogate -min(rho A, clip(rho) A)
                      + c_v (V - R)^2 / 2 - c_e H(pi) on it, advantages A by `gae`. With
                      epochs = 1 that is the plain advantage actor-critic; more epochs are
                      PPO (Schulman et al. 2017), whose clip keeps each batch's policy
                      change in a trust region as the paper's TRPO does.
  play_counts         plays a count-based policy (a function of each arm's successes and
                      failures) on the same episodes: `thompson` (Beta(1, 1) prior), `ucb1`
                      (Auer et al. 2002), `gittins` (`gittins_indices`), `greedy` (the
                      posterior mean) and `random`; ties are broken at random.
  gittins_indices     the Gittins index of a Beta-Bernoulli arm for every (successes,
                      failures) by calibration.

Every evaluation scores the agent and all baselines on the same episodes and reward draws
(data 'bandits', `jaxgen.data.synthetic.BanditSource`), so their figures are paired.
"""
from __future__ import annotations

import functools
import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from jaxgen.data.sources import feature
from jaxgen.models.snail.model import apply_blocks, tc_dilations
from jaxgen.nn import causal_conv
from jaxgen.nn.gated import gated_activation
from jaxgen.train.config import read_model_config
from jaxgen.train.task import Task, Variables, apply_updates

BASELINES = ('thompson', 'ucb1', 'gittins', 'greedy', 'random')


# --------------------------------------------------------------------------- the agent
def step_inputs(prev_action: jax.Array, prev_reward: jax.Array, fraction: jax.Array,
                arms: int) -> jax.Array:
  """The agent's input at a step: the one-hot previous action (-1: none, all zeros), the
  previous reward and the elapsed fraction t / N; any leading shape [...] -> [..., K + 2]."""
  fraction = jnp.broadcast_to(jnp.asarray(fraction, jnp.float32), prev_action.shape)
  return jnp.concatenate([jax.nn.one_hot(prev_action, arms),
                          prev_reward[..., None].astype(jnp.float32), fraction[..., None]], -1)


def episode_inputs(actions: jax.Array, rewards: jax.Array, arms: int) -> jax.Array:
  """The agent's inputs [b, N, K + 2] for an episode's actions [b, N] and rewards [b, N]:
  at step t the one-hot action and the reward of step t - 1 (zeros at t = 0), and t / N."""
  b, n = actions.shape
  prev_a = jnp.concatenate([jnp.full((b, 1), -1, actions.dtype), actions[:, :-1]], axis=1)
  prev_r = jnp.concatenate([jnp.zeros((b, 1), rewards.dtype), rewards[:, :-1]], axis=1)
  return step_inputs(prev_a, prev_r, jnp.arange(n, dtype=jnp.float32) / n, arms)


class BanditSNAIL(nn.Module):
  """inputs [b, N, K + 2] (`episode_inputs`) -> (policy logits [b, N, K], values [b, N]).

  Attributes:
    arms: K.
    pulls: N, the episode's length (sizes the TC blocks).
    width: the units of the first dense layer.
    first_dilation: the TC blocks' first dilation (2, the paper; 1, common implementations).
    blocks: ('TC', filters) or ('A', key_size, value_size), in order.
  """
  arms: int
  pulls: int
  width: int = 32
  first_dilation: int = 2
  blocks: tuple = (('TC', 32), ('TC', 32), ('A', 32, 32))

  @nn.compact
  def __call__(self, inputs):
    x = nn.Dense(self.width, name='input')(inputs)
    x = apply_blocks(x, self.blocks, self.pulls, self.first_dilation)
    # A zero policy head: every episode starts from the uniform policy (maximal entropy).
    logits = nn.Dense(self.arms, kernel_init=nn.initializers.zeros, name='policy')(x)
    return logits, nn.Dense(1, name='value')(x)[..., 0]

  def layers(self):
    """The layers in order: ('TC', block index, dense index, dilation, in channels, filters)
    or ('A', block index, in channels, key size, value size)."""
    out, c = [], self.width
    for i, block in enumerate(self.blocks):
      if block[0] == 'TC':
        for j, d in enumerate(tc_dilations(self.pulls, self.first_dilation)):
          out.append(('TC', i, j, d, c, int(block[1])))
          c += int(block[1])
      else:
        out.append(('A', i, c, int(block[1]), int(block[2])))
        c += int(block[2])
    return out

  def init_cache(self, batch: int) -> list:
    """Empty caches of `step`: a queue [d + 1, b, C] per dense block, (keys [b, N, K],
    values [b, N, V]) per attention block."""
    cache = []
    for layer in self.layers():
      if layer[0] == 'TC':
        cache.append(causal_conv.queue_init(batch, layer[4], layer[3]))
      else:
        cache.append((jnp.zeros((batch, self.pulls, layer[3])),
                      jnp.zeros((batch, self.pulls, layer[4]))))
    return cache

  def step(self, params, cache: list, x_t: jax.Array, t: jax.Array):
    """One time step from the caches: (params, cache, inputs x_t [b, K + 2], step t) ->
    (logits [b, K], value [b], the updated cache); the same numbers as `__call__` at step
    t of the episode whose inputs the caches hold. A plain function of the parameters (not
    a Linen call), so that it runs inside `lax.scan`."""
    dense = lambda p, x: x @ p['kernel'] + p['bias']
    h = dense(params['input'], x_t)
    new_cache = []
    for layer, c in zip(self.layers(), cache):
      if layer[0] == 'TC':
        _, i, j, d, _, _ = layer
        p = params[f'tc_{i}'][f'dense_{j}']['conv']['conv']
        c, taps = causal_conv.queue_push_taps(c, t, h, d)
        h = jnp.concatenate([h, gated_activation(
            causal_conv.causal_conv_step(p['kernel'], p['bias'], taps))], -1)
      else:
        _, i, _, key_size, _ = layer
        p = params[f'attention_{i}']['attention']
        keys = jax.lax.dynamic_update_index_in_dim(c[0], dense(p['key'], h), t, 1)
        values = jax.lax.dynamic_update_index_in_dim(c[1], dense(p['value'], h), t, 1)
        logits = jnp.einsum('bk,btk->bt', dense(p['query'], h), keys) / math.sqrt(key_size)
        logits = jnp.where(jnp.arange(self.pulls) <= t, logits, -jnp.inf)
        h = jnp.concatenate([h, jnp.einsum('bt,btv->bv', jax.nn.softmax(logits), values)], -1)
        c = (keys, values)
      new_cache.append(c)
    return dense(params['policy'], h), dense(params['value'], h)[:, 0], new_cache


def _pull(probs, uniforms, t, actions):
  """The rewards [b] of pulling `actions` [b] at step t: 1[uniforms[t, a] < probs[a]]."""
  rows = jnp.arange(probs.shape[0])
  return (uniforms[rows, t, actions] < probs[rows, actions]).astype(jnp.float32)


def rollout(policy, probs: jax.Array, uniforms: jax.Array, rng: jax.Array,
            greedy: bool = False) -> tuple[jax.Array, jax.Array]:
  """Plays episodes with `policy` (inputs [b, N, K + 2] -> logits [b, N, K]).

  Args:
    policy: a causal network: its logits at step t may depend on inputs up to t only.
    probs: the arms' means [b, K]; uniforms: the reward draws [b, N, K].
    rng: the key of the actions' draws (action t uses `fold_in(rng, t)`).
    greedy: take the most probable action instead of sampling one.
  Returns:
    (actions int32 [b, N], rewards float32 [b, N]).
  """
  b, n, k = uniforms.shape

  def step(carry, t):
    actions, rewards = carry
    logits = policy(episode_inputs(actions, rewards, k))[:, t]
    a = (jnp.argmax(logits, -1) if greedy else
         jax.random.categorical(jax.random.fold_in(rng, t), logits)).astype(jnp.int32)
    r = _pull(probs, uniforms, t, a)
    return (actions.at[:, t].set(a), rewards.at[:, t].set(r)), None

  init = (jnp.zeros((b, n), jnp.int32), jnp.zeros((b, n), jnp.float32))
  (actions, rewards), _ = jax.lax.scan(step, init, jnp.arange(n))
  return actions, rewards


def cached_rollout(net: BanditSNAIL, params, probs: jax.Array, uniforms: jax.Array,
                   rng: jax.Array, greedy: bool = False
                   ) -> tuple[jax.Array, jax.Array, jax.Array]:
  """`rollout` of `net` in one pass over the N steps (`BanditSNAIL.step`): the same
  actions and rewards for the same key, and the logits [b, N, K] the actions were drawn
  from."""
  b, n, k = uniforms.shape

  def step(carry, t):
    cache, prev_a, prev_r = carry
    logits, _, cache = net.step(params, cache, step_inputs(prev_a, prev_r, t / n, k), t)
    a = (jnp.argmax(logits, -1) if greedy else
         jax.random.categorical(jax.random.fold_in(rng, t), logits)).astype(jnp.int32)
    r = _pull(probs, uniforms, t, a)
    return (cache, a, r), (a, r, logits)

  init = (net.init_cache(b), jnp.full((b,), -1, jnp.int32), jnp.zeros((b,), jnp.float32))
  _, (actions, rewards, logits) = jax.lax.scan(step, init, jnp.arange(n))
  return actions.T, rewards.T, jnp.swapaxes(logits, 0, 1)


def gae(rewards: jax.Array, values: jax.Array, discount: float, lam: float
        ) -> tuple[jax.Array, jax.Array]:
  """Generalised advantage estimates and returns of episodes that end after their last step:
  delta_t = r_t + discount V_{t+1} - V_t (V_N = 0), A_t = sum_j (discount lam)^j delta_{t+j},
  returns A_t + V_t. rewards, values [b, N] -> (advantages, returns) [b, N]."""
  next_values = jnp.concatenate([values[:, 1:], jnp.zeros_like(values[:, :1])], axis=1)
  deltas = rewards + discount * next_values - values

  def back(acc, delta):
    acc = delta + discount * lam * acc
    return acc, acc

  _, adv = jax.lax.scan(back, jnp.zeros_like(deltas[:, 0]), deltas.T, reverse=True)
  return adv.T, adv.T + values


# --------------------------------------------------------------------------- the baselines
def play_counts(choose, probs: jax.Array, uniforms: jax.Array, rng: jax.Array
                ) -> tuple[jax.Array, jax.Array]:
  """Plays a count-based policy on episodes (probs [b, K], uniforms [b, N, K]).

  `choose(successes, failures, t, key)` (float [b, K] counts before step t) returns the
  actions [b]; action t uses the key `fold_in(rng, t)`.

  Returns:
    (actions int32 [b, N], rewards float32 [b, N]).
  """
  b, n, k = uniforms.shape

  def step(carry, t):
    s, f = carry
    a = choose(s, f, t, jax.random.fold_in(rng, t))
    r = _pull(probs, uniforms, t, a)
    hit = jax.nn.one_hot(a, k)
    return (s + hit * r[:, None], f + hit * (1.0 - r[:, None])), (a, r)

  zeros = jnp.zeros((b, k), jnp.float32)
  _, (actions, rewards) = jax.lax.scan(step, (zeros, zeros), jnp.arange(n))
  return actions.T, rewards.T


def _argmax_random_ties(scores, key):
  """argmax over the last axis, ties broken uniformly at random."""
  best = scores >= jnp.max(scores, -1, keepdims=True)
  noise = jax.random.uniform(key, scores.shape)
  return jnp.argmax(jnp.where(best, noise, -1.0), -1).astype(jnp.int32)


def thompson(s, f, t, key):
  """Thompson sampling with a uniform Beta(1, 1) prior: the arm of the largest posterior
  draw."""
  del t
  return jnp.argmax(jax.random.beta(key, 1.0 + s, 1.0 + f), -1).astype(jnp.int32)


def ucb1(s, f, t, key):
  """UCB1 (Auer, Cesa-Bianchi & Fischer 2002): every arm once, then the largest
  mean + sqrt(2 ln t / n)."""
  n = s + f
  score = s / jnp.maximum(n, 1.0) + jnp.sqrt(2.0 * jnp.log(jnp.maximum(t, 1)) /
                                            jnp.maximum(n, 1.0))
  return _argmax_random_ties(jnp.where(n == 0, jnp.inf, score), key)


def greedy(s, f, t, key):
  """The largest posterior mean (s + 1) / (n + 2), no exploration."""
  del t
  return _argmax_random_ties((s + 1.0) / (s + f + 2.0), key)


def random_policy(s, f, t, key):
  del f, t
  return jax.random.randint(key, s.shape[:1], 0, s.shape[1]).astype(jnp.int32)


def gittins_policy(table: jax.Array):
  """The largest Gittins index `table[s, f]` (`gittins_indices`)."""
  def choose(s, f, t, key):
    del t
    return _argmax_random_ties(table[s.astype(jnp.int32), f.astype(jnp.int32)], key)
  return choose


def gittins_indices(max_pulls: int, discount: float, grid: int = 1000,
                    depth: int | None = None) -> np.ndarray:
  """Gittins indices of a Bernoulli arm with a uniform prior, by calibration (Gittins 1979).

  The index of the state (s successes, f failures; posterior Beta(s + 1, f + 1), mean
  p = (s + 1) / (s + f + 2)) is the per-step reward lam of a retirement option at which
  retiring for ever (lam / (1 - discount)) and pulling on are equally good:
      V(s, f) = max(lam / (1 - discount),
                    p (1 + discount V(s + 1, f)) + (1 - p) discount V(s, f + 1)).
  One backward induction per value of lam on a grid of `grid` + 1 points in [0, 1]
  (vectorised over the grid), from `depth` pulls (default max_pulls + 3 / (1 - discount)),
  where states are valued as if nothing more were learnt, max(lam, p) / (1 - discount);
  the index is where pulling-on minus retiring changes sign, interpolated linearly between
  the grid points.

  Returns:
    float64 [max_pulls + 1, max_pulls + 1]: [s, f] for s + f <= max_pulls (NaN elsewhere).
  """
  if not 0.0 < discount < 1.0:
    raise ValueError(f'The Gittins index needs a discount in (0, 1), got {discount}.')
  depth = int(depth or max_pulls + math.ceil(3.0 / (1.0 - discount)))
  depth = max(depth, max_pulls + 1)
  lam = np.linspace(0.0, 1.0, grid + 1)[:, None]                     # [G, 1]
  retire = lam / (1.0 - discount)
  out = np.full((max_pulls + 1, max_pulls + 1), np.nan)
  s = np.arange(depth + 1)
  value = np.maximum(lam, (s + 1.0) / (depth + 2.0)) / (1.0 - discount)   # diagonal n = depth
  for n in range(depth - 1, -1, -1):
    succ = np.arange(n + 1)
    p = (succ + 1.0) / (n + 2.0)
    cont = p * (1.0 + discount * value[:, 1:n + 2]) + (1.0 - p) * discount * value[:, :n + 1]
    if n <= max_pulls:
      diff = cont - retire                                         # [G, n + 1], decreasing
      j = np.clip(np.argmax(diff <= 0.0, axis=0), 1, grid)         # first grid point retired
      cols = np.arange(n + 1)
      d0, d1 = diff[j - 1, cols], diff[j, cols]
      frac = np.where(d0 - d1 > 0, d0 / np.where(d0 - d1 > 0, d0 - d1, 1.0), 0.0)
      out[succ, n - succ] = lam[j - 1, 0] + frac / grid
    value = np.maximum(retire, cont)
  return out


def play_baselines(probs, uniforms, rng, gittins_table) -> dict[str, jax.Array]:
  """Every baseline's total rewards [b] on the same episodes."""
  policies = {'thompson': thompson, 'ucb1': ucb1, 'gittins': gittins_policy(gittins_table),
              'greedy': greedy, 'random': random_policy}
  return {f'{name}_reward': jnp.sum(play_counts(fn, probs, uniforms,
                                                jax.random.fold_in(rng, i))[1], 1)
          for i, (name, fn) in enumerate(policies.items())}


# --------------------------------------------------------------------------- the task
TASK_KEYS = dict(arch='snail', discount=0.99, gae_lambda=0.95, value_coef=0.5,
                 entropy_coef=0.01, epochs=1, clip=0.2, gittins_discount=0.0)


class BanditTask(Task):
  """SNAIL trained by advantage actor-critic on bandit episodes (see the module docstring).

  config.model (task 'snail_bandit'): the fields of `BanditSNAIL` (width, first_dilation,
  blocks) and the task's own keys:
    discount, gae_lambda   of the advantages (`gae`).
    value_coef, entropy_coef
                           the value loss's and the entropy bonus's weights.
    epochs, clip           updates per played batch: 1 is the plain advantage actor-critic;
                           more reuse the batch through PPO's clipped surrogate (Schulman et
                           al. 2017), whose ratio clip (default 0.2) keeps each batch's
                           policy change in a trust region, as the paper's TRPO does.
    gittins_discount       the Gittins baseline's discount (0: 1 - 1/N, the discount whose
                           effective horizon is the episode's length).
  Metrics per episode: 'reward' (the total of the sampled policy; the figure selected on),
  'reward_argmax' (its most probable actions), the baselines' '<name>_reward' and
  'best_arm_reward' (N max_a p_a, the expectation of always pulling the best arm).
  The value head predicts returns divided by min(N, 1 / (1 - discount)).
  """
  sample_kind = 'array'

  def __init__(self, config: ml_collections.ConfigDict, info=None):
    super().__init__(config)
    t, kwargs = read_model_config(config.model, 'snail_bandit', TASK_KEYS, BanditSNAIL,
                                  ('arms', 'pulls'))
    if t['arch'] != 'snail':
      raise ValueError(f"snail_bandit: model.arch must be 'snail', got {t['arch']!r}.")
    info = dict(info or {})
    (self.pulls, self.arms), _ = feature(info, 'uniforms', 'snail_bandit')
    self.discount, self.lam = float(t['discount']), float(t['gae_lambda'])
    self.value_coef, self.entropy_coef = float(t['value_coef']), float(t['entropy_coef'])
    self.epochs, self.clip = int(t['epochs']), float(t['clip'])
    if self.epochs < 1 or self.clip <= 0:
      raise ValueError(f'snail_bandit: epochs must be >= 1 and clip > 0, got {self.epochs} '
                       f'and {self.clip}.')
    if not (0.0 < self.discount <= 1.0 and 0.0 <= self.lam <= 1.0):
      raise ValueError(f'snail_bandit: discount must lie in (0, 1] and gae_lambda in [0, 1], '
                       f'got {self.discount} and {self.lam}.')
    self.gittins_discount = float(t['gittins_discount']) or 1.0 - 1.0 / self.pulls
    # Returns reach min(N, 1 / (1 - discount)): the value head predicts them divided by that,
    # so that the value loss stays O(1) beside the policy's (a shared trunk, one clipped
    # gradient) at every episode length.
    self.return_scale = float(min(self.pulls, 1.0 / max(1.0 - self.discount, 1e-6)))
    self.net = BanditSNAIL(arms=self.arms, pulls=self.pulls, **kwargs)
    self._gittins = None

  @property
  def gittins_table(self) -> jax.Array:
    if self._gittins is None:
      table = gittins_indices(self.pulls, self.gittins_discount)
      self._gittins = jnp.asarray(np.nan_to_num(table, nan=0.0), jnp.float32)
    return self._gittins

  def init(self, rng, batch) -> Variables:
    inputs = jnp.zeros((1, self.pulls, self.arms + 2), jnp.float32)
    return Variables(params=self.net.init(rng, inputs)['params'])

  def _play_and_score(self, params, batch, rng):
    """A batch of episodes played by the current policy, their inputs, the actions' log
    probabilities under it, and the normalised advantages and returns (all constants)."""
    params = jax.lax.stop_gradient(params)
    actions, rewards, logits = cached_rollout(self.net, params, batch['probs'],
                                              batch['uniforms'], rng)
    inputs = episode_inputs(actions, rewards, self.arms)
    _, head = self.net.apply({'params': params}, inputs)
    adv, returns = gae(rewards, self.return_scale * head, self.discount, self.lam)
    adv = (adv - jnp.mean(adv)) / (jnp.std(adv) + 1e-8)
    logp = jnp.take_along_axis(jax.nn.log_softmax(logits), actions[..., None], -1)[..., 0]
    return dict(inputs=inputs, actions=actions, logp=logp, adv=adv, returns=returns,
                reward=jnp.mean(jnp.sum(rewards, 1)))

  def _update_loss(self, params, played):
    """The clipped surrogate (Schulman et al. 2017) of the played episodes, the value loss
    and the entropy bonus; at the parameters that played, the surrogate's gradient is the
    plain policy gradient's."""
    logits, head = self.net.apply({'params': params}, played['inputs'])
    logp_all = jax.nn.log_softmax(logits)
    logp = jnp.take_along_axis(logp_all, played['actions'][..., None], -1)[..., 0]
    ratio = jnp.exp(logp - played['logp'])
    adv = played['adv']
    policy_loss = -jnp.mean(jnp.minimum(ratio * adv, jnp.clip(ratio, 1.0 - self.clip,
                                                              1.0 + self.clip) * adv))
    value_loss = 0.5 * jnp.mean((head - played['returns'] / self.return_scale) ** 2)
    entropy = -jnp.mean(jnp.sum(jnp.exp(logp_all) * logp_all, -1))
    loss = policy_loss + self.value_coef * value_loss - self.entropy_coef * entropy
    return loss, {'policy_loss': policy_loss, 'value_loss': value_loss, 'entropy': entropy,
                  'approx_kl': jnp.mean(played['logp'] - logp)}

  def loss(self, params, extra, batch, rng):
    """The loss of one update on a fresh batch (what `train_step` does with epochs=1)."""
    played = self._play_and_score(params, batch, rng)
    loss, metrics = self._update_loss(params, played)
    return loss, ({**metrics, 'reward': played['reward']}, extra)

  def train_step(self, state, batch, rng):
    """Play a batch with the current policy, then `epochs` updates on it; the metrics are
    the first update's (at the parameters that played)."""
    played = self._play_and_score(state.params, batch, rng)

    params, opt_state, first = state.params, state.opt_state, None
    for _ in range(self.epochs):            # unrolled (few epochs): as a lax.scan it ran 8x slower on CPU
      (loss, metrics), grads = jax.value_and_grad(self._update_loss, has_aux=True)(
          params, played)
      params, opt_state = apply_updates(self.tx, grads, opt_state, params)
      if first is None:
        first = {**metrics, 'loss': loss, 'grad_norm': optax.global_norm(grads)}
    metrics = first
    metrics['reward'] = played['reward']
    return state.replace(step=state.step + 1, params=params, opt_state=opt_state), metrics

  def eval_step(self, params, extra, batch, rng):
    probs, uniforms = batch['probs'], batch['uniforms']
    play = functools.partial(cached_rollout, self.net, params, probs, uniforms, rng)
    out = {'reward': jnp.sum(play()[1], 1), 'reward_argmax': jnp.sum(play(greedy=True)[1], 1),
           'best_arm_reward': self.pulls * jnp.max(probs, -1)}
    out.update(play_baselines(probs, uniforms, jax.random.fold_in(rng, 1), self.gittins_table))
    return out

  @functools.partial(jax.jit, static_argnums=(0, 5))
  def play(self, params, probs, uniforms, rng, greedy: bool = False):
    """(actions, rewards) [b, N] of the agent on episodes (probs [b, K], uniforms [b, N, K])."""
    return cached_rollout(self.net, params, probs, uniforms, rng, greedy)[:2]

  def sample(self, params, extra, rng, num: int):
    """The actions [n, N] (int) of the agent on `min(num, 16)` test episodes."""
    from jaxgen.data import synthetic  # pylint: disable=g-import-not-at-top
    n = max(1, min(num, 16))
    batch = synthetic.bandits('test', self.arms, self.pulls).get(np.arange(n))
    return np.asarray(self.play(params, jnp.asarray(batch['probs']),
                                jnp.asarray(batch['uniforms']), rng)[0])

  def finalize(self, state, workdir, test_data, rng):
    del workdir, test_data, rng
    return {'num_params': float(sum(np.size(p) for p in jax.tree.leaves(state.params))),
            'gittins_discount': self.gittins_discount}

  def __hash__(self):
    return id(self)

  def __eq__(self, other):
    return self is other


def make_task(config: ml_collections.ConfigDict, info=None) -> BanditTask:
  return BanditTask(config, info)
