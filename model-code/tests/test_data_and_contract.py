"""mnist.py's data reading and training-toolkit contract: layouts, broken files, failure file, arguments."""
import contextlib
import gzip
import io
import os
import re
import shutil
import tempfile
import unittest
from unittest import mock

import numpy as np

import support

from mnist_lib import data, hyperparameters, job, network, training


class RealDigitsTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mnist-data-")
        # 40 train / 20 test real digits in each layout the channel may have.
        cls.raw_gz = support.make_real_digits(os.path.join(cls.tmp, "raw-gz"), "mnist-raw", ["--train", "40", "--test", "20"])
        cls.flat_plain = support.make_real_digits(
            os.path.join(cls.tmp, "flat-plain"), "flat", ["--train", "40", "--test", "20", "--no-gzip"]
        )

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def copy_channel(self, source):
        target = tempfile.mkdtemp(prefix="mnist-channel-", dir=self.tmp)
        shutil.rmtree(target)
        shutil.copytree(source, target)
        return target


class DataLayoutTest(RealDigitsTestCase):
    def test_reads_gzipped_files_under_mnist_raw_and_plain_files_flat_alike(self):
        expected = support.read_idx(os.path.join(self.raw_gz, "MNIST", "raw", "train-images-idx3-ubyte.gz"))
        for channel in (self.raw_gz, self.flat_plain):
            with self.subTest(channel=os.path.basename(channel)):
                images, labels = data.load_split(channel, "train")
                self.assertEqual(images.shape, (40, 28, 28))
                self.assertEqual(labels.shape, (40,))
                np.testing.assert_array_equal(images, expected)
                test_images, _ = data.load_split(channel, "test")
                self.assertEqual(test_images.shape, (20, 28, 28))

    def test_the_arrays_are_writable_so_torch_takes_them_without_a_warning(self):
        # torch.from_numpy warns once per process about a read-only array: the flag is what a test can see.
        images, labels = data.load_split(self.raw_gz, "train")
        self.assertTrue(images.flags.writeable and labels.flags.writeable)
        x, y = data.to_tensors(images, labels, "cpu")
        self.assertEqual((tuple(x.shape), tuple(y.shape)), ((40, 1, 28, 28), (40,)))

    def test_missing_file_is_named_with_the_places_searched(self):
        channel = self.copy_channel(self.flat_plain)
        os.remove(os.path.join(channel, "t10k-labels-idx1-ubyte"))
        with self.assertRaises(data.DataError) as caught:
            data.load_split(channel, "test")
        self.assertIn("t10k-labels-idx1-ubyte", str(caught.exception))
        self.assertIn("MNIST/raw", str(caught.exception))

    def test_corrupt_files_are_named(self):
        cases = {
            "truncated gzip": lambda raw: gzip.compress(raw)[:-20],
            "bad magic number": lambda raw: b"\x00\x00\x09\x03" + raw[4:],
            "missing pixels": lambda raw: raw[:-100],
        }
        for name, corrupt in cases.items():
            with self.subTest(name):
                channel = self.copy_channel(self.flat_plain)
                path = os.path.join(channel, "train-images-idx3-ubyte")
                with open(path, "rb") as f:
                    raw = f.read()
                with open(path, "wb") as f:
                    f.write(corrupt(raw))
                with self.assertRaises(data.DataError) as caught:
                    data.load_split(channel, "train")
                self.assertIn("Corrupt MNIST file", str(caught.exception))
                self.assertIn(path, str(caught.exception))

    def test_image_and_label_counts_must_agree(self):
        channel = self.copy_channel(self.flat_plain)
        shutil.copyfile(os.path.join(channel, "t10k-labels-idx1-ubyte"), os.path.join(channel, "train-labels-idx1-ubyte"))
        with self.assertRaisesRegex(data.DataError, "40 images but .* 20 labels"):
            data.load_split(channel, "train")


