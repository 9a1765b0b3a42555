"""Datasets by name, and seeded grain batch pipelines (numpy in; the trainer puts them on devices)."""
from jaxgen.data.pipeline import Batcher, make_batchers, make_transform
from jaxgen.data.registry import load, names, register, register_lazy, read_idx, toy_2d
from jaxgen.data.registry import validation_split
from jaxgen.data.sources import ArraySource, Source, SubsetSource, TfdsSource, features_of
from jaxgen.data import transforms
