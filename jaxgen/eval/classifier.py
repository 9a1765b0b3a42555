"""A small conv classifier per dataset, trained once and cached: features and scores for samples.

No Inception weights can be downloaded, so sample quality is measured the way the GAN papers do
with Inception-v3 (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to
a Local Nash Equilibrium", eq. 6; Salimans et al. 2016, "Improved Techniques for Training GANs",
section 4), but with a classifier trained on the same dataset:

  * `frechet_distance`: the Fréchet distance between Gaussians fitted to penultimate-layer
    features of samples and of real data,
    d^2 = |mu_1 - mu_2|^2 + Tr(C_1 + C_2 - 2 (C_1 C_2)^{1/2}).
  * `class_coverage`: the fraction of classes that receive a fair share of the samples' predicted
    labels (a collapsed generator covers few classes).
  * `mean_confidence`: the mean of the classifier's largest softmax probability (sharp, class-like
    samples score high).
  * `classifier_score`: exp(E_x KL(p(y|x) || p(y))), the Inception Score with this classifier.

Usage:

  clf = get_classifier('mnist5k')               # trains once (seconds), then loads from disk
  logits = clf.logits(images)                   # images [n, 28, 28, 1], uint8 or floats in [0, 1]
  mu, cov = clf.reference_stats('train')
  fd = frechet_distance(*clf.feature_stats(samples), mu, cov)

The cache lives in `cache_dir`, else `$JAXGEN_CACHE_DIR`, else `~/.cache/jaxgen`; its file name
carries a hash of the architecture and training recipe, so a change retrains.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import tempfile
import warnings

import flax.linen as nn
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax

# The recipe: changing any entry changes the cache key, so stale weights are never reused.
RECIPE = dict(version=1, features=(32, 64), hidden=128, learning_rate=1e-3, batch_size=128,
              train_examples=12_000, seed=0, binarize_fraction=0.5)
# Passes over the training split, per dataset (small datasets need more epochs).
EPOCHS = {'mnist5k': 12, 'digits': 40, 'fashion_mnist': 3}
DEFAULT_EPOCHS = 3


class ConvClassifier(nn.Module):
  """Two stride-2 3x3 convolutions, a dense feature layer, and the class logits.

  x: [batch, height, width, channels] in [0, 1] -> (logits [batch, classes],
  features [batch, hidden]).
  """
  num_classes: int
  features: tuple[int, ...] = (32, 64)
  hidden: int = 128

  @nn.compact
  def __call__(self, x):
    for f in self.features:
      x = nn.relu(nn.Conv(f, (3, 3), strides=(2, 2))(x))
    h = nn.relu(nn.Dense(self.hidden)(x.reshape(x.shape[0], -1)))
    return nn.Dense(self.num_classes)(h), h


def default_cache_dir() -> str:
  return os.environ.get('JAXGEN_CACHE_DIR', os.path.join(os.path.expanduser('~'), '.cache',
                                                           'jaxgen'))


def _as_float_images(images, shape) -> jnp.ndarray:
  """uint8 0..255 or floats in [0, 1], [n, h, w, c] (or [n, h*w*c]) -> float32 [n, h, w, c]."""
  x = np.asarray(images) if not isinstance(images, jax.Array) else images
  if x.ndim == 2 and x.shape[1] == int(np.prod(shape)):
    x = x.reshape((x.shape[0],) + tuple(shape))
  if x.ndim == 3 and tuple(shape)[-1] == 1:
    x = x[..., None]
  if x.ndim != 4 or tuple(x.shape[1:]) != tuple(shape):
    raise ValueError(f'The classifier takes images of shape [n, {", ".join(map(str, shape))}] '
                     f'(uint8 0..255 or floats in [0, 1]); got {tuple(x.shape)}.')
  if x.dtype == np.uint8:
    return jnp.asarray(x, jnp.float32) / 255.0
  return jnp.asarray(x, jnp.float32)


@dataclasses.dataclass
class Classifier:
  """A trained dataset classifier. Images are uint8 0..255 or floats in [0, 1].

  Attributes:
    dataset: the dataset name it was trained on.
    shape: (height, width, channels) of its images.
    num_classes: the number of classes.
    params: the Flax parameters.
    info: training metadata (test accuracy, the real-data Fréchet-distance floor, ...).
  """
  dataset: str
  shape: tuple[int, int, int]
  num_classes: int
  params: dict
  info: dict
  batch_size: int = 1000
  _reference: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

  @functools.cached_property
  def _apply(self):
    model = ConvClassifier(self.num_classes, tuple(RECIPE['features']), RECIPE['hidden'])
    return jax.jit(lambda p, x: model.apply({'params': p}, x))

  def _outputs(self, images):
    x = _as_float_images(images, self.shape)
    outs = [self._apply(self.params, x[i:i + self.batch_size])
            for i in range(0, x.shape[0], self.batch_size)]
    return (np.concatenate([np.asarray(o[0]) for o in outs]),
            np.concatenate([np.asarray(o[1]) for o in outs]))

  def logits(self, images) -> np.ndarray:
    """Class logits, float32 [n, num_classes]."""
    return self._outputs(images)[0]

  def features(self, images) -> np.ndarray:
    """Penultimate-layer features for the Fréchet distance, float32 [n, hidden]."""
    return self._outputs(images)[1]

  def predict(self, images) -> np.ndarray:
    """Predicted labels, int32 [n]."""
    return self.logits(images).argmax(-1).astype(np.int32)

  def feature_stats(self, images) -> tuple[np.ndarray, np.ndarray]:
    """Mean [hidden] and covariance [hidden, hidden] of the images' features."""
    return gaussian_stats(self.features(images))

  def reference_stats(self, split: str = 'train') -> tuple[np.ndarray, np.ndarray]:
    """Feature mean and covariance of a real split of the dataset (memoised)."""
    if split not in self._reference:
      from jaxgen import data  # pylint: disable=g-import-not-at-top
      src = data.load(self.dataset, split)
      self._reference[split] = self.feature_stats(src.get(np.arange(len(src)))['image'])
    return self._reference[split]

  def scores(self, samples, reference_split: str = 'train') -> dict[str, float]:
    """All sample-quality scores of images against the real split's features."""
    logits, feats = self._outputs(samples)
    mu, cov = gaussian_stats(feats)
    return dict(
        frechet_distance=frechet_distance(mu, cov, *self.reference_stats(reference_split)),
        class_coverage=class_coverage(logits),
        mean_confidence=mean_confidence(logits),
        classifier_score=classifier_score(logits))


