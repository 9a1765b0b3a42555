"""Globally conditioned WaveNet (van den Oord et al. 2016, "WaveNet", section 2.5, eq. 2).

Run:   jaxgen train wavenet_global --workdir /tmp/wavenet_global
       jaxgen train wavenet_global:music --workdir /tmp/wavenet_global_music
Paper: jaxgen train wavenet_global:paper --workdir /tmp/wavenet_global_paper   (accelerator)
Tiny:  jaxgen train wavenet_global:tiny --workdir /tmp/wavenet_global_tiny

The paper: multi-speaker speech conditioned on a speaker one-hot (VCTK, 109 speakers): one
model generates any of the speakers' voices. Our offline data has one speaker, so the global
id is the prompt group of the crop (speech8k `global_id='category'`: the 7 folders of
digits, letters, phonetic alphabet, ...), or with `:music` the track (music8k, 5 tracks,
`global_id='file'`, test = the tail of every track). Samples are drawn for ids 0, 1, ...;
the measured number is the test NLL (nats per mu-law sample) next to wavenet_speech's:
conditioning on the group should not be worse (tiny: < 3.3 nats). The default run keeps one
of the two stacks of dilations 1..512 and trains on 8 crops of 2,000 samples for 800 steps;
':paper' has both stacks, 16 crops of 4,000 and 10,000 steps.

Default run (measured): 800 steps, test NLL 2.97 nats per sample (the unconditional model:
2.95), 557 s on a 2-core CPU shared with other jobs; generated spectrum within -1.5 to +0.4 dB
of real speech below 3 kHz, +3.3 dB at 3-4 kHz.
"""
from jaxgen.models.wavenet.configs import experiment_config, parse_variant, wavenet_variant


def get_config(variant: str = ''):
  c = experiment_config(num_stacks=2, dilation_cycle=10, residual_channels=32,
                        dilation_channels=32, skip_channels=128, end_channels=128,
                        sample_length=16000, num_global=7, global_channels=16)
  c.data.kwargs = dict(c.data.kwargs, global_id='category')
  c.num_samples = 7
  if parse_variant(variant, 'wavenet_global', ('music',)).music:
    c.data.name = 'music8k'
    c.data.kwargs = dict(c.data.kwargs, global_id='file')
    c.model.num_global = 5
    c.num_samples = 5
  return wavenet_variant(c, variant, 'wavenet_global', flags=('music',))[0]
