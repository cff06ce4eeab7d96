"""Train and serve the article's MNIST network under SageMaker's PyTorch toolkit contracts.

Training (SageMaker PyTorch training toolkit): hyperparameters arrive as `--name value`
arguments (the article's names keep their meaning), the container as SM_* environment.
Several hosts train one model with DistributedDataParallel; rank 0 writes `model.pth` and a
copy of this file as `code/mnist.py`, so the packed model.tar.gz can be served as is.

Inference (SageMaker PyTorch inference toolkit): model_fn, input_fn, predict_fn, output_fn.
Requests carry raw pixels 0..255; answers are class probabilities, shape (N, 10).
"""
import argparse
import datetime
import gzip
import hashlib
import io
import json
import math
import os
import re
import shutil
import struct
import sys
import time
import traceback
import zlib

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

# Pixel statistics of the MNIST training set, as in the article's transforms.Normalize.
PIXEL_MEAN = 0.1307
PIXEL_STD = 0.3081
IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
NUM_CLASSES = 10
# Largest batch one request may carry: 1,000 float32 images are ~3 MB as npy, inside the
# 4 MB (serverless) and 6 MB (real-time) SageMaker payload limits.
MAX_BATCH = 1000

NPY = "application/x-npy"
JSON = "application/json"
CSV = "text/csv"
CONTENT_TYPES = (NPY, JSON, CSV)

# Training defaults (hyperparameters.json, docs/model-code.md) reach the article's 10-epoch accuracy in far fewer
# epochs. The batch and learning rate follow the data unless set: see auto_batch_size and auto_lr.
HYPERPARAMETERS_FILE = "hyperparameters.json"
AUTO_STEPS_PER_EPOCH = 500
AUTO_BATCH_RANGE = (16, 128)
AUTO_LR_AT_16 = 0.006
# Where SageMaker syncs checkpoints with CheckpointConfig.S3Uri (managed spot training).
SAGEMAKER_CHECKPOINT_DIR = "/opt/ml/checkpoints"

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class Net(nn.Module):
    """The article's network (pytorch/examples MNIST): same layers, same names, same state dict.

    Only the dropout rates are parameters (the article's 0.5 by default): dropout holds no
    weights, so the state dict and the inference path stay the article's.
    """

    def __init__(self, conv_dropout=0.5, fc_dropout=0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d(p=conv_dropout)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)
        self.fc_dropout = fc_dropout

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, p=self.fc_dropout, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


def normalize_pixels(pixels):
    """Raw 0..255 pixels (any float tensor) -> the network's input scale (to_tensors does the same in place)."""
    return (pixels / 255.0 - PIXEL_MEAN) / PIXEL_STD


# --------------------------------------------------------------------------- data


class DataError(Exception):
    """The training channel lacks a file or holds a broken one."""


def find_idx_file(data_dir, name):
    """Path of `name` in the channel: flat or under MNIST/raw/ (the article's upload), gzipped or not."""
    for folder in (data_dir, os.path.join(data_dir, "MNIST", "raw")):
        for candidate in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
            if os.path.isfile(candidate):
                return candidate
    raise DataError(
        "Missing MNIST file {0}(.gz) in the training channel {1} (looked in {1} and {1}/MNIST/raw). "
        "Upload the four MNIST IDX files to the 'training' channel.".format(name, data_dir)
    )