# ----------------------------------------------------------------------------------- metrics
def gaussian_stats(features) -> tuple[np.ndarray, np.ndarray]:
  """Mean [d] and (unbiased) covariance [d, d] of features [n, d], in float64."""
  f = np.asarray(features, np.float64)
  if f.ndim != 2 or f.shape[0] < 2:
    raise ValueError(f'gaussian_stats needs features [n >= 2, d]; got {f.shape}.')
  return f.mean(0), np.cov(f, rowvar=False)


def _sqrt_psd(c: np.ndarray) -> np.ndarray:
  w, v = np.linalg.eigh((c + c.T) / 2)
  return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
  """Squared Fréchet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2).

  d^2 = |mu1 - mu2|^2 + Tr(C1) + Tr(C2) - 2 Tr((C1^{1/2} C2 C1^{1/2})^{1/2})
  (Dowson & Landau 1982; the FID of Heusel et al. 2017, eq. 6). The trace of the matrix square
  root is taken from the eigenvalues of the symmetric C1^{1/2} C2 C1^{1/2}, which has the same
  spectrum as C1 C2 and stays real.

  Args:
    mu1, mu2: means [d]. cov1, cov2: covariances [d, d].
  """
  mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
  cov1, cov2 = np.asarray(cov1, np.float64), np.asarray(cov2, np.float64)
  d = mu1.shape[-1]
  if mu2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
    raise ValueError(f'frechet_distance needs means [d] and covariances [d, d] of one d; got '
                     f'{mu1.shape}, {cov1.shape}, {mu2.shape}, {cov2.shape}.')
  s1 = _sqrt_psd(cov1)
  cross = np.sqrt(np.clip(np.linalg.eigvalsh(s1 @ cov2 @ s1), 0, None)).sum()
  return float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * cross)