class FailureFileTest(RealDigitsTestCase):
    def test_missing_data_fails_with_one_line_reason_and_non_zero_exit(self):
        empty_channel = tempfile.mkdtemp(dir=self.tmp)
        host = support.SageMakerLayout(tempfile.mkdtemp(dir=self.tmp), empty_channel)
        code, log = host.run(["--backend", "gloo", "--epochs", "1"])
        self.assertNotEqual(code, 0, log)
        failure = host.failure
        self.assertIsNotNone(failure, log)
        self.assertEqual(len(failure.strip().splitlines()), 1)
        self.assertIn("DataError: Missing MNIST file train-images-idx3-ubyte", failure)
        self.assertFalse(os.path.exists(os.path.join(host.model_dir, "model.pth")))

    def test_bad_hyperparameters_reach_the_failure_file(self):
        cases = {
            ("--epochs", "0"): "--epochs must be a whole number >= 1, got 0.",
            ("--epochs", "one"): "invalid int value: 'one'",
            ("--learning-rate", "0.1"): "unrecognized arguments: --learning-rate",
            ("--backend", "tcp"): "argument --backend: invalid choice: 'tcp'",
        }
        for args, expected in cases.items():
            with self.subTest(args=args):
                host = support.SageMakerLayout(tempfile.mkdtemp(dir=self.tmp), self.raw_gz)
                self.assertEqual(self.main_in_process(host, list(args)), 1)
                self.assertIn(expected, host.failure)

    def test_current_host_must_be_one_of_the_hosts(self):
        host = support.SageMakerLayout(tempfile.mkdtemp(dir=self.tmp), self.raw_gz, host="algo-3", hosts=("algo-1", "algo-2"))
        self.assertEqual(self.main_in_process(host, ["--epochs", "1"]), 1)
        self.assertIn("SM_CURRENT_HOST 'algo-3' is not one of SM_HOSTS", host.failure)

    def main_in_process(self, host, args):
        """job.main with the host's environment, in this process (the missing-data test above runs
        the script itself): refusals happen before any training, so a process start would only add time."""
        with mock.patch.dict(os.environ, host.env, clear=True), contextlib.redirect_stderr(io.StringIO()):
            return job.main(args)


