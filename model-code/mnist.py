"""Train and serve the article's MNIST network under SageMaker's PyTorch toolkit contracts.

The entry point both toolkits name (sagemaker_program / SAGEMAKER_PROGRAM = mnist.py); the work
is in the package mnist_lib/ beside it (docs/model-code.md lists its modules).

Training (SageMaker PyTorch training toolkit): `python mnist.py --name value ...` with the
container as SM_* environment; see mnist_lib/job.py. Rank 0 writes model.pth and code/ (this file
and mnist_lib/), so the packed model.tar.gz is served as is.

Inference (SageMaker PyTorch inference toolkit): the container puts code/ on sys.path, imports
this module and looks the four handlers up here; see mnist_lib/inference.py.
"""
import sys

from mnist_lib.inference import input_fn, model_fn, output_fn, predict_fn  # noqa: F401 - the toolkit's handlers
from mnist_lib.job import main

if __name__ == "__main__":
    sys.exit(main())