def read_idx(path, expected_dims):
    """Reads one IDX file (gzipped or not) into a uint8 array, checking its header and length."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError("Corrupt MNIST file {}: cannot decompress it ({}).".format(path, e)) from e
    if len(raw) < 4 or raw[0:2] != b"\x00\x00" or raw[2] != 0x08 or raw[3] != expected_dims:
        raise DataError(
            "Corrupt MNIST file {}: not an unsigned-byte IDX file with {} dimension(s) "
            "(bad magic number {}).".format(path, expected_dims, raw[:4].hex())
        )
    header_end = 4 + 4 * expected_dims
    if len(raw) < header_end:
        raise DataError("Corrupt MNIST file {}: truncated header.".format(path))
    dims = struct.unpack(">" + "I" * expected_dims, raw[4:header_end])
    expected_bytes = header_end + int(np.prod(dims))
    if len(raw) != expected_bytes:
        raise DataError(
            "Corrupt MNIST file {}: header says {} ({} bytes) but the file has {} bytes.".format(
                path, "x".join(map(str, dims)), expected_bytes, len(raw)
            )
        )
    # A copy: frombuffer over the read-only bytes gives a read-only array, which torch.from_numpy
    # warns about on every host ("The given NumPy array is not writable").
    return np.frombuffer(raw, dtype=np.uint8, offset=header_end).reshape(dims).copy()


def load_split(data_dir, split):
    """(images uint8 (N,28,28), labels int64 (N,)) of 'train' or 'test', validated."""
    images_path = find_idx_file(data_dir, IDX_FILES[split + "_images"])
    labels_path = find_idx_file(data_dir, IDX_FILES[split + "_labels"])
    images = read_idx(images_path, 3)
    labels = read_idx(labels_path, 1)
    if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError("Corrupt MNIST file {}: images are {}, not 28x28.".format(images_path, images.shape[1:]))
    if len(images) != len(labels):
        raise DataError(
            "MNIST files disagree: {} has {} images but {} has {} labels.".format(
                images_path, len(images), labels_path, len(labels)
            )
        )
    if len(labels) == 0:
        raise DataError("MNIST file {} holds no examples.".format(labels_path))
    if labels.max() >= NUM_CLASSES:
        raise DataError("Corrupt MNIST file {}: label {} is not a digit 0..9.".format(labels_path, labels.max()))
    return images, labels.astype(np.int64)


def to_tensors(images, labels, device):
    """Normalized float32 images (N,1,28,28) and labels, once, in memory: no per-sample transforms."""
    x = torch.from_numpy(images).unsqueeze(1).to(torch.float32)
    # normalize_pixels' arithmetic in place: on 60,000 images each temporary is 188 MB, and
    # allocating three of them cost more than an epoch's worth of data handling.
    x.div_(255.0).sub_(PIXEL_MEAN).div_(PIXEL_STD)
    return x.to(device), torch.from_numpy(labels).to(device)


# --------------------------------------------------------------------------- training


class HyperparameterError(Exception):
    """A hyperparameter or environment value is unusable."""


class DistributedError(Exception):
    """The hosts could not meet, or one stopped answering within --dist-timeout."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # raise instead of exit(2), so the failure file gets the reason
        raise HyperparameterError("Bad hyperparameters: {}. Known: {}".format(message, self.format_usage().strip()))


def default_checkpoint_dir(env):
    """SM_CHECKPOINT_DIR, else /opt/ml/checkpoints where SageMaker made it (CheckpointConfig), else none."""
    if env.get("SM_CHECKPOINT_DIR"):
        return env["SM_CHECKPOINT_DIR"]
    return SAGEMAKER_CHECKPOINT_DIR if os.path.isdir(SAGEMAKER_CHECKPOINT_DIR) else ""


def read_hyperparameter_declarations(directory=None):
    """The hyperparameters this script accepts: hyperparameters.json beside it (sourcedir.tar.gz
    ships it). Read when training starts only: the inference container imports this file alone."""
    path = os.path.join(directory or os.path.dirname(os.path.abspath(__file__)), HYPERPARAMETERS_FILE)
    try:
        with open(path) as f:
            return json.load(f)["hyperparameters"]
    except (OSError, ValueError, KeyError) as e:
        raise HyperparameterError("Cannot read the hyperparameter declarations {}: {!r}; it ships next to mnist.py "
                                  "in sourcedir.tar.gz.".format(path, e))


ARGUMENT_TYPES = {"int": int, "float": float, "string": str, "choice": str}


def expected_value(spec):
    """What a number or choice accepts, worded as lib/hyperparameter-declarations.ts words it."""
    if spec["type"] == "choice":
        return "one of " + ", ".join(spec["choices"])
    bounds = []
    if "min" in spec and "max" in spec:
        bounds.append("from {} to {}".format(spec["min"], spec["max"]))
    else:
        for key, word in (("min", ">="), ("exclusiveMin", ">"), ("max", "<="), ("exclusiveMax", "<")):
            if key in spec:
                bounds.append("{} {}".format(word, spec[key]))
    noun = "a whole number" if spec["type"] == "int" else "a number"
    return " ".join([noun, " and ".join(bounds)]) if bounds else noun


def in_declared_range(value, spec):
    if spec["type"] == "float" and not math.isfinite(value):
        return False
    return (value >= spec.get("min", value) and value <= spec.get("max", value)
            and ("exclusiveMin" not in spec or value > spec["exclusiveMin"])
            and ("exclusiveMax" not in spec or value < spec["exclusiveMax"]))


