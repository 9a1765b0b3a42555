"""Device mesh, sharding rules and multi-process start-up."""
from jaxgen.parallel.mesh import (DATA, batch_sharding, check_batch_divisible, fsdp_spec,
                                  initialize_distributed, make_mesh, put_batch, replicated,
                                  state_shardings)
