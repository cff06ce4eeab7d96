"""The training job's contract with SageMaker's training toolkit: hyperparameters and SM_* in,
model files out, and on failure a non-zero exit with one line in the failure file (FailureReason)."""
import os
import sys
import traceback

import torch.distributed as dist

from .distribution import DistributedError
from .hyperparameters import parse_args
from .training import train


def write_failure(reason, env=None):
    """One line for the training job's FailureReason (the toolkit's failure file)."""
    env = os.environ if env is None else env
    output_dir = env.get("SM_OUTPUT_DIR") or "/opt/ml/output"
    try:
        os.makedirs(output_dir, exist_ok=True)
        with open(os.path.join(output_dir, "failure"), "w") as f:
            f.write(" ".join(reason.split())[:1000] + "\n")
    except OSError as e:
        print("Could not write the failure file in {}: {}".format(output_dir, e), file=sys.stderr)


def describe_failure(e, args):
    """`ErrorType: message` for the failure file; a broken collective says which wait ran out."""
    if args is not None and len(args.hosts) > 1 and dist.is_initialized() and isinstance(e, RuntimeError):
        e = DistributedError(
            "another host failed or stopped answering (each wait is bounded by --dist-timeout {} s): {}".format(
                args.dist_timeout, e)
        )
    return "{}: {}".format(type(e).__name__, e)


def main(argv=None):
    args, code = None, 0
    try:
        args = parse_args(argv)
        train(args)
    except Exception as e:  # noqa: BLE001 - every failure must reach the failure file
        traceback.print_exc()
        reason = describe_failure(e, args)
        write_failure(reason)
        print("Training failed: " + reason, file=sys.stderr, flush=True)
        code = 1
    if dist.is_available() and dist.is_initialized():
        # Leave without tearing the process group down (see distribution.finish_distributed): an exit
        # that cannot hang, so no training process outlives its job.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
