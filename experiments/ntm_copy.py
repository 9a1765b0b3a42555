"""The Neural Turing Machine's copy task (Graves, Wayne & Danihelka 2014, Sec. 4.1).

An NTM with an LSTM controller (`jaxgen.models.ntm`: content and location addressing, erase
then add) learns to copy sequences of random 8-bit vectors of lengths 1-10 and is scored on
lengths it never saw (11-20 and 21-40), against three stacked LSTMs of about the same
parameter count (`:arch=lstm`). Figures: bit errors per sequence (`bit_errors`) and the cost
in bits per sequence (`bits`), by length range in final_metrics.json and per length in
generalization.json and generalization.png; the write and read weightings of one sequence
in weightings.png (the paper's figure 6). The paper trains on lengths 1-20 and shows the
NTM copying up to 120 while the LSTM fails beyond 20.

Run:   jaxgen train ntm_copy --workdir /tmp/ntm_copy
       jaxgen train ntm_copy:arch=lstm --workdir /tmp/ntm_copy_lstm    (the baseline)
Tiny:  jaxgen train ntm_copy:tiny --workdir /tmp/ntm_copy_tiny
Paper: jaxgen train ntm_copy:paper ...    (lengths 1-20, RMSProp as the paper)
(from a checkout: PYTHONPATH=. python -m jaxgen.cli train ... --set progress=False)

Tiny (measured 2026-12-03: `PYTHONPATH=. python -m jaxgen.cli train ntm_copy:tiny --workdir
/tmp/ntm_tiny --set progress=False`): 32 locations of 8, a 64-unit controller, 1,000 steps
of 32 sequences at 41 steps/s: 0.03 bit errors per sequence on the test split (lengths
1-10), 0.26 on 11-20 and 39.6 on 21-40 (never trained). (Session 7's 2,000 steps gave 0.21
and 1.55: the tiny run, like the default one, is best before its Adam steps destabilise it.)

Default runs (measured 2026-12-03, `PYTHONPATH=. python -m jaxgen.cli train ntm_copy
--workdir /tmp/ntm_copy --set progress=False` and the same with `ntm_copy:arch=lstm`, each
pinned to one core of a 2-core Intel Xeon with `taskset`; 10,000 steps of 32 sequences of
lengths 1-10; the NTM 9.1 steps/s (18 min), the LSTM 35.6 steps/s (5 min)). Bit errors per
sequence on 200 sequences of each length range (chance: 4 per vector):

                          params  selected step   1-10 (trained)   11-20 (2x)   21-40 (4x)
  NTM, best validation    62,260      2,000            0.000          0.005        0.005
  NTM, last step          62,260     10,000            0.570         30.5         96.0
  3 x LSTM(54)            61,352     10,000 (best)     1.045         34.0        101.2

The NTM learns the copy algorithm by step 2,000 (it writes one location per input vector,
shifting by one, and reads them back in order: weightings.png) and copies sequences four
times longer than any it saw with 0.005 bit errors per sequence (one bit in 200 sequences);
the LSTM of the same size has not learnt the trained lengths after 10,000 steps and fails
beyond them, as in the paper (sec. 4.1). The NTM's training is not stable at Adam's
1e-3: at step ~2,200 the gradient norm jumps to ~100 and the loss to 25 bits, and by step
10,000 it has climbed back only to 0.6 bit errors on the trained lengths. Model selection
on the validation bits (`set_selection`, 10% of the training distribution held out) keeps
the step-2,000 checkpoint, whose figures are the result (`best/...` in final_metrics.json);
the paper's RMSProp at 1e-4 (`:paper`) is the slower, more stable recipe.
"""
from jaxgen.models.ntm.configs import ntm_config


def get_config(variant: str = ''):
  return ntm_config('ntm_copy', variant, 'copy')
