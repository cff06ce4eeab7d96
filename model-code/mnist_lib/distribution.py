"""Several hosts, one model: meeting the other hosts, each host's share of an epoch, leaving."""
import datetime
import os

import torch
import torch.distributed as dist

from .data import DataError
from .hyperparameters import HyperparameterError
from .logs import log_line


class DistributedError(Exception):
    """The hosts could not meet, or one stopped answering within --dist-timeout."""


def start_distributed(args, rank, world_size, use_cuda):
    backend = args.backend or ("nccl" if use_cuda else "gloo")
    if backend == "nccl" and not use_cuda:
        raise HyperparameterError("--backend nccl needs GPUs: use --backend gloo on CPU instances.")
    os.environ.setdefault("MASTER_ADDR", args.hosts[0])
    os.environ.setdefault("MASTER_PORT", "7777")
    os.environ["RANK"], os.environ["WORLD_SIZE"] = str(rank), str(world_size)
    master = "{}:{}".format(os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"])
    try:  # the timeout bounds the meeting and every later collective
        dist.init_process_group(backend=backend, init_method="env://", rank=rank, world_size=world_size,
                                timeout=datetime.timedelta(seconds=args.dist_timeout))
    except Exception as e:  # noqa: BLE001 - the reason is in the message
        raise DistributedError(
            "rank {} could not meet the other {} host(s) at {} within --dist-timeout {} s ({}). Check that every "
            "host started and that MASTER_ADDR/MASTER_PORT are reachable.".format(
                rank, world_size - 1, master, args.dist_timeout, e)
        ) from e
    log_line("Distributed training: backend {} on {} hosts, this is rank {} ({}), master {}".format(
        backend, world_size, rank, args.current_host, master))
    return backend


def finish_distributed(args, backend):
    """Waits (bounded) until every host is done; the process group is never destroyed.

    Destroying a gloo group can deadlock in torch 1.13 (a worker thread and the main thread
    wait on each other's lock), and so can the interpreter's own teardown of it: job.main() ends a
    distributed process with os._exit once this barrier has passed (or once anything failed).
    """
    timeout = datetime.timedelta(seconds=args.dist_timeout)
    if backend == "gloo":  # names the host that did not arrive
        dist.monitored_barrier(timeout=timeout)
    else:
        dist.barrier()


def epoch_batches(num_examples, epoch, seed, rank, world_size, batch_size):
    """This host's batches for one epoch.

    Every host draws the same shuffle (seeded by seed and epoch, never by rank) and cuts it into
    global batches of `batch_size`; each global batch is split into near-equal, disjoint parts, one
    per host. So the hosts' shards are disjoint and cover every example exactly once per epoch,
    and every host takes the same number of steps (DDP would wait forever otherwise). A last
    global batch too small to give each host an example joins the one before it.
    """
    if num_examples < world_size:
        raise DataError("{} training examples cannot be split across {} hosts.".format(num_examples, world_size))
    order = torch.randperm(num_examples, generator=torch.Generator().manual_seed(seed * 1000 + epoch))
    starts = list(range(0, num_examples, batch_size))
    if len(starts) > 1 and num_examples - starts[-1] < world_size:
        starts.pop()
    ends = starts[1:] + [num_examples]
    batches = []
    for step, (start, end) in enumerate(zip(starts, ends)):
        size, part = end - start, (rank + step) % world_size  # the larger parts rotate among the hosts
        batches.append(order[start + part * size // world_size : start + (part + 1) * size // world_size])
    return batches


def epoch_shard(num_examples, epoch, seed, rank, world_size, batch_size):
    """All example indices this host trains on in one epoch."""
    return torch.cat(epoch_batches(num_examples, epoch, seed, rank, world_size, batch_size))

