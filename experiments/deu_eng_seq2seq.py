"""German -> English with attention: FreeDict's example sentences (Bahdanau et al. 2015).

The RNNsearch encoder-decoder (bidirectional GRU encoder, additive attention from the previous
decoder state, maxout readout; `jaxgen.models.seq.seq2seq`) on `jaxgen.data.translation`'s
deu_eng pairs of at most 10 words (19.6k train / 2.15k test, lowercased word tokens, UNK below
3 train occurrences: 4.3k German and 4.9k English words, 24% of German tokens UNK), scored
by exact match and by tokenized, lowercased BLEU (sacrebleu, UNK tokens dropped from outputs
and references so that UNK never matches UNK).
The variants of dates_seq2seq apply (`:attention=luong,window=local_p`, ...).

Run:   jaxgen train deu_eng_seq2seq --workdir /tmp/deu_eng
Tiny:  jaxgen train deu_eng_seq2seq:tiny --workdir /tmp/deu_eng_tiny   (sentences of <= 6 words)

Measured (session 4, 2 CPU cores shared with another training job; `PYTHONPATH=. python -m
jaxgen.cli train deu_eng_seq2seq --workdir /tmp/s2s/deu_eng --set progress=False`, 2,000
steps of 64 pairs, 9 min wall, 4.2 steps/s): test NLL 3.65 nats/token, token accuracy 45.5%,
exact match 4.0% greedy / 4.5% beam (k = 4, alpha 0.6), BLEU 6.4 greedy / 5.9 beam (with
UNK-for-UNK matches counted, as a first version did, it read 25.7 / 28.3). A small-data,
CPU-sized run: far from the paper's WMT'14 26.8 BLEU (348M words, 5 days on a GPU); the
model learns short phrases ('einführung einer neuen methode' -> 'introduction of a new
method') and repeats words on longer sentences.

Side by side (same command with `:attention=none` / `:attention=luong`, same 2,000 steps;
7 min each while two jobs shared the CPU):
  variant                         test NLL   token acc   EM greedy / beam   BLEU greedy / beam
  attention=bahdanau (default)      3.65       45.5%       4.0% / 4.5%        6.4 / 5.9
  attention=luong (general,global)  3.94       41.3%       2.0% / 2.5%        1.0 / 0.6
  attention=none                    4.02       40.1%       2.0% / 2.5%        1.1 / 0.6
All three are far from converged at 2,000 steps: this compares their first 2,000 steps,
not the models. Bahdanau's bidirectional encoder learns fastest; Luong's unidirectional one,
at this budget, is no better than no attention.
"""
from jaxgen.models.seq.configs import seq2seq_config


def get_config(variant: str = ''):
  return seq2seq_config('deu_eng_seq2seq', variant, 'deu_eng')
