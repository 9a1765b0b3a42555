"""WaveNet vocoder: log-mel conditioned, resynthesising held-out speech (section 3.2; Shen
et al. 2018, "Tacotron 2", section 2.2; output as in Parallel WaveNet, van den Oord et al. 2018).

Run:   jaxgen train wavenet_vocoder --workdir /tmp/wavenet_vocoder
Paper: jaxgen train wavenet_vocoder:paper --workdir /tmp/wavenet_vocoder_paper   (accelerator)
Tiny:  jaxgen train wavenet_vocoder:tiny --workdir /tmp/wavenet_vocoder_tiny

Local conditioning: 40-band log-mel frames (hop 128 = 16 ms at 8 kHz, computed in JAX from
the audio by `jaxgen.nn.mel`) upsampled to the audio rate by transposed convolutions
(strides 4, 4, 8) and added to every gate (eq. 4). The output is a 10-component discretised
mixture of logistics over 16-bit values with scalar inputs, the teacher distribution that
Parallel WaveNet distils. Samples resynthesise held-out speech from its mels; the task's
final report gives `vocoder_mel_l1` (mean |log-mel(resynthesis) - log-mel(original)|) and the
spectra against real speech. The measured number is the test NLL in nats per 16-bit sample
(comparable to 8-bit NLLs only after subtracting log 256 = 5.55 nats of resolution).
Tacotron 2's WaveNet reaches MOS 4.5 on 24 kHz speech; here we report NLL and mel error
(tiny: < 9.5 nats per 16-bit sample). The default run keeps one of the two stacks of
dilations 1..256 and trains on 8 crops of 2,048 samples for 800 steps; ':paper' has both
stacks, 16 crops of 4,096 and 10,000 steps.

Default run (measured): 800 steps, test NLL 7.53 nats per 16-bit sample, log-mel L1 of the
resynthesis 4.55, 647 s on a 2-core CPU shared with other jobs. At this budget the resynthesis
does not yet follow its mels (no silence in pauses, +7 to +16 dB too loud); use :long.
"""
from jaxgen.models.wavenet.configs import experiment_config, wavenet_variant


def get_config(variant: str = ''):
  c = experiment_config(
      num_stacks=2, dilation_cycle=9, residual_channels=32, dilation_channels=32,
      skip_channels=128, end_channels=128, output_distribution='logistic_mixture',
      input_kind='scalar', num_mixtures=10, num_bins=65536, local_features=40,
      upsample_strides=(4, 4, 8), sample_length=16384)
  c.data.kwargs = dict(c.data.kwargs, crop_length=4096)
  c, v = wavenet_variant(c, variant, 'wavenet_vocoder', crop_length=2048,
                         tiny_crop_length=1024)
  if v.tiny:
    c.model.num_mixtures = 5
  return c
