import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { bundledHandler, ShippedHandler } from './bundled-handler';

export interface BundledProviderOptions {
  /** Which shipped handler answers onEvent (see bundledHandler). */
  readonly handler: ShippedHandler;
  readonly timeout: Duration;
  /** @default 256 */
  readonly memorySize?: number;
}

export interface BundledProvider {
  readonly logGroup: logs.LogGroup;
  /** The handler's role: it may write the log group and nothing else until the caller grants more. */
  readonly role: iam.Role;
  readonly handler: lambda.Function;
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
  const handler = bundledHandler(scope, 'Handler', {
    handler: options.handler,
    memorySize: options.memorySize,
    timeout: options.timeout,
    role,
    logGroup,
  });
  const frameworkRole = new iam.Role(scope, 'FrameworkRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  frameworkRole.addToPolicy(
    new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
  );
  const provider = new cr.Provider(scope, 'Provider', { onEventHandler: handler, logGroup, frameworkOnEventRole: frameworkRole });
  return { logGroup, role, handler, provider };
}
