/** MNIST specifics of this app (not settings: changing them needs code changes elsewhere). */
import * as path from 'path';
import { readMetricDefinitions } from '../settings/metric-declarations';

export const MNIST = Object.freeze({
  modelCodeDirectory: path.join(__dirname, '..', '..', 'model-code'),
  entryPoint: 'mnist.py',
  /** The entry point's hyperparameters, declared beside it (it builds its parser from them; synth checks against them). */
  hyperparameterDeclarations: 'hyperparameters.json',
  /** For local virtual environments only: shipped, it would make the training container run pip at start. */
  localOnlyFiles: ['requirements.txt'],
  jobNamePrefix: 'mnist',
  dataPrefix: 'mnist/data/',
  outputPrefix: 'mnist/output/',
  checkpointPrefix: 'mnist/checkpoints/',
  dataCapturePrefix: 'mnist/data-capture/',
  /** Model-quality reports the registry's versions reference. */
  registryReportPrefix: 'mnist/registry/',
  /** What mnist.py's inference reads and answers (model-code/mnist_lib/codec.py), as the registry records it. */
  contentTypes: ['application/json', 'application/x-npy'],
  sampleFiles: {
    bucketName: 'sagemaker-sample-files',
    prefix: 'datasets/image/MNIST/',
    keys: [
      'train-images-idx3-ubyte.gz',
      'train-labels-idx1-ubyte.gz',
      't10k-images-idx3-ubyte.gz',
      't10k-labels-idx1-ubyte.gz',
    ],
  },
  /** Read from mnist.py's per-epoch test line, declared with it in model-code/metrics.json (docs/model-code.md); accuracy is a percentage 0..100. */
  metricDefinitions: readMetricDefinitions(path.join(__dirname, '..', '..', 'model-code', 'metrics.json')),
  accuracyMetricName: 'test:accuracy',
});
