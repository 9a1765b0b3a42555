"""Training core: TrainState, the task interface, the jitted step and loop, checkpoints."""
from jaxgen.train.config import apply_overrides, base_config, set_selection, validate_config
from jaxgen.train.loop import (Experiment, NonFiniteLossError, build, evaluate, evaluate_state,
                               load_state, make_train_step, resolve_checkpoint, sample,
                               train_and_evaluate)
from jaxgen.train.task import (Task, TrainState, Variables, apply_updates, guard_nonfinite,
                               init_opt_state)
