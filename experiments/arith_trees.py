"""Recursive networks on expression trees: Tree-LSTM and Socher's RNN against a sequential LSTM.

Run:   jaxgen train arith_trees --workdir /tmp/trees_treelstm         (Tai et al. 2015)
       jaxgen train arith_trees:arch=rnn --workdir /tmp/trees_rnn     (Socher et al. 2011)
       jaxgen train arith_trees:arch=lstm --workdir /tmp/trees_lstm   (LSTM over the text)
Tiny:  jaxgen train arith_trees:tiny --workdir /tmp/trees_tiny

Data: random expressions over digits with + (mod 10), M (max) and m (min), the SM, MAX and MIN
of ListOps (Nangia & Bowman 2018), of depth <= 4 and every shape,
evaluated to a digit; held out by expression (no test expression occurs in train). The
recursive nets read the tree; the baseline LSTM reads the same expression as bracketed infix
text, e.g. '((3+4)M2)', and must find the structure itself. Accuracy is reported overall and
by tree height.

Default runs (measured: `jaxgen train arith_trees[:arch=...] --set progress=False`; 128 units,
5,000 steps of 64 trees, 10% of train for validation, the best validation step tested; wall
times on this 2-core CPU with other jobs running):
  arch=treelstm  99.2% test accuracy (height 1-3: 100%, height 4: 99.1%), 11 min
  arch=rnn       37.2% (height 1: 70%, 4: 33%), 4 min: one tanh layer per operator does not
                 represent sum-mod-10 / max / min well at this width; it sat on this
                 plateau from step 500 on
  arch=lstm      45.4%, 3 min: the same expressions read as text, bracketed infix
Chance is 10%. The tree's gated composition (Tree-LSTM) is what solves the task; a
sequential LSTM given the same budget has to find the bracket structure itself and does not.
"""
from jaxgen.models.seq.configs import trees_config


def get_config(variant: str = ''):
  return trees_config('arith_trees', variant)
