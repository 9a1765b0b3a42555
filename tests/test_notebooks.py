"""Every notebook in colab/ executes top to bottom (on CPU, one device)."""
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / 'colab').glob('*.ipynb'))


def test_there_are_notebooks():
  assert any(p.name == 'quickstart.ipynb' for p in NOTEBOOKS)


@pytest.mark.notebook
@pytest.mark.parametrize('path', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
  nb = nbformat.read(path, as_version=4)
  # The kernel inherits this environment (8 virtual devices, one-device training mesh).
  monkeypatch.setenv('MPLBACKEND', 'Agg')
  monkeypatch.setenv('JAXGEN_EXPERIMENTS', str(ROOT / 'experiments'))
  # The kernel shares the suite's persistent compilation cache (set in conftest.py), so a
  # rerun, and CI on the same machine, reuses its compiled programs.
  import jax  # pylint: disable=g-import-not-at-top
  monkeypatch.setenv('JAX_COMPILATION_CACHE_DIR', jax.config.jax_compilation_cache_dir)
  monkeypatch.setenv('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', '0.5')
  client = NotebookClient(nb, timeout=300, kernel_name='python3',
                          resources={'metadata': {'path': str(tmp_path)}})
  client.execute()
  errors = [o for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', [])
            if o.get('output_type') == 'error']
  assert not errors, errors
