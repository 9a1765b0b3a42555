"""Every notebook in colab/ executes top to bottom (on CPU, one device)."""
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / 'colab').glob('*.ipynb'))

# Notebooks whose training run is a tiny config that a learning test already trains in full
# (named here) train it for CAPPED_STEPS steps under this test: this test checks that they
# execute top to bottom, the named test that the config learns. The others train as written
# (their cells assert what the run learnt).
LEARNING_TESTS = {
    'transformer': 'tests/models/seq/test_transformer.py::'
                   'test_tiny_transformer_learns_to_translate_held_out_dates',
    'ntm': 'tests/models/test_ntm_task.py::test_tiny_ntm_learns_to_copy',
    'seq2seq': 'tests/models/seq/test_seq2seq.py::'
               'test_tiny_dates_config_learns_to_translate_held_out_dates',
    'gans': 'tests/models/test_gan_task.py::test_tiny_config_reaches_its_threshold',
    'quickstart': 'tests/models/test_made.py::test_tiny_config_learns_binarized_mnist',
    'snail': 'tests/models/test_snail_task.py::test_tiny_snail_learns_unseen_scripts',
    'vae_iaf': 'tests/models/test_vae.py::'
               'test_tiny_iaf_vae_learns_mnist_and_leaves_some_latents_unused',
}
CAPPED_STEPS = 100
# Run first in the kernel: `experiments.train_and_evaluate` with num_steps (and the log,
# eval and checkpoint intervals) at most CAPPED_STEPS.
CAP_CELL = f"""
from jaxgen import experiments as _experiments
_train_and_evaluate = _experiments.train_and_evaluate

def _capped(config, *args, **kwargs):
  for key in ('num_steps', 'log_every', 'eval_every', 'checkpoint_every'):
    config[key] = min(config[key], {CAPPED_STEPS})
  return _train_and_evaluate(config, *args, **kwargs)

_experiments.train_and_evaluate = _capped
"""


def test_there_are_notebooks():
  assert any(p.name == 'quickstart.ipynb' for p in NOTEBOOKS)
  stems = {p.stem for p in NOTEBOOKS}
  assert set(LEARNING_TESTS) <= stems
  for test in LEARNING_TESTS.values():             # the learning tests named exist
    path, name = test.split('::')
    assert f'def {name}(' in (ROOT / path).read_text(), test


@pytest.mark.notebook
@pytest.mark.parametrize('path', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
  nb = nbformat.read(path, as_version=4)
  if path.stem in LEARNING_TESTS:
    nb.cells.insert(0, nbformat.v4.new_code_cell(CAP_CELL))
  # The kernel inherits this environment (8 virtual devices, one-device training mesh).
  monkeypatch.setenv('MPLBACKEND', 'Agg')
  monkeypatch.setenv('JAXGEN_EXPERIMENTS', str(ROOT / 'experiments'))
  # The kernel shares the suite's persistent compilation cache (set in conftest.py), so a
  # rerun, and CI on the same machine, reuses its compiled programs.
  import jax  # pylint: disable=g-import-not-at-top
  monkeypatch.setenv('JAX_COMPILATION_CACHE_DIR', jax.config.jax_compilation_cache_dir)
  monkeypatch.setenv('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', '0')
  client = NotebookClient(nb, timeout=300, kernel_name='python3',
                          resources={'metadata': {'path': str(tmp_path)}})
  client.execute()
  errors = [o for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', [])
            if o.get('output_type') == 'error']
  assert not errors, errors
