"""Training speed: a baseline mnist.py (e.g. the article's) against model-code/mnist.py, same data, same CPU.

Usage: scripts/benchmark-training.sh BASELINE_SCRIPT [--runs 3] [--our-epochs 1] [--baseline-epochs 10]
                                     [--threads 1] [--python PATH] [--data DIR] [--train-limit N]

Both scripts run under the SageMaker training contract (SM_* environment, one host) on full-size
Fashion-MNIST (Debian's dataset-fashion-mnist: 60,000/10,000 images, the same format and cost as
MNIST), with their own defaults except --epochs. Runs alternate (baseline, ours, baseline, ours, ...)
so that both see the same load. Each run's stdout is timestamped line by line as it arrives, with
the CPU seconds the process has used so far (from /proc), which a busy machine distorts far less
than wall-clock seconds.
Printed: the baseline's final test accuracy (the target), the seconds our script takes (from its
start, start-up included) to first reach it, our held-out accuracy, and the ratio of the two times
as min and median over the runs, in wall-clock and in CPU seconds; torch version, threads, load.
"""
import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(REPO_ROOT, "model-code", "mnist.py")
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# Both the article's line ("Accuracy: 8482/10000 (85%)") and ours ("... (84.82%), Epoch: 1").
TEST_LINE = re.compile(r"Test set: Average loss: ([0-9.]+), Accuracy: ([0-9]+)/([0-9]+)")
TARGET_SPEEDUP = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("baseline", help="baseline training script, e.g. the article's mnist.py")
    p.add_argument("--runs", type=int, default=3, help="alternating runs of each script (default: 3)")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                   help="folder with the four IDX files, .gz or not (default: Debian's Fashion-MNIST)")
    p.add_argument("--baseline-epochs", type=int, default=10, help="baseline epochs (default: 10, the article's)")
    p.add_argument("--our-epochs", type=int, default=1, help="--epochs for our script (default: 1)")
    p.add_argument("--train-limit", type=int, default=0,
                   help="use only the first N training images: a quick check that the benchmark works")
    p.add_argument("--threads", type=int, default=1,
                   help="OMP_NUM_THREADS for every run (default: 1, steadier on a shared machine; "
                   "0: PyTorch's own choice)")
    p.add_argument("--python", default=sys.executable,
                   help="the Python (with torch; torchvision for the article's script) that runs both "
                   "scripts (default: this one)")
    p.add_argument("--ours", default=OURS, help=argparse.SUPPRESS)
    args = p.parse_args()
    for name in ("runs", "baseline_epochs", "our_epochs"):
        if getattr(args, name) < 1:
            p.error("--{} must be at least 1".format(name.replace("_", "-")))
    if args.threads < 0 or args.train_limit < 0:
        p.error("--threads and --train-limit must not be negative")
    return args


def read_file(folder, name):
    for path in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                raw = f.read()
            return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    sys.exit("benchmark: {} is missing {}(.gz). On Debian: apt-get install dataset-fashion-mnist, "
             "or pass --data DIR with the four MNIST-format IDX files.".format(folder, name))


def limit_idx(raw, count):
    """The first `count` items of an IDX file (header count rewritten)."""
    ndim = raw[3]
    item = 1
    for d in range(1, ndim):
        item *= int.from_bytes(raw[4 + 4 * d : 8 + 4 * d], "big")
    header = bytearray(raw[: 4 + 4 * ndim])
    header[4:8] = count.to_bytes(4, "big")
    return bytes(header) + raw[4 + 4 * ndim : 4 + 4 * ndim + count * item]


def prepare_channel(args, root):
    """The channel both scripts read: MNIST/raw/ with uncompressed files (what torchvision's MNIST needs)."""
    raw_dir = os.path.join(root, "training", "MNIST", "raw")
    os.makedirs(raw_dir)
    for name in FILES:
        raw = read_file(args.data, name)
        if args.train_limit and name.startswith("train"):
            raw = limit_idx(raw, args.train_limit)
        with open(os.path.join(raw_dir, name), "wb") as f:
            f.write(raw)
    return os.path.join(root, "training")


