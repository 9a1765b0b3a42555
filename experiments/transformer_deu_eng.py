"""German -> English with the Transformer (Vaswani et al. 2017): FreeDict's example sentences.

The encoder-decoder Transformer (`jaxgen.models.seq.transformer`) as the paper builds it:
post-LN layers, multi-head attention, interleaved sinusoidal positions, one embedding matrix
shared by source, target and the output projection over a shared vocabulary (here lowercased
words of both languages seen 3+ times in train, `deu_eng(shared_vocab=True)`, where the paper
shares 37k BPE pieces), scaled by sqrt(d_model), dropout 0.1, label smoothing 0.1, Adam with
b2 = 0.98 on the rsqrt warmup schedule, beam search k = 4 with alpha = 0.6. Same pairs (at
most 10 words) and scores as experiments/deu_eng_seq2seq.py (RNNsearch, 2,000 steps: BLEU
6.4 greedy / 5.9 beam, exact match 4.0% / 4.5%): tokenized, lowercased BLEU (sacrebleu,
UNK tokens dropped). The paper's base model on WMT'14 En-De: 27.3 BLEU.

Run:   jaxgen train transformer_deu_eng --workdir /tmp/transformer_deu_eng
       jaxgen train transformer_deu_eng:untied --workdir ...   (separate embeddings)
Tiny:  jaxgen train transformer_deu_eng:tiny --workdir /tmp/transformer_deu_eng_tiny
Paper: jaxgen train transformer_deu_eng:paper ...   (the base model: N = 6, d_model 512)
(from a checkout: PYTHONPATH=. python -m jaxgen.cli train ... --set progress=False)

Default run: N = 3 layers of d_model 128 (h = 4, d_ff 512), 9.2k shared words, 3,000 steps
of 64 pairs, warmup 400. Not yet measured (estimated from 300 timed steps: ~1.6 steps/s on
the 2-core CPU shared with other jobs, the 9.2k-word tied softmax dominating; about 35 min
with three evaluations with beam search and the final BLEU).
"""
from jaxgen.models.seq.configs import transformer_config


def get_config(variant: str = ''):
  return transformer_config('transformer_deu_eng', variant, 'deu_eng')
