"""Training speed: a baseline mnist.py (e.g. the article's) against model-code/mnist.py, same data, same CPU.

Usage: scripts/benchmark-training.sh BASELINE_SCRIPT [--baseline-epochs 10] [--our-epochs 3]
                                     [--data DIR] [--train-limit N] [--threads N]

Both scripts run one after the other under the SageMaker training contract (SM_* environment,
one host) on full-size Fashion-MNIST (Debian's dataset-fashion-mnist: 60,000/10,000 images, the
same format and cost as MNIST). Each run's stdout is timestamped line by line as it arrives.
Printed: seconds per epoch of both, the baseline's final test accuracy, the seconds our script
takes (from its start) to first reach that accuracy, and the ratio of the two times.
"""
import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(REPO_ROOT, "model-code", "mnist.py")
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# Both the article's line ("Accuracy: 8482/10000 (85%)") and ours ("... (84.82%), Epoch: 1").
TEST_LINE = re.compile(r"Test set: Average loss: ([0-9.]+), Accuracy: ([0-9]+)/([0-9]+)")
TARGET_SPEEDUP = 6.0


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("baseline", help="baseline training script, e.g. ../shared/mnist.seed.py")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                   help="folder with the four IDX files, .gz or not (default: Debian's Fashion-MNIST)")
    p.add_argument("--baseline-epochs", type=int, default=10, help="baseline epochs (default: 10, the article's)")
    p.add_argument("--our-epochs", type=int, default=3, help="epochs our one-cycle schedule spans (default: 3)")
    p.add_argument("--train-limit", type=int, default=0,
                   help="use only the first N training images: a quick check that the benchmark works")
    p.add_argument("--threads", type=int, default=0,
                   help="OMP_NUM_THREADS for both runs (default: PyTorch's own choice)")
    p.add_argument("--ours", default=OURS, help=argparse.SUPPRESS)
    return p.parse_args()


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


def run(label, script, extra_args, channel, root, threads):
    """Runs one training script; returns [(seconds since start, loss, correct, total)] per test line."""
    model_dir = os.path.join(root, label, "model")
    os.makedirs(model_dir)
    env = dict(os.environ, SM_HOSTS='["algo-1"]', SM_CURRENT_HOST="algo-1", SM_MODEL_DIR=model_dir,
               SM_CHANNEL_TRAINING=channel, SM_OUTPUT_DIR=os.path.join(root, label, "output"),
               SM_NUM_GPUS="0", PYTHONUNBUFFERED="1")
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    command = [sys.executable, "-u", script, *extra_args]
    print("\n== {}: {}".format(label, " ".join(command)), flush=True)
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tests, tail = [], []
    for line in process.stdout:
        seconds = time.monotonic() - started
        tail = (tail + [line.rstrip()])[-20:]
        match = TEST_LINE.search(line)
        if match:
            tests.append((seconds, float(match.group(1)), int(match.group(2)), int(match.group(3))))
            print("  {:7.1f}s  epoch {:2d}: {:.2f}% (loss {})".format(
                seconds, len(tests), 100.0 * tests[-1][2] / tests[-1][3], match.group(1)), flush=True)
    process.wait()
    if process.returncode != 0 or not tests:
        print("\n".join(tail), file=sys.stderr)
        if any("No module named 'torchvision'" in line for line in tail):
            sys.exit("benchmark: the baseline needs torchvision. Install it for this measurement only: "
                     "apt-get install python3-torchvision (Debian), or pip install torchvision "
                     "(in the Python that scripts/python.sh uses: {}).".format(sys.executable))
        sys.exit("benchmark: {} failed (exit {}), see its last lines above.".format(label, process.returncode))
    return tests


def seconds_per_epoch(tests):
    """Steady-state seconds per epoch (training + test pass), from the gaps between test lines."""
    if len(tests) == 1:
        return tests[0][0]
    return (tests[-1][0] - tests[0][0]) / (len(tests) - 1)


def main():
    args = parse_args()
    if not os.path.isfile(args.baseline):
        sys.exit("benchmark: baseline script {} not found (e.g. ../shared/mnist.seed.py).".format(args.baseline))
    import torch  # only to report the setting both runs share

    root = tempfile.mkdtemp(prefix="mnist-benchmark-")
    try:
        channel = prepare_channel(args, root)
        print("Data: {} ({} training images); torch {}, {} CPUs, torch threads {}, load average {}".format(
            args.data, args.train_limit or "all", torch.__version__, os.cpu_count(),
            args.threads or torch.get_num_threads(), " ".join("{:.1f}".format(x) for x in os.getloadavg())))
        baseline = run("baseline", args.baseline, ["--epochs", str(args.baseline_epochs)], channel, root, args.threads)
        ours = run("ours", args.ours, ["--epochs", str(args.our_epochs), "--log-interval", "1000"],
                   channel, root, args.threads)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    baseline_seconds = baseline[-1][0]
    target = baseline[-1][2] / baseline[-1][3]
    reached = next((t for t in ours if t[2] / t[3] >= target), None)
    summary = {
        "baseline_seconds_per_epoch": round(seconds_per_epoch(baseline), 2),
        "our_seconds_per_epoch": round(seconds_per_epoch(ours), 2),
        "baseline_epochs": len(baseline),
        "baseline_final_accuracy_percent": round(100 * target, 2),
        "baseline_seconds_to_final_accuracy": round(baseline_seconds, 1),
        "our_best_accuracy_percent": round(100 * max(t[2] / t[3] for t in ours), 2),
        "our_seconds_to_baseline_accuracy": round(reached[0], 1) if reached else None,
        "speedup": round(baseline_seconds / reached[0], 2) if reached else None,
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
    }
    print("\n== Result (seconds include each script's start-up; both on this CPU, one after the other)")
    print("baseline: {:.1f} s/epoch, {} epochs, final accuracy {:.2f}% after {:.1f} s".format(
        summary["baseline_seconds_per_epoch"], len(baseline), 100 * target, baseline_seconds))
    if reached:
        print("ours:     {:.1f} s/epoch, reached {:.2f}% after {:.1f} s (epoch {})".format(
            summary["our_seconds_per_epoch"], 100 * reached[2] / reached[3], reached[0], ours.index(reached) + 1))
        verdict = "met" if summary["speedup"] >= TARGET_SPEEDUP else "NOT met"
        print("ratio:    {:.2f}x faster ({:.1%} of the baseline's time); target 1/{:g}: {}".format(
            summary["speedup"], reached[0] / baseline_seconds, TARGET_SPEEDUP, verdict))
    else:
        print("ours:     {:.1f} s/epoch, never reached {:.2f}% (best {:.2f}%): try more --our-epochs".format(
            summary["our_seconds_per_epoch"], 100 * target, summary["our_best_accuracy_percent"]))
    print("JSON " + json.dumps(summary))


if __name__ == "__main__":
    main()
