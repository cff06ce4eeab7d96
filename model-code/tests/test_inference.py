"""Inference through model_fn / input_fn / predict_fn / output_fn with a model trained once on real digits."""
import io
import json
import os
import pickle
import shutil
import sys
import tempfile
import unittest
from unittest import mock

import numpy as np
import torch

import support

from mnist_lib import errors, inference, network

mnist = support.import_script()


def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


class InferenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mnist-inference-")
        channel = support.real_digits()
        host, code, log = support.default_run()  # the defaults, 2 epochs (trained once per test run)
        if code != 0:
            raise AssertionError("training failed:\n" + log)
        cls.model_dir = host.model_dir
        cls.model = mnist.model_fn(cls.model_dir)
        # The article's payload: 16 real test digits, float32 raw pixels 0..255, shape (16,1,28,28).
        images, cls.labels = support.held_out_digits(channel, 16)
        cls.payload = np.expand_dims(images.astype(np.float32), 1)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def invoke(self, body, content_type, accept):
        """The four functions in the order the serving toolkit calls them."""
        data = mnist.input_fn(body, content_type)
        prediction = mnist.predict_fn(data, self.model)
        return mnist.output_fn(prediction, accept)

    def assert_good_probabilities(self, probabilities, labels):
        probabilities = np.asarray(probabilities, dtype=np.float64)
        self.assertEqual(probabilities.shape, (len(labels), 10))
        self.assertTrue(((probabilities >= 0) & (probabilities <= 1)).all())
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
        correct = int((probabilities.argmax(axis=1) == labels).sum())
        self.assertGreaterEqual(correct, len(labels) - 1, "only {}/{} correct".format(correct, len(labels)))
        return probabilities

    # ------------------------------------------------------------------ the article's client

    def test_articles_npy_payload_gives_16_by_10_probabilities_with_at_least_15_right(self):
        body, content_type = self.invoke(npy(self.payload), "application/x-npy", "application/x-npy")
        self.assertEqual(content_type, "application/x-npy")
        answer = np.load(io.BytesIO(body), allow_pickle=False)
        self.assertEqual(answer.dtype, np.float32)
        self.assert_good_probabilities(answer, self.labels)

    def test_probabilities_match_a_reference_computed_without_mnist_py(self):
        # The reference normalizes with the training statistics and runs the article's layers from
        # the saved weights: serving that skips or changes the normalization answers differently.
        state = support.load_weights(self.model_dir)
        with torch.no_grad():
            reference = support.independent_log_probabilities(state, self.payload).exp().numpy()
        body, _ = self.invoke(npy(self.payload), "application/x-npy", "application/x-npy")
        np.testing.assert_allclose(np.load(io.BytesIO(body)), reference, rtol=0, atol=1e-5)
        json_answer = json.loads(self.invoke(json.dumps(self.payload.tolist()), "application/json", "application/json")[0])
        np.testing.assert_allclose(np.array(json_answer), reference, rtol=0, atol=1e-5)

    def test_json_round_trip_in_every_accepted_shape(self):
        expected = np.load(io.BytesIO(self.invoke(npy(self.payload), "application/x-npy", "application/x-npy")[0]))
        shapes = {"(N,1,28,28)": self.payload, "(N,28,28)": self.payload[:, 0], "(N,784)": self.payload.reshape(16, 784)}
        for name, array in shapes.items():
            with self.subTest(shape=name):
                # The toolkit hands JSON bodies to input_fn as str.
                body, content_type = self.invoke(json.dumps(array.tolist()), "application/json", "application/json")
                self.assertEqual(content_type, "application/json")
                answer = json.loads(body)
                self.assertEqual((len(answer), len(answer[0])), (16, 10))
                np.testing.assert_allclose(np.array(answer), expected, atol=1e-5)

    def test_single_images_and_sagemaker_instances_envelope(self):
        image = self.payload[3, 0]
        for name, body in {
            "(28,28)": json.dumps(image.tolist()),
            "(784,)": json.dumps(image.reshape(784).tolist()),
            "(1,28,28)": json.dumps(image[None].tolist()),
            "instances": json.dumps({"instances": [image.tolist()]}),
        }.items():
            with self.subTest(name):
                answer = json.loads(self.invoke(body, "application/json", "application/json")[0])
                self.assertEqual(np.array(answer).shape, (1, 10))
                self.assertEqual(int(np.argmax(answer[0])), int(self.labels[3]))

    def test_csv_round_trip(self):
        rows = "\n".join(",".join(str(int(v)) for v in image.reshape(784)) for image in self.payload)
        body, content_type = self.invoke(rows + "\n", "text/csv", "text/csv")
        self.assertEqual(content_type, "text/csv")
        answer = np.array([[float(v) for v in line.split(",")] for line in body.strip().splitlines()])
        self.assert_good_probabilities(answer, self.labels)

    def test_float64_uint8_and_bytes_json_with_charset_are_accepted(self):
        for dtype in (np.float64, np.uint8, np.int64):
            with self.subTest(dtype=dtype.__name__):
                answer = json.loads(self.invoke(npy(self.payload.astype(dtype)), "application/x-npy", "application/json")[0])
                self.assert_good_probabilities(answer, self.labels)
        # A content type with parameters is not in the toolkit's UTF-8 list, so the body arrives as bytes.
        body = json.dumps(self.payload.tolist()).encode("utf-8")
        answer = json.loads(self.invoke(body, "application/json; charset=utf-8", "application/json")[0])
        self.assert_good_probabilities(answer, self.labels)

    def test_accept_defaults_and_lists(self):
        data = mnist.predict_fn(mnist.input_fn(npy(self.payload), "application/x-npy"), self.model)
        self.assertEqual(mnist.output_fn(data, None)[1], "application/json")
        self.assertEqual(mnist.output_fn(data, "*/*")[1], "application/json")
        with mock.patch.dict(os.environ, {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"}):
            self.assertEqual(mnist.output_fn(data, "*/*")[1], "text/csv")
        self.assertEqual(mnist.output_fn(data, "application/xml, application/x-npy;q=0.9")[1], "application/x-npy")

    # ------------------------------------------------------------------ bad input: the client's fault

    def test_every_bad_input_is_a_clear_4xx_toolkit_error(self):
        big = np.zeros((inference.MAX_BATCH + 1, 1, 28, 28), np.float32)
        with_nan = self.payload.copy()
        with_nan[0, 0, 0, 0] = np.nan
        cases = [
            ("wrong shape", npy(np.zeros((2, 3, 28, 28), np.float32)), "application/x-npy", 400, "Wrong shape (2, 3, 28, 28)"),
            ("wrong length", json.dumps([1, 2, 3]), "application/json", 400, "Wrong shape (3,)"),
            ("non-numeric JSON", json.dumps([["a"] * 784]), "application/json", 400, "non-numeric"),
            ("booleans", json.dumps([[True] * 784]), "application/json", 400, "non-numeric"),
            ("ragged JSON", json.dumps([[0] * 784, [0] * 3]), "application/json", 400, "ragged or not numeric"),
            ("JSON object", json.dumps({"pixels": [0] * 784}), "application/json", 400, "array of images"),
            ("broken JSON", "[[1, 2", "application/json", 400, "not valid JSON"),
            ("non-numeric CSV", "1,2,x\n", "text/csv", 400, "CSV line 1 is not all numbers"),
            ("ragged CSV", ",".join(["0"] * 784) + "\n1,2\n", "text/csv", 400, "CSV line 2 has 2 values"),
            ("not npy", b"hello, world", "application/x-npy", 400, "not a numeric .npy array"),
            ("pickled npy", npy(np.array([{"a": 1}], dtype=object)), "application/x-npy", 400, "not a numeric .npy array"),
            ("npy as text", "PK", "application/x-npy", 400, "must be bytes"),
            ("above 255", npy(self.payload + 1), "application/x-npy", 400, "0..255"),
            ("normalized", npy(self.payload / 255.0 - 0.5), "application/x-npy", 400, "not normalized"),
            ("NaN in npy", npy(with_nan), "application/x-npy", 400, "NaN"),
            ("infinity", npy(np.full((1, 784), np.inf)), "application/x-npy", 400, "NaN or infinity"),
            ("NaN in JSON", "[" + ",".join(["NaN"] * 784) + "]", "application/json", 400, "NaN"),
            ("empty npy batch", npy(np.zeros((0, 1, 28, 28), np.float32)), "application/x-npy", 400, "Empty batch"),
            ("empty JSON batch", "[]", "application/json", 400, "Empty batch"),
            ("empty CSV", "\n", "text/csv", 400, "Empty batch"),
            ("batch over the limit", npy(big), "application/x-npy", 413, "over the limit of {}".format(inference.MAX_BATCH)),
            ("unknown content type", b"\x89PNG", "image/png", 415, "Unsupported content type 'image/png'"),
            ("not UTF-8", b"\xff\xfe", "application/json; charset=utf-8", 400, "not UTF-8"),
        ]
        for name, body, content_type, status, words in cases:
            with self.subTest(name):
                with self.assertRaises(errors.BaseInferenceToolkitError) as caught:
                    mnist.input_fn(body, content_type)
                error = caught.exception
                self.assertEqual(error.status_code, status)
                self.assertIn(words, error.message)
                self.assertEqual(error.phrase, error.message)
                self.assertNotIn("\n", error.message)

    def test_unknown_accept_is_a_406(self):
        data = mnist.predict_fn(mnist.input_fn(npy(self.payload), "application/x-npy"), self.model)
        with self.assertRaises(errors.BaseInferenceToolkitError) as caught:
            mnist.output_fn(data, "application/xml")
        self.assertEqual(caught.exception.status_code, 406)
        self.assertIn("Unsupported accept type 'application/xml'", caught.exception.message)

    def test_error_type_is_the_toolkits_when_importable(self):
        fake_errors = type(sys)("sagemaker_inference.errors")

        class ToolkitError(Exception):
            def __init__(self, status_code, message, phrase):
                super().__init__(status_code, message, phrase)
                self.status_code, self.message, self.phrase = status_code, message, phrase

        fake_errors.BaseInferenceToolkitError = ToolkitError
        package = type(sys)("sagemaker_inference")
        package.errors = fake_errors
        with mock.patch.dict(sys.modules, {"sagemaker_inference": package, "sagemaker_inference.errors": fake_errors}):
            for name in [n for n in sys.modules if n.split(".")[0] == support.PACKAGE]:
                del sys.modules[name]  # imported afresh, as in the container (patch.dict puts them back)
            served = support.import_script(name="mnist_in_container")
            served_errors = sys.modules[support.PACKAGE + ".errors"]
        self.assertIs(served_errors.BaseInferenceToolkitError, ToolkitError)
        with self.assertRaises(ToolkitError) as caught:
            served.input_fn("[]", "application/json")
        self.assertEqual(caught.exception.status_code, 400)

    # ------------------------------------------------------------------ loading weights

    def test_articles_module_prefixed_weights_load_and_predict_the_same(self):
        article_style = torch.nn.DataParallel(network.Net())
        article_style.module.load_state_dict(self.model.state_dict())
        self.assertTrue(all(k.startswith("module.") for k in article_style.state_dict()))
        model_dir = tempfile.mkdtemp(dir=self.tmp)
        torch.save(article_style.state_dict(), os.path.join(model_dir, "model.pth"))
        loaded = mnist.model_fn(model_dir)
        data = mnist.input_fn(npy(self.payload), "application/x-npy")
        torch.testing.assert_close(mnist.predict_fn(data, loaded), mnist.predict_fn(data, self.model))

    def test_the_artifacts_own_code_serves_it_alone_in_a_fresh_interpreter(self):
        # code/ only (no model-code/, no hyperparameters.json or metrics.json), as the container serves it.
        request, answer = os.path.join(self.tmp, "request.npy"), os.path.join(self.tmp, "answer.npy")
        with open(request, "wb") as f:
            f.write(npy(self.payload))
        support.run_fresh(os.path.join(self.model_dir, "code"), "\n".join([
            "import mnist",
            "model = mnist.model_fn({!r})".format(self.model_dir),
            "data = mnist.input_fn(open({!r}, 'rb').read(), 'application/x-npy')".format(request),
            "body, _ = mnist.output_fn(mnist.predict_fn(data, model), 'application/x-npy')",
            "open({!r}, 'wb').write(body)".format(answer),
        ]))
        with open(answer, "rb") as f:
            self.assert_good_probabilities(np.load(io.BytesIO(f.read())), self.labels)

    def test_missing_weights_say_what_the_archive_needs(self):
        with self.assertRaisesRegex(FileNotFoundError, "must hold model.pth at its root"):
            mnist.model_fn(tempfile.mkdtemp(dir=self.tmp))

    def test_pickled_code_in_model_pth_is_refused(self):
        model_dir = tempfile.mkdtemp(dir=self.tmp)
        with open(os.path.join(model_dir, "model.pth"), "wb") as f:
            # Protocol 2, as torch.save's legacy format writes it: with Python's default (4) torch also
            # warns about the protocol, and the refusal under test is of the code, not the protocol.
            pickle.dump({"conv1.weight": Exploit()}, f, protocol=2)
        with self.assertRaises(Exception) as caught:
            mnist.model_fn(model_dir)
        self.assertNotIsInstance(caught.exception, AssertionError)
        self.assertFalse(Exploit.ran)


class Exploit:
    ran = False

    def __reduce__(self):
        return (setattr, (Exploit, "ran", True))


if __name__ == "__main__":
    unittest.main()
