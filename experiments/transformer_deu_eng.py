"""German -> English with the Transformer (Vaswani et al. 2017): FreeDict's example sentences.

The encoder-decoder Transformer (`jaxgen.models.seq.transformer`) as the paper builds it,
but with pre-LN layers at half its learning rate (measured below: its post-LN under-fits
here): multi-head attention, interleaved sinusoidal positions, one embedding matrix shared
by source, target and the output projection over a shared vocabulary (here lowercased
words of both languages seen 3+ times in train, `deu_eng(shared_vocab=True)`, where the paper
shares 37k BPE pieces), scaled by sqrt(d_model), dropout 0.1, label smoothing 0.1, Adam with
b2 = 0.98 on the rsqrt warmup schedule, beam search k = 4 with alpha = 0.6. Same pairs (at
most 10 words) and scores as experiments/deu_eng_seq2seq.py: tokenized, lowercased BLEU
(sacrebleu, UNK tokens dropped). The paper's base model on WMT'14 En-De: 27.3 BLEU.

Run:   jaxgen train transformer_deu_eng --workdir /tmp/transformer_deu_eng
       jaxgen train transformer_deu_eng:post_ln --workdir ...  (the paper's post-LN and rate)
       jaxgen train transformer_deu_eng:vocab=bpe --workdir ... (4,000 shared BPE pieces)
       jaxgen train transformer_deu_eng:untied --workdir ...   (separate embeddings)
Tiny:  jaxgen train transformer_deu_eng:tiny --workdir /tmp/transformer_deu_eng_tiny
Paper: jaxgen train transformer_deu_eng:paper ...   (the base model: N = 6, d_model 512)
(from a checkout: PYTHONPATH=. python -m jaxgen.cli train ... --set progress=False)

Default run (measured, session 6: `PYTHONPATH=. python -m jaxgen.cli train transformer_deu_eng
--workdir /tmp/runs/tde_default --set progress=False`): N = 3 pre-LN layers of d_model 128
(h = 4, d_ff 512), 9.2k shared words, half the paper's learning rate (peak 2.2e-3, warmup
400), 3,000 steps of 64 pairs, 5% of train held out, validation NLL every 500 steps; 1.24
steps/s (another job shared the CPU part of the time). Best validation step 2,500: test NLL
3.47, exact match 4.8% / 5.1%, BLEU 6.4 / 6.2 greedy / beam; the last step (3,000): BLEU
7.6 / 7.4. The recurrent models on the same pairs (experiments/deu_eng_seq2seq.py, same
selection): Bahdanau 8.2 / 7.3 BLEU (test NLL 3.42, 27 min), Luong 4.1 / 3.5, Cho 2.0 / 1.6,
Sutskever 1.5 / 1.1.
What the recipe's choices did (validation NLL at steps 500 / 1,000, same command + flags):
  post_ln (the paper's layers and rate, session 5): 4.62 / 4.43, best test BLEU 0.5 / 0.4
  post_ln at half the rate:                         4.49 / 4.17
  post_ln at a quarter of the rate:                 4.50 / 4.17
  pre-LN at half the rate (the default):            4.26 / 3.85 (RNNsearch: 3.89 at 1,000)
  post_ln, vocab=bpe (4,000 shared pieces), half rate, 3,000 steps: BLEU 0.6 / 0.6 (0.7 / 0.8
  on the word models' vocabulary, `bleu_*_word_vocab`); pre-LN with BPE was not run.
Post-LN at this batch (about 640 target tokens, the paper's 25k) does not train in the
budget; pre-LN does (Xiong et al. 2020 explain why post-LN needs warm-up and large batches).
"""
from jaxgen.models.seq.configs import transformer_config


def get_config(variant: str = ''):
  return transformer_config('transformer_deu_eng', variant, 'deu_eng')
