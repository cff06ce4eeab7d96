"""The codec table: every content type it names is read by input_fn and written by output_fn, through it."""
import io
import json
import unittest
from unittest import mock

import numpy as np
import torch

import support

from mnist_lib import codec, errors, inference


def probabilities(count=3):
    rows = np.random.default_rng(7).random((count, 10)).astype(np.float32)
    return rows / rows.sum(axis=1, keepdims=True)


class CodecTableTest(unittest.TestCase):
    def test_the_table_serves_the_articles_npy_and_json_and_csv_in_that_order(self):
        self.assertEqual(list(codec.CODECS), ["application/x-npy", "application/json", "text/csv"])
        self.assertEqual(codec.CONTENT_TYPES, tuple(codec.CODECS))

    def test_each_codec_reads_back_what_it_writes(self):
        array = probabilities()
        for content_type, pair in codec.CODECS.items():
            with self.subTest(content_type):
                decoded = pair.decode(pair.encode(array))
                np.testing.assert_array_equal(decoded.astype(np.float32), array)

    def test_media_type_drops_parameters_and_case(self):
        self.assertEqual(codec.media_type(" Application/JSON; charset=utf-8"), "application/json")
        self.assertEqual(codec.media_type(None), "")

    def test_the_handlers_take_their_content_types_from_the_table(self):
        # A codec added to the table is served by input_fn and output_fn, and named in their errors.
        plain = codec.Codec(decode=lambda body: np.array([float(v) for v in body.split()]),
                            encode=lambda array: " ".join(repr(float(v)) for v in array.ravel()))
        with mock.patch.dict(codec.CODECS, {"text/plain": plain}), \
                mock.patch.object(inference, "CONTENT_TYPES", tuple(codec.CODECS) + ("text/plain",)):
            batch = inference.input_fn(" ".join(["0"] * 784), "text/plain")
            self.assertEqual(tuple(batch.shape), (1, 1, 28, 28))
            body, content_type = inference.output_fn(torch.tensor(probabilities(1)), "text/plain")
            self.assertEqual((content_type, len(body.split())), ("text/plain", 10))
            with self.assertRaises(errors.BaseInferenceToolkitError) as caught:
                inference.input_fn(b"", "image/png")
            self.assertIn("text/plain", caught.exception.message)
        with self.assertRaises(errors.BaseInferenceToolkitError) as caught:
            inference.input_fn(" ".join(["0"] * 784), "text/plain")
        self.assertEqual(caught.exception.status_code, 415)

    def test_output_fn_writes_each_type_with_its_codec(self):
        array = probabilities()
        for content_type, pair in codec.CODECS.items():
            with self.subTest(content_type):
                body, written = inference.output_fn(torch.tensor(array), content_type)
                self.assertEqual((written, body), (content_type, pair.encode(array)))
        self.assertEqual(json.loads(inference.output_fn(torch.tensor(array), "*/*")[0]), array.tolist())
        npy = inference.output_fn(torch.tensor(array), "application/x-npy")[0]
        self.assertEqual(np.load(io.BytesIO(npy), allow_pickle=False).dtype, np.float32)


if __name__ == "__main__":
    unittest.main()
