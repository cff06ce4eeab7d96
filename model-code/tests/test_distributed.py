"""Several hosts: the shard function, identical weights on every rank, bounded waits."""
import os
import signal
import tempfile
import time
import unittest

import support

from mnist_lib import distribution


class ShardTest(unittest.TestCase):
    """epoch_batches is what each rank trains on: checked for 2 and 3 ranks, several epochs and sizes."""

    CASES = [(8004, 32), (1001, 7), (100, 33), (64, 64), (10, 1000)]  # (examples, global batch)

    def test_every_epoch_the_ranks_shards_are_disjoint_and_cover_the_data_exactly_once(self):
        for world_size in (2, 3):
            for examples, batch_size in self.CASES:
                for epoch in (1, 2, 5):
                    with self.subTest(world_size=world_size, examples=examples, batch=batch_size, epoch=epoch):
                        shards = [distribution.epoch_shard(examples, epoch, 1, rank, world_size, batch_size).tolist()
                                  for rank in range(world_size)]
                        everything = sorted(i for shard in shards for i in shard)
                        self.assertEqual(everything, list(range(examples)), "each example once, none twice")
                        sizes = [len(s) for s in shards]
                        self.assertLessEqual(max(sizes) - min(sizes), world_size, sizes)

    def test_every_rank_takes_the_same_number_of_nonempty_steps(self):
        # One rank with an extra or an empty step would leave the others waiting in DDP's all-reduce.
        for world_size in (2, 3):
            for examples, batch_size in self.CASES:
                with self.subTest(world_size=world_size, examples=examples, batch=batch_size):
                    per_rank = [distribution.epoch_batches(examples, 1, 1, rank, world_size, batch_size)
                                for rank in range(world_size)]
                    self.assertEqual(len({len(batches) for batches in per_rank}), 1)
                    self.assertTrue(all(len(b) > 0 for batches in per_rank for b in batches))
                    global_sizes = [sum(len(b[step]) for b in per_rank) for step in range(len(per_rank[0]))]
                    self.assertTrue(all(size >= batch_size for size in global_sizes[:-1]) or len(global_sizes) == 1)

    def test_each_epoch_reshuffles_and_one_host_sees_the_same_order_as_many(self):
        first = distribution.epoch_shard(1001, 1, 1, 0, 1, 32)
        self.assertNotEqual(first.tolist(), distribution.epoch_shard(1001, 2, 1, 0, 1, 32).tolist())
        self.assertNotEqual(first.tolist(), sorted(first.tolist()))
        # Two hosts split each global batch of one host's run between them.
        one_host = distribution.epoch_batches(1001, 3, 1, 0, 1, 32)
        two_hosts = [distribution.epoch_batches(1001, 3, 1, rank, 2, 32) for rank in range(2)]
        for step, batch in enumerate(one_host):
            self.assertEqual(sorted(batch.tolist()), sorted(two_hosts[0][step].tolist() + two_hosts[1][step].tolist()))


