"""Generation and decoding for the recurrent family: jitted `lax.scan` / `lax.while_loop` code.

Section 1: sampling from a language model with an explicit carry. Section 2: decoding an
encoder-decoder (greedy, temperature, beam search).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


# ============================================================== 1. language models


# ============================================================== 2. encoder-decoders
