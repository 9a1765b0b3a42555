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
"""
from jaxgen.models.seq.configs import trees_config


def get_config(variant: str = ''):
  return trees_config('arith_trees', variant)
