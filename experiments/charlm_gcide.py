"""Character language models on dictionary English (GCIDE definitions): Elman, LSTM, deep LSTM.

Run:   jaxgen train charlm_gcide --workdir /tmp/charlm_gcide_lstm
       jaxgen train charlm_gcide:arch=elman --workdir /tmp/charlm_gcide_elman
       jaxgen train charlm_gcide:arch=deep_lstm --workdir /tmp/charlm_gcide_deep
Tiny:  jaxgen train charlm_gcide:tiny --workdir /tmp/charlm_gcide_tiny

Data: Debian's `dict-gcide` (the 1913 Webster with later additions: 40 MB), entries held out
by hash; the first 4 MB of the train entries (letters A to about C) and 400 kB of the test
entries, byte level, windows of 128. Same models, schedule and baselines as
charlm_fortunes (`jaxgen.models.seq.configs.charlm_config`).

Default run (measured: `jaxgen train charlm_gcide --workdir DIR --set progress=False`; one
LSTM layer of 512, 2,000 steps of 32 x 128 characters, 10% of the train entries for
validation, best validation step tested; 30 min on this 2-core CPU with other jobs running):
2.217 bits/char on the held-out entries, against the interpolated trigram's 2.819 and the
unigram's 4.958 (a 5-gram: 2.037), all fitted on the same 4 MB of train windows.
"""
from jaxgen.models.seq.configs import charlm_config


def get_config(variant: str = ''):
  return charlm_config('charlm_gcide', variant, 'gcide_text')
