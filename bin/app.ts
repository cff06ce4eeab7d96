#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { checkContextKeys, settingsWarnings } from '../lib/settings';
import { mnistPipelineStages } from '../lib/mnist/mnist-stage';
import { MnistSageMakerStack } from '../lib/mnist/mnist-stack';
import { PIPELINE_CONTEXT, PipelineStack, pipelineRequested, readPipelineSource, readPipelineTargets } from '../lib/mnist/pipeline-stack';
import { exitOnSettingsError, SettingsError } from '../lib/settings/settings-error';

// A bad setting prints its one-line message and exits with 1; anything else is a bug and keeps its stack.
exitOnSettingsError(() => {
  const app = new App();
  // Context keys that are neither settings, pipeline keys nor the CDK's own are ignored, with one
  // line each: they may be meant for something else, but a typo of ours fails (did you mean).
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  for (const key of checkContextKeys(app.node.getAllContext(), Object.values(PIPELINE_CONTEXT))) {
    warn(`Ignoring -c ${key}: not a setting of this app (all settings: docs/configuration.md).`);
  }

  if (pipelineRequested(app.node)) {
    // -c pipeline=true -c connectionArn=… -c repository=owner/name -c branch=main:
    // a CDK Pipeline where dev trains, registers and tests the model, then, after a manual approval,
    // prod serves that registry version (-c prodAccount=… puts prod in its own account).
    const alarmEmail = app.node.tryGetContext('alarmEmail') as string | undefined;
    const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
    const targets = readPipelineTargets(app.node, env.account);
    // Dev is the pipeline's account: naming prod's names dev's too.
    const devAccount = targets.devAccount ?? (targets.prodAccount ? env.account : undefined);
    if (targets.prodAccount && !devAccount) {
      throw new SettingsError(`-c prodAccount=${targets.prodAccount} needs the pipeline's (dev's) account too: run with AWS credentials (the CLI sets CDK_DEFAULT_ACCOUNT) or add -c devAccount=<12 digits>.`);
    }
    // The pipeline re-synthesizes this app from the repository: pass on what is not in cdk.json.
    const synthContext: Record<string, string> = {
      ...(alarmEmail ? { alarmEmail } : {}),
      ...Object.fromEntries(Object.entries(targets).filter(([, value]) => value !== undefined).map(([key, value]) => [key, String(value)])),
    };
    new PipelineStack(app, 'MnistPipeline', {
      env,
      source: readPipelineSource(app.node),
      synthContext,
      stages: mnistPipelineStages({
        // Naming one account names both: prod's reads dev's promotion pointer by its ARN.
        devAccount,
        prodAccount: targets.prodAccount,
        prodModelVersion: targets.prodModelVersion,
        region: env.region,
      }),
    });
  } else {
    // The pipeline's source settings without pipeline=true: say so rather than build something else silently.
    const pipelineKeys = [PIPELINE_CONTEXT.connectionArn, PIPELINE_CONTEXT.repository, PIPELINE_CONTEXT.branch]
      .filter((key) => ![undefined, null, ''].includes(app.node.tryGetContext(key)));
    if (pipelineKeys.length > 0) {
      warn(`Ignoring ${pipelineKeys.map((key) => `-c ${key}`).join(', ')}: ${pipelineKeys.length === 1 ? 'it configures' : 'they configure'} the pipeline, built only with -c pipeline=true; this synth builds the standalone stack MnistSageMaker.`);
    }
    // No env: one region-agnostic template, deployable to whichever region the CLI profile points at.
    const stack = new MnistSageMakerStack(app, 'MnistSageMaker');
    for (const line of settingsWarnings(stack.settings)) warn(line);
  }
  // Synthesize here, not on exit, so that an error raised while synthesizing is reported the same way.
  app.synth();
});
