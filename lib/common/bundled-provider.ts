import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

export interface BundledProviderOptions {
  /** The handler's TypeScript entry (exporting `handler`), bundled by esbuild with its SDK clients. */
  readonly entry: string;
  readonly timeout: Duration;
  /** @default 256 */
  readonly memorySize?: number;
}

export interface BundledProvider {
  readonly logGroup: logs.LogGroup;
  /** The handler's role: it may write the log group and nothing else until the caller grants more. */
  readonly role: iam.Role;
  readonly handler: nodejs.NodejsFunction;
  readonly provider: cr.Provider;
}

/**
 * The backend of a Provider-framework custom resource with one onEvent handler: a log group kept a
 * month, the handler's own role, the bundled handler, and the framework function with a role that
 * may only write that log group. Created in `scope` under the ids Logs, HandlerRole, Handler,
 * FrameworkRole and Provider.
 */
export function bundledProvider(scope: Construct, options: BundledProviderOptions): BundledProvider {
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    retention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new iam.Role(scope, 'HandlerRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  const handler = new nodejs.NodejsFunction(scope, 'Handler', {
    entry: options.entry,
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: options.memorySize ?? 256,
    timeout: options.timeout,
    role,
    logGroup,
    // WARNING: esbuild's default (info) prints each bundle's size and time on every synth.
    bundling: { externalModules: [], minify: true, sourceMap: false, logLevel: nodejs.LogLevel.WARNING },
  });
  const frameworkRole = new iam.Role(scope, 'FrameworkRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  frameworkRole.addToPolicy(
    new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
  );
  const provider = new cr.Provider(scope, 'Provider', { onEventHandler: handler, logGroup, frameworkOnEventRole: frameworkRole });
  return { logGroup, role, handler, provider };
}
