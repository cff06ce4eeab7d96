"""Real training on real MNIST digits, laid out as SageMaker lays them out, with the defaults."""
import filecmp
import os
import re
import unittest

import torch

import support

TEST_LINE = re.compile(r"^Test set: Average loss: \d+\.\d{4}, Accuracy: \d+/1996 \(\d+\.\d{2}%\), Epoch: (\d+)$", re.M)


def score_artifact(model_dir, channel):
    """Accuracy (%) of model.pth on the held-out digits, computed without mnist.py."""
    images, labels = support.held_out_digits(channel)
    with torch.no_grad():
        predicted = support.independent_log_probabilities(support.load_weights(model_dir), images).argmax(dim=1).numpy()
    return 100.0 * (predicted == labels).mean()


class DefaultRecipeTest(unittest.TestCase):
    """`--backend gloo --epochs 2` (the toolkit's sorted form), everything else the defaults."""

    @classmethod
    def setUpClass(cls):
        cls.channel = support.real_digits()
        cls.host, cls.code, cls.log = support.default_run()

    def test_two_epochs_reach_97_percent_on_held_out_real_digits(self):
        self.assertEqual(self.code, 0, self.log)
        self.assertIsNone(self.host.failure)
        self.assertEqual([int(e) for e in TEST_LINE.findall(self.log)], [1, 2], self.log)
        self.assertEqual(len(re.findall(support.LOSS_REGEX, self.log)), 2)
        accuracies = support.logged_accuracies(self.log)
        self.assertGreaterEqual(accuracies[-1], 97.0, self.log)
        # The default batch of 32 on 8,004 digits: 251 steps, logged every 100.
        self.assertIn("Train Epoch: 1 [3200/8004 (40%)] Loss:", self.log)

    def test_artifact_is_servable_as_is_and_scores_what_the_log_says(self):
        model_dir = self.host.model_dir
        self.assertEqual(sorted(os.listdir(model_dir)), ["code", "model.pth"])
        state = support.load_weights(model_dir)
        self.assertEqual(sorted(state), ["conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight",
                                         "fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"], "the article's keys")
        self.assertAlmostEqual(score_artifact(model_dir, self.channel), support.logged_accuracies(self.log)[-1], places=2)
        self.assertEqual(support.logged_fingerprints(self.log), [("0", support.fingerprint(state))])

    def test_the_artifacts_code_is_mnist_py_and_every_module_of_its_package_and_nothing_else(self):
        code_dir = os.path.join(self.host.model_dir, "code")
        packaged = sorted(os.path.relpath(os.path.join(folder, name), code_dir)
                          for folder, _, names in os.walk(code_dir) for name in names)
        package_dir = os.path.join(support.MODEL_CODE_DIR, support.PACKAGE)
        modules = sorted(os.path.relpath(os.path.join(folder, name), support.MODEL_CODE_DIR)
                         for folder, _, names in os.walk(package_dir) for name in names if name.endswith(".py"))
        self.assertEqual(packaged, sorted(["mnist.py"] + modules))  # no tests, declarations or caches
        for name in packaged:
            with self.subTest(name):
                self.assertTrue(filecmp.cmp(os.path.join(code_dir, name), os.path.join(support.MODEL_CODE_DIR, name),
                                            shallow=False))

    def test_the_artifacts_code_imports_alone_in_a_fresh_interpreter(self):
        # What the inference container does: code/ on sys.path, import SAGEMAKER_PROGRAM, find the handlers.
        code_dir = os.path.join(self.host.model_dir, "code")
        out = support.run_fresh(code_dir, "\n".join([
            "import os, mnist",
            "print(os.path.dirname(mnist.__file__))",
            "print(sorted(n for n in sys.modules if n.split('.')[0] == 'mnist_lib' and sys.modules[n] is not None"
            " and not os.path.abspath(sys.modules[n].__file__).startswith(sys.path[0] + os.sep)))",
            "print(all(callable(getattr(mnist, f)) for f in ('model_fn', 'input_fn', 'predict_fn', 'output_fn')))",
        ]))
        self.assertEqual(out.splitlines(), [code_dir, "[]", "True"])

    def test_the_log_has_no_warnings(self):
        # A warning here shows in every SageMaker job's log on every host (e.g. a read-only NumPy array).
        self.assertNotRegex(self.log, r"\w+Warning:", self.log)

    def test_no_checkpoint_folder_means_no_checkpoints(self):
        self.assertNotIn("heckpoint", self.log)
        self.assertEqual(sorted(os.listdir(self.host.root)), ["algo-1"])


if __name__ == "__main__":
    unittest.main()
