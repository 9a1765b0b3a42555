"""SNAIL's math: causality of the few-shot network (the query's own label included), the
attention softmax over keys, the receptive fields of both TC dilation schemes, and the
baselines against independent numpy computations."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgen.models import snail
from jaxgen.nn.attention import CausalAttention
from jaxgen.testing.causality import assert_causal_in_time

SMALL = (('A', 8, 4), ('TC', 4), ('A', 8, 4))


def test_tc_dilations_paper_and_common():
  assert snail.tc_dilations(6) == (2, 4, 8)           # 5-way 1-shot: ceil(log2 6) = 3 blocks
  assert snail.tc_dilations(6, first_dilation=1) == (1, 2, 4)
  assert snail.tc_dilations(26) == (2, 4, 8, 16, 32)  # 5-way 5-shot
  assert len(snail.tc_dilations(101)) == math.ceil(math.log2(101)) == 7
  with pytest.raises(ValueError, match='first_dilation is 2'):
    snail.tc_dilations(6, 3)
  assert snail.reachable_offsets((2, 4, 8)) == frozenset(range(0, 15, 2))
  assert snail.reachable_offsets((1, 2, 4)) == frozenset(range(8))


@pytest.mark.parametrize('first_dilation', [2, 1])
def test_tc_block_receptive_field_is_the_subset_sums_of_its_dilations(first_dilation):
  """Step t of a TC block's output depends on step t - j exactly for the j that are sums of
  subsets of its dilations: the paper's (2, 4, 8) never reaches odd offsets, the common
  (1, 2, 4) reaches every offset up to 7."""
  t, c = 20, 2
  block = snail.TCBlock(seq_len=6, filters=3, first_dilation=first_dilation)
  x = jnp.asarray(np.random.default_rng(0).standard_normal((1, t, c)), jnp.float32)
  draws = [block.init(jax.random.key(i), x) for i in range(2)]
  dep = assert_causal_in_time(lambda p, v: block.apply(p, v), x, param_draws=draws)
  sees = dep[0, :, :, 0].any(axis=(1, 3))                             # [t_out, t_in]
  offsets = snail.reachable_offsets(snail.tc_dilations(6, first_dilation))
  for out_t in range(t):
    expect = {out_t - j for j in offsets if out_t - j >= 0}
    assert set(np.flatnonzero(sees[out_t])) == expect, out_t
  assert (1 in offsets) == (first_dilation == 1)


def test_attention_softmax_runs_over_keys_and_is_causal():
  """Each step's weights sum to one over the keys it may see (steps <= t) and are zero on
  later keys; normalising over the queries (a public implementation's bug) fails this."""
  x = jnp.asarray(np.random.default_rng(1).standard_normal((2, 7, 5)), jnp.float32)
  att = CausalAttention(key_size=4, value_size=3)
  params = att.init(jax.random.key(0), x)
  read, w = att.apply(params, x, return_weights=True)
  assert read.shape == (2, 7, 3) and w.shape == (2, 7, 7)
  np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-5)
  assert np.all(np.asarray(w)[:, np.triu_indices(7, 1)[0], np.triu_indices(7, 1)[1]] == 0)
  assert not np.allclose(w.sum(1)[:, :-1], 1.0)       # columns do not sum to one
  p = params['params']
  q, k, v = (x @ p[n]['kernel'] + p[n]['bias'] for n in ('query', 'key', 'value'))
  logits = np.einsum('btf,bsf->bts', q, k) / np.sqrt(4.0)
  logits = np.where(np.tril(np.ones((7, 7), bool)), logits, -np.inf)
  expect = np.exp(logits - logits.max(-1, keepdims=True))
  expect /= expect.sum(-1, keepdims=True)
  np.testing.assert_allclose(w, expect, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(read, np.einsum('bts,bsv->btv', expect, v), rtol=1e-4,
                             atol=1e-5)


def test_snail_sequence_is_causal_and_blind_to_the_query_label():
  """The logits at step t have zero Jacobian with respect to every input after t, and no
  output depends on the query's (the last step's) label input."""
  ways, t, f = 3, 7, 4
  seq = snail.SNAILSequence(ways=ways, seq_len=t, blocks=SMALL)
  rng = np.random.default_rng(2)
  x = jnp.asarray(rng.standard_normal((1, t, f + ways)), jnp.float32)
  split = lambda v: (v[..., :f], v[..., f:])
  draws = [seq.init(jax.random.key(i), *split(x)) for i in range(2)]
  dep = assert_causal_in_time(lambda p, v: seq.apply(p, *split(v)), x, param_draws=draws)
  assert not dep[..., t - 1, f:].any()                # the query's label input: nothing
  assert dep[0, t - 1, :, 0, : t - 1].any(axis=(0, 2)).all()  # the query sees every support
  assert dep[0, t - 1, :, 0, t - 1, :f].any()         # ... and its own image features


def test_snail_on_episodes_shapes_and_query_label_unused():
  ways, shots = 3, 2
  net = snail.SNAIL(ways=ways, shots=shots, blocks=SMALL,
                    embedding={'filters': 8, 'features': 8})
  rng = np.random.default_rng(3)
  images = jnp.asarray(rng.integers(0, 256, (2, 7, 28, 28, 1)), jnp.uint8)
  labels = jnp.asarray(np.tile([0, 1, 2, 0, 1, 2, 1], (2, 1)), jnp.int32)
  v = net.init(jax.random.key(0), images, labels)
  assert set(v) == {'params', 'batch_stats'}
  out = net.apply(v, images, labels)
  assert out.shape == (2, ways)
  other = net.apply(v, images, labels.at[:, -1].set(2))          # another query label
  np.testing.assert_array_equal(out, other)
  assert net.apply(v, images, labels, all_steps=True).shape == (2, 7, ways)
  with pytest.raises(ValueError, match='3-way 2-shot episode has 7 items'):
    net.apply(v, images[:, :6], labels[:, :6])


def test_protonet_logits_are_negative_squared_distances_to_class_means():
  ways, shots = 3, 2
  net = snail.ProtoNet(ways=ways, shots=shots, embedding={'filters': 8, 'features': 6})
  rng = np.random.default_rng(4)
  images = jnp.asarray(rng.integers(0, 256, (2, 7, 28, 28, 1)), jnp.uint8)
  labels = jnp.asarray([[0, 2, 1, 1, 0, 2, 2], [1, 1, 0, 2, 2, 0, 0]], jnp.int32)
  v = net.init(jax.random.key(0), images, labels)
  logits = np.asarray(net.apply(v, images, labels))
  # an independent computation: embed every item with the bound embedding module
  feats = np.asarray(jax.jit(lambda vv, x: snail.Embedding(filters=8, features=6).apply(
      {'params': vv['params']['embedding'], 'batch_stats': vv['batch_stats']['embedding']},
      x))(v, images.reshape(14, 28, 28, 1).astype(jnp.float32) / 255.0)).reshape(2, 7, 6)
  for b in range(2):
    protos = np.stack([feats[b, :-1][np.asarray(labels[b, :-1]) == k].mean(0)
                       for k in range(ways)])
    expect = -((feats[b, -1] - protos) ** 2).sum(-1)
    np.testing.assert_allclose(logits[b], expect, rtol=1e-4, atol=1e-4)


def test_nearest_neighbour_against_a_loop():
  rng = np.random.default_rng(5)
  images = rng.integers(0, 256, (20, 6, 4, 4, 1)).astype(np.uint8)
  labels = np.tile(np.arange(6) % 5, (20, 1)).astype(np.int32)
  pred = np.asarray(snail.nearest_neighbour(images, labels))
  for b in range(20):
    x = images[b].reshape(6, -1).astype(np.float64)
    d = [((x[i] - x[-1]) ** 2).sum() for i in range(5)]
    assert pred[b] == labels[b, int(np.argmin(d))]
  jitted = jax.jit(snail.nearest_neighbour)(jnp.asarray(images), jnp.asarray(labels))
  np.testing.assert_array_equal(jitted, pred)


def test_embedding_is_the_four_block_omniglot_network():
  emb = snail.Embedding()
  v = emb.init(jax.random.key(0), jnp.zeros((1, 28, 28, 1)))
  shapes = jax.tree.map(jnp.shape, v['params'])
  assert [shapes[f'conv_{i}']['kernel'] for i in range(4)] == [
      (3, 3, 1, 64)] + [(3, 3, 64, 64)] * 3
  assert shapes['out']['kernel'] == (64, 64)            # 28 -> 14 -> 7 -> 3 -> 1 pixels
  assert emb.apply(v, jnp.zeros((2, 28, 28, 1))).shape == (2, 64)


def test_paper_network_widths():
  """A(64, 32), TC(128), A(256, 128), TC(128), A(512, 256) on 5-way 1-shot (T = 6): the
  input of the logits layer has 64 + 5 + 32 + 3 * 128 + 128 + 3 * 128 + 256 features."""
  seq = snail.SNAILSequence(ways=5, seq_len=6)
  v = seq.init(jax.random.key(0), jnp.zeros((1, 6, 64)), jnp.zeros((1, 6, 5)))
  assert v['params']['logits']['kernel'].shape == (64 + 5 + 32 + 384 + 128 + 384 + 256, 5)
  assert v['params']['attention_4']['attention']['key']['kernel'].shape[-1] == 512
  assert len(v['params']['tc_1']) == 3 and len(v['params']['tc_3']) == 3
