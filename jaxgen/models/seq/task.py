"""Recurrent sequence models as trainer tasks.

config.task 'seq'      language models, taggers and sequence classifiers over `RNNStack`
                       (section 1 of this file);
config.task 'seq2seq'  encoder-decoders with attention (section 2).
"""
from __future__ import annotations

import ml_collections

from jaxgen.train.task import Task


# ============================================================== 1. language models, taggers


# ============================================================== 2. encoder-decoders


def make_task(config: ml_collections.ConfigDict, info=None) -> Task:
  if config.get('task') == 'seq2seq':
    return Seq2SeqTask(config, info)  # noqa: F821  (section 2)
  return make_seq_task(config, info)  # noqa: F821  (section 1)
