"""The example's model under SageMaker's toolkit contracts, for real: the generated data, training
into a temporary SM_MODEL_DIR from SM_* and `--key value` hyperparameters, then inference through
model_fn / input_fn / predict_fn / output_fn on the served artifact's own code/ copy."""
import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

EXAMPLE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, EXAMPLE_DIR)
import make_data  # noqa: E402

ACCURACY_FLOOR = 0.95


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TrainAndServe(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tabular-mlp-")
        cls.data_dir = os.path.join(cls.work, "data")
        cls.model_dir = os.path.join(cls.work, "model")
        os.makedirs(cls.data_dir)
        for name, text in make_data.generate().items():
            with open(os.path.join(cls.data_dir, name), "w") as f:
                f.write(text)
        env = {"SM_MODEL_DIR": cls.model_dir, "SM_CHANNEL_TRAINING": cls.data_dir, "SM_HOSTS": '["algo-1","algo-2"]',
               "SM_CURRENT_HOST": "algo-1", "SM_OUTPUT_DIR": os.path.join(cls.work, "output")}
        saved = dict(os.environ)
        os.environ.update(env)
        cls.training = load_module(os.path.join(EXAMPLE_DIR, "model-code", "classifier.py"), "classifier_training")
        log = io.StringIO()
        try:
            with contextlib.redirect_stdout(log):
                code = cls.training.main(["--epochs", "30", "--hidden-units", "32", "--learning-rate", "0.01"])
        finally:
            os.environ.clear()
            os.environ.update(saved)
        cls.exit_code, cls.log = code, log.getvalue()
        # Serve from the artifact's own code/ copy, as the inference container does.
        cls.served = load_module(os.path.join(cls.model_dir, "code", "classifier.py"), "classifier_served")
        cls.model = cls.served.model_fn(cls.model_dir)
        with open(os.path.join(cls.data_dir, "test.csv")) as f:
            cls.test_rows = [line.strip().split(",") for line in f if line.strip()]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def invoke(self, body, content_type, accept):
        data = self.served.input_fn(body, content_type)
        return self.served.output_fn(self.served.predict_fn(data, self.model), accept)

    def test_committed_data_is_what_the_generator_writes(self):
        for name, text in make_data.generate().items():
            with open(os.path.join(EXAMPLE_DIR, "data", name)) as f:
                self.assertEqual(f.read(), text, "data/{} differs from make_data.py's output: run python3 make_data.py".format(name))

    def test_training_writes_a_servable_model_and_code(self):
        self.assertEqual(self.exit_code, 0)
        self.assertEqual(sorted(os.listdir(self.model_dir)), ["code", "model.pt"])
        self.assertEqual(os.listdir(os.path.join(self.model_dir, "code")), ["classifier.py"])

    def test_the_metric_regexes_read_the_training_log(self):
        with open(os.path.join(EXAMPLE_DIR, "metrics.json")) as f:
            metrics = json.load(f)
        for definition in metrics["metricDefinitions"]:
            found = re.findall(definition["regex"], self.log)
            self.assertEqual(len(found), 30, definition["name"])
            float(found[-1])
        accuracy = re.findall(dict((m["name"], m["regex"]) for m in metrics["metricDefinitions"])[metrics["accuracyMetricName"]], self.log)[-1]
        self.assertGreaterEqual(float(accuracy), 100 * ACCURACY_FLOOR)

    def test_held_out_accuracy_through_the_four_handlers(self):
        csv_body = "\n".join(",".join(row[1:]) for row in self.test_rows)
        answer, content_type = self.invoke(csv_body.encode(), "text/csv", "text/csv")
        self.assertEqual(content_type, "text/csv")
        predicted = [max(range(3), key=lambda k: float(line.split(",")[k])) for line in answer.strip().splitlines()]
        accuracy = sum(p == int(row[0]) for p, row in zip(predicted, self.test_rows)) / len(self.test_rows)
        print("held-out accuracy through the handlers: {:.4f} ({} rows)".format(accuracy, len(self.test_rows)))
        self.assertGreaterEqual(accuracy, ACCURACY_FLOOR)
        json_answer, json_type = self.invoke(json.dumps([[float(x) for x in row[1:]] for row in self.test_rows]), "application/json", "application/json")
        self.assertEqual(json_type, "application/json")
        self.assertEqual([max(range(3), key=row.__getitem__) for row in json.loads(json_answer)], predicted)

    def test_the_smoke_test_cases_pass_on_the_trained_model(self):
        with open(os.path.join(EXAMPLE_DIR, "smoke-test-cases.json")) as f:
            cases = json.load(f)
        for case in cases:
            answer, _ = self.invoke(case["body"].encode(), case["contentType"], case["accept"])
            row = json.loads(answer)[0] if case["accept"] == "application/json" else [float(p) for p in answer.split(",")]
            self.assertAlmostEqual(sum(row), 1.0, places=4)
            self.assertEqual(max(range(3), key=row.__getitem__), case["expectedLabel"], case)

    def test_bad_requests_are_4xx_with_what_to_send(self):
        cases = [
            (b"1,2,3", "text/csv", "text/csv", 400, "exactly 4 numbers"),
            (b"a,b,c,d", "text/csv", "text/csv", 400, "4 numbers separated by commas"),
            (b"{", "application/json", "application/json", 400, "not valid JSON"),
            (b"[[1, 2, 3, NaN]]", "application/json", "application/json", 400, "finite numbers"),
            (b"1,2,3,4", "application/x-npy", "text/csv", 415, "send text/csv or application/json"),
            (b"1,2,3,4", "text/csv", "application/x-npy", 406, "application/json or text/csv"),
        ]
        for body, content_type, accept, status, message in cases:
            with self.subTest(body=body, content_type=content_type, accept=accept):
                with self.assertRaises(self.served.BaseInferenceToolkitError) as raised:
                    self.invoke(body, content_type, accept)
                self.assertEqual(raised.exception.status_code, status)
                self.assertIn(message, raised.exception.message)

    def test_only_the_first_host_trains(self):
        args = self.training.parse_args(["--model-dir", os.path.join(self.work, "other")],
                                        env={"SM_HOSTS": '["algo-1","algo-2"]', "SM_CURRENT_HOST": "algo-2"})
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertIsNone(self.training.train(args))
        self.assertFalse(os.path.exists(os.path.join(self.work, "other")))

    def test_a_bad_hyperparameter_names_itself(self):
        with contextlib.redirect_stderr(io.StringIO()) as err, self.assertRaises(SystemExit):
            self.training.parse_args(["--hidden-units", "0"], env={})
        self.assertIn("--hidden-units must be a whole number >= 1, got 0", err.getvalue())


if __name__ == "__main__":
    unittest.main()
