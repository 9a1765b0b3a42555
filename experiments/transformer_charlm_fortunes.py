"""A decoder-only Transformer character language model on English text (Vaswani et al. 2017).

The Transformer's decoder stack without cross-attention (`jaxgen.models.seq.transformer.
TransformerLM`: causal multi-head self-attention, post-LN, interleaved sinusoidal positions,
sqrt(d_model)-scaled embedding tied with the output, dropout 0.1, Adam with b2 = 0.98 on the
rsqrt warmup schedule; no label smoothing, the figure being bits per character) on the same
byte windows of Debian's `fortunes` as experiments/charlm_fortunes.py, against the same
baselines computed on the same windows: the one-layer LSTM there reached 2.587 bits/char on
held-out fortunes, the interpolated trigram 3.080 (unigram 4.784, 5-gram 2.416).

Run:   jaxgen train transformer_charlm_fortunes --workdir /tmp/transformer_charlm
       jaxgen train transformer_charlm_fortunes:pre_ln --workdir ...
Tiny:  jaxgen train transformer_charlm_fortunes:tiny --workdir /tmp/transformer_charlm_tiny
(from a checkout: PYTHONPATH=. python -m jaxgen.cli train ... --set progress=False)

Default run (measured, session 5: `PYTHONPATH=. python -m jaxgen.cli train
transformer_charlm_fortunes --workdir /tmp/runs/transformer_charlm_fortunes --set
progress=False`): N = 4 layers of d_model 128 (h = 4, d_ff 512; 0.83M weights), 3,000
steps of 32 x 128 characters, warmup 400, 10% of train held out for validation (the best
validation step tested: the last); 32 min wall, 1.6 steps/s, with another training job
sharing the 2-core CPU. 2.327 bits/char on held-out fortunes: ahead of the one-layer LSTM
of 512 (2.587, 2,000 steps, 28 min under the same kind of load), the interpolated trigram
(3.080), the 5-gram (2.416) and the unigram (4.784), all on the same windows. Validation
was still falling (2.47 at step 2,000, 2.44 at 2,250, 2.33 at 3,000).
Tiny (measured): 2 layers of 64, no dropout, 600 steps on 100k characters: 3.19 bits/char
against the trigram's 3.33 on the same held-out windows (the tiny LSTM: 3.13).
"""
from jaxgen.models.seq.configs import transformer_config


def get_config(variant: str = ''):
  return transformer_config('transformer_charlm_fortunes', variant, 'fortunes')
