// `npm run predict`: calls a SageMaker endpoint (deployed, or local with --local URL) with MNIST
// digits or the user's own 28×28 PNG/IDX images and prints label and probability per image.
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { parseArgs } from 'util';
import { SmokeContentType, argmax, encodeRequest, parseResponse } from '../../lambda/smoke-test/payload';
import { PIXELS } from './packaged-mnist';
import { InvertMode, PredictInput, loadInputs } from './predict-inputs';

export const USAGE = `Usage: npm run predict -- --endpoint NAME [--local URL] [--region R] [--content-type npy|json]
                           [--count N] [--batch-size N] [--invert auto|yes|no] FILE...
FILE: a 28×28 PNG (gray, RGB or RGBA; a light background is inverted to MNIST's white-on-black
      unless --invert no), an MNIST IDX images file (.gz ok; --count N takes the first N; an IDX
      labels file right after it adds the true labels), or mnist:N (N held-out test digits).
--local URL   call a local server (npm run local -- --keep-serving) with dummy credentials.`;

const CONTENT_TYPE: Record<string, SmokeContentType> = { npy: 'application/x-npy', json: 'application/json' };

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} ${value} is not valid: use a whole number >= 1.`);
  return n;
}

export interface Prediction {
  readonly input: PredictInput;
  readonly label: number;
  readonly probability: number;
}

/** Runs the command; returns the exit code. `out` gets the result lines, `err` the problems. */
export async function runPredict(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        endpoint: { type: 'string' },
        local: { type: 'string' },
        region: { type: 'string' },
        'content-type': { type: 'string', default: 'npy' },
        count: { type: 'string' },
        'batch-size': { type: 'string', default: '16' },
        invert: { type: 'string', default: 'auto' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    err(`predict: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  let client: SageMakerRuntimeClient | undefined;
  try {
    if (!values.endpoint) throw new Error('Missing --endpoint NAME: the SageMaker endpoint to call (any name with --local).');
    const contentType = CONTENT_TYPE[values['content-type']!];
    if (!contentType) throw new Error(`--content-type ${values['content-type']} is not valid: use npy or json.`);
    if (!['auto', 'yes', 'no'].includes(values.invert!)) throw new Error(`--invert ${values.invert} is not valid: use auto, yes or no.`);
    if (values.local !== undefined && !/^https?:\/\/[^/]+/.test(values.local)) {
      throw new Error(`--local ${values.local} is not a URL: use e.g. --local http://127.0.0.1:8080`);
    }
    const batchSize = positiveInteger('batch-size', values['batch-size'])!;
    const inputs = loadInputs(positionals, { count: positiveInteger('count', values.count), invert: values.invert as InvertMode });

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
          EndpointName: values.endpoint,
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
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
    err(`predict: ${e.name && e.name !== 'Error' ? `${e.name}${status}: ` : ''}${e.message}`);
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
