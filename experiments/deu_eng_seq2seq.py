"""German -> English with attention: FreeDict's example sentences (Bahdanau et al. 2015).

The RNNsearch encoder-decoder (bidirectional GRU encoder, additive attention from the previous
decoder state, maxout readout; `jaxgen.models.seq.seq2seq`) on `jaxgen.data.translation`'s
deu_eng pairs of at most 10 words (19.6k train / 2.15k test, lowercased word tokens, UNK below
3 train occurrences: 4.3k German and 4.9k English words, 24% of German tokens UNK), scored
by exact match and by tokenized, lowercased BLEU (sacrebleu, UNK tokens dropped from outputs
and references so that UNK never matches UNK).
The variants of dates_seq2seq apply (`:attention=luong,window=local_p`, `:attention=cho`, ...).

Run:   jaxgen train deu_eng_seq2seq --workdir /tmp/deu_eng
Tiny:  jaxgen train deu_eng_seq2seq:tiny --workdir /tmp/deu_eng_tiny   (sentences of <= 6 words)

Default runs (measured, session 5: `PYTHONPATH=. python -m jaxgen.cli train
deu_eng_seq2seq[:attention=VARIANT] --workdir /tmp/runs/deu_VARIANT --set progress=False`;
96-unit cells, 96-dim embeddings, dropout 0.3 on the embeddings, encoder outputs and output
layer's input, up to 6,000 steps of 64 pairs, 5% of train held out, validation NLL
evaluated every 500 steps, the best step tested, early stop after 4 evaluations without
improvement; two of these jobs shared the 2-core CPU at a time, so wall times are ~2x an
idle machine's). Test split: 2,150 pairs; beam k = 4, alpha 0.6:

  variant                             best step  test NLL  EM greedy/beam  BLEU greedy/beam  wall
  attention=bahdanau (default)           3,500     3.42      5.6% / 5.8%      8.2 / 7.3    27 min
  attention=luong (general, global)      5,500     3.61      3.7% / 4.3%      4.1 / 3.5    32 min
  attention=cho   (Cho 2014, no attn.)   2,500     3.72      3.2% / 3.4%      2.0 / 1.6    22 min
  attention=none  (Sutskever, reversed)  5,000     3.83      2.2% / 2.7%      1.5 / 1.1    26 min

Attention doubles BLEU and more at this size, Bahdanau's bidirectional encoder first; Luong's
unidirectional LSTM was still improving when its schedule ended. Without dropout the same
Bahdanau model overfit by step 1,500 (validation NLL 3.65, then rising; session 4's 2,000-step
run: test BLEU 6.4 greedy). Beam search (alpha 0.6, not tuned) scores slightly below greedy here. A small-data, CPU-sized run: far from the
paper's WMT'14 26.8 BLEU (348M words, 5 days on a GPU); the model translates short phrases
('einführung einer neuen methode' -> 'introduction of a new method') and repeats words on
longer sentences. The Transformer on the same pairs: experiments/transformer_deu_eng.py.
"""
from jaxgen.models.seq.configs import seq2seq_config


def get_config(variant: str = ''):
  return seq2seq_config('deu_eng_seq2seq', variant, 'deu_eng')
