"""German -> English with attention: FreeDict's example sentences (Bahdanau et al. 2015).

The RNNsearch encoder-decoder (bidirectional GRU encoder, additive attention from the previous
decoder state, maxout readout; `jaxgen.models.seq.seq2seq`) on `jaxgen.data.translation`'s
deu_eng pairs (about 21k train / 2.4k test, lowercased word tokens, UNK below 2 train
occurrences), scored by exact match and by tokenized, lowercased BLEU (sacrebleu).
The variants of dates_seq2seq apply (`:attention=luong,window=local_p`, ...).

Run:   jaxgen train deu_eng_seq2seq --workdir /tmp/deu_eng
Tiny:  jaxgen train deu_eng_seq2seq:tiny --workdir /tmp/deu_eng_tiny   (sentences of <= 6 words)

Measured: see below.
"""
from jaxgen.models.seq.configs import seq2seq_config


def get_config(variant: str = ''):
  return seq2seq_config('deu_eng_seq2seq', variant, 'deu_eng')
