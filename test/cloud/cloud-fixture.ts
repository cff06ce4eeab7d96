// One "deployment" of the synthesized app onto a moto server: the exact bundles `cdk synth` wrote,
// the template's custom-resource properties and IAM policies with their tokens resolved to moto's
// account and made-up physical names, the handlers' SDK clients pointed at moto through a
// recording proxy (test/support/recording-proxy.ts), and IAM users in moto that carry each
// handler role's policies.
//
// Moto does not model, so this fixture adds (each an amendment of moto's answer, by the proxy):
// - training metrics: moto reports one fixed `train:progress` metric for every job; the proxy
//   reports the metrics our script would print (FinalMetricDataList) instead.
// - S3's rule that a HEAD of a missing key answers 403 unless the caller may s3:ListBucket that
//   key's prefix: moto answers 404 to anyone allowed s3:GetObject. The proxy evaluates the
//   caller's policies with iam-simulate and turns the 404 into 403 where AWS would.
// - running jobs and StopTrainingJob: moto's jobs are Completed the moment they are created and it
//   has no StopTrainingJob; keepRunning() makes a job InProgress → (Stop) → Stopping → Stopped.
//   Failures and timeouts stay on our stateful fake (test/training-job/lifecycle.test.ts).
import * as crypto from 'crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { CfnResolver, PolicyDocument, rolePolicies } from '../support/cfn-resolve';
import { customResourceEvent } from '../support/custom-resource-event';
import { decide, Principal, withoutStatements } from '../support/iam-simulation';
import { MOTO_ACCOUNT, MotoServer } from '../support/moto-server';
import { Answer, RecordingProxy } from '../support/recording-proxy';
import {
  customResourceHandlers, functionBundle, functionRole, onlyResource, SynthesizedApp, synthesizedApp, triggerFunction,
} from '../support/synthesized-app';

export const REGION = 'eu-west-1';
export const ACCOUNT = MOTO_ACCOUNT;
export const PARTITION = 'aws';
/** What the proxy reports as a job's final metrics (moto has none of ours). */
export const REPORTED_METRICS: Record<string, number> = { 'test:accuracy': 98.5, 'test:loss': 0.0512 };

type Handler = (event: unknown, context?: unknown) => Promise<Record<string, unknown>>;
export type Properties = Record<string, unknown>;

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Custom-resource properties as CloudFormation delivers them: every scalar a string. */
export function asDelivered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asDelivered);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asDelivered(v)]));
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

export class CloudRun {
  readonly resolver: CfnResolver;
  readonly admin: { s3: S3Client; sagemaker: SageMakerClient };
  readonly logs: string[] = [];
  private readonly principals = new Map<string, Principal>();
  private readonly handlers = new Map<string, Handler>();
  private readonly running = new Map<string, 'InProgress' | 'Stopping' | 'Stopped'>();

  private constructor(
    readonly app: SynthesizedApp,
    readonly moto: MotoServer,
    readonly proxy: RecordingProxy,
    readonly adminCredentials: Credentials,
    readonly values: Record<string, string>,
  ) {
    this.resolver = new CfnResolver(app.template, { account: ACCOUNT, region: REGION, values });
    const client = { region: REGION, endpoint: moto.url, credentials: adminCredentials };
    this.admin = { s3: new S3Client({ ...client, forcePathStyle: true }), sagemaker: new SageMakerClient(client) };
  }

  /**
   * Starts moto, synthesizes (or reuses the cached synthesis) meanwhile, and puts the proxy in front.
   * `synthesize`: the app to deploy, when a suite brings its own small stack (default: the MNIST app).
   */
  static async start(synthesize: () => SynthesizedApp = synthesizedApp): Promise<CloudRun> {
    const starting = MotoServer.launch();
    let app: SynthesizedApp;
    try {
      app = synthesize();
    } catch (error) {
      await starting.ready(10_000).then((m) => m.stop(), () => undefined);
      throw error;
    }
    const moto = await starting.ready();
    const values: Record<string, string> = {};
    const created: { run?: CloudRun } = {};
    const proxy = new RecordingProxy(moto.url, { amend: (call, answer) => created.run!.amend(call, answer) });
    await proxy.start();
    const admin = await createIamUser(moto.url, 'moto-admin', [{ name: 'all', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }]);
    created.run = new CloudRun(app, moto, proxy, admin, values);
    return created.run;
  }