class TwoHostsTest(unittest.TestCase):
    """The defaults and `--epochs 2` on two hosts (gloo on loopback) reach what one host reaches."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=support.shared_dir())
        cls.channel = support.real_digits()
        # Each host its own checkpoint folder, as each instance has its own /opt/ml/checkpoints.
        cls.checkpoints = {host: os.path.join(cls.tmp, "checkpoints", host) for host in ("algo-1", "algo-2")}
        cls.results = support.run_hosts(os.path.join(cls.tmp, "two"), cls.channel, support.DEFAULT_RECIPE, 2,
                                        host_env=lambda host: {"SM_CHECKPOINT_DIR": cls.checkpoints[host]})

    def test_both_hosts_succeed_and_report_the_same_global_score_of_at_least_97_percent(self):
        logs = [log for _, _, log in self.results]
        for layout, code, log in self.results:
            self.assertEqual(code, 0, log)
            self.assertIsNone(layout.failure)
        self.assertIn("backend gloo on 2 hosts, this is rank 0 (algo-1), master 127.0.0.1:", logs[0])
        self.assertIn("this is rank 1 (algo-2)", logs[1])
        self.assertEqual(support.logged_epochs(logs[0]), [1, 2])
        self.assertEqual(support.logged_accuracies(logs[0]), support.logged_accuracies(logs[1]))
        self.assertGreaterEqual(support.logged_accuracies(logs[0])[-1], 97.0, logs[0])
        # Each host trains on its half of the 8,004 digits: 251 steps of 16, the last one 4.
        for log in logs:
            self.assertIn("Train Epoch: 1 [1600/4002 (40%)] Loss:", log)

    def test_only_rank_0_writes_the_artifact_and_every_rank_ends_with_its_weights(self):
        (first, _, log0), (second, _, log1) = self.results
        self.assertEqual(sorted(os.listdir(first.model_dir)), ["code", "model.pth"])
        self.assertEqual(os.listdir(second.model_dir), [])
        saved = support.fingerprint(support.load_weights(first.model_dir))
        self.assertEqual(support.logged_fingerprints(log0), [("0", saved)])
        self.assertEqual(support.logged_fingerprints(log1), [("1", saved)])

    def test_only_rank_0_writes_checkpoints(self):
        # SageMaker uploads every instance's checkpoint folder to the same S3 prefix: a second writer
        # would race rank 0 for the same keys.
        self.assertEqual(sorted(os.listdir(self.checkpoints["algo-1"])),
                         ["checkpoint-epoch-0001.pt", "checkpoint-epoch-0002.pt"])
        second = self.checkpoints["algo-2"]
        self.assertEqual(os.listdir(second) if os.path.isdir(second) else [], [])
        self.assertNotIn("Checkpoint saved", self.results[1][2])

    def test_two_hosts_score_like_one(self):
        _, _, one_host_log = support.default_run()
        one_host = support.logged_accuracies(one_host_log)[-1]
        two_hosts = support.logged_accuracies(self.results[0][2])[-1]
        self.assertLess(abs(two_hosts - one_host), 1.0, "two hosts {} vs one host {}".format(two_hosts, one_host))


class ThreeHostsTest(unittest.TestCase):
    def test_three_ranks_end_with_identical_weights(self):
        channel = support.real_digits(train=1500, test=300)
        root = tempfile.mkdtemp(dir=support.shared_dir())
        results = support.run_hosts(root, channel, ["--epochs", "1", "--batch-size", "30"], 3)
        for layout, code, log in results:
            self.assertEqual(code, 0, log)
        saved = support.fingerprint(support.load_weights(results[0][0].model_dir))
        self.assertEqual([support.logged_fingerprints(log) for _, _, log in results],
                         [[(str(rank), saved)] for rank in range(3)])
        # 1,500 digits in global batches of 30: 50 steps of 10 per host.
        for _, _, log in results:
            self.assertIn("Data: 1500 training and 300 test images", log)


class BoundedWaitTest(unittest.TestCase):
    """No wait is endless: a missing or dead host fails the others with a clear reason, quickly."""

    def test_a_host_that_never_comes_fails_the_meeting_within_the_timeout(self):
        channel = support.real_digits(train=1500, test=300)
        layout = support.SageMakerLayout(tempfile.mkdtemp(dir=support.shared_dir()), channel,
                                         host="algo-1", hosts=("algo-1", "algo-2"))
        started = time.monotonic()
        code, log = layout.run(["--epochs", "1", "--dist-timeout", "3"], timeout=60,
                               MASTER_ADDR="127.0.0.1", MASTER_PORT=str(support.free_port()))
        self.assertEqual(code, 1, log)
        self.assertLess(time.monotonic() - started, 45)
        self.assertRegex(layout.failure, r"^DistributedError: rank 0 could not meet the other 1 host\(s\) at "
                                         r"127\.0\.0\.1:\d+ within --dist-timeout 3 s")

    def test_a_host_killed_mid_training_fails_the_other_with_a_reason_and_no_process_is_left(self):
        channel = support.real_digits()
        hosts = ("algo-1", "algo-2")
        root = tempfile.mkdtemp(dir=support.shared_dir())
        layouts = [support.SageMakerLayout(root, channel, host=h, hosts=hosts) for h in hosts]
        env = dict(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(support.free_port()))
        args = ["--epochs", "2", "--log-interval", "20", "--dist-timeout", "20"]
        survivor, victim = [layout.start(args, **env) for layout in layouts]
        try:
            for line in victim.stdout:  # kill algo-2 once training is under way
                if line.startswith("Train Epoch: 1"):
                    break
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)
            started = time.monotonic()
            log, _ = survivor.communicate(timeout=90)
            self.assertLess(time.monotonic() - started, 60)
        finally:
            for process in (survivor, victim):
                if process.poll() is None:
                    process.kill()
                    process.wait()
                process.stdout.close()
        self.assertEqual(survivor.returncode, 1, log)
        self.assertRegex(layouts[0].failure, r"^DistributedError: another host failed or stopped answering "
                                             r"\(each wait is bounded by --dist-timeout 20 s\)")
        self.assertFalse(os.path.exists(os.path.join(layouts[0].model_dir, "model.pth")))


if __name__ == "__main__":
    unittest.main()