def build_parser(declarations, env):
    # allow_abbrev=False: `--epoch 2` must be refused, not taken for `--epochs` (cdk synth refuses it too).
    p = _Parser(description=__doc__.splitlines()[0], allow_abbrev=False)
    # The article's hyperparameters keep their names and meaning; defaults chosen for speed (docs/model-code.md).
    for name, spec in declarations.items():
        kind = ARGUMENT_TYPES[spec["type"]]
        default = spec["default"]
        p.add_argument("--" + name, type=kind, default=None if default is None else kind(default),
                       choices=spec.get("choices"),
                       help=spec["help"] + ("" if default is None else " (default: %(default)s)"))
    p.set_defaults(checkpoint_dir=default_checkpoint_dir(env))  # declared default null: it depends on the container
    # Container environment (SageMaker training toolkit).
    p.add_argument("--hosts", type=json.loads, default=env.get("SM_HOSTS", '["algo-1"]'))
    p.add_argument("--current-host", type=str, default=env.get("SM_CURRENT_HOST", "algo-1"))
    p.add_argument("--model-dir", type=str, default=env.get("SM_MODEL_DIR", "/opt/ml/model"))
    p.add_argument("--data-dir", type=str, default=env.get("SM_CHANNEL_TRAINING", "/opt/ml/input/data/training"))
    p.add_argument("--num-gpus", type=int, default=int(env.get("SM_NUM_GPUS", "0") or 0))
    return p


def parse_args(argv=None, env=None):
    env = os.environ if env is None else env
    declarations = read_hyperparameter_declarations()
    # argparse also runs `type` on string defaults: SM_HOSTS becomes a list.
    args = build_parser(declarations, env).parse_args(argv)
    check_args(args, declarations)
    return args


def check_args(args, declarations):
    for name, spec in declarations.items():
        value = getattr(args, name.replace("-", "_"))
        if value is not None and spec["type"] in ("int", "float") and not in_declared_range(value, spec):
            raise HyperparameterError("--{} must be {}, got {}.".format(name, expected_value(spec), value))
    if not isinstance(args.hosts, list) or not args.hosts or args.current_host not in args.hosts:
        raise HyperparameterError(
            "SM_CURRENT_HOST {!r} is not one of SM_HOSTS {!r}.".format(args.current_host, args.hosts)
        )
    for name, spec in declarations.items():
        value = getattr(args, name.replace("-", "_"))
        if spec.get("splitAcrossHosts") and value is not None and value < len(args.hosts):
            raise HyperparameterError(
                "--{} {} is smaller than the {} hosts it is split across.".format(name, value, len(args.hosts))
            )


def auto_batch_size(num_examples, world_size):
    """The power of two nearest to num_examples / 500, within 16..128 (at least one per host).

    Small data sets get about 500 updates per epoch, which a short run needs; large ones get
    batches of 128, which a CPU processes about twice as fast per image as batches of 16.
    """
    nearest = 2 ** round(math.log2(max(1.0, num_examples / AUTO_STEPS_PER_EPOCH)))
    return max(min(max(nearest, AUTO_BATCH_RANGE[0]), AUTO_BATCH_RANGE[1]), world_size)


def auto_lr(batch_size):
    """Adam's square-root rule: a batch k times larger takes a sqrt(k) times larger step."""
    return AUTO_LR_AT_16 * math.sqrt(batch_size / 16.0)


def make_optimizer(args, parameters):
    if args.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=args.lr, betas=(args.momentum, 0.999))
    nesterov = args.lr_schedule == "onecycle" and args.momentum > 0
    return torch.optim.SGD(parameters, lr=args.lr, momentum=args.momentum, nesterov=nesterov)


def learning_rate(args, step, total_steps):
    """Learning rate at `step` (0-based): constant, or linear warm-up then cosine decay to 0."""
    if args.lr_schedule == "constant":
        return args.lr
    warmup_steps = max(1, int(args.warmup * total_steps))
    if step < warmup_steps:
        return args.lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return args.lr * 0.5 * (1 + math.cos(math.pi * progress))


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


def shift_images(images, max_shift):
    """Each image moved by its own random whole-pixel offset in [-max_shift, max_shift] on both axes,
    the uncovered border filled with the background: augmentation that costs one gather per batch."""
    if max_shift == 0:
        return images
    count, side = images.shape[0], images.shape[-1]
    background = float(normalize_pixels(torch.zeros(())))
    padded = F.pad(images, (max_shift,) * 4, value=background)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, count, 1), device=images.device)
    pixels = torch.arange(side, device=images.device)
    rows, cols = offsets[0] + pixels, offsets[1] + pixels  # (count, side) each
    picked = padded[torch.arange(count, device=images.device)[:, None, None], 0, rows[:, :, None], cols[:, None, :]]
    return picked.unsqueeze(1)


