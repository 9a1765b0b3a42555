"""Syllabification of English words as tagging: a bidirectional LSTM against a unidirectional one.

Run:   jaxgen train syllables_gcide --workdir /tmp/syl_bi               (BiLSTM)
       jaxgen train syllables_gcide:dir=uni --workdir /tmp/syl_uni      (unidirectional LSTM)
Tiny:  jaxgen train syllables_gcide:tiny --workdir /tmp/syl_tiny

Data: Debian's `dict-gcide` (the 1913 Webster and its successors): 85,926 headwords whose
pronunciation field marks syllable breaks (`\\Ab`di*ca"tion\\` is ab-di-ca-tion), held out by
word (10% test, 5% of the rest validation). Each letter is labelled 1 where a syllable ends
after it; the metric is the boundary F1 over the test split (and whole-word accuracy).

Default runs (measured: `jaxgen train syllables_gcide[:dir=uni] --set progress=False`; 128
LSTM cells per direction, 4,000 steps of 64 words, 5% of train for validation, best
validation step tested; wall times on this 2-core CPU):
  dir=bi   boundary F1 0.910, letters 95.5% right, whole words 74.7% (115 s)
  dir=uni  boundary F1 0.591, letters 82.4%, whole words 21.6% (62 s)

Paper: Schuster & Paliwal (1997), bidirectional RNNs: the backward pass sees the letters after
the one being labelled, which a syllable break depends on (a unidirectional model must decide
"ab|" before it reads "dication").
"""
from jaxgen.models.seq.configs import syllables_config


def get_config(variant: str = ''):
  return syllables_config('syllables_gcide', variant)
