"""Spot-training checkpoints: one per epoch, written whole or not at all, the newest usable one resumed."""
import json
import os
import re

import torch
import torch.distributed as dist

from .artifact import load_tensors
from .logs import log_line

CHECKPOINT_NAME = re.compile(r"^checkpoint-epoch-(\d+)\.pt$")
CHECKPOINTS_KEPT = 2
# What must match for a checkpoint to continue this run (the learning-rate schedule spans --epochs).
RECIPE_KEYS = ("epochs", "batch_size", "lr", "momentum", "seed", "optimizer", "lr_schedule", "warmup",
               "conv_dropout", "fc_dropout", "augment_shift")


def recipe_of(args, num_examples):
    recipe = {key: getattr(args, key) for key in RECIPE_KEYS}
    recipe["training_examples"] = num_examples
    return recipe


def checkpoint_files(directory):
    """[(epoch, path)] of the checkpoints in `directory`, newest first."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    found = [(int(m.group(1)), os.path.join(directory, n)) for n, m in ((n, CHECKPOINT_NAME.match(n)) for n in names) if m]
    return sorted(found, reverse=True)


def save_checkpoint(directory, checkpoint):
    """Writes the checkpoint to a temporary name, then renames it: a reader never sees half a file."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "checkpoint-epoch-{:04d}.pt".format(checkpoint["epoch"]))
    partial = path + ".partial"
    with open(partial, "wb") as f:
        torch.save(pack_checkpoint(checkpoint), f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)
    for _, old in checkpoint_files(directory)[CHECKPOINTS_KEPT:]:
        os.remove(old)
    return path


def pack_checkpoint(checkpoint):
    """Tensors as tensors, everything else as one JSON text: torch 1.13's weights-only loader
    refuses floats, and nothing in a checkpoint should need pickled objects to load."""
    optimizer = checkpoint["optimizer"]
    meta = {"epoch": checkpoint["epoch"], "step": checkpoint["step"], "recipe": checkpoint["recipe"],
            "param_groups": optimizer.get("param_groups", [])}
    return {"meta": json.dumps(meta), "model": checkpoint["model"], "optimizer_state": optimizer.get("state", {}),
            "rng": checkpoint["rng"]}


def unpack_checkpoint(packed):
    missing = {"meta", "model", "optimizer_state", "rng"} - set(packed)
    if missing:
        raise ValueError("it lacks " + ", ".join(sorted(missing)))
    meta = json.loads(packed["meta"])
    return {"epoch": meta["epoch"], "step": meta["step"], "recipe": meta["recipe"], "model": packed["model"],
            "optimizer": {"state": packed["optimizer_state"], "param_groups": meta["param_groups"]},
            "rng": packed["rng"]}


def newest_checkpoint(directory, recipe):
    """(path, checkpoint) of the newest readable checkpoint written for this recipe, or (None, None)."""
    for epoch, path in checkpoint_files(directory):
        try:
            checkpoint = unpack_checkpoint(load_tensors(path))
            if checkpoint["epoch"] != epoch:
                raise ValueError("it holds epoch {}, its name says {}".format(checkpoint["epoch"], epoch))
        except Exception as e:  # noqa: BLE001 - a partial or corrupt file is skipped, whatever broke
            reason = (str(e).strip().splitlines() or [""])[0][:200]
            log_line("Skipping checkpoint {}: unreadable ({}: {})".format(path, type(e).__name__, reason))
            continue
        if checkpoint["recipe"] != recipe:
            changed = sorted(k for k in recipe if checkpoint["recipe"].get(k) != recipe[k])
            log_line("Skipping checkpoint {}: written with other hyperparameters ({})".format(path, ", ".join(changed)))
            continue
        return path, checkpoint
    return None, None


def rng_states(distributed):
    """Every host's torch RNG state (dropout draws), gathered so rank 0 can save them all."""
    state = torch.get_rng_state()
    if not distributed:
        return [state]
    states = [torch.empty_like(state) for _ in range(dist.get_world_size())]
    dist.all_gather(states, state)
    return states


def resume(args, rank, distributed, recipe, net, optimizer):
    """(first epoch to train, steps done) after loading the newest valid checkpoint, if any.

    Rank 0 reads the checkpoint folder and sends what it found to every host, so all hosts
    continue from the same epoch even if only rank 0's folder holds the files.
    """
    found = [None, None]
    if rank == 0 and args.checkpoint_dir:
        found = list(newest_checkpoint(args.checkpoint_dir, recipe))
    if distributed:
        dist.broadcast_object_list(found, src=0)
    path, checkpoint = found
    if checkpoint is None:
        if args.checkpoint_dir and rank == 0:
            log_line("No checkpoint to resume from in {}: starting at epoch 1".format(args.checkpoint_dir))
        return 1, 0
    net.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    if len(checkpoint["rng"]) == len(args.hosts):
        torch.set_rng_state(checkpoint["rng"][rank])
    else:
        log_line("Checkpoint came from {} host(s), this job has {}: new dropout draws".format(
            len(checkpoint["rng"]), len(args.hosts)))
    log_line("Resuming from checkpoint {}: epoch {} of {} done, continuing with epoch {}".format(
        path, checkpoint["epoch"], args.epochs, checkpoint["epoch"] + 1))
    return checkpoint["epoch"] + 1, checkpoint["step"]
