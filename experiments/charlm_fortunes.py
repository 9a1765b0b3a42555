"""Character language models on English text: Elman RNN, LSTM and Graves' deep LSTM.

Run:   jaxgen train charlm_fortunes --workdir /tmp/charlm_lstm              (one LSTM layer)
       jaxgen train charlm_fortunes:arch=elman --workdir /tmp/charlm_elman  (Elman 1990)
       jaxgen train charlm_fortunes:arch=deep_lstm --workdir /tmp/charlm_deep  (Graves 2013)
Tiny:  jaxgen train charlm_fortunes:tiny --workdir /tmp/charlm_tiny

Data: Debian's `fortunes` (2.5 MB of English: quotations, jokes, definitions, some ASCII
art), byte level (one token per character: the text is ASCII but for 94 bytes); whole
fortunes held out by hash, 10% test; windows of 128 characters. The baselines are computed by
the same code on the same windows (`jaxgen.eval.ngram`, fitted on the run's train split):
the interpolated trigram and the unigram, and a 5-gram for scale.

Default runs (measured, `--set progress=False`, 10% of train held out for validation, the best
validation step tested; wall times on this 2-core CPU while other jobs ran):
  arch=lstm   one LSTM layer of 512, one-hot inputs, 2,000 steps of 32 x 128 characters
              (3.5 epochs, 28 min): 2.587 bits/char on held-out fortunes, against the
              interpolated trigram's 3.080 and the unigram's 4.784 (a 5-gram: 2.416; the
              LSTM's validation figure was still falling at the end of the schedule).
  arch=elman  one tanh layer of 512, 3,000 steps (13 min): 2.697 bits/char; 0.11 behind
              the LSTM, 0.38 ahead of the trigram.
  arch=deep_lstm  three LSTM layers of 256 with peepholes and Graves' skip connections
              (2.31M weights against the single layer's 1.72M), 1,200 steps (19 min):
              2.656 bits/char. At equal wall time the deeper network had seen 60% as many
              characters; none of the three had converged.

Papers: Elman (1990) character prediction; Graves (2013), "Generating Sequences With
Recurrent Neural Networks", Sec. 3 (1.24-1.32 bits/char on Penn Treebank characters with one
layer of 1000 LSTM cells; 1.33-1.67 on Wikipedia with 7 layers of 700).
"""
from jaxgen.models.seq.configs import charlm_config


def get_config(variant: str = ''):
  return charlm_config('charlm_fortunes', variant, 'fortunes')
