// The promotion pointer's and the guard's handlers, the exact bundles `cdk synth` writes for a small
// registry stack (group, PromotionPointer, ApprovedModelPackage), against moto's SageMaker model
// registry and SSM Parameter Store, through the recording proxy of test/cloud/cloud-fixture.ts:
// three versions registered; approve 1 → the pointer names 1; approve 3 → 3; reject 3 → back to 1;
// the guard passes 1, fails 3 (Rejected) and 2 (Pending), and passes 3 during a rollback. Every call
// the handlers made is then proven against the synthesized policies with iam-simulate.
//
// What moto does not do, and the test does instead:
// - SageMaker emits no EventBridge events in moto: the test sends the handler the "SageMaker Model
//   Package State Change" event AWS documents, after each UpdateModelPackage, as the rule would.
// - CloudFormation creates the parameter (with `none`) before the sync runs: the test creates it.
// - Moto has no stack of ours: DescribeStacks answers that it does not exist (the guard then checks
//   as on a forward update). The rollback replay points the guard's CloudFormation client
//   (AWS_ENDPOINT_URL_CLOUDFORMATION) at a loopback answer of UPDATE_ROLLBACK_IN_PROGRESS, recorded too.
// Moto's IAM enforcement stays off (it authorizes SageMaker calls against resource "*"); the proof
// at the end evaluates each captured call on its exact resource instead.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { CreateModelPackageCommand, CreateModelPackageGroupCommand, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ApprovedModelPackage } from '../../lib/registry/approved-model-package';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { PromotionPointer } from '../../lib/registry/promotion-pointer';
import { ACCOUNT, CloudRun, Credentials, PARTITION, REGION } from '../cloud/cloud-fixture';
import { checksFor, lambdaLogChecks, neighbourOf } from '../cloud/required-permissions';
import { AuthorizationCheck, decide, Principal, withoutStatements } from '../support/iam-simulation';
import { LoopbackServer } from '../support/loopback-server';
import { RecordingProxy } from '../support/recording-proxy';
import { customResourceHandlers, resourceOf, STACK_NAME, SynthesizedApp } from '../support/synthesized-app';

const GROUP = 'mnist-models';
const NAME = '/model-registry/mnist-models/approved-version';
const SOURCE = `the promotion pointer ${NAME}`;
const SYNC = 'Custom::PromotionPointerSync';
const GUARD = 'Custom::ApprovedModelPackage';
const WHERE = { account: ACCOUNT, region: REGION, partition: PARTITION };

let run: CloudRun;
let assembly: string;
let ssm: SSMClient;
let sagemaker: SageMakerClient;
let versions: string[];
let pointerFn: string;
let guardFn: string;
let pointerEnv: Record<string, string>;
let guardEnv: Record<string, string>;
let pointerAs: Credentials;
let guardAs: Credentials;
let rollbackProxy: RecordingProxy;
let rollbackStacks: LoopbackServer;
const principals = new Map<string, Principal>();
const saved = { ...process.env };

/** The registry stack as an app would declare it (env-agnostic, like bin/app.ts), synthesized with its bundles. */
function synthesizeRegistry(): SynthesizedApp {
  assembly = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-synth-'));
  const app = new App({ outdir: assembly, builtinCloudFormationValidation: false });
  // Named as the fixture's deployment names its stack (its StackId, its asset manifest).
  const stack = new Stack(app, STACK_NAME);
  const group = new ModelPackageGroup(stack, 'Registry', { modelPackageGroupName: GROUP });
  new PromotionPointer(stack, 'Pointer', { group, parameterName: NAME });
  const arn = PromotionPointer.valueFor(stack, 'ApprovedVersion', { parameterName: NAME });
  new ApprovedModelPackage(stack, 'Approved', { group, modelPackageArn: arn, source: SOURCE });
  app.synth();
  return { dir: assembly, template: JSON.parse(fs.readFileSync(path.join(assembly, `${STACK_NAME}.template.json`), 'utf8')) };
}

