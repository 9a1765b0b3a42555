"""The experiments' variants: every config builds, defaults are CPU-sized, and the 'paper' /
'long' variants restore the papers' sizes while keeping each experiment's own keys."""
import pytest

from jaxgen import experiments
from jaxgen.models.flows import configs as flow_configs


@pytest.mark.parametrize('name', experiments.list_experiments())
def test_every_experiment_and_its_tiny_variant_give_a_config(name):
  default, tiny = experiments.get_config(name), experiments.get_config(f'{name}:tiny')
  assert 0 < tiny.num_steps < default.num_steps
  with pytest.raises(ValueError, match='Unknown variant.*no_such_variant.*tiny'):
    experiments.get_config(f'{name}:no_such_variant')


@pytest.mark.parametrize('name', ['nice_mnist', 'realnvp_mnist', 'realnvp_fashion', 'glow_mnist',
                                  'glow_fashion', 'glow_mnist_cond', 'maf_mnist', 'maf_mog_mnist'])
def test_flow_paper_variant_has_the_papers_model_and_keeps_the_experiments_keys(name):
  default, paper = experiments.get_config(name), experiments.get_config(f'{name}:paper')
  kind = paper.model.kind
  for key, value in flow_configs.PAPER_MODELS[kind].items():
    if key == 'base_density':
      continue
    assert paper.model[key] == value, key
  assert paper.num_steps == flow_configs.PAPER_STEPS > default.num_steps
  assert paper.data.batch_size == flow_configs.PAPER_BATCH
  # What the experiment itself sets survives: the class conditioning, the MoG base.
  for key in ('num_classes', 'base_density'):
    if key in default.model:
      assert paper.model[key] == default.model[key]
  assert paper.data.name == default.data.name


@pytest.mark.parametrize('name', ['pixelcnn_mnist', 'gated_pixelcnn_fashion_cond',
                                  'pixelrnn_fashion', 'wavenet_speech', 'wavenet_vocoder'])
def test_long_variant_trains_longer_with_the_same_kind_of_model(name):
  default, long = experiments.get_config(name), experiments.get_config(f'{name}:long')
  assert long.num_steps >= 6000 > default.num_steps
  assert long.model.kind == default.model.kind if 'kind' in default.model else True
  if name.startswith('wavenet'):
    assert long.model.num_stacks == 2 and default.model.num_stacks == 1
    assert long.data.kwargs['crop_length'] > default.data.kwargs['crop_length']