def evaluate(model, images, labels, batch_size, rank, world_size):
    """(average loss, correct, total) over the whole test set, each host scoring its slice."""
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=images.device)
    correct = torch.zeros((), dtype=torch.float64, device=images.device)
    mine = torch.arange(rank, len(images), world_size, device=images.device)
    with torch.no_grad():
        for start in range(0, len(mine), batch_size):
            idx = mine[start : start + batch_size]
            output = model(images[idx])
            loss_sum += F.nll_loss(output, labels[idx], reduction="sum").double()
            correct += (output.argmax(dim=1) == labels[idx]).sum().double()
    if world_size > 1:
        totals = torch.stack([loss_sum, correct])
        dist.all_reduce(totals, op=dist.ReduceOp.SUM)
        loss_sum, correct = totals[0], totals[1]
    return loss_sum.item() / len(images), int(correct.item()), len(images)


def log_line(message):
    print(message, flush=True)


def weights_fingerprint(net):
    """Short hash of the weights: the hosts log it at the end, so a reader can see they agree."""
    digest = hashlib.sha256()
    for name, tensor in sorted(net.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- checkpoints (spot)

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


def _load_tensors(path):
    """A checkpoint or model.pth, tensors and plain data only: pickled code in the file is refused."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch older than 1.13 has no weights_only
        return torch.load(path, map_location="cpu")


def newest_checkpoint(directory, recipe):
    """(path, checkpoint) of the newest readable checkpoint written for this recipe, or (None, None)."""
    for epoch, path in checkpoint_files(directory):
        try:
            checkpoint = unpack_checkpoint(_load_tensors(path))
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


# --------------------------------------------------------------------------- the training loop


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
    wait on each other's lock), and so can the interpreter's own teardown of it: main() ends a
    distributed process with os._exit once this barrier has passed (or once anything failed).
    """
    timeout = datetime.timedelta(seconds=args.dist_timeout)
    if backend == "gloo":  # names the host that did not arrive
        dist.monitored_barrier(timeout=timeout)
    else:
        dist.barrier()


def train(args):
    world_size = len(args.hosts)
    rank = args.hosts.index(args.current_host)
    use_cuda = args.num_gpus > 0 and torch.cuda.is_available()
    device = torch.device("cuda:0" if use_cuda else "cpu")
    distributed = world_size > 1
    backend = start_distributed(args, rank, world_size, use_cuda) if distributed else None

    train_x, train_y = to_tensors(*load_split(args.data_dir, "train"), device)
    test_x, test_y = to_tensors(*load_split(args.data_dir, "test"), device)
    log_line("Data: {} training and {} test images from {}".format(len(train_x), len(test_x), args.data_dir))

    if args.batch_size is None:
        args.batch_size = auto_batch_size(len(train_x), world_size)
    if args.lr is None:
        args.lr = auto_lr(args.batch_size)
    log_line("Recipe: batch {} in total ({:g} per host), {} lr {:g} ({} schedule), dropout {:g}/{:g}, shifts up to {} "
             "px, {} epoch(s)".format(args.batch_size, args.batch_size / world_size, args.optimizer, args.lr,
                                      args.lr_schedule, args.conv_dropout, args.fc_dropout, args.augment_shift,
                                      args.epochs))

    torch.manual_seed(args.seed)  # the same initial weights everywhere (DDP also sends rank 0's)
    net = Net(conv_dropout=args.conv_dropout, fc_dropout=args.fc_dropout).to(device)
    model = nn.parallel.DistributedDataParallel(net) if distributed else net
    optimizer = make_optimizer(args, model.parameters())
    torch.manual_seed(args.seed * 1000 + rank)  # each host its own dropout draws

    # --batch-size is the global batch: each host takes its share, DDP averages the gradients,
    # so one or several hosts follow the same recipe (same steps, same learning rates).
    steps_per_epoch = len(epoch_batches(len(train_x), 1, args.seed, rank, world_size, args.batch_size))
    total_steps = steps_per_epoch * args.epochs
    first_epoch, step = resume(args, rank, distributed, recipe_of(args, len(train_x)), net, optimizer)

    for epoch in range(first_epoch, args.epochs + 1):
        model.train()
        started = time.time()
        batches = epoch_batches(len(train_x), epoch, args.seed, rank, world_size, args.batch_size)
        shard_size, seen = sum(len(b) for b in batches), 0
        for batch_idx, idx in enumerate(batches, 1):
            idx = idx.to(device)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(args, step, total_steps)
            optimizer.zero_grad(set_to_none=True)
            loss = F.nll_loss(model(shift_images(train_x[idx], args.augment_shift)), train_y[idx])
            loss.backward()
            optimizer.step()
            step += 1
            seen += len(idx)
            if batch_idx % args.log_interval == 0:
                log_line("Train Epoch: {} [{}/{} ({:.0f}%)] Loss: {:.6f}".format(
                    epoch, seen, shard_size, 100.0 * batch_idx / steps_per_epoch, loss.item()))
        seconds = time.time() - started
        test_loss, correct, total = evaluate(net, test_x, test_y, args.test_batch_size, rank, world_size)
        log_line("Test set: Average loss: {:.4f}, Accuracy: {}/{} ({:.2f}%), Epoch: {}".format(
            test_loss, correct, total, 100.0 * correct / total, epoch))
        log_line("Epoch {} trained in {:.2f}s".format(epoch, seconds))
        if args.checkpoint_dir:
            states = rng_states(distributed)  # a collective: every host takes part
            if rank == 0:
                path = save_checkpoint(args.checkpoint_dir, {
                    "epoch": epoch, "step": step, "recipe": recipe_of(args, len(train_x)),
                    "model": net.state_dict(), "optimizer": optimizer.state_dict(), "rng": states,
                })
                log_line("Checkpoint saved: {} (epoch {} of {})".format(path, epoch, args.epochs))

    log_line("Final weights of rank {}: {}".format(rank, weights_fingerprint(net)))
    if rank == 0:
        save_model(net, args.model_dir)
    if distributed:
        finish_distributed(args, backend)


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


def save_model(net, model_dir):
    """model.pth (plain Net state dict, CPU tensors) and code/mnist.py: a servable model.tar.gz."""
    os.makedirs(os.path.join(model_dir, "code"), exist_ok=True)
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    torch.save(state, os.path.join(model_dir, "model.pth"))
    shutil.copyfile(os.path.abspath(__file__), os.path.join(model_dir, "code", "mnist.py"))
    log_line("Saved model.pth and code/mnist.py to {}".format(model_dir))


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
        # Leave without tearing the process group down (see finish_distributed): an exit that
        # cannot hang, so no training process outlives its job.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


# --------------------------------------------------------------------------- inference

try:
    from sagemaker_inference.errors import BaseInferenceToolkitError
except ImportError:  # outside the inference container: same constructor and attributes

    class BaseInferenceToolkitError(Exception):
        def __init__(self, status_code, message, phrase):
            self.status_code = status_code
            self.message = message
            self.phrase = phrase
            super().__init__(status_code, message, phrase)


def client_error(status_code, message):
    """A 4xx error the serving toolkit returns to the caller, with `message` as body and phrase."""
    return BaseInferenceToolkitError(status_code, message, message)


def model_fn(model_dir):
    """Loads model.pth (this script's plain keys or the article's DataParallel `module.` keys)."""
    path = os.path.join(model_dir, "model.pth")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            "No model.pth in {}: the model.tar.gz must hold model.pth at its root.".format(model_dir)
        )
    state = _load_tensors(path)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    state = {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state.items()}
    net = Net()
    net.load_state_dict(state)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return net.to(device).eval()