class ArgumentsTest(unittest.TestCase):
    ENV = {"SM_HOSTS": '["algo-1","algo-2"]', "SM_CURRENT_HOST": "algo-2", "SM_MODEL_DIR": "/m",
           "SM_CHANNEL_TRAINING": "/d", "SM_NUM_GPUS": "0"}

    def test_the_articles_hyperparameters_as_the_toolkit_passes_them(self):
        args = hyperparameters.parse_args(["--backend", "gloo", "--epochs", "1"], env=self.ENV)
        self.assertEqual((args.backend, args.epochs), ("gloo", 1))
        self.assertEqual(args.hosts, ["algo-1", "algo-2"])
        self.assertEqual((args.current_host, args.model_dir, args.data_dir, args.num_gpus), ("algo-2", "/m", "/d", 0))

    def test_every_article_hyperparameter_name_is_accepted(self):
        args = hyperparameters.parse_args(
            ["--batch-size", "32", "--test-batch-size", "500", "--epochs", "2", "--lr", "0.01", "--momentum", "0.5",
             "--seed", "7", "--log-interval", "10", "--backend", "gloo"], env=self.ENV)
        self.assertEqual((args.batch_size, args.test_batch_size, args.lr, args.momentum, args.seed, args.log_interval),
                         (32, 500, 0.01, 0.5, 7, 10))

    def test_onecycle_warms_up_to_lr_then_anneals_to_zero_and_constant_stays(self):
        args = hyperparameters.parse_args(["--lr", "0.1", "--warmup", "0.2"], env=self.ENV)
        rates = [training.learning_rate(args, step, 100) for step in range(100)]
        self.assertAlmostEqual(max(rates), 0.1)
        self.assertEqual(rates.index(max(rates)), 19)
        self.assertLess(rates[0], 0.01)
        self.assertLess(rates[-1], 0.001)
        args.lr_schedule = "constant"
        self.assertEqual({training.learning_rate(args, step, 100) for step in range(100)}, {0.1})

    def test_dropout_rates_are_hyperparameters_that_keep_the_articles_weights(self):
        args = hyperparameters.parse_args(["--conv-dropout", "0.3", "--fc-dropout", "0"], env=self.ENV)
        self.assertEqual((args.conv_dropout, args.fc_dropout), (0.3, 0.0))
        net = network.Net(conv_dropout=args.conv_dropout, fc_dropout=args.fc_dropout)
        self.assertEqual(net.conv2_drop.p, 0.3)
        self.assertEqual(list(net.state_dict()), list(network.Net().state_dict()))
        self.assertEqual((network.Net().conv2_drop.p, network.Net().fc_dropout), (0.5, 0.5), "Net() is the article's")

    def test_out_of_range_values_are_refused_by_name(self):
        for args, words in {("--conv-dropout", "1"): "--conv-dropout must be a number >= 0 and < 1, got 1.0",
                            ("--fc-dropout", "-0.1"): "--fc-dropout must be a number >= 0 and < 1",
                            ("--fc-dropout", "nan"): "--fc-dropout must be a number >= 0 and < 1",
                            ("--lr", "inf"): "--lr must be a number > 0, got inf.",
                            ("--augment-shift", "5"): "--augment-shift must be a whole number from 0 to 4, got 5.",
                            ("--seed", "-1"): "--seed must be a whole number from 0 to 4294967295",
                            ("--dist-timeout", "0"): "--dist-timeout must be a whole number >= 1"}.items():
            with self.subTest(args=args):
                with self.assertRaisesRegex(hyperparameters.HyperparameterError, re.escape(words)):
                    hyperparameters.parse_args(list(args), env=self.ENV)

    def test_abbreviations_are_refused_not_taken_for_the_option_they_start(self):
        # argparse would otherwise read --epoch 2 as --epochs 2 (and a later --epochs would win).
        with self.assertRaisesRegex(hyperparameters.HyperparameterError, "unrecognized arguments: --epoch 2"):
            hyperparameters.parse_args(["--epoch", "2", "--epochs", "8"], env=self.ENV)

    def test_the_parser_is_built_from_the_declarations_and_only_from_them(self):
        declarations = hyperparameters.read_hyperparameter_declarations()
        parser = hyperparameters.build_parser(declarations, self.ENV)
        parser_options = {a.dest for a in parser._actions} - {"help", "hosts", "current_host", "model_dir",
                                                                     "data_dir", "num_gpus"}
        self.assertEqual(parser_options, {name.replace("-", "_") for name in declarations})
        defaults = hyperparameters.parse_args([], env=self.ENV)
        for name, spec in declarations.items():
            if spec["default"] is not None:
                with self.subTest(name=name):
                    self.assertEqual(getattr(defaults, name.replace("-", "_")), spec["default"])
        self.assertEqual((defaults.warmup, defaults.conv_dropout, type(defaults.conv_dropout)), (0.15, 0.0, float))

    def test_a_split_batch_needs_one_example_per_host(self):
        with self.assertRaisesRegex(hyperparameters.HyperparameterError, "--batch-size 1 is smaller than the 2 hosts"):
            hyperparameters.parse_args(["--batch-size", "1"], env=self.ENV)
        self.assertEqual(hyperparameters.parse_args(["--batch-size", "2"], env=self.ENV).batch_size, 2)

    def test_without_the_declarations_training_says_what_is_missing(self):
        with self.assertRaisesRegex(hyperparameters.HyperparameterError, "Cannot read the hyperparameter declarations .*hyperparameters.json"):
            hyperparameters.read_hyperparameter_declarations(tempfile.mkdtemp())


if __name__ == "__main__":
    unittest.main()
