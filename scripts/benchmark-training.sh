#!/usr/bin/env bash
# Training speed benchmark: the article's mnist.py (or any baseline) against model-code/mnist.py
# on full-size Fashion-MNIST (apt-get install dataset-fashion-mnist), same CPU, runs alternating.
# Prints the baseline's final accuracy, our time to reach it, our held-out accuracy and the ratio
# (min and median over --runs, wall-clock and CPU seconds), with the torch version and threads.
# The article's script needs torchvision built for the same torch; Debian's works:
#   apt-get install python3-torchvision dataset-fashion-mnist
#   scripts/benchmark-training.sh ARTICLE/mnist.py --python /usr/bin/python3           # ~8 min idle
#   scripts/benchmark-training.sh ARTICLE/mnist.py --python /usr/bin/python3 --runs 1 --train-limit 5000
#   scripts/benchmark-training.sh --help
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/scripts/python.sh" "$root/scripts/benchmark-training.py" "$@"
