"""The training channel: the four MNIST IDX files, read and checked, as tensors; augmentation."""
import gzip
import os
import struct
import zlib

import numpy as np
import torch
import torch.nn.functional as F

from .network import IMAGE_SIDE, NUM_CLASSES, PIXEL_MEAN, PIXEL_STD, normalize_pixels

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class DataError(Exception):
    """The training channel lacks a file or holds a broken one."""


def find_idx_file(data_dir, name):
    """Path of `name` in the channel: flat or under MNIST/raw/ (the article's upload), gzipped or not."""
    for folder in (data_dir, os.path.join(data_dir, "MNIST", "raw")):
        for candidate in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
            if os.path.isfile(candidate):
                return candidate
    raise DataError(
        "Missing MNIST file {0}(.gz) in the training channel {1} (looked in {1} and {1}/MNIST/raw). "
        "Upload the four MNIST IDX files to the 'training' channel.".format(name, data_dir)
    )


def read_idx(path, expected_dims):
    """Reads one IDX file (gzipped or not) into a uint8 array, checking its header and length."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError("Corrupt MNIST file {}: cannot decompress it ({}).".format(path, e)) from e
    if len(raw) < 4 or raw[0:2] != b"\x00\x00" or raw[2] != 0x08 or raw[3] != expected_dims:
        raise DataError(
            "Corrupt MNIST file {}: not an unsigned-byte IDX file with {} dimension(s) "
            "(bad magic number {}).".format(path, expected_dims, raw[:4].hex())
        )
    header_end = 4 + 4 * expected_dims
    if len(raw) < header_end:
        raise DataError("Corrupt MNIST file {}: truncated header.".format(path))
    dims = struct.unpack(">" + "I" * expected_dims, raw[4:header_end])
    expected_bytes = header_end + int(np.prod(dims))
    if len(raw) != expected_bytes:
        raise DataError(
            "Corrupt MNIST file {}: header says {} ({} bytes) but the file has {} bytes.".format(
                path, "x".join(map(str, dims)), expected_bytes, len(raw)
            )
        )
    # A copy: frombuffer over the read-only bytes gives a read-only array, which torch.from_numpy
    # warns about on every host ("The given NumPy array is not writable").
    return np.frombuffer(raw, dtype=np.uint8, offset=header_end).reshape(dims).copy()


def load_split(data_dir, split):
    """(images uint8 (N,28,28), labels int64 (N,)) of 'train' or 'test', validated."""
    images_path = find_idx_file(data_dir, IDX_FILES[split + "_images"])
    labels_path = find_idx_file(data_dir, IDX_FILES[split + "_labels"])
    images = read_idx(images_path, 3)
    labels = read_idx(labels_path, 1)
    if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError("Corrupt MNIST file {}: images are {}, not 28x28.".format(images_path, images.shape[1:]))
    if len(images) != len(labels):
        raise DataError(
            "MNIST files disagree: {} has {} images but {} has {} labels.".format(
                images_path, len(images), labels_path, len(labels)
            )
        )
    if len(labels) == 0:
        raise DataError("MNIST file {} holds no examples.".format(labels_path))
    if labels.max() >= NUM_CLASSES:
        raise DataError("Corrupt MNIST file {}: label {} is not a digit 0..9.".format(labels_path, labels.max()))
    return images, labels.astype(np.int64)


def to_tensors(images, labels, device):
    """Normalized float32 images (N,1,28,28) and labels, once, in memory: no per-sample transforms."""
    x = torch.from_numpy(images).unsqueeze(1).to(torch.float32)
    # normalize_pixels' arithmetic in place: on 60,000 images each temporary is 188 MB, and
    # allocating three of them cost more than an epoch's worth of data handling.
    x.div_(255.0).sub_(PIXEL_MEAN).div_(PIXEL_STD)
    return x.to(device), torch.from_numpy(labels).to(device)


def shift_images(images, max_shift):
    """Each image moved by its own random whole-pixel offset in [-max_shift, max_shift] on both axes,
    the uncovered border filled with the background: augmentation that costs one gather per batch."""
    if max_shift == 0:
        return images
    count, side = images.shape[0], images.shape[-1]
    background = float(normalize_pixels(torch.zeros(())))
    padded = F.pad(images, (max_shift,) * 4, value=background)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, count, 1), device=images.device)
    pixels = torch.arange(side, device=images.device)
    rows, cols = offsets[0] + pixels, offsets[1] + pixels  # (count, side) each
    picked = padded[torch.arange(count, device=images.device)[:, None, None], 0, rows[:, :, None], cols[:, None, :]]
    return picked.unsqueeze(1)
