// The training job's metric definitions and the line mnist.py prints are one declaration
// (model-code/metrics.json), read by both sides: here the stack's regexes, as JavaScript reads
// them, must read the right values from the line mnist.py's own code formats (and local mode's
// reader too). model-code/tests/test_metrics.py checks the same from Python.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MNIST } from '../lib/mnist/mnist-constants';
import { readMetricDefinitions } from '../lib/settings/metric-declarations';
import { parseTestLine } from '../scripts/local/train';
import { projectPython } from './support/project-python';

const MODEL_CODE = path.join(__dirname, '..', 'model-code');

/** The per-epoch line for these numbers, formatted by mnist.py's package. */
function printedLine(loss: number, correct: number, total: number, epoch: number): string {
  return execFileSync(projectPython(), ['-I', '-c', [
    'import sys',
    'sys.path.insert(0, sys.argv[1])',
    'from mnist_lib.logs import format_test_line',
    'print(format_test_line(float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))',
  ].join('\n'), MODEL_CODE, String(loss), String(correct), String(total), String(epoch)], { encoding: 'utf8' }).trim();
}

test("the stack's metric definitions are model-code/metrics.json's", () => {
  expect(MNIST.metricDefinitions).toEqual(readMetricDefinitions(path.join(MODEL_CODE, 'metrics.json')));
  expect(MNIST.metricDefinitions.map((m) => m.name)).toEqual(['test:loss', MNIST.accuracyMetricName]);
});

test('each metric regex reads its value from the line mnist.py prints, and so does local mode', () => {
  const line = printedLine(0.052349, 9839, 10000, 4);
  expect(line).toBe('Test set: Average loss: 0.0523, Accuracy: 9839/10000 (98.39%), Epoch: 4');
  const read = Object.fromEntries(MNIST.metricDefinitions.map((m) => [m.name, new RegExp(m.regex).exec(line)?.[1]]));
  expect(read).toEqual({ 'test:loss': '0.0523', 'test:accuracy': '98.39' });
  expect(parseTestLine(line, 1)).toEqual({ loss: 0.0523, correct: 9839, total: 10000, accuracy: 98.39, epoch: 4 });
});

test('a malformed declaration is named with its file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-'));
  const file = path.join(dir, 'metrics.json');
  try {
    fs.writeFileSync(file, JSON.stringify({ metricDefinitions: [{ name: 'test:loss' }] }));
    expect(() => readMetricDefinitions(file)).toThrow(`${file}: expected {"metricDefinitions": [{"name": …, "regex": …}, …]}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
