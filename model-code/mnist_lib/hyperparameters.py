"""The training command line, built from hyperparameters.json (the declarations cdk synth checks too)."""
import argparse
import json
import math
import os

# The declarations ship beside mnist.py in sourcedir.tar.gz (not in this package: model.tar.gz
# leaves them out, inference never reads them).
HYPERPARAMETERS_FILE = "hyperparameters.json"
MODEL_CODE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DESCRIPTION = "Train and serve the article's MNIST network under SageMaker's PyTorch toolkit contracts."
# Where SageMaker syncs checkpoints with CheckpointConfig.S3Uri (managed spot training).
SAGEMAKER_CHECKPOINT_DIR = "/opt/ml/checkpoints"
ARGUMENT_TYPES = {"int": int, "float": float, "string": str, "choice": str}


class HyperparameterError(Exception):
    """A hyperparameter or environment value is unusable."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # raise instead of exit(2), so the failure file gets the reason
        raise HyperparameterError("Bad hyperparameters: {}. Known: {}".format(message, self.format_usage().strip()))


def default_checkpoint_dir(env):
    """SM_CHECKPOINT_DIR, else /opt/ml/checkpoints where SageMaker made it (CheckpointConfig), else none."""
    if env.get("SM_CHECKPOINT_DIR"):
        return env["SM_CHECKPOINT_DIR"]
    return SAGEMAKER_CHECKPOINT_DIR if os.path.isdir(SAGEMAKER_CHECKPOINT_DIR) else ""


def read_hyperparameter_declarations(directory=None):
    """The hyperparameters mnist.py accepts: hyperparameters.json beside it (sourcedir.tar.gz
    ships it). Read when training starts only: the inference container has no such file."""
    path = os.path.join(directory or MODEL_CODE_DIR, HYPERPARAMETERS_FILE)
    try:
        with open(path) as f:
            return json.load(f)["hyperparameters"]
    except (OSError, ValueError, KeyError) as e:
        raise HyperparameterError("Cannot read the hyperparameter declarations {}: {!r}; it ships next to mnist.py "
                                  "in sourcedir.tar.gz.".format(path, e))


def expected_value(spec):
    """What a number or choice accepts, worded as lib/settings/hyperparameter-declarations.ts words it."""
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
    p = _Parser(description=DESCRIPTION, allow_abbrev=False)
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
