"""The cached dataset classifier and its sample-quality scores."""
import numpy as np
import pytest
from scipy import linalg

from jaxgen import data
from jaxgen import eval as eval_lib
from jaxgen.eval import classifier as clf_lib


def _random_cov(rng, d):
  a = rng.standard_normal((d, d))
  return a @ a.T / d + 0.1 * np.eye(d)


def test_frechet_distance_matches_the_closed_form():
  rng = np.random.default_rng(0)
  d = 6
  mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
  c1, c2 = _random_cov(rng, d), _random_cov(rng, d)
  # The textbook formula with scipy's (non-symmetric) matrix square root.
  expected = np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * linalg.sqrtm(c1 @ c2).real)
  np.testing.assert_allclose(eval_lib.frechet_distance(mu1, c1, mu2, c2), expected, rtol=1e-8)
  assert abs(eval_lib.frechet_distance(mu1, c1, mu1, c1)) < 1e-9
  # Diagonal covariances: sum of (mu1 - mu2)^2 + (s1 - s2)^2 per dimension.
  s1, s2 = rng.uniform(0.5, 2, d), rng.uniform(0.5, 2, d)
  np.testing.assert_allclose(
      eval_lib.frechet_distance(mu1, np.diag(s1**2), mu2, np.diag(s2**2)),
      np.sum((mu1 - mu2) ** 2 + (s1 - s2) ** 2), rtol=1e-8)
  with pytest.raises(ValueError, match='covariances'):
    eval_lib.frechet_distance(mu1, c1, mu2[:3], c2)


def test_coverage_confidence_and_score_on_known_logits():
  k = 10
  uniform = np.eye(k)[np.arange(200) % k] * 20.0          # confident, all classes equally
  collapsed = np.eye(k)[np.zeros(200, int)] * 20.0         # confident, one class
  unsure = np.zeros((200, k))                               # p(y|x) uniform
  assert eval_lib.class_coverage(uniform) == 1.0
  assert eval_lib.class_coverage(collapsed) == 0.1
  # A class with only a few stray samples (< 2.5% at min_share 0.25) is not covered.
  mostly = np.eye(k)[np.r_[np.zeros(195, int), np.arange(1, 6)]] * 20.0
  assert eval_lib.class_coverage(mostly) == 0.1
  np.testing.assert_allclose(eval_lib.mean_confidence(uniform), 1.0, atol=1e-6)
  np.testing.assert_allclose(eval_lib.mean_confidence(unsure), 1 / k)
  np.testing.assert_allclose(eval_lib.classifier_score(uniform), k, rtol=1e-4)
  np.testing.assert_allclose(eval_lib.classifier_score(collapsed), 1.0, rtol=1e-6)
  np.testing.assert_allclose(eval_lib.classifier_score(unsure), 1.0, rtol=1e-6)
  with pytest.raises(ValueError, match='logits'):
    eval_lib.class_coverage(np.zeros(5))


@pytest.fixture(scope='module')
def mnist_classifier():
  return eval_lib.get_classifier('mnist5k')


def test_classifier_is_accurate_and_cached(mnist_classifier):
  clf = mnist_classifier
  assert clf.info['test_accuracy'] >= 0.95
  test = data.load('mnist5k', 'test').get(np.arange(300))
  logits = clf.logits(test['image'])
  assert logits.shape == (300, 10) and clf.features(test['image']).shape == (300, 128)
  # Floats in [0, 1] and uint8 give the same answer.
  np.testing.assert_allclose(clf.logits(test['image'] / 255.0), logits, rtol=1e-5, atol=1e-5)
  # A fresh load reads the weights back from disk.
  clf_lib._get_classifier.cache_clear()  # pylint: disable=protected-access
  again = eval_lib.get_classifier('mnist5k')
  assert again is not clf
  np.testing.assert_allclose(again.logits(test['image']), logits, rtol=1e-6)
  with pytest.raises(ValueError, match='shape'):
    clf.logits(np.zeros((2, 32, 32, 1), np.uint8))


def test_scores_separate_real_digits_from_noise_and_from_one_class(mnist_classifier):
  clf = mnist_classifier
  test = data.load('mnist5k', 'test').get(np.arange(1000))
  real = clf.scores(test['image'])
  noise = clf.scores(np.random.default_rng(0).random((1000, 28, 28, 1)))
  ones = clf.scores(test['image'][test['label'] == 1])
  assert real['class_coverage'] == 1.0 and real['mean_confidence'] > 0.9
  assert real['frechet_distance'] == pytest.approx(clf.info['test_frechet_distance'])
  assert noise['frechet_distance'] > 50 * real['frechet_distance']
  assert ones['class_coverage'] <= 0.2 and ones['classifier_score'] < 1.5
  assert ones['frechet_distance'] > 10 * real['frechet_distance']
