"""Normalizing flows: NICE, RealNVP, Glow, MAF and IAF (task 'flows').

Every model is a chain of `jaxgen.bijectors` built by a Flax module; `make_task(config)` picks
the model by `config.model.arch` ('iaf': IAF by reverse KL to an unnormalised density). See `task.py` for the config fields.
"""
from jaxgen.models.flows.glow import Glow
from jaxgen.models.flows.iaf import IAF
from jaxgen.models.flows.maf import MAF, MADEMoG
from jaxgen.models.flows.nice import NICE
from jaxgen.models.flows.realnvp import RealNVP
from jaxgen.models.flows.task import FlowTask, IAFTargetTask, make_task
