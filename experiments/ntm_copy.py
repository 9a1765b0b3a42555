"""The Neural Turing Machine's copy task (Graves, Wayne & Danihelka 2014, Sec. 4.1).

An NTM with an LSTM controller (`jaxgen.models.ntm`: content and location addressing, erase
then add) learns to copy sequences of random 8-bit vectors of lengths 1-10 and is scored on
lengths it never saw (11-20 and 21-40), against three stacked LSTMs of about the same
parameter count (`:arch=lstm`). Figures: bit errors per sequence (`bit_errors`) and the cost
in bits per sequence (`bits`), by length range in final_metrics.json and per length in
generalization.json; the write and read weightings of one sequence in weightings.png (the
paper's figure 6). The paper trains on lengths 1-20 and shows the NTM copying up to 120
while the LSTM fails beyond 20.

Run:   jaxgen train ntm_copy --workdir /tmp/ntm_copy
       jaxgen train ntm_copy:arch=lstm --workdir /tmp/ntm_copy_lstm    (the baseline)
Tiny:  jaxgen train ntm_copy:tiny --workdir /tmp/ntm_copy_tiny
Paper: jaxgen train ntm_copy:paper ...    (lengths 1-20, RMSProp as the paper)
(from a checkout: PYTHONPATH=. python -m jaxgen.cli train ... --set progress=False)

Tiny (measured, session 7: `PYTHONPATH=. python -m jaxgen.cli train ntm_copy:tiny --workdir
/tmp/ntm_tiny --set progress=False`, while two other training jobs shared the 2-core CPU): 32
locations of 8, a 64-unit controller, 2,000 steps of 32 sequences, 18 steps/s: 0.21 bit errors
per sequence on the test split (lengths 1-10), 1.55 on 11-20 (never trained); it writes one
location per input vector and reads them back in the same order (weightings.png).
Default run: not yet measured (the NTM and LSTM default runs are the family's next step).
"""
from jaxgen.models.ntm.configs import ntm_config


def get_config(variant: str = ''):
  return ntm_config('ntm_copy', variant, 'copy')
