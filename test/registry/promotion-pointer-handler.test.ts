// The promotion pointer's handler on stateful fakes of the registry and SSM: every event recomputes
// the newest Approved version from the registry, so approvals move the pointer forward, a rejection
// of the newest moves it back, and late, repeated or foreign events change nothing.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { onEvent, ModelPackageStateChange, PointerEnvironment } from '../../lambda/model-registry/promotion-pointer-handler';
import { NO_APPROVED_VERSION } from '../../lambda/model-registry/properties';
import { customResourceEvent } from '../support/custom-resource-event';
import { FakeParameters, FakeRegistry } from './fake-promotion-registry';

const GROUP = 'mnist-models';
const PARAMETER = '/model-registry/mnist-models/approved-version';
const env: PointerEnvironment = { GROUP_NAME: GROUP, PARAMETER_NAME: PARAMETER };
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Dev/00000000-0000-0000-0000-000000000000';

let registry: FakeRegistry;
let parameters: FakeParameters;
let logs: string[];
let versions: string[];

/** The event SageMaker sends (AWS's documented example, trimmed) when `arn` changed to `status`. */
function stateChange(arn: string, status: string, group = GROUP): ModelPackageStateChange {
  return {
    version: '0',
    id: '844e2571-85d4-695f-b930-0153b71dcb42',
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: '123456789012',
    region: 'eu-west-1',
    resources: [arn],
    detail: { ModelPackageGroupName: group, ModelPackageVersion: Number(arn.split('/').pop()), ModelPackageArn: arn, ModelApprovalStatus: status, ModelPackageStatus: 'Completed' },
  } as ModelPackageStateChange;
}

const deps = () => ({ sagemaker: registry, ssm: parameters, log: (line: string) => logs.push(line) });
const pointer = () => parameters.values.get(PARAMETER);

async function approve(arn: string): Promise<void> {
  registry.setStatus(arn, 'Approved');
  await onEvent(stateChange(arn, 'Approved'), deps(), env);
}

async function reject(arn: string): Promise<void> {
  registry.setStatus(arn, 'Rejected');
  await onEvent(stateChange(arn, 'Rejected'), deps(), env);
}

beforeEach(() => {
  registry = new FakeRegistry();
  parameters = new FakeParameters();
  parameters.values.set(PARAMETER, NO_APPROVED_VERSION);
  logs = [];
  versions = [registry.register(GROUP), registry.register(GROUP), registry.register(GROUP)];
});

test('approving a version moves the pointer to it; approving a newer one moves it on (newest by creation time, not the first listed)', async () => {
  await approve(versions[0]);
  expect(pointer()).toBe(versions[0]);
  await approve(versions[2]);
  expect(pointer()).toBe(versions[2]);
  expect(registry.calls.filter((c) => c.operation === 'ListModelPackages').map((c) => c.input)).toContainEqual({
    ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1,
  });
  expect(logs.at(-1)).toBe(`Promotion pointer ${PARAMETER}: ${versions[0]} → ${versions[2]}, the newest Approved version of group ${GROUP} (on the state change of ${versions[2]} to Approved)`);
});

test('rejecting the newest Approved version moves the pointer back to the one approved before it', async () => {
  await approve(versions[0]);
  await approve(versions[2]);
  await reject(versions[2]);
  expect(pointer()).toBe(versions[0]);
});

test('rejecting the only Approved version sets the pointer to none', async () => {
  await approve(versions[1]);
  await reject(versions[1]);
  expect(pointer()).toBe(NO_APPROVED_VERSION);
});

test('a late or repeated event changes nothing: the registry, not the event, says what is newest', async () => {
  await approve(versions[0]);
  await approve(versions[2]);
  // The Approved event of version 1 delivered again, after version 3's.
  await onEvent(stateChange(versions[0], 'Approved'), deps(), env);
  expect(pointer()).toBe(versions[2]);
  // A registration (every new version emits an event) is not an approval.
  const fourth = registry.register(GROUP);
  await onEvent(stateChange(fourth, 'PendingManualApproval'), deps(), env);
  expect(pointer()).toBe(versions[2]);
});