  async stop(): Promise<void> {
    this.admin.s3.destroy();
    this.admin.sagemaker.destroy();
    await this.proxy.stop();
    await this.moto.stop();
  }

  /** Sets a Ref/GetAtt value the resolver cannot know (e.g. an attribute a custom resource returned). */
  setValue(name: string, value: string): void {
    this.values[name] = value;
  }

  /** The resolved properties of the one resource of `type`, as CloudFormation delivers them. */
  properties(type: string): Properties {
    const [, resource] = onlyResource(this.app.template, type);
    return asDelivered(this.resolver.resolve(resource.Properties)) as Properties;
  }

  logicalId(type: string): string {
    return onlyResource(this.app.template, type)[0];
  }

  /** The principal a function's role is, with the role's resolved policies. */
  principalOf(functionId: string): Principal {
    const roleId = functionRole(this.app.template, functionId);
    return this.rolePrincipal(roleId);
  }

  rolePrincipal(roleId: string): Principal {
    return {
      name: roleId,
      arn: this.resolver.arnOf(roleId),
      account: ACCOUNT,
      policies: rolePolicies(this.app.template, this.resolver, roleId),
    };
  }

  /**
   * A moto IAM user with the policies of `functionId`'s role (less the statements `drop` selects):
   * the credentials that function runs with.
   */
  async credentialsFor(functionId: string, drop?: (sid: string | undefined) => boolean): Promise<Credentials> {
    let principal = this.principalOf(functionId);
    if (drop) principal = withoutStatements(principal, (policy, index) => drop(principal.policies.find((p) => p.name === policy)!.document.Statement[index].Sid));
    const credentials = await createIamUser(this.moto.url, `${functionId.toLowerCase()}-${this.principals.size}`, principal.policies);
    this.principals.set(credentials.accessKeyId, principal);
    return credentials;
  }

