"""Syllabification of English words as tagging: a bidirectional LSTM against a unidirectional one.

Run:   jaxgen train syllables_gcide --workdir /tmp/syl_bi               (BiLSTM)
       jaxgen train syllables_gcide:dir=uni --workdir /tmp/syl_uni      (unidirectional LSTM)
Tiny:  jaxgen train syllables_gcide:tiny --workdir /tmp/syl_tiny

Data: Debian's `dict-gcide` (the 1913 Webster and its successors): 85,926 headwords whose
pronunciation field marks syllable breaks (`\\Ab`di*ca"tion\\` is ab-di-ca-tion), held out by
word (10% test, 5% of the rest validation). Each letter is labelled 1 where a syllable ends
after it; the metric is the boundary F1 over the test split (and whole-word accuracy).

Paper: Schuster & Paliwal (1997), bidirectional RNNs: the backward pass sees the letters after
the one being labelled, which a syllable break depends on (a unidirectional model must decide
"ab|" before it reads "dication").
"""
from jaxgen.models.seq.configs import syllables_config


def get_config(variant: str = ''):
  return syllables_config('syllables_gcide', variant)
