"""The recurrent family's experiment configs.

Section 1: language models, taggers, classifiers (task 'seq'). Section 2: encoder-decoders
(task 'seq2seq').
"""
from __future__ import annotations

import ml_collections

from jaxgen.train.config import base_config, parse_variant, set_schedule


# ============================================================== 1. language models, taggers


# ============================================================== 2. encoder-decoders
