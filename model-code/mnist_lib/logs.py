"""What training prints: every line through log_line, the per-epoch test line as metrics.json declares it.

metrics.json (beside mnist.py) holds the test line's format and the regexes that read it back:
SageMaker's metric definitions (lib/mnist/mnist-constants.ts MNIST.metricDefinitions reads them from there)
and model-code/tests/test_metrics.py, which formats a line here and matches every regex.
"""
import json
import os

METRICS_FILE = "metrics.json"
MODEL_CODE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_declaration = None


def log_line(message):
    print(message, flush=True)


def read_metric_declaration(directory=None):
    """metrics.json: {"testLine": format, "metricDefinitions": [{name, regex, field}]}."""
    path = os.path.join(directory or MODEL_CODE_DIR, METRICS_FILE)
    with open(path) as f:
        return json.load(f)


def format_test_line(loss, correct, total, epoch):
    """The per-epoch test-set line, formatted as metrics.json declares it (read once, at the first epoch)."""
    global _declaration
    if _declaration is None:
        _declaration = read_metric_declaration()
    return _declaration["testLine"].format(
        loss=loss, correct=correct, total=total, accuracy=100.0 * correct / total, epoch=epoch)
