"""The per-epoch test line and SageMaker's metric regexes: one declaration (metrics.json), tied here.

The stack's MetricDefinitions are metrics.json's (lib/mnist/mnist-constants.ts reads them; test/metric-definitions.test.ts
matches them, as JavaScript regexes, against the line formatted here)."""
import re
import string
import unittest

import support

from mnist_lib import logs

# Loss, correct, total, epoch: a typical line, a perfect score, a first epoch with a poor one.
SAMPLES = [(0.052349, 9839, 10000, 1), (0.0, 1996, 1996, 12), (2.302585, 0, 1996, 1), (12.5, 7, 9, 3)]


def field_specs(line_format):
    """{field name: format spec} of a str.format template."""
    return {name: spec for _, name, spec, _ in string.Formatter().parse(line_format) if name}


class TestLineAndMetricRegexesTest(unittest.TestCase):
    def test_every_metric_regex_reads_its_field_back_from_the_line_training_prints(self):
        declaration = logs.read_metric_declaration()
        specs = field_specs(declaration["testLine"])
        self.assertEqual(set(specs), {"loss", "correct", "total", "accuracy", "epoch"})
        for loss, correct, total, epoch in SAMPLES:
            line = logs.format_test_line(loss, correct, total, epoch)
            values = {"loss": loss, "correct": correct, "total": total, "accuracy": 100.0 * correct / total, "epoch": epoch}
            for metric in declaration["metricDefinitions"]:
                with self.subTest(line=line, metric=metric["name"]):
                    found = re.search(metric["regex"], line)
                    self.assertIsNotNone(found, "{} does not match {!r}".format(metric["regex"], line))
                    self.assertEqual(found.group(1), format(values[metric["field"]], specs[metric["field"]]))

    def test_the_stacks_loss_and_accuracy_metrics_are_declared(self):
        self.assertEqual([(m["name"], m["field"]) for m in support.METRIC_DEFINITIONS],
                         [("test:loss", "loss"), ("test:accuracy", "accuracy")])

    def test_the_line_keeps_the_articles_wording_that_local_mode_and_readers_know(self):
        self.assertEqual(logs.format_test_line(0.052349, 9839, 10000, 1),
                         "Test set: Average loss: 0.0523, Accuracy: 9839/10000 (98.39%), Epoch: 1")


if __name__ == "__main__":
    unittest.main()
