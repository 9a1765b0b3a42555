"""Date translation with encoder-decoders: human-written dates in 15 languages -> ISO dates.

Bahdanau et al. (2015, "Neural machine translation by jointly learning to align and
translate"), Luong et al. (2015, "Effective approaches to attention-based neural machine
translation") and the attention-free encoder-decoder of Sutskever et al. (2014) / Cho et
al. (2014), on `jaxgen.data.dates` ('Montag, 31. Dezember 2018' -> '2018-12-31'; test dates
never seen in training in any language).

Run:   jaxgen train dates_seq2seq --workdir /tmp/dates_bahdanau
       jaxgen train dates_seq2seq:attention=luong,score=general,window=local_p --workdir ...
       jaxgen train dates_seq2seq:attention=none --workdir /tmp/dates_none
       jaxgen train dates_seq2seq:attention=cho --workdir /tmp/dates_cho
Tiny:  jaxgen train dates_seq2seq:tiny --workdir /tmp/dates_tiny
(from a checkout: PYTHONPATH=. python -m jaxgen.cli train ... --set progress=False)

Measured (session 4, 2 CPU cores shared with another training job; 3,000 steps of 64 pairs,
test = 3,680 held-out dates, one rendering each; beam 4 with alpha 0.6;
`PYTHONPATH=. python -m jaxgen.cli train dates_seq2seq[:VARIANT] --workdir /tmp/s2s/... --set
progress=False`, wall time of the whole command):

  variant                                           greedy EM   beam EM   wall
  (default) attention=bahdanau                        100.00%   100.00%   3 min 54 s
  attention=luong  (general, global, input feeding)    99.95%    99.95%   1 min 43 s
  attention=luong,score=dot                           100.00%   100.00%   59 s
  attention=luong,score=concat,window=local_p          99.76%    99.76%   1 min 23 s
  attention=luong,score=general,window=local_p         99.54%    99.57%   2 min 11 s
  attention=luong,score=location,window=local_m        96.68%    96.98%   1 min 9 s
  attention=none   (Sutskever: reversed source)        92.15%    92.99%   53 s
  attention=cho    (Cho 2014: c read at every step)     99.29%    99.35%   1 min 48 s  (session 5)
  :tiny  (32 units, 400 steps, lr 1e-2)                 99.59%    99.57%   ~1 min

Every attention model beats the attention-free Sutskever encoder-decoder (92.2%), whose
wrong characters are mostly the month's (363 of 473), then the day's (79), rarely the year's.
Cho's encoder-decoder, which reads its fixed summary c at every step and in the readout
instead of only starting from it, closes most of that gap on these short sources (99.3%):
Bahdanau's attention is still ahead (100%), by 26 of 3,680 dates. Location attention
(scores from h_t alone, no content) with a local-m window (p_t = t, while an ISO date's
characters do not align monotonically with most renderings) is the weakest attention.
The Bahdanau model is the slowest per step (bidirectional GRU encoder, maxout readout, 15
steps/s against 40-80 for the others under the same load). Attention maps:
<workdir>/attention/final.png.
"""
from jaxgen.models.seq.configs import seq2seq_config


def get_config(variant: str = ''):
  return seq2seq_config('dates_seq2seq', variant, 'dates')