def _check_logits(logits) -> np.ndarray:
  logits = np.asarray(logits, np.float64)
  if logits.ndim != 2 or logits.shape[0] == 0:
    raise ValueError(f'Expected logits [n > 0, num_classes]; got {logits.shape}.')
  return logits


def _softmax(logits: np.ndarray) -> np.ndarray:
  z = np.exp(logits - logits.max(-1, keepdims=True))
  return z / z.sum(-1, keepdims=True)


def class_histogram(logits) -> np.ndarray:
  """The fraction of samples predicted as each class, [num_classes]."""
  logits = _check_logits(logits)
  return np.bincount(logits.argmax(-1), minlength=logits.shape[1]) / logits.shape[0]


def class_coverage(logits, min_share: float = 0.25) -> float:
  """The fraction of classes predicted for at least `min_share / num_classes` of the samples.

  With `min_share = 0.25` and 10 classes, a class counts as covered when at least 2.5% of the
  samples are classified as it (a uniform generator gives 10%); a few stray samples of a class
  do not count, so a generator collapsed onto a few modes scores low.

  Args:
    logits: [n, num_classes] classifier logits (or log-probabilities) of the samples.
    min_share: the share of the uniform rate 1/num_classes a class needs.
  """
  hist = class_histogram(logits)
  return float(np.mean(hist >= min_share / hist.shape[0]))


def mean_confidence(logits) -> float:
  """The mean over samples of the largest class probability, max_y p(y | x)."""
  return float(_softmax(_check_logits(logits)).max(-1).mean())


def classifier_score(logits) -> float:
  """exp(E_x KL(p(y|x) || p(y))): the Inception Score (Salimans et al. 2016) of this classifier."""
  p = _softmax(_check_logits(logits))
  marginal = p.mean(0, keepdims=True)
  kl = np.sum(p * (np.log(p + 1e-12) - np.log(marginal + 1e-12)), -1)
  return float(np.exp(kl.mean()))


# ---------------------------------------------------------------------------------- training
def _cache_path(dataset: str, cache_dir: str | None) -> str:
  key = json.dumps(dict(RECIPE, dataset=dataset, epochs=EPOCHS.get(dataset, DEFAULT_EPOCHS)),
                   sort_keys=True)
  digest = hashlib.sha1(key.encode()).hexdigest()[:10]
  safe = dataset.replace(':', '_').replace('/', '_')
  return os.path.join(cache_dir or default_cache_dir(), 'classifiers', f'{safe}-{digest}')


def _atomic_write(path: str, data: bytes):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.tmp-')
  with os.fdopen(fd, 'wb') as f:
    f.write(data)
  os.replace(tmp, path)