function environmentOf(functionId: string): Record<string, string> {
  const env = (resourceOf(run.app.template, functionId).Properties!.Environment as { Variables: unknown }).Variables;
  return run.resolver.resolve(env) as Record<string, string>;
}

/** Runs `functionId` as its role (a moto user with the role's policies), remembering who that is for the proof. */
async function as(functionId: string): Promise<Credentials> {
  const credentials = await run.credentialsFor(functionId);
  principals.set(credentials.accessKeyId, run.principalOf(functionId));
  return credentials;
}

const pointer = async (): Promise<string> => (await ssm.send(new GetParameterCommand({ Name: NAME }))).Parameter!.Value!;
const callsOf = (operation: string, from = 0) => run.proxy.calls.slice(from).filter((c) => c.operation === operation);

/** What the rule delivers after a status change (AWS's documented "SageMaker Model Package State Change", trimmed). */
function stateChange(arn: string, status: string): Record<string, unknown> {
  return {
    version: '0', id: `event-${arn.split('/').pop()}-${status}`, 'detail-type': 'SageMaker Model Package State Change', source: 'aws.sagemaker',
    account: ACCOUNT, time: new Date().toISOString(), region: REGION, resources: [arn],
    detail: { ModelPackageGroupName: GROUP, ModelPackageVersion: Number(arn.split('/').pop()), ModelPackageArn: arn, ModelApprovalStatus: status, ModelPackageStatus: 'Completed' },
  };
}

/** An approver changes a version's status in the registry; the state-change event reaches the pointer's handler. */
async function setStatus(arn: string, status: 'Approved' | 'Rejected'): Promise<void> {
  await sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn: arn, ModelApprovalStatus: status }));
  await run.invoke(pointerFn, pointerAs, stateChange(arn, status), pointerEnv);
}

function guardEvent(arn: string, requestType: 'Create' | 'Update' = 'Create', old?: string) {
  return run.event(GUARD, requestType, { ModelPackageArn: arn, Source: SOURCE }, old ? { old: { ModelPackageArn: old, Source: SOURCE }, physicalId: old } : {});
}

beforeAll(async () => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  run = await CloudRun.start(synthesizeRegistry);
  const [parameterId] = Object.entries(run.app.template.Resources).find(([, r]) => r.Type === 'AWS::SSM::Parameter')!;
  run.setValue(parameterId, NAME); // Ref of a parameter is its name
  const client = { region: REGION, endpoint: run.moto.url, credentials: run.adminCredentials };
  ssm = new SSMClient(client);
  sagemaker = new SageMakerClient(client);
  await ssm.send(new PutParameterCommand({ Name: NAME, Value: 'none', Type: 'String' }));
  await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
  versions = [];
  for (let i = 1; i <= 3; i++) {
    const created = await sagemaker.send(new CreateModelPackageCommand({
      ModelPackageGroupName: GROUP,
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: {
        Containers: [{ Image: '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.6.0-cpu-py312-ubuntu22.04-sagemaker', ModelDataUrl: `s3://bucket/mnist/output/job-${i}/output/model.tar.gz` }],
        SupportedContentTypes: ['application/json'],
        SupportedResponseMIMETypes: ['application/json'],
      },
    }));
    versions.push(created.ModelPackageArn!);
  }
  pointerFn = customResourceHandlers(run.app.template, SYNC).onEvent;
  guardFn = customResourceHandlers(run.app.template, GUARD).onEvent;
  pointerEnv = environmentOf(pointerFn);
  guardEnv = environmentOf(guardFn);
  pointerAs = await as(pointerFn);
  guardAs = await as(guardFn);
  rollbackStacks = new LoopbackServer((req, res) => {
    req.resume();
    const stackId = guardEnv.STACK_ID;
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end('<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>' +
      `<StackId>${stackId}</StackId><StackName>${STACK_NAME}</StackName><StackStatus>UPDATE_ROLLBACK_IN_PROGRESS</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime>` +
      '</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></DescribeStacksResponse>');
  });
  rollbackProxy = new RecordingProxy(await rollbackStacks.start());
  await rollbackProxy.start();
}, 20 * 60_000); // bounded; the first run on a new machine may build .venv for moto

