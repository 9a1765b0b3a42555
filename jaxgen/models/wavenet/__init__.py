"""WaveNet (van den Oord et al. 2016), task 'wavenet'.

  model     the network, the audio encodings and the output distributions.
  sampling  naive and cached (Paine et al. 2016) generation, one jitted `lax.scan` each, and
            the HLO check of the cached loop.
  task      `WaveNetTask` and `make_task`.
  configs   the experiments' configs.
"""
from jaxgen.models.wavenet.model import (WaveNet, audio_to_targets, embed_codes, encode_audio,
                                         log_prob, output_distribution, sample_output,
                                         shift_right, start_code, step_uniforms,
                                         targets_to_audio)
from jaxgen.models.wavenet.sampling import (cached_generation_hlo, generate_cached,
                                            generate_naive, init_queues, queue_copies)
from jaxgen.models.wavenet.task import WaveNetTask, make_task, model_from_config
from jaxgen.train.task import count_params
