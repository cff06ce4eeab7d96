#!/usr/bin/env bash
# Training speed benchmark: the article's mnist.py (or any baseline) against model-code/mnist.py
# on full-size Fashion-MNIST, same CPU, one after the other. Prints s/epoch, the baseline's final
# accuracy, our time to reach it and the ratio. The article's script needs torchvision:
# apt-get install python3-torchvision (Debian) or pip install torchvision.
#   scripts/benchmark-training.sh ../shared/mnist.seed.py            # the full measurement (~5 min idle)
#   scripts/benchmark-training.sh ../shared/mnist.seed.py --baseline-epochs 1 --our-epochs 1 --train-limit 5000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/scripts/python.sh" "$root/scripts/benchmark-training.py" "$@"
