"""German -> English with the Transformer (Vaswani et al. 2017): FreeDict's example sentences.

The encoder-decoder Transformer (`jaxgen.models.seq.transformer`) as the paper builds it:
post-LN layers, multi-head attention, interleaved sinusoidal positions, one embedding matrix
shared by source, target and the output projection over a shared vocabulary (here lowercased
words of both languages seen 3+ times in train, `deu_eng(shared_vocab=True)`, where the paper
shares 37k BPE pieces), scaled by sqrt(d_model), dropout 0.1, label smoothing 0.1, Adam with
b2 = 0.98 on the rsqrt warmup schedule, beam search k = 4 with alpha = 0.6. Same pairs (at
most 10 words) and scores as experiments/deu_eng_seq2seq.py: tokenized, lowercased BLEU
(sacrebleu, UNK tokens dropped). The paper's base model on WMT'14 En-De: 27.3 BLEU.

Run:   jaxgen train transformer_deu_eng --workdir /tmp/transformer_deu_eng
       jaxgen train transformer_deu_eng:untied --workdir ...   (separate embeddings)
Tiny:  jaxgen train transformer_deu_eng:tiny --workdir /tmp/transformer_deu_eng_tiny
Paper: jaxgen train transformer_deu_eng:paper ...   (the base model: N = 6, d_model 512)
(from a checkout: PYTHONPATH=. python -m jaxgen.cli train ... --set progress=False)

Default run (measured, session 5: `PYTHONPATH=. python -m jaxgen.cli train transformer_deu_eng
--workdir /tmp/runs/transformer_deu_eng --set progress=False`): N = 3 layers of d_model 128
(h = 4, d_ff 512), 9.2k shared words, 3,000 steps of 64 pairs, warmup 400 (peak learning
rate 4.4e-3), 5% of train held out, validation NLL every 500 steps, the best step tested;
31 min wall, 1.7 steps/s, with another training job sharing the 2-core CPU. It under-fits:
training NLL 4.2 at step 2,400 (RNNsearch: 3.3 at step 2,000), best step 2,500, test NLL
4.20, exact match 1.8% greedy / 2.0% beam, BLEU 0.5 / 0.4 (the last step: 1.1 / 0.6).
The recurrent models on the same pairs (experiments/deu_eng_seq2seq.py, with dropout and the
same selection): Bahdanau 8.2 / 7.3 BLEU (27 min), Luong 4.1 / 3.5, Cho 2.0 / 1.6, Sutskever
1.5 / 1.1. A diagnostic run at half the paper's scale (`--set optimizer.learning_rate=0.0442`,
peak 2.2e-3; ~640 target tokens per batch against the paper's 25k) fitted faster: validation
NLL 4.49 / 4.17 / 4.03 at steps 500 / 1,000 / 1,500 against the default's 4.62 / 4.43 / 4.36
(stopped at 1,600; RNNsearch: 3.89 at 1,000). At this size and budget the paper's recipe does
not train this model; the
dates (experiments/transformer_dates.py, 99.62%) and the character LM (2.327 bits/char, ahead of
the LSTM) do train.
"""
from jaxgen.models.seq.configs import transformer_config


def get_config(variant: str = ''):
  return transformer_config('transformer_deu_eng', variant, 'deu_eng')
