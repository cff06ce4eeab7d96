import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { bundledHandler } from '../common/bundled-handler';
import { OneStatementGrantee } from '../common/one-statement-grantee';
import { IServingEndpoint } from '../endpoints/serving-endpoint';
import { TEST_CASES_ENV } from '../../lambda/smoke-test/test-cases';
import { SmokeTestCases } from './smoke-test-cases';

/** Environment variables the construct sets itself; `revision` may not use them. */
const RESERVED_ENV = ['ENDPOINT_NAMES', 'ENDPOINT_CONFIGS', 'MIN_ACCURACY', 'NO_ENDPOINTS_REASON', 'STACK_ID', TEST_CASES_ENV];

export interface EndpointSmokeTestProps {
  /**
   * The endpoints to test; the function may invoke these and nothing else. Of each one with an
   * `endpointConfigName` the function first checks (DescribeEndpoint) that it serves that
   * configuration, and fails otherwise: an update that SageMaker rolled back (deployment
   * guardrails' auto-rollback) leaves the old configuration, and with it the old model, in service.
   */
  readonly endpoints: IServingEndpoint[];
  /**
   * Why `endpoints` is empty, when that is on purpose (e.g. the only endpoint is paused): the
   * function then exists with no invoke rights, is not run on deploy, and answers with this reason
   * instead of a report. Without it an empty `endpoints` is an error.
   */
  readonly noEndpointsReason?: string;
  /**
   * What to send and the labels to expect, e.g. `SmokeTestCases.fromFile('smoke-test-cases.json')`.
   * @default SmokeTestCases.mnistDigits() - the bundled held-out MNIST digits
   */
  readonly testCases?: SmokeTestCases;
  /** Fraction 0..1 of test cases (digits) each endpoint must answer right, per content type. @default 0.9 */
  readonly minAccuracy?: number;
  /** Run during deployment (a failure fails the deploy) after everything in `executeAfter`. @default true */
  readonly runOnDeploy?: boolean;
  /** Constructs that must be deployed first, typically the endpoints. */
  readonly executeAfter?: Construct[];
  /**
   * Values that identify what is served (e.g. the model name and artifact URL). They go into the
   * function's environment, so a new model changes the function's configuration and the trigger
   * runs again, even though the endpoint names stay the same.
   */
  readonly revision?: Record<string, string>;
  /**
   * A value known only at deploy time that changes whenever what is served changes without a
   * change in the template (e.g. the registry version a promotion pointer names). It becomes the
   * published version's description: a new value publishes a new function version, with the new
   * endpoint configurations in its environment, and the trigger runs it.
   * @default - only `revision` and the function's code publish a new version
   */
  readonly deployTimeRevision?: string;
  /** Lambda timeout, sized for serverless cold starts and retries. @default 10 minutes */
  readonly timeout?: Duration;
  /**
   * A TypeScript handler to bundle instead of the shipped one (needs esbuild where the app synthesizes).
   * @default the shipped smoke-test handler (lambda/smoke-test/index.ts, prebuilt in the package)
   */
  readonly entry?: string;
}

/**
 * A Lambda that sends test cases with known labels (`testCases`: the model's own, or the bundled
 * MNIST digits) to endpoints and fails unless they answer right; optionally run during `cdk deploy` through a `triggers.Trigger`. While its stack is rolling
 * back (DescribeStacks on its own stack) it sends nothing and passes, so a rollback never fails on it.
 */
export class EndpointSmokeTest extends Construct {
  public readonly function: lambda.Function;
  public readonly trigger?: triggers.Trigger;

