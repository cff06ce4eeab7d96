"""Managed spot training: checkpoints after every epoch, and a restarted job that resumes from them."""
import io
import os
import signal
import tempfile
import unittest

import numpy as np
import torch

import support

from mnist_lib import checkpoints, hyperparameters

mnist = support.import_script()

RECIPE = ["--epochs", "3", "--log-interval", "1000"]
CHANNEL = dict(train=2000, test=400)


class ResumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.channel = support.real_digits(**CHANNEL)
        cls.root = tempfile.mkdtemp(prefix="checkpoints-", dir=support.shared_dir())
        # Reference: the same 3 epochs uninterrupted, without a checkpoint folder.
        cls.reference = support.SageMakerLayout(os.path.join(cls.root, "reference"), cls.channel)
        code, cls.reference_log = cls.reference.run(RECIPE)
        assert code == 0, cls.reference_log

        # The spot job: killed right after it checkpointed epoch 1, as an interruption would.
        cls.checkpoints = os.path.join(cls.root, "checkpoints")
        cls.first = support.SageMakerLayout(os.path.join(cls.root, "first"), cls.channel)
        process = cls.first.start(RECIPE, SM_CHECKPOINT_DIR=cls.checkpoints)
        cls.first_log = ""
        try:
            for line in process.stdout:
                cls.first_log += line
                if line.startswith("Checkpoint saved:"):
                    process.send_signal(signal.SIGKILL)
                    break
            process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
        cls.after_kill = sorted(os.listdir(cls.checkpoints))
        # An interruption during the next save leaves a half-written file behind (as S3 sync may too).
        with open(os.path.join(cls.checkpoints, "checkpoint-epoch-0002.pt"), "wb") as f:
            f.write(b"PK\x03\x04 half a zip")

        # The restart: same folder, same hyperparameters.
        cls.second = support.SageMakerLayout(os.path.join(cls.root, "second"), cls.channel)
        code, cls.second_log = cls.second.run(RECIPE, SM_CHECKPOINT_DIR=cls.checkpoints)
        assert code == 0, cls.second_log

    def test_the_killed_run_checkpointed_epoch_1_only_and_left_no_model(self):
        self.assertEqual(support.logged_epochs(self.first_log), [1])
        self.assertIn("No checkpoint to resume from in {}: starting at epoch 1".format(self.checkpoints), self.first_log)
        self.assertEqual(self.after_kill, ["checkpoint-epoch-0001.pt"])
        self.assertFalse(os.path.exists(os.path.join(self.first.model_dir, "model.pth")))

    def test_the_restart_skips_the_broken_file_and_runs_epochs_2_and_3_only(self):
        self.assertRegex(self.second_log, r"Skipping checkpoint .*checkpoint-epoch-0002\.pt: unreadable")
        self.assertIn("checkpoint-epoch-0001.pt: epoch 1 of 3 done, continuing with epoch 2", self.second_log)
        self.assertEqual(support.logged_epochs(self.second_log), [2, 3])
        self.assertEqual(sorted(os.listdir(self.checkpoints)), ["checkpoint-epoch-0002.pt", "checkpoint-epoch-0003.pt"])

    def test_resuming_restores_weights_optimizer_schedule_and_random_draws_exactly(self):
        # Anything not restored (Adam's moments, the step of the schedule, the dropout RNG) changes the result.
        resumed = support.load_weights(self.second.model_dir)
        reference = support.load_weights(self.reference.model_dir)
        for name in reference:
            torch.testing.assert_close(resumed[name], reference[name], rtol=0, atol=1e-6, msg=name)
        self.assertEqual(support.logged_accuracies(self.second_log), support.logged_accuracies(self.reference_log)[1:])

    def test_the_resumed_model_serves(self):
        model = mnist.model_fn(self.second.model_dir)
        images, labels = support.held_out_digits(self.channel, 100)
        buffer = io.BytesIO()
        np.save(buffer, np.expand_dims(images.astype(np.float32), 1))
        body, _ = mnist.output_fn(mnist.predict_fn(mnist.input_fn(buffer.getvalue(), "application/x-npy"), model),
                                  "application/x-npy")
        probabilities = np.load(io.BytesIO(body))
        self.assertEqual(probabilities.shape, (100, 10))
        self.assertGreaterEqual((probabilities.argmax(axis=1) == labels).mean(), 0.85)


class CheckpointFilesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=support.shared_dir())
        self.recipe = {"epochs": 3}

    def checkpoint(self, epoch, **changes):
        optimizer = torch.optim.Adam([torch.nn.Parameter(torch.ones(2))], lr=0.003, betas=(0.9, 0.999))
        state = {"epoch": epoch, "step": 10 * epoch, "recipe": dict(self.recipe), "model": {"w": torch.ones(2)},
                 "optimizer": optimizer.state_dict(), "rng": [torch.get_rng_state()]}
        state.update(changes)
        return state

    def test_saving_renames_a_complete_file_and_keeps_the_newest_two(self):
        for epoch in (1, 2, 3):
            checkpoints.save_checkpoint(self.dir, self.checkpoint(epoch))
        self.assertEqual(sorted(os.listdir(self.dir)), ["checkpoint-epoch-0002.pt", "checkpoint-epoch-0003.pt"])
        path, state = checkpoints.newest_checkpoint(self.dir, self.recipe)
        self.assertEqual((os.path.basename(path), state["epoch"], state["step"]), ("checkpoint-epoch-0003.pt", 3, 30))
        self.assertEqual(state["optimizer"]["param_groups"][0]["lr"], 0.003)
        torch.testing.assert_close(state["rng"][0], torch.get_rng_state())

    def test_partial_corrupt_and_foreign_checkpoints_are_skipped_with_a_reason(self):
        checkpoints.save_checkpoint(self.dir, self.checkpoint(1))
        foreign = tempfile.mkdtemp(dir=self.dir)
        os.rename(checkpoints.save_checkpoint(foreign, self.checkpoint(2, recipe={"epochs": 5})),
                  os.path.join(self.dir, "checkpoint-epoch-0002.pt"))
        torch.save({"model": {}}, os.path.join(self.dir, "checkpoint-epoch-0003.pt"))
        with open(os.path.join(self.dir, "checkpoint-epoch-0004.pt"), "wb") as f:
            f.write(b"")
        with open(os.path.join(self.dir, "checkpoint-epoch-0005.pt.partial"), "wb") as f:
            f.write(b"junk")
        lines = []
        original = checkpoints.log_line
        checkpoints.log_line = lines.append
        try:
            path, state = checkpoints.newest_checkpoint(self.dir, self.recipe)
        finally:
            checkpoints.log_line = original
        self.assertEqual((os.path.basename(path), state["epoch"]), ("checkpoint-epoch-0001.pt", 1))
        self.assertEqual(len(lines), 3, lines)
        self.assertRegex(lines[0], r"Skipping checkpoint .*0004\.pt: unreadable")
        self.assertRegex(lines[1], r"Skipping checkpoint .*0003\.pt: unreadable \(ValueError: it lacks meta, optimizer_state, "
                                   r"rng\)")
        self.assertRegex(lines[2], r"Skipping checkpoint .*0002\.pt: written with other hyperparameters \(epochs\)")

    def test_an_empty_or_missing_folder_has_nothing_to_resume(self):
        self.assertEqual(checkpoints.newest_checkpoint(self.dir, self.recipe), (None, None))
        self.assertEqual(checkpoints.newest_checkpoint(os.path.join(self.dir, "absent"), self.recipe), (None, None))

    def test_the_folder_comes_from_sm_checkpoint_dir_or_sagemakers_default_and_is_off_otherwise(self):
        self.assertEqual(hyperparameters.parse_args([], {"SM_CHECKPOINT_DIR": "/ckpt"}).checkpoint_dir, "/ckpt")
        self.assertEqual(hyperparameters.parse_args(["--checkpoint-dir", "/mine"], {}).checkpoint_dir, "/mine")
        expected = "/opt/ml/checkpoints" if os.path.isdir("/opt/ml/checkpoints") else ""
        self.assertEqual(hyperparameters.parse_args([], {}).checkpoint_dir, expected)


if __name__ == "__main__":
    unittest.main()
