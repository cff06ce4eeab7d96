// One declaration of mnist.py's hyperparameters (model-code/hyperparameters.json), read by mnist.py's
// parser and by the synth/local check: the real parser and the check must agree on every value, as
// the training toolkit would pass it; the docs must say what the declaration and the rule say.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { encodeHyperparameters, HyperparameterValue, SAFE_VALUE_CHARACTERS } from '../lambda/training-job/hyperparameters';
import { MNIST } from '../lib/mnist/mnist-constants';
import { mnistHyperparameters } from '../lib/mnist/mnist-hyperparameters';
import { HyperparameterHelp, hyperparameterProblem } from '../lib/settings/hyperparameter-declarations';
import { toolkitArguments } from '../scripts/local/hyperparameters';

const ROOT = path.join(__dirname, '..');
const HELP: HyperparameterHelp = { renamed: () => 'renamed', setIt: () => 'set it', documentation: 'docs' };

/** Values as a user writes them, and the number of hosts: accepted or refused alike by both sides. */
const CASES: Array<[Record<string, HyperparameterValue>, number]> = [
  [{ epochs: 2, backend: 'gloo' }, 1], [{ epochs: 0 }, 1], [{ epochs: -1 }, 1], [{ epochs: 'two' }, 1], [{ epochs: 2.5 }, 1],
  [{ epochs: '2' }, 1], [{ epochs: '+3' }, 1], [{ epochs: '1_0' }, 1], [{ epochs: '1__0' }, 1], [{ epochs: true }, 1],
  [{ lr: 'fast' }, 1], [{ lr: 0 }, 1], [{ lr: 0.00001 }, 1], [{ lr: '1e-3' }, 1], [{ lr: '1E-3' }, 1], [{ lr: 'inf' }, 1], [{ lr: 'nan' }, 1],
  [{ lr: '.5' }, 1], [{ lr: '5.' }, 1], [{ lr: '.' }, 1], [{ lr: true }, 1], [{ lr: -1 }, 1], [{ lr: 1e-300 }, 1],
  [{ momentum: 1 }, 1], [{ momentum: 0.99 }, 1], [{ momentum: 0 }, 1], [{ warmup: '0.15' }, 1], [{ warmup: -0.1 }, 1],
  [{ 'augment-shift': 4 }, 1], [{ 'augment-shift': 5 }, 1], [{ 'augment-shift': -1 }, 1],
  [{ seed: 0 }, 1], [{ seed: -1 }, 1], [{ seed: 4294967295 }, 1], [{ seed: 4294967296 }, 1],
  [{ optimizer: 'adamw' }, 1], [{ optimizer: 'sgd' }, 1], [{ optimizer: 'SGD' }, 1], [{ backend: 'nccl' }, 1], [{ backend: 'mpi' }, 1],
  [{ 'lr-schedule': 'constant' }, 1], [{ 'lr-schedule': 'cosine' }, 1],
  [{ epoch: 2 }, 1], [{ optimiser: 'sgd' }, 1], [{ batch_size: 64 }, 1], [{ 'learning-rate': 0.1 }, 1],
  [{ 'batch-size': 1 }, 2], [{ 'batch-size': 2 }, 2], [{ 'batch-size': 0 }, 1], [{ 'checkpoint-dir': '/tmp/x' }, 1],
  [{ 'conv-dropout': 0.5 }, 1], [{ 'fc-dropout': 1 }, 1], [{ 'dist-timeout': 0 }, 1], [{ 'test-batch-size': 1 }, 1], [{ 'log-interval': 0 }, 1],
];

/** mnist_lib.hyperparameters.parse_args (what mnist.py runs) on each case's command line as the toolkit builds it: null when it parses, else its refusal. */
function parsedByMnistPy(): Array<string | null> {
  const script = `
import json, sys
sys.path.insert(0, sys.argv[1])
from mnist_lib import hyperparameters
results = []
for args, hosts in json.loads(sys.argv[2]):
    env = {"SM_HOSTS": json.dumps(["algo-%d" % (i + 1) for i in range(hosts)]), "SM_CURRENT_HOST": "algo-1"}
    try:
        hyperparameters.parse_args(args, env)
        results.append(None)
    except hyperparameters.HyperparameterError as error:
        results.append(str(error))
print(json.dumps(results))
`;
  const commandLines = CASES.map(([values, hosts]) => [toolkitArguments(encodeHyperparameters(values)), hosts]);
  const output = execFileSync(path.join(ROOT, 'scripts', 'python.sh'), ['-c', script, MNIST.modelCodeDirectory, JSON.stringify(commandLines)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(output) as Array<string | null>;
}

test('mnist.py (its parser built from the declarations) and the synth check accept and refuse the same values', () => {
  const python = parsedByMnistPy();
  const disagreements = CASES.flatMap(([values, hosts], i) => {
    const check = hyperparameterProblem(mnistHyperparameters(), values, hosts, HELP);
    return (check === undefined) === (python[i] === null) ? [] : [{ values, hosts, check, python: python[i] }];
  });
  expect(disagreements).toEqual([]);
  // Both sides name a range the same way.
  const epochs = CASES.findIndex(([values]) => values.epochs === 0);
  expect(python[epochs]).toBe('--epochs must be a whole number >= 1, got 0.');
  expect(hyperparameterProblem(mnistHyperparameters(), { epochs: 0 }, 1, HELP)).toBe('Invalid hyperparameter epochs=0: expected a whole number >= 1. set it');
  // The cases cover every declared hyperparameter.
  expect(Object.keys(mnistHyperparameters()).filter((name) => !CASES.some(([values]) => name in values))).toEqual([]);
});

test('docs/model-code.md lists exactly the declared hyperparameters, each with its declared default', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'model-code.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Hyperparameters'), doc.indexOf('## Several hosts'));
  const rows = section.split('\n').filter((line) => /^\| `[a-z-]+`/.test(line));
  const documented = rows.map((row) => /^\| `([a-z-]+)`/.exec(row)![1]);
  const declared = mnistHyperparameters();
  expect([...documented].sort()).toEqual(Object.keys(declared).sort());
  for (const row of rows) {
    const [, name, defaultColumn] = /^\| `([a-z-]+)`[^|]*\| ([^|]*) \|/.exec(row)!;
    const value = declared[name].default;
    if (value !== null) expect({ name, defaultColumn }).toEqual({ name, defaultColumn: expect.stringContaining(String(value)) });
  }
});

test('every doc that says which characters a hyperparameter string may hold says the one rule of the code', () => {
  const rule = `letters, digits and \`${SAFE_VALUE_CHARACTERS.replace('letters, digits and ', '')}\``;
  const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))];
  const statements = docs.flatMap((file) => {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/\s+/g, ' ');
    return [...text.matchAll(/letters, digits and `[^`]*`|A-Za-z0-9[^`\s]*/g)].map((m) => ({ file, says: m[0] }));
  });
  expect(statements.filter((s) => s.says !== rule)).toEqual([]);
  expect([...new Set(statements.map((s) => s.file))].sort()).toEqual(
    ['README.md', 'docs/configuration.md', 'docs/model-code.md', 'docs/training-job.md'].map((f) => f.replace('/', path.sep)).sort(),
  );
});
