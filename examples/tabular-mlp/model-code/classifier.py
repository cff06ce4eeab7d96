"""A small MLP that classifies rows of 4 numbers into 3 classes, trained and served by SageMaker's
PyTorch containers. One file does both jobs, as the toolkits expect of an entry point:

Training (SageMaker training toolkit): hyperparameters arrive as `--key value` arguments, the data
as the folder SM_CHANNEL_TRAINING (train.csv and test.csv: `label,x1,x2,x3,x4`, no header), and the
model goes to SM_MODEL_DIR: model.pt plus code/classifier.py, so model.tar.gz serves as is. Each
epoch prints one "test loss ..., test accuracy ...%" line; the training job's metric regexes
(../metrics.json) read it. On several instances (SM_HOSTS) only the first (SM_CURRENT_HOST) trains:
the data is a few kilobytes.

Inference (SageMaker PyTorch inference toolkit): model_fn / input_fn / predict_fn / output_fn.
Requests are rows of 4 numbers, as text/csv (one row per line) or application/json (one row or a
list of rows); answers are one row of 3 class probabilities per input row, as application/json or
text/csv. A request the model cannot take is answered 4xx with one line saying what to send.
"""
import argparse
import io
import json
import os
import shutil
import sys

import torch
from torch import nn

FEATURES = 4
CLASSES = 3
WEIGHTS = "model.pt"
ENTRY_POINT = os.path.basename(__file__)
TEST_LINE = "epoch {epoch}: train loss {train_loss:.4f}, test loss {test_loss:.4f}, test accuracy {accuracy:.2f}%"
MAX_ROWS = 10000

try:
    from sagemaker_inference.errors import BaseInferenceToolkitError
except ImportError:  # outside the inference container: the same constructor and attributes

    class BaseInferenceToolkitError(Exception):
        def __init__(self, status_code, message, phrase):
            self.status_code = status_code
            self.message = message
            self.phrase = phrase
            super().__init__(status_code, message, phrase)


def client_error(status_code, message):
    """A 4xx answer with `message` as its body (the toolkit turns this error into the HTTP response)."""
    return BaseInferenceToolkitError(status_code, message, message)


class Mlp(nn.Module):
    def __init__(self, hidden_units):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(FEATURES, hidden_units), nn.ReLU(),
            nn.Linear(hidden_units, hidden_units), nn.ReLU(),
            nn.Linear(hidden_units, CLASSES),
        )

    def forward(self, x):
        return self.layers(x)


# ---------------------------------------------------------------- training


def parse_args(argv=None, env=None):
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(description="Train the 3-class MLP on rows of 4 numbers.")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--hidden-units", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--model-dir", default=env.get("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--data-dir", default=env.get("SM_CHANNEL_TRAINING", "/opt/ml/input/data/training"))
    parser.add_argument("--hosts", type=json.loads, default=env.get("SM_HOSTS", '["algo-1"]'))
    parser.add_argument("--current-host", default=env.get("SM_CURRENT_HOST", "algo-1"))
    args = parser.parse_args(argv)
    for name in ("epochs", "hidden_units", "batch_size"):
        if getattr(args, name) < 1:
            parser.error("--{} must be a whole number >= 1, got {}".format(name.replace("_", "-"), getattr(args, name)))
    if not args.learning_rate > 0:
        parser.error("--learning-rate must be > 0, got {}".format(args.learning_rate))
    return args


def read_csv(path):
    """(features float32 (N,4), labels int64 (N,)) from `label,x1,x2,x3,x4` rows."""
    labels, rows = [], []
    with open(path) as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            fields = line.strip().split(",")
            if len(fields) != FEATURES + 1:
                raise ValueError("{} line {}: expected label and {} features, got {} fields".format(path, number, FEATURES, len(fields)))
            label = int(fields[0])
            if not 0 <= label < CLASSES:
                raise ValueError("{} line {}: label {} is not a class 0..{}".format(path, number, label, CLASSES - 1))
            labels.append(label)
            rows.append([float(x) for x in fields[1:]])
    if not rows:
        raise ValueError("{} holds no rows".format(path))
    return torch.tensor(rows, dtype=torch.float32), torch.tensor(labels, dtype=torch.int64)


def evaluate(net, x, y, mean, std):
    net.eval()
    with torch.no_grad():
        logits = net((x - mean) / std)
        loss = nn.functional.cross_entropy(logits, y).item()
        accuracy = 100.0 * (logits.argmax(dim=1) == y).float().mean().item()
    return loss, accuracy


