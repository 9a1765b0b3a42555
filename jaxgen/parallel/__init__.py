"""Device mesh, sharding rules and multi-process start-up."""
from jaxgen.parallel.distributed import distributed_settings, initialize_distributed
from jaxgen.parallel.mesh import (DATA, batch_sharding, check_batch_divisible, fsdp_spec,
                                  make_mesh, put_batch, replicated, state_shardings)
