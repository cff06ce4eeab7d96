"""The MNIST model code behind mnist.py, one job per module.

network          the article's network and its input scale
data             the training channel's IDX files, read and checked; augmentation
hyperparameters  the command line, built from hyperparameters.json
distribution     several hosts: meeting, sharding an epoch, leaving
checkpoints      spot-training checkpoints: write, find, resume
logs             what training prints; the per-epoch test line as metrics.json declares it
training         the training loop
artifact         model.pth plus this code: a model.tar.gz the inference container serves
job              the training job's contract: arguments in, failure file and exit code out
errors           the inference toolkit's 4xx error type
codec            content type -> decoder / encoder
inference        model_fn, input_fn, predict_fn, output_fn

Inference uses network, errors, codec, artifact and logs only: none of them reads a file
beside the code, so the packaged code/ folder serves alone.
"""