  constructor(scope: Construct, id: string, props: EndpointSmokeTestProps) {
    super(scope, id);
    const nothingToTest = props.endpoints.length === 0;
    if (nothingToTest && !props.noEndpointsReason?.trim()) {
      throw new Error('EndpointSmokeTest needs at least one endpoint, or noEndpointsReason to say why there is none');
    }
    if (!nothingToTest && props.noEndpointsReason !== undefined) {
      throw new Error('EndpointSmokeTest: noEndpointsReason is only for an empty endpoints list');
    }
    const minAccuracy = props.minAccuracy ?? 0.9;
    if (!(minAccuracy >= 0 && minAccuracy <= 1)) throw new Error(`minAccuracy must be a fraction from 0 to 1, got ${minAccuracy}`);
    for (const key of Object.keys(props.revision ?? {})) {
      if (!/^[A-Z][A-Z0-9_]*$/.test(key) || RESERVED_ENV.includes(key)) {
        throw new Error(`revision key '${key}' must be an UPPER_SNAKE environment variable name other than ${RESERVED_ENV.join(', ')}`);
      }
    }
    if (props.endpoints.some((e) => !Token.isUnresolved(e.endpointName) && e.endpointName.includes(','))) {
      throw new Error('endpoint names cannot contain commas (ENDPOINT_NAMES is comma-separated)');
    }
    // ENDPOINT_CONFIGS is comma-separated name=config pairs; SageMaker names never hold ',', '=' or spaces.
    const configChecked = props.endpoints.filter((e) => e.endpointConfigName !== undefined);
    for (const e of configChecked) {
      for (const [what, value] of [['endpoint name', e.endpointName], ['endpointConfigName', e.endpointConfigName!]]) {
        if (!Token.isUnresolved(value) && !/^[^,=\s]+$/.test(value)) {
          throw new Error(`${what} '${value}' cannot be empty or contain ',', '=' or spaces (ENDPOINT_CONFIGS holds comma-separated name=config pairs)`);
        }
      }
    }
    const timeout = props.timeout ?? Duration.minutes(10);

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Smoke test: check what the tested endpoints serve, invoke them, read its own stack\'s status and write its own log group',
    });
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));
    if (!nothingToTest) {
      // Each endpoint grants invoke on itself; gathered into one statement naming every tested endpoint.
      const invokers = new OneStatementGrantee(role, new iam.PolicyStatement({ sid: 'InvokeTestedEndpoints', actions: ['sagemaker:InvokeEndpoint'] }));
      for (const endpoint of props.endpoints) endpoint.grantInvoke(invokers);
    }
    if (!nothingToTest) {
      // The trigger also runs during CloudFormation's rollback of a failed update; the function asks
      // its own stack (and no other) whether it is rolling back, and then tests nothing.
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'ReadOwnStackStatus',
        actions: ['cloudformation:DescribeStacks'],
        resources: [Stack.of(this).stackId],
      }));
    }
    if (configChecked.length > 0) {
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'DescribeTestedEndpoints',
        actions: ['sagemaker:DescribeEndpoint'],
        resources: configChecked.map((e) => e.endpointArn),
      }));
    }

    this.function = bundledHandler(this, 'Function', {
      handler: 'smoke-test',
      entry: props.entry,
      memorySize: 512,
      timeout,
      role,
      logGroup,
      description: 'Sends labelled inputs to SageMaker endpoints and fails unless they answer right',
      environment: {
        ENDPOINT_NAMES: props.endpoints.map((e) => e.endpointName).join(','),
        ...(configChecked.length > 0 ? { ENDPOINT_CONFIGS: configChecked.map((e) => `${e.endpointName}=${e.endpointConfigName}`).join(',') } : {}),
        MIN_ACCURACY: String(minAccuracy),
        ...(nothingToTest ? { NO_ENDPOINTS_REASON: props.noEndpointsReason!.trim() } : { STACK_ID: Stack.of(this).stackId }),
        ...(props.testCases ?? SmokeTestCases.mnistDigits()).environment,
        ...props.revision,
      },
    });
    if (props.deployTimeRevision !== undefined) {
      // AWS::Lambda::Version replaces itself (publishes anew) when its Description changes.
      (this.function.currentVersion.node.defaultChild as lambda.CfnVersion).description = `Smoke test of ${props.deployTimeRevision}`;
    }
    // With nothing to test there is nothing to run on deploy; the function stays for callers such as a pipeline step.
    if ((props.runOnDeploy ?? true) && !nothingToTest) {
      this.trigger = new triggers.Trigger(this, 'Trigger', {
        handler: this.function,
        timeout,
        invocationType: triggers.InvocationType.REQUEST_RESPONSE,
        executeOnHandlerChange: true,
        executeAfter: props.executeAfter,
      });
    }
  }
}