def train(args):
    if args.current_host != args.hosts[0]:
        print("{} is not the first host ({}): the first host trains and writes the model".format(args.current_host, args.hosts[0]))
        return None
    torch.manual_seed(args.seed)
    x_train, y_train = read_csv(os.path.join(args.data_dir, "train.csv"))
    x_test, y_test = read_csv(os.path.join(args.data_dir, "test.csv"))
    # Standardize with the training set's statistics; they ship with the weights for inference.
    mean, std = x_train.mean(dim=0), x_train.std(dim=0).clamp_min(1e-6)
    net = Mlp(args.hidden_units)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.learning_rate)
    generator = torch.Generator().manual_seed(args.seed)
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        net.train()
        order = torch.randperm(len(x_train), generator=generator)
        total = 0.0
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(net((x_train[batch] - mean) / std), y_train[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        test_loss, accuracy = evaluate(net, x_test, y_test, mean, std)
        print(TEST_LINE.format(epoch=epoch, train_loss=total / len(x_train), test_loss=test_loss, accuracy=accuracy), flush=True)
    save_model(net, mean, std, args)
    return accuracy


def save_model(net, mean, std, args):
    """model.pt (weights, standardization, width) and code/classifier.py: a servable model.tar.gz."""
    os.makedirs(os.path.join(args.model_dir, "code"), exist_ok=True)
    torch.save(
        {"state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()}, "mean": mean, "std": std, "hidden_units": args.hidden_units},
        os.path.join(args.model_dir, WEIGHTS),
    )
    shutil.copyfile(os.path.abspath(__file__), os.path.join(args.model_dir, "code", ENTRY_POINT))


# ---------------------------------------------------------------- inference


def model_fn(model_dir):
    saved = torch.load(os.path.join(model_dir, WEIGHTS), map_location="cpu", weights_only=True)
    net = Mlp(int(saved["hidden_units"]))
    net.load_state_dict(saved["state_dict"])
    net.eval()
    return {"net": net, "mean": saved["mean"], "std": saved["std"]}


def _media_type(value):
    return (value or "").split(";")[0].strip().lower()


def input_fn(request_body, request_content_type):
    """Rows of 4 numbers from text/csv or application/json, as float32 (N,4)."""
    text = request_body.decode("utf-8") if isinstance(request_body, (bytes, bytearray)) else str(request_body)
    content_type = _media_type(request_content_type)
    if content_type == "text/csv":
        try:
            rows = [[float(x) for x in line.split(",")] for line in text.strip().splitlines() if line.strip()]
        except ValueError:
            raise client_error(400, "text/csv rows must hold {} numbers separated by commas, e.g. 0.5,-1.2,0.3,0.0".format(FEATURES))
    elif content_type == "application/json":
        try:
            rows = json.loads(text)
        except ValueError as e:
            raise client_error(400, "The application/json body is not valid JSON: {}".format(e))
        if isinstance(rows, list) and rows and not isinstance(rows[0], list):
            rows = [rows]
    else:
        raise client_error(415, "Content type {} is not supported: send text/csv or application/json rows of {} numbers.".format(
            request_content_type, FEATURES))
    if not isinstance(rows, list) or not rows or len(rows) > MAX_ROWS:
        raise client_error(400, "Send 1 to {} rows of {} numbers.".format(MAX_ROWS, FEATURES))
    if not all(isinstance(row, list) and len(row) == FEATURES and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in row) for row in rows):
        raise client_error(400, "Every row must hold exactly {} numbers, e.g. [0.5, -1.2, 0.3, 0.0].".format(FEATURES))
    batch = torch.tensor(rows, dtype=torch.float32)
    if not torch.isfinite(batch).all():
        raise client_error(400, "Rows must hold finite numbers; the request holds NaN or infinity.")
    return batch


def predict_fn(input_data, model):
    """Class probabilities (N,3)."""
    with torch.no_grad():
        return torch.softmax(model["net"]((input_data - model["mean"]) / model["std"]), dim=1)


def output_fn(prediction, accept):
    rows = prediction.tolist()
    accept = _media_type(accept) or "application/json"
    if accept in ("application/json", "*/*"):
        return json.dumps(rows), "application/json"
    if accept == "text/csv":
        out = io.StringIO()
        for row in rows:
            out.write(",".join("{:.6f}".format(p) for p in row) + "\n")
        return out.getvalue(), "text/csv"
    raise client_error(406, "Accept {} is not supported: ask for application/json or text/csv.".format(accept))


def main(argv=None):
    try:
        train(parse_args(argv))
    except Exception as e:  # noqa: BLE001 - SageMaker shows the failure file as the job's FailureReason
        output_dir = os.environ.get("SM_OUTPUT_DIR", "/opt/ml/output")
        try:
            os.makedirs(output_dir, exist_ok=True)
            with open(os.path.join(output_dir, "failure"), "w") as f:
                f.write("{}: {}\n".format(type(e).__name__, e)[:1000])
        except OSError:
            pass
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
