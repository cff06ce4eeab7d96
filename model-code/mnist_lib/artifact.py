"""The model artifact: model.pth plus the code that serves it, so model.tar.gz is served as is.

The inference container adds /opt/ml/model/code to sys.path and imports SAGEMAKER_PROGRAM
(mnist.py), which imports this package: code/ holds mnist.py and every module of the package,
and nothing else (no tests, no declarations: inference reads no file beside the code).
"""
import os
import shutil

import torch

from .logs import log_line

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
MODEL_CODE_DIR = os.path.dirname(PACKAGE_DIR)
ENTRY_POINT = "mnist.py"
WEIGHTS = "model.pth"


def code_files():
    """[(source path, path inside code/)]: mnist.py and this package's modules."""
    package = os.path.basename(PACKAGE_DIR)
    modules = sorted(name for name in os.listdir(PACKAGE_DIR) if name.endswith(".py"))
    return [(os.path.join(MODEL_CODE_DIR, ENTRY_POINT), ENTRY_POINT)] + [
        (os.path.join(PACKAGE_DIR, name), package + "/" + name) for name in modules]


def save_model(net, model_dir):
    """model.pth (plain Net state dict, CPU tensors) and code/ (mnist.py and its package): a servable model.tar.gz."""
    code_dir = os.path.join(model_dir, "code")
    os.makedirs(code_dir, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    torch.save(state, os.path.join(model_dir, WEIGHTS))
    files = code_files()
    for source, name in files:
        os.makedirs(os.path.dirname(os.path.join(code_dir, name)), exist_ok=True)
        shutil.copyfile(source, os.path.join(code_dir, name))
    log_line("Saved {} and code/ ({} and {} module(s) of {}/) to {}".format(
        WEIGHTS, ENTRY_POINT, len(files) - 1, os.path.basename(PACKAGE_DIR), model_dir))


def load_tensors(path):
    """A checkpoint or model.pth, tensors and plain data only: pickled code in the file is refused."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch older than 1.13 has no weights_only
        return torch.load(path, map_location="cpu")


def load_weights(model_dir):
    """The Net state dict in model_dir/model.pth: this code's plain keys, the article's DataParallel
    `module.` keys, or either wrapped in {"state_dict": ...}."""
    path = os.path.join(model_dir, WEIGHTS)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            "No model.pth in {}: the model.tar.gz must hold model.pth at its root.".format(model_dir)
        )
    state = load_tensors(path)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state.items()}