def _media_type(header):
    return (header or "").split(";")[0].strip().lower()


def _as_text(body, content_type):
    if isinstance(body, str):
        return body
    try:
        return bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        raise client_error(400, "The {} body is not UTF-8 text.".format(content_type))


def _decode_npy(body):
    if isinstance(body, str):
        raise client_error(400, "An application/x-npy body must be bytes written by numpy.save, not text.")
    try:
        return np.load(io.BytesIO(bytes(body)), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise client_error(400, "The application/x-npy body is not a numeric .npy array ({}).".format(e))


def _decode_json(body):
    try:
        value = json.loads(_as_text(body, JSON))
    except json.JSONDecodeError as e:
        raise client_error(400, "The application/json body is not valid JSON ({}).".format(e))
    if isinstance(value, dict):  # also accept {"instances": [...]} / {"inputs": [...]}
        value = value.get("instances", value.get("inputs"))
    if not isinstance(value, list):
        raise client_error(
            400, "The JSON body must be an array of images (or {\"instances\": [...]}) of numbers 0..255."
        )
    try:
        array = np.asarray(value)
    except ValueError as e:
        raise client_error(400, "The JSON array is ragged or not numeric ({}).".format(e))
    return array


def _decode_csv(body):
    rows = []
    for line_number, line in enumerate(_as_text(body, CSV).splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append([float(cell) for cell in line.split(",")])
        except ValueError:
            raise client_error(
                400, "CSV line {} is not all numbers: send 784 comma-separated pixels per line.".format(line_number)
            )
        if len(rows[-1]) != len(rows[0]):
            raise client_error(
                400, "CSV line {} has {} values but line 1 has {}: every line is one image of 784 pixels.".format(
                    line_number, len(rows[-1]), len(rows[0]))
            )
    return np.asarray(rows, dtype=np.float64)


def to_batch(array):
    """Checks a decoded request and returns raw pixels as float32 (N,1,28,28)."""
    if array.dtype.kind not in "uif":
        raise client_error(
            400, "Pixels must be numbers 0..255; the request holds non-numeric values (type {}).".format(array.dtype)
        )
    if array.size == 0:
        raise client_error(400, "Empty batch: send at least one 28x28 image.")
    shape = array.shape
    if shape in ((IMAGE_SIDE, IMAGE_SIDE), (PIXELS,)):
        array = array.reshape(1, 1, IMAGE_SIDE, IMAGE_SIDE)
    elif (array.ndim == 2 and shape[1] == PIXELS) or (array.ndim == 3 and shape[1:] == (IMAGE_SIDE, IMAGE_SIDE)):
        array = array.reshape(shape[0], 1, IMAGE_SIDE, IMAGE_SIDE)
    elif not (array.ndim == 4 and shape[1:] == (1, IMAGE_SIDE, IMAGE_SIDE)):
        raise client_error(
            400, "Wrong shape {}: send (N,1,28,28), (N,28,28), (N,784), (28,28) or (784,) raw pixels.".format(shape)
        )
    if len(array) > MAX_BATCH:
        raise client_error(413, "Batch of {} images is over the limit of {}: split it into smaller requests.".format(
            len(array), MAX_BATCH))
    if not np.isfinite(array).all():
        raise client_error(400, "Pixels must be finite numbers 0..255; the request holds NaN or infinity.")
    low, high = array.min(), array.max()
    if low < 0 or high > 255:
        raise client_error(
            400, "Pixels must be raw values 0..255 (not normalized); got values from {:g} to {:g}.".format(
                float(low), float(high))
        )
    return array.astype(np.float32)


def input_fn(request_body, request_content_type):
    """Decodes npy, JSON or CSV raw pixels into a float32 tensor (N,1,28,28)."""
    content_type = _media_type(request_content_type)
    decoders = {NPY: _decode_npy, JSON: _decode_json, CSV: _decode_csv}
    if content_type not in decoders:
        raise client_error(
            415, "Unsupported content type {!r}: send one of {}.".format(request_content_type, ", ".join(CONTENT_TYPES))
        )
    return torch.from_numpy(to_batch(decoders[content_type](request_body)))


def predict_fn(input_data, model):
    """Class probabilities (N,10) for raw-pixel images (N,1,28,28)."""
    device = next(model.parameters()).device
    with torch.no_grad():
        return model(normalize_pixels(input_data.to(device))).exp().cpu()


def output_fn(prediction, accept):
    """Encodes (N,10) probabilities as the first supported type in `accept`: (body, content type)."""
    if accept is None or _media_type(accept) in ("", "*/*"):
        accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or JSON
    array = prediction.numpy() if isinstance(prediction, torch.Tensor) else np.asarray(prediction)
    array = array.astype(np.float32)
    for media_type in (_media_type(part) for part in accept.split(",")):
        if media_type == NPY:
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            return buffer.getvalue(), NPY
        if media_type in (JSON, "*/*"):
            return json.dumps(array.tolist()), JSON
        if media_type == CSV:
            return "\n".join(",".join(repr(float(p)) for p in row) for row in array) + "\n", CSV
    raise client_error(406, "Unsupported accept type {!r}: ask for one of {}.".format(accept, ", ".join(CONTENT_TYPES)))


if __name__ == "__main__":
    sys.exit(main())
