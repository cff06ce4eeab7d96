import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * The Lambda handlers the constructs run: bundle folder name → TypeScript entry under `lambda/`.
 * `npm run build:package` pre-bundles each into `dist/lambda-bundles/<name>/index.js`.
 */
export const SHIPPED_HANDLERS = {
  'smoke-test': 'smoke-test/index.ts',
  's3-prefix-copy': 's3-prefix-copy/index.ts',
  'service-quota-check': 'service-quota-check/index.ts',
  'training-job-on-event': 'training-job/on-event.ts',
  'training-job-is-complete': 'training-job/is-complete.ts',
  'model-package-version': 'model-registry/model-package-version.ts',
  'approved-model-package': 'model-registry/approved-model-package.ts',
  'promotion-pointer': 'model-registry/promotion-pointer.ts',
} as const;

export type ShippedHandler = keyof typeof SHIPPED_HANDLERS;

/** The runtime every handler is bundled for: the prebuilt bundles target it too (node24). */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * esbuild's options for every handler, the same for the prebuilt bundles (scripts/build-package.ts
 * passes them to esbuild's API, which then writes the bytes `NodejsFunction` writes).
 */
export const HANDLER_BUNDLING = {
  // The AWS SDK v3 clients go into the bundle: the handler runs the SDK version this package was tested with.
  externalModules: [],
  minify: true,
  sourceMap: false,
  // WARNING: esbuild's default (info) prints each bundle's size and time on every synth.
  logLevel: nodejs.LogLevel.WARNING,
} satisfies nodejs.BundlingOptions;

export interface BundledHandlerProps {
  /** Which of the shipped handlers to run. */
  readonly handler: ShippedHandler;
  /**
   * A TypeScript entry (exporting `handler`) to bundle from source instead of the shipped handler;
   * bundling it needs esbuild (or Docker) where the app synthesizes.
   * @default the shipped handler
   */
  readonly entry?: string;
  readonly timeout: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  readonly role: iam.IRole;
  readonly logGroup: logs.ILogGroup;
  /** @default no description */
  readonly description?: string;
  /** @default no environment variables */
  readonly environment?: Record<string, string>;
}

/**
 * One shared set of Lambda defaults for every bundled handler (Node.js 24 on ARM, 256 MB unless
 * told, the caller's role and log group, esbuild with the SDK inside). From the compiled package,
 * where `npm run build:package` put a bundle folder two levels up, the code is that prebuilt bundle:
 * `NodejsFunction` inside a consumer's node_modules would look for a lock file from the consumer's
 * cwd and fall back to Docker without esbuild. From the sources (this repository, its tests and
 * `cdk synth`) it is a `NodejsFunction` that bundles the same entry with the same options.
 */
export function bundledHandler(scope: Construct, id: string, props: BundledHandlerProps): lambda.Function {
  const common = {
    runtime: HANDLER_RUNTIME,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 256,
    timeout: props.timeout,
    role: props.role,
    logGroup: props.logGroup,
    description: props.description,
    environment: props.environment,
  };
  const prebuilt = prebuiltBundle(props.handler);
  if (props.entry === undefined && prebuilt !== undefined) {
    return new lambda.Function(scope, id, { ...common, code: lambda.Code.fromAsset(prebuilt), handler: 'index.handler' });
  }
  return new nodejs.NodejsFunction(scope, id, {
    ...common,
    entry: props.entry ?? path.join(__dirname, '..', '..', 'lambda', SHIPPED_HANDLERS[props.handler]),
    handler: 'handler',
    bundling: HANDLER_BUNDLING,
  });
}

/** The prebuilt bundle's folder when running from the compiled package (dist/lib/common → dist/lambda-bundles). */
function prebuiltBundle(handler: ShippedHandler): string | undefined {
  const folder = path.join(__dirname, '..', '..', 'lambda-bundles', handler);
  return fs.existsSync(path.join(folder, 'index.js')) ? folder : undefined;
}
