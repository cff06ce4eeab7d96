import * as path from 'path';
import { exitOnSettingsError, SettingsError } from '../../lib/settings/settings-error';
import { runCdkAppOnce } from '../support/run-cdk-app';

// What a user sees from `cdk synth` with a bad setting: the CLI runs bin/app.ts with cdk.json's
// context plus every `-c key=value` (as strings) in CDK_CONTEXT_JSON, and shows its stderr.

const ROOT = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CDK_JSON_CONTEXT = require(path.join(ROOT, 'cdk.json')).context as Record<string, unknown>;

function runApp(cliContext: Record<string, string>) {
  return runCdkAppOnce({
    // As the CLI passes it, without Lambda bundling (templates only: faster, same errors).
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...cliContext },
    env: { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'us-east-1' },
  });
}

describe('a user mistake in a setting: exactly its message on stderr, exit code 1', () => {
  test.each([
    [
      'a value out of range',
      { trainingInstanceCount: '0' },
      'Invalid setting trainingInstanceCount=0: expected a whole number from 1 to 20. Set it in cdk.json "context" or with -c trainingInstanceCount=<value>.',
    ],
    [
      'a hyperparameter given as a setting (-c epochs=2)',
      { epochs: '2' },
      'epochs=2 is a hyperparameter of mnist.py, not a setting: pass -c hyperparameters=\'{"epochs":2}\' instead ' +
        '(merged over the defaults {"epochs":1,"backend":"gloo"}; in cdk.json: "hyperparameters" under "context").',
    ],
    [
      'a misspelt setting',
      { trainingInstanceCout: '1' },
      'Unknown setting trainingInstanceCout: did you mean trainingInstanceCount? (-c trainingInstanceCount=<value>; all settings: docs/configuration.md)',
    ],
    [
      'pipeline mode without its connection',
      { pipeline: 'true', repository: 'example-org/mnist-sagemaker-cdk', branch: 'main' },
      "Pipeline context 'connectionArn' is missing: with -c pipeline=true also pass -c connectionArn=<value> " +
        '(e.g. -c connectionArn=arn:aws:codeconnections:us-east-1:123456789012:connection/abcd1234-...) or set it under "context" in cdk.json.',
    ],
  ])('%s', (_, context, message) => {
    const run = runApp(context);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 1, stderr: `${message}\n` });
    expect(run.files.filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });

  test('an unrelated context key gets one line of its own and is no error (the bad value is)', () => {
    // A whole successful synth with an unrelated key (exit 0) runs in test/pipeline/app.test.ts.
    const run = runApp({ totallyUnrelatedKey: '1', trainingInstanceCount: '0' });
    expect(run.status).toBe(1);
    // cdk.json's feature flags and the CLI's aws:cdk:* keys are the CDK's own: no line for them.
    expect(run.stderr).toBe(
      'Ignoring -c totallyUnrelatedKey: not a setting of this app (all settings: docs/configuration.md).\n' +
        'Invalid setting trainingInstanceCount=0: expected a whole number from 1 to 20. Set it in cdk.json "context" or with -c trainingInstanceCount=<value>.\n',
    );
  });
});

describe('exitOnSettingsError', () => {
  function io() {
    const written: string[] = [];
    const exits: number[] = [];
    return {
      written,
      exits,
      io: {
        writeError: (text: string) => { written.push(text); },
        exit: ((code: number) => { exits.push(code); return undefined as never; }),
      },
    };
  }

  test('a SettingsError: its message alone, then exit code 1', () => {
    const t = io();
    exitOnSettingsError(() => { throw new SettingsError('Invalid setting x=1: expected y.'); }, t.io);
    expect(t.written).toEqual(['Invalid setting x=1: expected y.\n']);
    expect(t.exits).toEqual([1]);
  });

  test('any other error is a bug: it propagates (with its stack) and nothing is printed here', () => {
    const t = io();
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    expect(() => exitOnSettingsError(() => { throw bug; }, t.io)).toThrow(bug);
    expect(t.written).toEqual([]);
    expect(t.exits).toEqual([]);
  });

  test('no error: no output, no exit', () => {
    const t = io();
    exitOnSettingsError(() => undefined, t.io);
    expect([t.written, t.exits]).toEqual([[], []]);
  });
});