def train_classifier(dataset: str, epochs: int | None = None) -> Classifier:
  """Trains the classifier on the dataset's train split (no caching); see `get_classifier`.

  Adam on softmax cross-entropy. Half of each batch is Bernoulli-binarized (`binarize_fraction`),
  so the features also suit binarized samples (PixelCNN, MADE).
  """
  from jaxgen import data  # pylint: disable=g-import-not-at-top
  train, test = data.load(dataset, 'train'), data.load(dataset, 'test')
  arrays = train.get(np.arange(len(train)))
  if 'image' not in arrays or 'label' not in arrays:
    raise ValueError(f'Dataset {dataset!r} has keys {sorted(arrays)}; the classifier needs a '
                     "labelled image dataset ('image', 'label').")
  rng = np.random.default_rng(RECIPE['seed'])
  if len(train) > RECIPE['train_examples']:
    keep = np.sort(rng.permutation(len(train))[:RECIPE['train_examples']])
    arrays = {k: v[keep] for k, v in arrays.items()}
  images = arrays['image'].astype(np.float32) / 255.0
  labels = arrays['label'].astype(np.int32)
  shape = tuple(images.shape[1:])
  num_classes = int(getattr(train, 'info', {}).get('num_classes', labels.max() + 1))
  model = ConvClassifier(num_classes, tuple(RECIPE['features']), RECIPE['hidden'])
  params = model.init(jax.random.PRNGKey(RECIPE['seed']), jnp.zeros((1,) + shape))['params']
  tx = optax.adam(RECIPE['learning_rate'])
  opt_state = tx.init(params)

  @jax.jit
  def step(params, opt_state, x, y):
    def loss_fn(p):
      logits, _ = model.apply({'params': p}, x)
      return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    grads = jax.grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state

  bs = RECIPE['batch_size']
  n_bin = int(bs * RECIPE['binarize_fraction'])
  for _ in range(epochs or EPOCHS.get(dataset, DEFAULT_EPOCHS)):
    perm = rng.permutation(len(images))
    for i in range(0, len(perm) - bs + 1, bs):
      x = images[perm[i:i + bs]].copy()
      x[:n_bin] = (rng.random(x[:n_bin].shape, dtype=np.float32) < x[:n_bin]).astype(np.float32)
      params, opt_state = step(params, opt_state, x, labels[perm[i:i + bs]])
  clf = Classifier(dataset, shape, num_classes, jax.device_get(params), {})
  test_arrays = test.get(np.arange(len(test)))
  clf.info['test_accuracy'] = float(np.mean(clf.predict(test_arrays['image']) ==
                                            test_arrays['label']))
  # The Fréchet distance of real test images to the train split: the floor a perfect generator
  # reaches with this many samples.
  clf.info['test_frechet_distance'] = frechet_distance(
      *clf.feature_stats(test_arrays['image']), *clf.reference_stats('train'))
  clf.info['test_examples'] = len(test)
  return clf


def get_classifier(dataset: str, cache_dir: str | None = None) -> Classifier:
  """The dataset's classifier: loaded from the cache, or trained once and cached.

  Args:
    dataset: a labelled image dataset of `jaxgen.data` ('mnist5k', 'fashion_mnist', 'digits').
    cache_dir: where to cache it (default `$JAXGEN_CACHE_DIR` or `~/.cache/jaxgen`).
  Returns:
    a `Classifier`; `info['test_accuracy']` is its accuracy on the test split.
  """
  return _get_classifier(dataset, cache_dir or default_cache_dir())


@functools.lru_cache(maxsize=8)
def _get_classifier(dataset: str, cache_dir: str) -> Classifier:
  path = _cache_path(dataset, cache_dir)
  if os.path.exists(path + '.json') and os.path.exists(path + '.msgpack'):
    with open(path + '.json') as f:
      meta = json.load(f)
    template = ConvClassifier(meta['num_classes'], tuple(RECIPE['features']),
                              RECIPE['hidden']).init(
                                  jax.random.PRNGKey(0), jnp.zeros((1,) + tuple(meta['shape'])))
    with open(path + '.msgpack', 'rb') as f:
      params = flax.serialization.from_bytes(jax.device_get(template['params']), f.read())
    return Classifier(dataset, tuple(meta['shape']), meta['num_classes'], params, meta['info'])
  clf = train_classifier(dataset)
  try:
    _atomic_write(path + '.msgpack', flax.serialization.to_bytes(clf.params))
    _atomic_write(path + '.json', json.dumps(dict(
        dataset=dataset, shape=list(clf.shape), num_classes=clf.num_classes, info=clf.info,
        recipe=RECIPE), indent=1).encode())
  except OSError as e:  # a read-only home: still usable, retrained next time
    warnings.warn(f'Could not cache the {dataset} classifier in {cache_dir} ({e}); set '
                  'JAXGEN_CACHE_DIR to a writable folder to keep it.')
  return clf
