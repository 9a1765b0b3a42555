"""Device mesh, sharding rules and multi-process start-up."""
from jaxgen.parallel.distributed import distributed_settings, initialize_distributed
from jaxgen.parallel.mesh import (DATA, MODEL, TENSOR_PARALLEL, TRANSFORMER_TP_RULES,
                                  TRANSFORMER_VOCAB_TP_RULES, batch_sharding,
                                  check_batch_divisible, check_process_layout, fsdp_spec,
                                  make_mesh, path_name, put_batch, replicated, sharding_rules,
                                  state_shardings)
