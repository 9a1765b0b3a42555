"""The experiments' configs: one variant grammar, every config builds, defaults are CPU-sized,
'paper' restores the papers' sizes while keeping each experiment's own keys, and every family
reads `config.model` strictly."""
import pytest

from jaxgen import data, experiments
from jaxgen.models.flows import configs as flow_configs
from jaxgen.train.config import parse_variant

# Experiments without a 'paper' variant: synthetic 2-D targets, and the recurrent family's
# experiments, whose data (fortunes, GCIDE, expression trees) no paper used.
NO_PAPER = ('maf_2d', 'maf_mog_2d', 'iaf_target', 'gan_8gaussians', 'charlm_fortunes',
            'charlm_gcide', 'syllables_gcide', 'adding_problem', 'rowmnist_lstm', 'arith_trees',
            'bandit_snail')


@pytest.mark.parametrize('name', experiments.list_experiments())
def test_every_experiment_and_its_tiny_and_paper_variants_give_a_config(name):
  default, tiny = experiments.get_config(name), experiments.get_config(f'{name}:tiny')
  assert 0 < tiny.num_steps < default.num_steps
  with pytest.raises(ValueError, match="Unknown variant flag 'no_such_variant'.*tiny"):
    experiments.get_config(f'{name}:no_such_variant')
  if name in NO_PAPER:
    with pytest.raises(ValueError, match="Unknown variant flag 'paper'"):
      experiments.get_config(f'{name}:paper')
  else:
    assert experiments.get_config(f'{name}:paper').num_steps > default.num_steps
    with pytest.raises(ValueError, match='exclude each other'):
      experiments.get_config(f'{name}:tiny,paper')


def test_parse_variant_grammar():
  v = parse_variant('tiny, row ,data=rings', 'x', ('row',), {'data': ('moons', ('moons', 'rings'))})
  assert (v.tiny, v.paper, v.row, v.data) == (True, False, True, 'rings')
  assert parse_variant('', 'x', options={'lr': 0.1}).lr == 0.1
  assert parse_variant('lr=1', 'x', options={'lr': 0.1}).lr == 1.0
  with pytest.raises(ValueError, match="Unknown variant key 'lr'.*flags tiny, paper"):
    parse_variant('lr=3', 'x')
  with pytest.raises(ValueError, match='valid values are moons, rings'):
    parse_variant('data=spiral', 'x', options={'data': ('moons', ('moons', 'rings'))})
  with pytest.raises(ValueError, match="repeats 'tiny'"):
    parse_variant('tiny,tiny', 'x')


@pytest.mark.parametrize('name', ['nice_mnist', 'realnvp_mnist', 'realnvp_fashion', 'glow_mnist',
                                  'glow_fashion', 'glow_mnist_cond', 'maf_mnist', 'maf_mog_mnist'])
def test_flow_paper_variant_has_the_papers_model_and_keeps_the_experiments_keys(name):
  default, paper = experiments.get_config(name), experiments.get_config(f'{name}:paper')
  for key, value in flow_configs.PAPER_MODELS[paper.model.arch].items():
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
def test_paper_variant_trains_longer_with_the_same_model(name):
  default, paper = experiments.get_config(name), experiments.get_config(f'{name}:paper')
  assert paper.num_steps >= 6000 > default.num_steps
  assert paper.model.get('arch') == default.model.get('arch')
  if name.startswith('wavenet'):
    assert paper.model.num_stacks == 2 and default.model.num_stacks == 1
    assert paper.data.kwargs['crop_length'] > default.data.kwargs['crop_length']


# One experiment per family (and per GAN / flow arch); the dataset's info is all a task needs.
FAMILY_EXAMPLES = ['made_mnist', 'nice_mnist', 'glow_mnist', 'maf_2d', 'iaf_target',
                   'pixelcnn_mnist', 'gated_pixelcnn_mnist', 'pixelrnn_mnist', 'dcgan_mnist',
                   'sagan_mnist', 'gan_8gaussians', 'charlm_fortunes', 'syllables_gcide',
                   'adding_problem', 'arith_trees', 'dates_seq2seq', 'transformer_dates',
                   'transformer_charlm_fortunes', 'glyphs_snail', 'bandit_snail', 'vae_iaf_mnist']


@pytest.mark.parametrize('name', FAMILY_EXAMPLES)
def test_every_family_rejects_unknown_model_keys(name):
  config = experiments.get_config(f'{name}:tiny')
  info = data.load(config.data.name, 'train').info
  experiments.make_task(config, info)             # the config as it is builds
  with config.unlocked():
    config.model.featurs = 64                     # a typo
  with pytest.raises(ValueError, match=r'featurs.*valid: .*'):
    experiments.make_task(config, info)


def test_wavenet_rejects_unknown_model_keys():
  config = experiments.get_config('wavenet_speech:tiny')
  info = {'features': {'audio': ((1000,), 'float32')}}
  experiments.make_task(config, info)
  with config.unlocked():
    config.model.residual_channel = 8
  with pytest.raises(ValueError, match='residual_channel.*residual_channels'):
    experiments.make_task(config, info)