def cpu_seconds(pid):
    """User + system CPU seconds of a running process and all its threads (Linux /proc)."""
    try:
        with open("/proc/{}/stat".format(pid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return float("nan")


def load_average():
    return " ".join("{:.1f}".format(x) for x in os.getloadavg())


def run(label, script, extra_args, channel, root, args):
    """Runs one training script; returns [(wall s, CPU s, loss, correct, total)], one per test line."""
    run_dir = tempfile.mkdtemp(prefix=label + "-", dir=root)
    env = dict(os.environ, SM_HOSTS='["algo-1"]', SM_CURRENT_HOST="algo-1", SM_MODEL_DIR=os.path.join(run_dir, "model"),
               SM_CHANNEL_TRAINING=channel, SM_OUTPUT_DIR=os.path.join(run_dir, "output"),
               SM_NUM_GPUS="0", PYTHONUNBUFFERED="1")
    env.pop("SM_CHECKPOINT_DIR", None)
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    os.makedirs(env["SM_MODEL_DIR"])
    command = [args.python, "-u", script, *extra_args]
    print("\n== {}: {}   (load average {})".format(label, " ".join(command), load_average()), flush=True)
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tests, tail = [], []
    for line in process.stdout:
        seconds, cpu = time.monotonic() - started, cpu_seconds(process.pid)
        tail = (tail + [line.rstrip()])[-20:]
        match = TEST_LINE.search(line)
        if match:
            tests.append((seconds, cpu, float(match.group(1)), int(match.group(2)), int(match.group(3))))
            print("  {:7.1f}s wall {:7.1f}s CPU  epoch {:2d}: {:.2f}% (loss {})".format(
                seconds, cpu, len(tests), 100.0 * tests[-1][3] / tests[-1][4], match.group(1)), flush=True)
    process.wait()
    if process.returncode != 0 or not tests:
        print("\n".join(tail), file=sys.stderr)
        if any("No module named 'torchvision'" in line for line in tail):
            sys.exit("benchmark: the baseline needs torchvision, which {} lacks. Use a Python that has a "
                     "torchvision built for its torch, e.g. Debian's: apt-get install python3-torchvision, then "
                     "--python /usr/bin/python3.".format(args.python))
        sys.exit("benchmark: {} failed (exit {}), see its last lines above.".format(label, process.returncode))
    return tests


def spread(values):
    return "min {:.1f}, median {:.1f}".format(min(values), statistics.median(values))


def main():
    args = parse_args()
    if not os.path.isfile(args.baseline):
        sys.exit("benchmark: baseline script {} not found (give the article's mnist.py).".format(args.baseline))
    probe = subprocess.run([args.python, "-c", "import torch; print(torch.__version__, torch.get_num_threads())"],
                           env=dict(os.environ, OMP_NUM_THREADS=str(args.threads)) if args.threads else None,
                           capture_output=True, text=True)
    if probe.returncode != 0:
        sys.exit("benchmark: {} cannot import torch: {}".format(args.python, probe.stderr.strip().splitlines()[-1:]))
    torch_version, threads = probe.stdout.split()

    root = tempfile.mkdtemp(prefix="mnist-benchmark-")
    baseline_runs, our_runs = [], []
    try:
        channel = prepare_channel(args, root)
        print("Data: {} ({} training images); {} with torch {}; {} CPUs; torch threads per run {}{}; "
              "{} alternating run(s) each; load average {}".format(
                  args.data, args.train_limit or "all", args.python, torch_version, os.cpu_count(), threads,
                  " (OMP_NUM_THREADS)" if args.threads else " (PyTorch's choice)", args.runs, load_average()))
        for _ in range(args.runs):
            baseline_runs.append(run("baseline", args.baseline, ["--epochs", str(args.baseline_epochs)],
                                     channel, root, args))
            our_runs.append(run("ours", args.ours, ["--epochs", str(args.our_epochs), "--log-interval", "1000"],
                                channel, root, args))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    # The target: the baseline's final accuracy (the same every run on one PyTorch build; else the lowest).
    target = min(tests[-1][3] / tests[-1][4] for tests in baseline_runs)
    baseline_wall = [tests[-1][0] for tests in baseline_runs]
    baseline_cpu = [tests[-1][1] for tests in baseline_runs]
    reached = [next((t for t in tests if t[3] / t[4] >= target), None) for tests in our_runs]
    final_accuracy = [100.0 * tests[-1][3] / tests[-1][4] for tests in our_runs]
    summary = {
        "torch": torch_version, "python": args.python, "threads": int(threads), "runs": args.runs,
        "baseline_epochs": args.baseline_epochs, "our_epochs": args.our_epochs,
        "target_accuracy_percent": round(100 * target, 2),
        "baseline_wall_seconds": [round(s, 1) for s in baseline_wall],
        "baseline_cpu_seconds": [round(s, 1) for s in baseline_cpu],
        "our_final_accuracy_percent": [round(a, 2) for a in final_accuracy],
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
    }
    print("\n== Result: torch {}, {} thread(s) per run, {} run(s) each, alternating; load average now {}".format(
        torch_version, threads, args.runs, load_average()))
    print("baseline: {} epochs, final held-out accuracy {:.2f}% (the target); seconds to it: wall {}; CPU {}".format(
        args.baseline_epochs, 100 * target, spread(baseline_wall), spread(baseline_cpu)))
    if any(r is None for r in reached):
        summary["speedup_wall"] = summary["speedup_cpu"] = None
        print("ours:     never reached {:.2f}% in {} epoch(s) (held-out accuracy {}): try more --our-epochs".format(
            100 * target, args.our_epochs, ", ".join("{:.2f}%".format(a) for a in final_accuracy)))
    else:
        our_wall, our_cpu = [r[0] for r in reached], [r[1] for r in reached]
        epochs = [tests.index(r) + 1 for tests, r in zip(our_runs, reached)]
        ratio_wall = (min(baseline_wall) / min(our_wall), statistics.median(baseline_wall) / statistics.median(our_wall))
        ratio_cpu = (min(baseline_cpu) / min(our_cpu), statistics.median(baseline_cpu) / statistics.median(our_cpu))
        summary.update(our_wall_seconds=[round(s, 1) for s in our_wall], our_cpu_seconds=[round(s, 1) for s in our_cpu],
                       our_epochs_to_target=epochs, speedup_wall=[round(r, 2) for r in ratio_wall],
                       speedup_cpu=[round(r, 2) for r in ratio_cpu])
        print("ours:     reached it after epoch {} of {}; held-out accuracy {}; seconds to it: wall {}; CPU {}".format(
            max(epochs), args.our_epochs, ", ".join("{:.2f}%".format(a) for a in final_accuracy),
            spread(our_wall), spread(our_cpu)))
        print("ratio:    wall {:.1f}x (min/min), {:.1f}x (median/median); CPU {:.1f}x (min/min), {:.1f}x "
              "(median/median); target {:g}x: {}".format(
                  ratio_wall[0], ratio_wall[1], ratio_cpu[0], ratio_cpu[1], TARGET_SPEEDUP,
                  "met" if min(ratio_wall[1], ratio_cpu[1]) >= TARGET_SPEEDUP else "NOT met"))
    print("JSON " + json.dumps(summary))


if __name__ == "__main__":
    main()