afterAll(async () => {
  process.env = { ...saved };
  jest.restoreAllMocks();
  ssm?.destroy();
  sagemaker?.destroy();
  await rollbackProxy?.stop();
  await rollbackStacks?.stop();
  await run?.stop();
  if (assembly) fs.rmSync(assembly, { recursive: true, force: true });
});

test('the sync\'s Create, with no Approved version yet, leaves the pointer at none and writes nothing', async () => {
  const answer = await run.invoke(pointerFn, pointerAs, run.event(SYNC, 'Create', run.properties(SYNC)));
  expect(answer).toEqual({ PhysicalResourceId: NAME, Data: { ModelPackageArn: 'none' } });
  expect(await pointer()).toBe('none');
  expect(callsOf('PutParameter')).toEqual([]);
  expect(callsOf('ListModelPackages').map((c) => c.params)).toEqual([
    { ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1 },
  ]);
});

test('approve version 1: the pointer names it', async () => {
  expect(versions.map((v) => v.split(':').pop())).toEqual([`model-package/${GROUP}/1`, `model-package/${GROUP}/2`, `model-package/${GROUP}/3`]);
  await setStatus(versions[0], 'Approved');
  expect(await pointer()).toBe(versions[0]);
});

test('approve version 3: the pointer moves to it; the late Approved event of 1 again changes nothing', async () => {
  await setStatus(versions[2], 'Approved');
  expect(await pointer()).toBe(versions[2]);
  const puts = callsOf('PutParameter').length;
  await run.invoke(pointerFn, pointerAs, stateChange(versions[0], 'Approved'), pointerEnv);
  expect(await pointer()).toBe(versions[2]);
  expect(callsOf('PutParameter')).toHaveLength(puts);
});

test('reject version 3: the pointer moves back to 1, the newest version still Approved', async () => {
  await setStatus(versions[2], 'Rejected');
  expect(await pointer()).toBe(versions[0]);
  expect(callsOf('PutParameter').map((c) => c.params.Value)).toEqual([versions[0], versions[2], versions[0]]);
});

test('the guard passes version 1 (Approved) and answers its ARN and number', async () => {
  expect(await run.invoke(guardFn, guardAs, guardEvent(versions[0]), guardEnv)).toEqual({
    PhysicalResourceId: versions[0],
    Data: { ModelPackageArn: versions[0], ModelPackageVersion: '1', ModelPackageGroupName: GROUP, ApprovalStatus: 'Approved' },
  });
});

test('the guard fails version 3 (Rejected) and version 2 (PendingManualApproval), naming each and the source', async () => {
  await expect(run.invoke(guardFn, guardAs, guardEvent(versions[2], 'Update', versions[0]), guardEnv))
    .rejects.toThrow(`Model package version ${versions[2]} from ${SOURCE} is Rejected: a rejected version can never be deployed here.`);
  await expect(run.invoke(guardFn, guardAs, guardEvent(versions[1], 'Update', versions[0]), guardEnv))
    .rejects.toThrow(`Model package version ${versions[1]} from ${SOURCE} is PendingManualApproval, not Approved`);
  // Moto has no stack of ours: the status is unknown, so both were checked as forward updates.
  expect(callsOf('DescribeStacks').map((c) => [c.params.StackName, c.status])).toEqual([[guardEnv.STACK_ID, 400], [guardEnv.STACK_ID, 400], [guardEnv.STACK_ID, 400]]);
});

