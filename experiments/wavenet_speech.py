"""Unconditional WaveNet on 8 kHz speech (van den Oord et al. 2016, "WaveNet", section 3.1).

Run:   jaxgen train wavenet_speech --workdir /tmp/wavenet_speech
Paper: jaxgen train wavenet_speech:paper --workdir /tmp/wavenet_speech_paper   (accelerator)
Tiny:  jaxgen train wavenet_speech:tiny --workdir /tmp/wavenet_speech_tiny

The paper: unconditioned speech on VCTK (109 speakers, 16 kHz), a 256-way mu-law softmax and a
receptive field of about 300 ms; the paper reports no NLL for it (its samples "babble"
with realistic intonation). Here: one speaker's 23 minutes of 8 kHz prompts (speech8k,
held-out files for test), dilations 1..512, 32 residual / 128 skip channels: one stack
(receptive field 1,024 samples = 128 ms), 8 crops of 2,000 samples and 800 steps in the
default run; two stacks (2,048 samples = 256 ms), 16 crops of 4,000 and 10,000 steps in
':paper'. The number measured is the test NLL in nats per
sample of the 8-bit mu-law classes: the classes' unigram entropy is 5.00 nats and an
in-sample bigram model 3.53 nats, so a WaveNet must go well below 3.5 (tiny: < 3.3 in
150 steps). Generated audio is written to WORKDIR/samples/*.wav at every evaluation.

Default run (measured): 800 steps, test NLL 2.95 nats per sample, 530 s on a 2-core CPU shared
with other jobs. The samples babble: long-term spectrum within 3.6-4.6 dB below real speech
under 3 kHz and 3.1 dB above it at 3-4 kHz, pauses and syllable-like bursts, but noise-like
rather than voiced loud frames.
"""
from jaxgen.models.wavenet.configs import experiment_config, wavenet_variant


def get_config(variant: str = ''):
  c = experiment_config(num_stacks=2, dilation_cycle=10, residual_channels=32,
                        dilation_channels=32, skip_channels=128, end_channels=128,
                        sample_length=16000)
  return wavenet_variant(c, variant, 'wavenet_speech')[0]
