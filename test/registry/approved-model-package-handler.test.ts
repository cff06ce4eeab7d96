// The guard's handler on stateful fakes: forward deploys pass only an Approved version and fail
// with a message that names the version, its status, the source and the fix; a rollback restores
// whatever was deployed before without asking SageMaker; an unreadable stack status is a forward deploy.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { GuardDependencies, onEvent } from '../../lambda/model-registry/approved-model-package-handler';
import { NO_APPROVED_VERSION } from '../../lambda/model-registry/properties';
import { customResourceEvent } from '../support/custom-resource-event';
import { FakeRegistry, FakeStacks } from './fake-promotion-registry';

const GROUP = 'mnist-models';
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Prod/00000000-0000-0000-0000-000000000000';
const SOURCE = 'the promotion pointer /model-registry/mnist-models/approved-version';

let registry: FakeRegistry;
let stacks: FakeStacks;
let versions: string[];
let logs: string[];

const deps = (): GuardDependencies => ({ sagemaker: registry, cloudFormation: stacks, stackId: STACK_ID, log: (line) => logs.push(line) });

function event(type: 'Create' | 'Update' | 'Delete', arn: string, oldArn?: string): CloudFormationCustomResourceEvent {
  return customResourceEvent(type, {
    resourceType: 'Custom::ApprovedModelPackage',
    logicalId: 'ApprovedVersion',
    stackId: STACK_ID,
    properties: { ModelPackageArn: arn, Source: SOURCE },
    oldProperties: oldArn ? { ModelPackageArn: oldArn, Source: SOURCE } : undefined,
    physicalId: oldArn ?? arn,
  });
}

beforeEach(() => {
  registry = new FakeRegistry();
  stacks = new FakeStacks('UPDATE_IN_PROGRESS');
  logs = [];
  versions = [registry.register(GROUP, 'Approved'), registry.register(GROUP), registry.register(GROUP, 'Rejected')];
});

test('an Approved version passes: the ARN is the physical id and the attributes name it', async () => {
  expect(await onEvent(event('Create', versions[0]), deps())).toEqual({
    PhysicalResourceId: versions[0],
    Data: { ModelPackageArn: versions[0], ModelPackageVersion: '1', ModelPackageGroupName: GROUP, ApprovalStatus: 'Approved' },
  });
  expect(registry.calls).toEqual([{ operation: 'DescribeModelPackage', input: { ModelPackageName: versions[0] } }]);
});

test('a pending version fails, naming the version, its status, the source and how to approve it', async () => {
  await expect(onEvent(event('Update', versions[1], versions[0]), deps())).rejects.toThrow(
    `Model package version ${versions[1]} from ${SOURCE} is PendingManualApproval, not Approved: only an Approved version may be deployed here. ` +
    `To deploy it, approve it (the pipeline's approval step, or \`aws sagemaker update-model-package --model-package-arn ${versions[1]} --model-approval-status Approved\` in the registry's account) and deploy again.`);
});

test('a rejected version fails and says it can never be deployed', async () => {
  await expect(onEvent(event('Update', versions[2], versions[0]), deps())).rejects.toThrow(
    `Model package version ${versions[2]} from ${SOURCE} is Rejected: a rejected version can never be deployed here.`);
});

test('`none` (a group with no Approved version yet) fails without calling SageMaker, naming the source and the fix', async () => {
  const failure = onEvent(event('Create', NO_APPROVED_VERSION), deps());
  await expect(failure).rejects.toThrow(`No approved model package version to deploy: ${SOURCE} is 'none', the group has no Approved version yet.`);
  await expect(onEvent(event('Create', NO_APPROVED_VERSION), deps())).rejects.toThrow('aws sagemaker update-model-package --model-package-arn <version arn> --model-approval-status Approved');
  expect(registry.calls).toEqual([]);
});

test('a version that does not exist fails with SageMaker\'s answer and the source', async () => {
  const missing = versions[0].replace(/\/1$/, '/9');
  await expect(onEvent(event('Create', missing), deps())).rejects.toThrow(
    `Could not read model package version ${missing} from ${SOURCE} (DescribeModelPackage: ValidationException: Model Package ${missing} does not exist.)`);
});

test('something that is not a version ARN fails before any call', async () => {
  await expect(onEvent(event('Create', 'mnist-models/3'), deps())).rejects.toThrow(`'mnist-models/3' from ${SOURCE} is not a model package version ARN`);
  expect(registry.calls).toEqual([]);
});

test('during a rollback a Rejected version passes unchecked: no SageMaker call, answered from the ARN', async () => {
  stacks.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
  expect(await onEvent(event('Update', versions[2], versions[0]), deps())).toEqual({
    PhysicalResourceId: versions[2],
    Data: { ModelPackageArn: versions[2], ModelPackageVersion: '3', ModelPackageGroupName: GROUP, ApprovalStatus: 'unchecked (rollback)' },
  });
  expect(registry.calls).toEqual([]);
  expect(stacks.calls).toEqual([STACK_ID]);
});

test('the stack\'s status is asked on a forward update too, and a status that is not a rollback is checked', async () => {
  stacks.status = 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS';
  await expect(onEvent(event('Update', versions[2], versions[0]), deps())).rejects.toThrow(/is Rejected/);
  expect(stacks.calls).toEqual([STACK_ID]);
});

test('when the stack\'s status cannot be read the version is checked as on a forward deploy', async () => {
  stacks.status = Object.assign(new Error('User is not authorized to perform: cloudformation:DescribeStacks'), { name: 'AccessDenied' });
  await expect(onEvent(event('Update', versions[2], versions[0]), deps())).rejects.toThrow(/is Rejected/);
  expect(logs).toContain('Could not tell whether the stack is rolling back (DescribeStacks: AccessDenied: User is not authorized to perform: cloudformation:DescribeStacks); checking the version as on a forward update');
  expect(await onEvent(event('Update', versions[0], versions[2]), deps())).toMatchObject({ Data: { ApprovalStatus: 'Approved' } });
});

test('Delete does nothing: no call at all, whatever the version\'s status', async () => {
  expect(await onEvent(event('Delete', versions[2]), deps())).toEqual({ PhysicalResourceId: versions[2] });
  expect(registry.calls).toEqual([]);
  expect(stacks.calls).toEqual([]);
});