test('during a rollback the guard passes version 3 (Rejected) without asking SageMaker', async () => {
  const describes = callsOf('DescribeModelPackage').length;
  const rollbackAs = await as(guardFn); // a new container: its CloudFormation client answers the rollback
  const answer = await run.invoke(guardFn, rollbackAs, guardEvent(versions[2], 'Update', versions[0]), { ...guardEnv, AWS_ENDPOINT_URL_CLOUDFORMATION: rollbackProxy.url });
  delete process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
  expect(answer).toEqual({
    PhysicalResourceId: versions[2],
    Data: { ModelPackageArn: versions[2], ModelPackageVersion: '3', ModelPackageGroupName: GROUP, ApprovalStatus: 'unchecked (rollback)' },
  });
  expect(callsOf('DescribeModelPackage')).toHaveLength(describes);
  expect(rollbackProxy.callsOf('cloudformation', 'DescribeStacks').map((c) => c.params.StackName)).toEqual([guardEnv.STACK_ID]);
});

describe('permissions: each captured call against the synthesized policies (iam-simulate, Service Authorization Reference)', () => {
  interface Obligation {
    readonly principal: Principal;
    readonly check: AuthorizationCheck;
  }
  let obligations: Obligation[];

  beforeAll(async () => {
    obligations = [];
    for (const call of [...run.proxy.calls.filter((c) => principals.has(c.accessKeyId)), ...rollbackProxy.calls]) {
      const principal = principals.get(call.accessKeyId);
      if (!principal) throw new Error(`a call by unknown key ${call.accessKeyId}: ${call.service}:${call.operation}`);
      for (const check of await checksFor(call, WHERE)) obligations.push({ principal, check });
    }
    for (const fn of [pointerFn, guardFn]) {
      const logGroup = run.resolver.resolveString((resourceOf(run.app.template, fn).Properties!.LoggingConfig as { LogGroup: unknown }).LogGroup);
      for (const check of lambdaLogChecks(logGroup, WHERE, fn)) obligations.push({ principal: run.principalOf(fn), check });
    }
  });

  const kinds = () => [...new Set(obligations.map((o) => `${o.principal.name.replace(/[0-9A-F]{8}$/, '')} ${o.check.action}`))].sort();

  test('the capture saw every kind of call the handlers make', () => {
    expect(kinds()).toEqual([
      'ApprovedHandlerRole cloudformation:DescribeStacks',
      'ApprovedHandlerRole logs:CreateLogStream',
      'ApprovedHandlerRole logs:PutLogEvents',
      'ApprovedHandlerRole sagemaker:DescribeModelPackage',
      'PointerHandlerRole logs:CreateLogStream',
      'PointerHandlerRole logs:PutLogEvents',
      'PointerHandlerRole sagemaker:ListModelPackages',
      'PointerHandlerRole ssm:GetParameter',
      'PointerHandlerRole ssm:PutParameter',
    ]);
  });

  test('every call is allowed on its exact resource; the same call on another parameter, group, stack or log group is denied', async () => {
    const denied: string[] = [];
    const neighbours: string[] = [];
    for (const { principal, check } of obligations) {
      const decision = await decide(principal, check);
      if (decision !== 'Allowed') denied.push(`${principal.name}: ${check.action} on ${check.resource} ${decision} — ${check.because}`);
      for (const other of neighbourOf(check)) {
        if ((await decide(principal, other)) === 'Allowed') neighbours.push(`${principal.name}: ${other.action} on ${other.resource}`);
      }
    }
    expect(denied).toEqual([]);
    expect(neighbours).toEqual([]);
  });

  test('removing any one statement of either role makes the proof fail (each statement is needed)', async () => {
    const unneeded: string[] = [];
    for (const fn of [pointerFn, guardFn]) {
      const principal = run.principalOf(fn);
      const own = obligations.filter((o) => o.principal.name === principal.name);
      for (const policy of principal.policies) {
        for (const [index, statement] of policy.document.Statement.entries()) {
          const reduced = withoutStatements(principal, (name, i) => name === policy.name && i === index);
          const still = await Promise.all(own.map((o) => decide(reduced, o.check)));
          if (still.every((d) => d === 'Allowed')) unneeded.push(`${principal.name} ${statement.Sid ?? `#${index}`}`);
        }
      }
    }
    expect(unneeded).toEqual([]);
  });
});
