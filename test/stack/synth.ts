import * as fs from 'fs';
import * as path from 'path';
import { App, Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MnistSettingsOverrides } from '../../lib/config';
import { MnistSageMakerStack } from '../../lib/mnist-stack';

/** The feature flags (and defaults) of cdk.json, so tests synthesize what `cdk synth` does. */
export function projectContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context;
}

export interface SynthOptions {
  readonly settings?: MnistSettingsOverrides;
  /** Extra context, e.g. settings as `-c` would pass them (strings). */
  readonly context?: Record<string, unknown>;
  readonly env?: Environment;
  /** Run esbuild for the Lambda handlers (slow); otherwise assets are staged without bundling. */
  readonly bundle?: boolean;
  readonly app?: App;
}

export function newApp(options: SynthOptions = {}): App {
  return new App({
    context: {
      ...projectContext(),
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
}

export function synthMnist(options: SynthOptions = {}): { stack: MnistSageMakerStack; template: Template } {
  const app = options.app ?? newApp(options);
  const stack = new MnistSageMakerStack(app, 'Mnist', { settings: options.settings, env: options.env });
  return { stack, template: Template.fromStack(stack) };
}
