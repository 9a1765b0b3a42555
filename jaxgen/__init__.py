"""jaxgen: a JAX functional model zoo of generative and sequence models.

Subpackages are imported on use: `from jaxgen import bijectors`, `from jaxgen import data`, ...
"""
__version__ = '0.1.0'