test('an event that changes nothing writes nothing (no PutParameter) and says so', async () => {
  await approve(versions[0]);
  const writes = parameters.puts().length;
  await onEvent(stateChange(versions[1], 'PendingManualApproval'), deps(), env);
  expect(parameters.puts()).toHaveLength(writes);
  expect(logs.at(-1)).toBe(`Promotion pointer ${PARAMETER} unchanged: ${versions[0]} is the newest Approved version of group ${GROUP} (on the state change of ${versions[1]} to PendingManualApproval)`);
});

test('the write overwrites the existing parameter (PutParameter with Overwrite) and keeps its type', async () => {
  await approve(versions[0]);
  expect(parameters.puts()).toEqual([{ Name: PARAMETER, Value: versions[0], Overwrite: true }]);
});

test('another group\'s event is logged and ignored: no registry or parameter call', async () => {
  const other = registry.register('other-models', 'Approved');
  await onEvent(stateChange(other, 'Approved', 'other-models'), deps(), env);
  expect(registry.calls).toEqual([]);
  expect(parameters.calls).toEqual([]);
  expect(logs).toEqual([`Ignored a state change of ${other} in group other-models: this pointer follows group ${GROUP}`]);
});

test('a sync that read the registry before a rejection and wrote after the sync that saw it reads again and corrects its write', async () => {
  await approve(versions[0]);
  await approve(versions[2]);
  // Lambda runs two events at once: the stale run lists (version 3 newest), then the rejection of
  // version 3 lands and its own run writes version 1, then the stale run reads and writes.
  let lists = 0;
  const racing = {
    send: async (command: object) => {
      const answer = await registry.send(command);
      if (++lists === 1) {
        registry.setStatus(versions[2], 'Rejected');
        await onEvent(stateChange(versions[2], 'Rejected'), deps(), env);
        expect(pointer()).toBe(versions[0]);
      }
      return answer;
    },
  };
  await onEvent(stateChange(versions[2], 'Approved'), { ...deps(), sagemaker: racing }, env);
  expect(pointer()).toBe(versions[0]);
  expect(logs.at(-1)).toMatch(/written again \(round 2\)/);
});

describe('Custom::PromotionPointerSync', () => {
  const props = { ModelPackageGroupName: GROUP, ParameterName: PARAMETER, ParameterTier: 'Standard', ParameterDescription: 'x' };
  const event = (type: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent => customResourceEvent(type, {
    resourceType: 'Custom::PromotionPointerSync', logicalId: 'PointerSync', stackId: STACK_ID, properties: props, oldProperties: props, physicalId: PARAMETER,
  });

  test('Create syncs a new pointer from `none` to the group\'s newest Approved version and answers it', async () => {
    registry.setStatus(versions[0], 'Approved');
    registry.setStatus(versions[1], 'Approved');
    expect(await onEvent(event('Create'), deps(), {})).toEqual({ PhysicalResourceId: PARAMETER, Data: { ModelPackageArn: versions[1] } });
    expect(pointer()).toBe(versions[1]);
    expect(logs).toEqual([`Promotion pointer ${PARAMETER}: none → ${versions[1]}, the newest Approved version of group ${GROUP} (on the stack's Create of PointerSync)`]);
  });

  test('Create with no Approved version leaves `none` and answers it', async () => {
    expect(await onEvent(event('Create'), deps(), {})).toEqual({ PhysicalResourceId: PARAMETER, Data: { ModelPackageArn: NO_APPROVED_VERSION } });
    expect(parameters.puts()).toEqual([]);
  });

  test('Update syncs again (CloudFormation rewrote the parameter as `none` when it updated it)', async () => {
    registry.setStatus(versions[2], 'Approved');
    parameters.values.set(PARAMETER, NO_APPROVED_VERSION);
    expect(await onEvent(event('Update'), deps(), {})).toEqual({ PhysicalResourceId: PARAMETER, Data: { ModelPackageArn: versions[2] } });
    expect(pointer()).toBe(versions[2]);
  });

  test('Delete does nothing: no registry or parameter call', async () => {
    expect(await onEvent(event('Delete'), deps(), {})).toEqual({ PhysicalResourceId: PARAMETER });
    expect(registry.calls).toEqual([]);
    expect(parameters.calls).toEqual([]);
  });
});
