"""The training loop: the recipe (batch, learning rate, optimizer), epochs, test-set score, saving."""
import hashlib
import math
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from .artifact import save_model
from .checkpoints import recipe_of, resume, rng_states, save_checkpoint
from .data import load_split, shift_images, to_tensors
from .distribution import epoch_batches, finish_distributed, start_distributed
from .logs import format_test_line, log_line
from .network import Net

# Training defaults (hyperparameters.json, docs/model-code.md) reach the article's 10-epoch accuracy in far fewer
# epochs. The batch and learning rate follow the data unless set: see auto_batch_size and auto_lr.
AUTO_STEPS_PER_EPOCH = 500
AUTO_BATCH_RANGE = (16, 128)
AUTO_LR_AT_16 = 0.006


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


def weights_fingerprint(net):
    """Short hash of the weights: the hosts log it at the end, so a reader can see they agree."""
    digest = hashlib.sha256()
    for name, tensor in sorted(net.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


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
        log_line(format_test_line(test_loss, correct, total, epoch))
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
