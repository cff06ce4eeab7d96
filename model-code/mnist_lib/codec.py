"""Request and response bodies: one codec per content type, in one table.

decode(body) -> numpy array of whatever the client sent (input_fn checks it); body is str for JSON
and CSV (the toolkit decodes UTF-8 types), bytes otherwise. encode(float32 array (N,10)) -> body.
"""
import collections
import io
import json

import numpy as np

from .errors import client_error

NPY = "application/x-npy"
JSON = "application/json"
CSV = "text/csv"

Codec = collections.namedtuple("Codec", ["decode", "encode"])


def media_type(header):
    """`application/json; charset=utf-8` -> `application/json`."""
    return (header or "").split(";")[0].strip().lower()


def _as_text(body, content_type):
    if isinstance(body, str):
        return body
    try:
        return bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        raise client_error(400, "The {} body is not UTF-8 text.".format(content_type))


def decode_npy(body):
    if isinstance(body, str):
        raise client_error(400, "An application/x-npy body must be bytes written by numpy.save, not text.")
    try:
        return np.load(io.BytesIO(bytes(body)), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise client_error(400, "The application/x-npy body is not a numeric .npy array ({}).".format(e))


def decode_json(body):
    try:
        value = json.loads(_as_text(body, JSON))
    except json.JSONDecodeError as e:
        raise client_error(400, "The application/json body is not valid JSON ({}).".format(e))
    if isinstance(value, dict):  # also accept {"instances": [...]} / {"inputs": [...]}
        value = value.get("instances", value.get("inputs"))
    if not isinstance(value, list):
        raise client_error(
            400, "The JSON body must be an array of images (or {\"instances\": [...]}) of numbers 0..255."
        )
    try:
        array = np.asarray(value)
    except ValueError as e:
        raise client_error(400, "The JSON array is ragged or not numeric ({}).".format(e))
    return array


def decode_csv(body):
    rows = []
    for line_number, line in enumerate(_as_text(body, CSV).splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append([float(cell) for cell in line.split(",")])
        except ValueError:
            raise client_error(
                400, "CSV line {} is not all numbers: send 784 comma-separated pixels per line.".format(line_number)
            )
        if len(rows[-1]) != len(rows[0]):
            raise client_error(
                400, "CSV line {} has {} values but line 1 has {}: every line is one image of 784 pixels.".format(
                    line_number, len(rows[-1]), len(rows[0]))
            )
    return np.asarray(rows, dtype=np.float64)


def encode_npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def encode_json(array):
    return json.dumps(array.tolist())


def encode_csv(array):
    return "\n".join(",".join(repr(float(p)) for p in row) for row in array) + "\n"


# The content types served, in the order error messages list them.
CODECS = {
    NPY: Codec(decode_npy, encode_npy),
    JSON: Codec(decode_json, encode_json),
    CSV: Codec(decode_csv, encode_csv),
}
CONTENT_TYPES = tuple(CODECS)
