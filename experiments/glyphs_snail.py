"""SNAIL few-shot classification of unseen scripts' letters (Mishra et al. 2018, Sec. 4.1).

TODO figures.
"""
from jaxgen.models.snail.configs import snail_config


def get_config(variant: str = ''):
  return snail_config('glyphs_snail', variant)
