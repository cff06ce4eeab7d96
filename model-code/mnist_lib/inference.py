"""The SageMaker PyTorch inference toolkit's four handlers (mnist.py exposes them at module level).

Requests carry raw pixels 0..255 in any content type of codec.CODECS; answers are class
probabilities, shape (N, 10). A request the model cannot take is the client's fault: a 4xx
BaseInferenceToolkitError with one line saying what to send instead.
"""
import os

import numpy as np
import torch

from .artifact import load_weights
from .codec import CODECS, CONTENT_TYPES, JSON, media_type
from .errors import client_error
from .network import IMAGE_SIDE, PIXELS, Net, normalize_pixels

# Largest batch one request may carry: 1,000 float32 images are ~3 MB as npy, inside the
# 4 MB (serverless) and 6 MB (real-time) SageMaker payload limits.
MAX_BATCH = 1000


def model_fn(model_dir):
    """Loads model.pth (this code's plain keys or the article's DataParallel `module.` keys)."""
    net = Net()
    net.load_state_dict(load_weights(model_dir))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return net.to(device).eval()


def to_batch(array):
    """Checks a decoded request and returns raw pixels as float32 (N,1,28,28)."""
    if array.dtype.kind not in "uif":
        raise client_error(
            400, "Pixels must be numbers 0..255; the request holds non-numeric values (type {}).".format(array.dtype)
        )
    if array.size == 0:
        raise client_error(400, "Empty batch: send at least one 28x28 image.")
    shape = array.shape
    if shape in ((IMAGE_SIDE, IMAGE_SIDE), (PIXELS,)):
        array = array.reshape(1, 1, IMAGE_SIDE, IMAGE_SIDE)
    elif (array.ndim == 2 and shape[1] == PIXELS) or (array.ndim == 3 and shape[1:] == (IMAGE_SIDE, IMAGE_SIDE)):
        array = array.reshape(shape[0], 1, IMAGE_SIDE, IMAGE_SIDE)
    elif not (array.ndim == 4 and shape[1:] == (1, IMAGE_SIDE, IMAGE_SIDE)):
        raise client_error(
            400, "Wrong shape {}: send (N,1,28,28), (N,28,28), (N,784), (28,28) or (784,) raw pixels.".format(shape)
        )
    if len(array) > MAX_BATCH:
        raise client_error(413, "Batch of {} images is over the limit of {}: split it into smaller requests.".format(
            len(array), MAX_BATCH))
    if not np.isfinite(array).all():
        raise client_error(400, "Pixels must be finite numbers 0..255; the request holds NaN or infinity.")
    low, high = array.min(), array.max()
    if low < 0 or high > 255:
        raise client_error(
            400, "Pixels must be raw values 0..255 (not normalized); got values from {:g} to {:g}.".format(
                float(low), float(high))
        )
    return array.astype(np.float32)


def input_fn(request_body, request_content_type):
    """Decodes raw pixels in any content type of the codec table into a float32 tensor (N,1,28,28)."""
    codec = CODECS.get(media_type(request_content_type))
    if codec is None:
        raise client_error(
            415, "Unsupported content type {!r}: send one of {}.".format(request_content_type, ", ".join(CONTENT_TYPES))
        )
    return torch.from_numpy(to_batch(codec.decode(request_body)))


def predict_fn(input_data, model):
    """Class probabilities (N,10) for raw-pixel images (N,1,28,28)."""
    device = next(model.parameters()).device
    with torch.no_grad():
        return model(normalize_pixels(input_data.to(device))).exp().cpu()


def output_fn(prediction, accept):
    """Encodes (N,10) probabilities as the first supported type in `accept`: (body, content type)."""
    if accept is None or media_type(accept) in ("", "*/*"):
        accept = os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or JSON
    array = prediction.numpy() if isinstance(prediction, torch.Tensor) else np.asarray(prediction)
    array = array.astype(np.float32)
    for wanted in (media_type(part) for part in accept.split(",")):
        wanted = JSON if wanted == "*/*" else wanted
        if wanted in CODECS:
            return CODECS[wanted].encode(array), wanted
    raise client_error(406, "Unsupported accept type {!r}: ask for one of {}.".format(accept, ", ".join(CONTENT_TYPES)))