  /** Runs the bundle of `functionId` with `credentials`, its SDK pointed at moto through the proxy. */
  async invoke(functionId: string, credentials: Credentials, event: unknown, extraEnv: Record<string, string> = {}): Promise<Record<string, unknown>> {
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL: this.proxy.url,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...extraEnv,
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    // One module instance per function and credentials, as one Lambda container per role: the
    // bundle's SDK client keeps the credentials it first resolved.
    const instance = `${functionId}/${credentials.accessKeyId}`;
    let handler = this.handlers.get(instance);
    if (!handler) {
      const { file, exportName } = functionBundle(this.app, functionId);
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        handler = (require(file) as Record<string, Handler>)[exportName];
      });
      if (typeof handler !== 'function') throw new Error(`${file} exports no ${exportName}`);
      this.handlers.set(instance, handler);
    }
    try {
      return await handler(event);
    } catch (error) {
      // Rethrown without the bundle's stack: jest would print whole minified lines of it.
      const { name, message } = error as Error;
      throw new Error(`${functionId} failed: ${name}: ${message}`);
    } finally {
      this.proxy.assertNoErrors();
    }
  }

  /** The event CloudFormation (through the Provider framework) sends for the one resource of `type`. */
  event(type: string, requestType: 'Create' | 'Update' | 'Delete', properties: Properties, extra: { old?: Properties; physicalId?: string } = {}): CloudFormationCustomResourceEvent {
    return customResourceEvent(requestType, {
      resourceType: type,
      logicalId: this.logicalId(type),
      stackId: this.resolver.resolveString({ Ref: 'AWS::StackId' }),
      properties,
      oldProperties: extra.old,
      physicalId: extra.physicalId,
    });
  }

  trainingFunctions(): { onEvent: string; isComplete: string } {
    const { onEvent, isComplete } = customResourceHandlers(this.app.template, 'Custom::SageMakerTrainingJob');
    return { onEvent, isComplete: isComplete! };
  }

  copyFunction(): string {
    return customResourceHandlers(this.app.template, 'Custom::S3PrefixCopy').onEvent;
  }

  /** The onEvent function of the model registry version (Custom::ModelPackageVersion). */
  registrationFunction(): string {
    return customResourceHandlers(this.app.template, 'Custom::ModelPackageVersion').onEvent;
  }

  /** Sets `<logical id of the one resource of type>.<attribute>` for each attribute a handler answered in Data. */
  setAttributes(type: string, data: Record<string, unknown>): void {
    const id = this.logicalId(type);
    for (const [attribute, value] of Object.entries(data)) this.setValue(`${id}.${attribute}`, String(value));
  }

  smokeTestFunction(): string {
    return triggerFunction(this.app.template);
  }

  /**
   * Makes moto's (already Completed) job `name` look InProgress until StopTrainingJob, then Stopping
   * for one poll, then Stopped: our fake of the states and the call moto does not have.
   */
  keepRunning(name: string): void {
    this.running.set(name, 'InProgress');
  }

  private async amend(call: { service: string; operation: string; params: Record<string, unknown>; accessKeyId: string }, answer: Answer): Promise<Answer> {
    const jobName = String(call.params.TrainingJobName);
    if (call.service === 'sagemaker' && call.operation === 'StopTrainingJob') {
      if (this.running.get(jobName) !== 'InProgress') {
        return json(400, { __type: 'ValidationException', message: `The request was rejected because the training job is in status ${this.running.get(jobName) ?? 'Completed'}.` });
      }
      this.running.set(jobName, 'Stopping');
      return json(200, {});
    }
    if (call.service === 'sagemaker' && call.operation === 'DescribeTrainingJob' && answer.status === 200 && this.running.has(jobName)) {
      const state = this.running.get(jobName)!;
      if (state === 'Stopping') this.running.set(jobName, 'Stopped');
      const job = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
      return json(200, { ...job, TrainingJobStatus: state, SecondaryStatus: state === 'InProgress' ? 'Training' : state, FinalMetricDataList: [], ModelArtifacts: undefined });
    }
    if (call.service === 'sagemaker' && call.operation === 'DescribeTrainingJob' && answer.status === 200) {
      const job = JSON.parse(answer.body.toString('utf8')) as { FinalMetricDataList?: Array<{ Timestamp?: unknown }> };
      const timestamp = job.FinalMetricDataList?.[0]?.Timestamp;
      job.FinalMetricDataList = Object.entries(REPORTED_METRICS).map(([MetricName, Value]) => ({ MetricName, Value, Timestamp: timestamp }));
      return { ...answer, body: Buffer.from(JSON.stringify(job)) };
    }
    if (call.service === 's3' && call.operation === 'HeadObject' && answer.status === 404) {
      const principal = this.principals.get(call.accessKeyId);
      if (!principal) return answer; // the admin, or a principal that is not a handler
      const decision = await decide(principal, {
        action: 's3:ListBucket',
        resource: `arn:${PARTITION}:s3:::${String(call.params.Bucket)}`,
        context: { 's3:prefix': String(call.params.Key) },
        because: 'HEAD of a missing key',
      });
      if (decision !== 'Allowed') {
        this.logs.push(`proxy: HEAD s3://${String(call.params.Bucket)}/${String(call.params.Key)} missed and the caller may not list it: 403, as S3 answers`);
        return { status: 403, headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'proxy' }, body: Buffer.alloc(0) };
      }
    }
    return answer;
  }
}

function json(status: number, body: unknown): Answer {
  return { status, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Buffer.from(JSON.stringify(body)) };
}

/** Creates a moto IAM user with inline policies and returns a new access key (IAM's query API). */
export async function createIamUser(motoUrl: string, userName: string, policies: Array<{ name: string; document: PolicyDocument }>): Promise<Credentials> {
  await iamQuery(motoUrl, 'CreateUser', { UserName: userName });
  for (const policy of policies) {
    await iamQuery(motoUrl, 'PutUserPolicy', { UserName: userName, PolicyName: policy.name, PolicyDocument: JSON.stringify(policy.document) });
  }
  const xml = await iamQuery(motoUrl, 'CreateAccessKey', { UserName: userName });
  const field = (name: string): string => {
    const match = new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml);
    if (!match) throw new Error(`moto CreateAccessKey answered without ${name}: ${xml}`);
    return match[1];
  };
  return { accessKeyId: field('AccessKeyId'), secretAccessKey: field('SecretAccessKey') };
}

async function iamQuery(motoUrl: string, action: string, params: Record<string, string>): Promise<string> {
  // Set-up runs while moto's IAM enforcement is off: moto routes by the credential scope and checks no signature.
  const date = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const response = await fetch(motoUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIASETUP${crypto.randomBytes(4).toString('hex').toUpperCase()}/${date}/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }).toString(),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto IAM ${action} answered ${response.status}: ${text}`);
  return text;
}