describe('a hyperparameter mnist.py would refuse, or an instance type SageMaker does not have, stops synth in one line', () => {
  const setIt = (name: string) => `Set it in "hyperparameters" in cdk.json "context" or with -c hyperparameters='{"${name}":<value>}'.`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = `@aws-sdk/client-sagemaker ${require('@aws-sdk/client-sagemaker/package.json').version}`;
  test.each([
    [{ hyperparameters: '{"epoch":2}' }, 'Unknown hyperparameter epoch: did you mean epochs? (-c hyperparameters=\'{"epochs":2}\'; all hyperparameters: docs/model-code.md#hyperparameters)'],
    [{ hyperparameters: '{"epochs":"two"}' }, `Invalid hyperparameter epochs="two": expected a whole number >= 1. ${setIt('epochs')}`],
    [{ hyperparameters: '{"lr":"fast"}' }, `Invalid hyperparameter lr="fast": expected a number > 0. ${setIt('lr')}`],
    [{ hyperparameters: '{"epochs":0}' }, `Invalid hyperparameter epochs=0: expected a whole number >= 1. ${setIt('epochs')}`],
    [{ hyperparameters: '{"optimizer":"adamw"}' }, `Invalid hyperparameter optimizer="adamw": expected one of adam, sgd. ${setIt('optimizer')}`],
    [
      { trainingInstanceType: 'ml.c5.2xl' },
      'Invalid setting trainingInstanceType=ml.c5.2xl: SageMaker has no such instance type for training; did you mean ml.c5.2xlarge? ' +
        `Set it with -c trainingInstanceType=<value>; for a type newer than ${sdk}, update it or add -c allowUnlistedInstanceTypes=true.`,
    ],
  ])('%j', (context, message) => {
    const run = runApp(context);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 1, stderr: `${message}\n` });
    expect(run.files.filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });
});

describe('settings that synthesized silently before (issue 17 items 2, 4, 5; issue 16 defect 6): one line, exit code 1', () => {
  const oneInstance = 'on 1 instance no canary is both a whole instance and at most 50%';
  test.each<[string, Record<string, string>, string]>([
    ...['yes', '1', 'True'].map((value): [string, Record<string, string>, string] => [
      `-c pipeline=${value}, which built the standalone stack (a billed endpoint) before`,
      { pipeline: value },
      `Invalid setting pipeline=${value}: expected true or false. Set it in cdk.json "context" or with -c pipeline=<value>.`,
    ]),
    [
      'a step size no rollout takes, with the default all-at-once',
      { rolloutStepSize: '60%' },
      'Invalid setting rolloutStepSize=60%: no rollout takes it (a canary is 1% to 50% of the fleet, a linear step 10% to 50%); use e.g. -c rolloutStepSize=25%.',
    ],
    [
      'a bare 60 on canary: instances, and 60% would not do either',
      { rollout: 'canary', rolloutStepSize: '60' },
      'Invalid setting rolloutStepSize=60 for rollout=canary: a canary is at most 50% of the fleet, and 60 instances are 6000% of realtimeInstanceCount=1 ' +
        `(a number without % counts instances; 60% would not do either: a canary is 1% to 50% of the fleet); ${oneInstance}: ` +
        'use -c realtimeInstanceCount=2 -c realtimeMaxInstanceCount=2 -c rolloutStepSize=50%, or -c rollout=all-at-once.',
    ],
    [
      'a canary of the default 25% on the default single instance',
      { rollout: 'canary' },
      `Invalid setting rolloutStepSize=25% for rollout=canary: 25% of realtimeInstanceCount=1 is less than one whole instance; ${oneInstance}: ` +
        'use -c realtimeInstanceCount=4 -c realtimeMaxInstanceCount=4, or -c realtimeInstanceCount=2 -c realtimeMaxInstanceCount=2 -c rolloutStepSize=50%, or -c rollout=all-at-once.',
    ],
    [
      'a linear step of one instance that autoscaling to 20 makes 5%',
      { rollout: 'linear', rolloutStepSize: '1', realtimeInstanceCount: '2', realtimeMaxInstanceCount: '20' },
      'Invalid setting rolloutStepSize=1 for rollout=linear: a linear step is at least 10% of the fleet, and 1 instance is 5% of realtimeMaxInstanceCount=20 ' +
        '(autoscaling keeps the live count); use -c rolloutStepSize=50%.',
    ],
    [
      'an S3 prefix whose bucket name S3 does not allow',
      { dataSource: 's3', dataS3Uri: 's3://b/p/' },
      'Invalid setting dataS3Uri=s3://b/p/: b is not a valid S3 bucket name: it is 1 character long (S3 bucket names are 3 to 63 lowercase letters, digits, ' +
        "dots and hyphens, starting and ending with a letter or digit); give the data's bucket and prefix, e.g. s3://my-bucket/mnist/. " +
        'Set it in cdk.json "context" or with -c dataS3Uri=<value>.',
    ],
  ])('%s', (_, context, message) => {
    const run = runApp(context);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 1, stderr: `${message}\n` });
    expect(run.files.filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });

  test('pipeline keys without pipeline=true, and a step size all-at-once ignores: one warning line each, and the stack synthesizes', () => {
    const run = runApp({
      connectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/abcd1234-ab12-cd34-ef56-abcdef123456',
      repository: 'example-org/mnist-sagemaker-cdk',
      rolloutStepSize: '10%',
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({
      status: 0,
      stderr:
        'Ignoring -c connectionArn, -c repository: they configure the pipeline, built only with -c pipeline=true; this synth builds the standalone stack MnistSageMaker.\n' +
        'Setting rolloutStepSize=10% has no effect with rollout=all-at-once (it shapes canary and linear rollouts): set -c rollout=canary or -c rollout=linear, or leave it out.\n',
    });
    expect(run.files).toContain('MnistSageMaker.template.json');
  });
});
