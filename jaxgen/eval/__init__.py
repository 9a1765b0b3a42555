"""Sample-quality evaluation without downloads: a cached per-dataset classifier and its scores."""
from jaxgen.eval.classifier import (Classifier, class_coverage, class_histogram,
                                    classifier_score, frechet_distance, gaussian_stats,
                                    get_classifier, mean_confidence, train_classifier)
