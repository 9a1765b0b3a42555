"""MADE (Germain et al. 2015), task 'made'.

  model     mask sets, the Bernoulli likelihood and the mask ensemble (the network is
            `jaxgen.nn.masked.MADE`, shared with MAF and IAF).
  sampling  exact ancestral sampling, one jitted `lax.scan`.
  task      `MADETask` and `make_task`.
  configs   the experiments' configs.
"""
from jaxgen.models.made.model import bernoulli_log_likelihood, ensemble_log_likelihood, mask_set
from jaxgen.models.made.task import MADETask, make_task
