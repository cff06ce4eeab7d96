// `npm run predict`: calls a SageMaker endpoint (deployed, or local with --local URL) with MNIST
// digits or the user's own 28×28 PNG/IDX images and prints label and probability per image.
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SmokeContentType, argmax, encodeRequest, parseResponse } from '../../lambda/smoke-test/payload';
import { DEFAULT_ENDPOINT_NAME } from '../local/runtime-client';
import { HELP_OPTION, UsageError, oneOf, parseCommandLine, wholeNumber } from './cli';
import { PIXELS } from './packaged-mnist';
import { InvertMode, PredictInput, loadInputs } from './predict-inputs';

/** model-code/mnist_lib/inference.py's MAX_BATCH: a larger request is refused by the model, so refuse it here first. */
export const MODEL_MAX_BATCH = 1000;

export const USAGE = `Usage: npm run predict -- (--endpoint NAME | --local URL) [--region R] [--content-type npy|json]
                           [--count N] [--batch-size N] [--invert auto|yes|no] FILE...
FILE: a 28×28 PNG (gray, RGB or RGBA; a light background is inverted to MNIST's white-on-black
      unless --invert no), an MNIST IDX images file (.gz ok; --count N takes the first N; an IDX
      labels file right after it adds the true labels), or mnist:N (N held-out test digits).
--endpoint    the endpoint's name; with --local, the name the local server answers to
              (default ${DEFAULT_ENDPOINT_NAME}, as npm run local serves it without --endpoint-name)
--local URL   call a local server (npm run local -- --keep-serving) with dummy credentials.
--region R    the endpoint's AWS region (default: AWS_REGION or your AWS profile's region).
--batch-size  images per request, 1 to ${MODEL_MAX_BATCH} (the model's limit; default 16).`;

const CONTENT_TYPE: Record<string, SmokeContentType> = { npy: 'application/x-npy', json: 'application/json' };


const OPTIONS = {
  endpoint: { type: 'string' },
  local: { type: 'string' },
  region: { type: 'string' },
  'content-type': { type: 'string', default: 'npy' },
  count: { type: 'string' },
  'batch-size': { type: 'string', default: '16' },
  invert: { type: 'string', default: 'auto' },
  help: HELP_OPTION,
} as const;

/** The endpoint's answer without the server-side traceback the inference toolkit appends to model errors. */
function withoutTraceback(message: string): string {
  const at = message.indexOf('Traceback (most recent call last)');
  return at < 0 ? message : `${message.slice(0, at).trimEnd()} (the endpoint's log has the traceback)`;
}

/** The SDK's "Region is missing" and "Could not load credentials", said with the ways to fix them. */
function explainSdkError(error: Error): Error {
  if (/region is missing/i.test(error.message)) {
    return new UsageError('No AWS region: pass --region REGION (where the endpoint is, e.g. us-east-1) or set AWS_REGION.');
  }
  if (error.name === 'CredentialsProviderError') {
    // The SDK's generic "from any providers" adds nothing; a specific reason (an expired SSO session) does.
    const reason = /from any providers/i.test(error.message) ? '' : ` (${error.message.split('\n')[0]})`;
    return new UsageError(
      `No AWS credentials${reason}: run aws configure (access keys) or aws sso login (IAM Identity Center), or call a local server with --local URL.`,
    );
  }
  return error;
}

export interface Prediction {
  readonly input: PredictInput;
  readonly label: number;
  readonly probability: number;
}

/** Runs the command; returns the exit code. `out` gets the result lines, `err` the problems. */
export async function runPredict(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let client: SageMakerRuntimeClient | undefined;
  try {
    const { values, positionals } = parseCommandLine({ command: 'npm run predict', options: OPTIONS, allowPositionals: true }, argv);
    if (values.help) {
      out(USAGE);
      return 0;
    }
    const endpointName = values.endpoint ?? (values.local !== undefined ? DEFAULT_ENDPOINT_NAME : undefined);
    if (!endpointName) {
      throw new UsageError(
        'Missing --endpoint NAME: the SageMaker endpoint to call (or --local URL for a server started by npm run local -- --keep-serving).',
      );
    }
    const contentType = CONTENT_TYPE[oneOf('--content-type', values['content-type'], ['npy', 'json'])];
    const invert = oneOf('--invert', values.invert, ['auto', 'yes', 'no'] as const);
    if (values.local !== undefined && !/^https?:\/\/[^/]+/.test(values.local)) {
      throw new UsageError(`--local ${values.local} is not a URL: use e.g. --local http://127.0.0.1:8080`);
    }
    const batchSize = wholeNumber('--batch-size', values['batch-size'], { min: 1, max: MODEL_MAX_BATCH, why: 'the model refuses larger batches' })!;
    const inputs = loadInputs(positionals, { count: wholeNumber('--count', values.count, { min: 1 }), invert: invert satisfies InvertMode });

    client = new SageMakerRuntimeClient(
      values.local !== undefined
        ? { endpoint: values.local, region: values.region ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : { ...(values.region ? { region: values.region } : {}) },
    );
    const predictions: Prediction[] = [];
    for (let start = 0; start < inputs.length; start += batchSize) {
      const batch = inputs.slice(start, start + batchSize);
      const images = new Uint8Array(batch.length * PIXELS);
      batch.forEach((input, i) => images.set(input.pixels, i * PIXELS));
      const response = await client.send(
        new InvokeEndpointCommand({
          EndpointName: endpointName,
          ContentType: contentType,
          Accept: contentType,
          Body: encodeRequest(images, batch.length, contentType),
        }),
      );
      const rows = parseResponse(response.Body ?? new Uint8Array(), response.ContentType, batch.length);
      rows.forEach((row, i) => {
        const label = argmax(row);
        predictions.push({ input: batch[i], label, probability: row[label] });
      });
    }
    printPredictions(predictions, out);
    return 0;
  } catch (error) {
    const e = explainSdkError(error as Error) as Error & { $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
    const kind = e.name && e.name !== 'Error' && e.name !== 'UsageError' ? `${e.name}${status}: ` : '';
    err(`predict: ${kind}${withoutTraceback(e.message)}`);
    return 1;
  } finally {
    client?.destroy();
  }
}

function printPredictions(predictions: Prediction[], out: (line: string) => void): void {
  const width = Math.max(...predictions.map((p) => p.input.source.length));
  let known = 0;
  let correct = 0;
  for (const p of predictions) {
    let line = `${p.input.source.padEnd(width)}  label ${p.label}  p=${p.probability.toFixed(4)}`;
    if (p.input.label !== undefined) {
      known++;
      if (p.input.label === p.label) correct++;
      line += `  true ${p.input.label} ${p.input.label === p.label ? 'ok' : 'WRONG'}`;
    }
    out(line);
  }
  if (known > 0) out(`${correct}/${known} correct (${((100 * correct) / known).toFixed(1)}%) of the images with known labels`);
}
