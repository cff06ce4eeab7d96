import { CfnElement, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { MnistSettingsOverrides } from '../../lib/config';
import { MnistSageMakerStack } from '../../lib/mnist-stack';
import { PROD_SETTINGS } from '../../lib/mnist-stage';
import { allDependencies, policyStatements, resources, single, synthMnistOnce, validationFindings } from '../stack/synth';

// Every endpoint update rolls out by the rollout settings and rolls back on the endpoint's own
// 5xx and latency alarms, which SageMaker reads with the execution role.

type Synth = ReturnType<typeof synthMnistOnce>;
const synth = (settings: MnistSettingsOverrides = {}) => synthMnistOnce({ settings, validate: false });
const logicalId = (stack: Stack, alarm: cloudwatch.Alarm) => stack.resolve((alarm.node.defaultChild as cloudwatch.CfnAlarm).logicalId) as string;

/** The rollback alarms a monitoring label must have, as logical ids of the monitoring construct's alarms. */
function expectedAlarmIds(stack: MnistSageMakerStack, label: 'Realtime' | 'Serverless'): string[] {
  const metrics = ['Invocation5XXErrors', 'ModelLatency', ...(label === 'Serverless' ? ['OverheadLatency'] : [])];
  return metrics.map((metric) => logicalId(stack, stack.monitoring.alarms[`${label}/${metric}`]));
}

function endpoint({ template }: Synth, prefix: 'RealtimeEndpoint' | 'ServerlessEndpoint') {
  return single(template, 'AWS::SageMaker::Endpoint', prefix);
}

/** The exact DeploymentConfig an endpoint must have: `policy` plus rollback on `alarmIds` (by Ref). */
function deploymentConfig(policy: Record<string, unknown>, alarmIds: string[]) {
  return { BlueGreenUpdatePolicy: policy, AutoRollbackConfiguration: { Alarms: alarmIds.map((id) => ({ AlarmName: { Ref: id } })) } };
}

describe.each([
  ['all-at-once (default)', {}, {
    TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 },
    TerminationWaitInSeconds: 300, MaximumExecutionTimeoutInSeconds: 2100,
  }],
  ['canary 10%', { rollout: 'canary', rolloutStepSize: '10%', rolloutWaitMinutes: 15, rolloutBakeMinutes: 20 }, {
    TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 900, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 } },
    TerminationWaitInSeconds: 1200, MaximumExecutionTimeoutInSeconds: (15 + 20 + 30) * 60,
  }],
  ['linear 20%', { rollout: 'linear', rolloutStepSize: '20%', rolloutWaitMinutes: 5, rolloutBakeMinutes: 0 }, {
    TrafficRoutingConfiguration: { Type: 'LINEAR', WaitIntervalInSeconds: 300, LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 20 } },
    TerminationWaitInSeconds: 0, MaximumExecutionTimeoutInSeconds: (4 * 5 + 0 + 30) * 60,
  }],
] as Array<[string, MnistSettingsOverrides, Record<string, unknown>]>)('rollout %s', (_, settings, policy) => {
  test('both endpoints get exactly this DeploymentConfig, rolling back on their own 5xx and latency alarms', () => {
    const synthesized = synth(settings);
    expect(endpoint(synthesized, 'RealtimeEndpoint')[1].Properties!.DeploymentConfig).toEqual(deploymentConfig(policy, expectedAlarmIds(synthesized.stack, 'Realtime')));
    expect(endpoint(synthesized, 'ServerlessEndpoint')[1].Properties!.DeploymentConfig).toEqual(deploymentConfig(policy, expectedAlarmIds(synthesized.stack, 'Serverless')));
  });
});

describe('canary by instance count (the prod stage\'s settings)', () => {
  const synthesized = synthMnistOnce({ settings: PROD_SETTINGS });

  test('one of the two instances takes the canary; 10 minutes, then all, baked 10 minutes', () => {
    const [, resource] = endpoint(synthesized, 'RealtimeEndpoint');
    expect(resource.Properties!.DeploymentConfig).toEqual(deploymentConfig({
      TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 600, CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 } },
      TerminationWaitInSeconds: 600, MaximumExecutionTimeoutInSeconds: 3000,
    }, expectedAlarmIds(synthesized.stack, 'Realtime')));
    // Still the autoscaled endpoint, keeping its scaled count across updates.
    expect(resource.Properties).toMatchObject({ RetainAllVariantProperties: true });
  });

  test("the stack synthesizes without a cycle and CloudFormation's own validation finds nothing", () => {
    expect(validationFindings(synthesized.stack)).toEqual([]);
  });
});

describe('rollback alarms, names and ordering (default settings)', () => {
  const synthesized = synth();
  const { stack, template } = synthesized;

  test('the rollback alarms are the 5xx and latency ones (and overhead latency for serverless), never 4xx', () => {
    const names = (prefix: 'RealtimeEndpoint' | 'ServerlessEndpoint') =>
      ((endpoint(synthesized, prefix)[1].Properties!.DeploymentConfig as { AutoRollbackConfiguration: { Alarms: Array<{ AlarmName: { Ref: string } }> } })
        .AutoRollbackConfiguration.Alarms.map((a) => resources(template)[a.AlarmName.Ref].Properties!.MetricName));
    expect(names('RealtimeEndpoint')).toEqual(['Invocation5XXErrors', 'ModelLatency']);
    expect(names('ServerlessEndpoint')).toEqual(['Invocation5XXErrors', 'ModelLatency', 'OverheadLatency']);
  });

  test('each rollback alarm watches its endpoint by the name the endpoint is created with, on the variant every update keeps', () => {
    for (const [label, prefix] of [['Realtime', 'RealtimeEndpoint'], ['Serverless', 'ServerlessEndpoint']] as const) {
      const [, resource] = endpoint(synthesized, prefix);
      const name = resource.Properties!.EndpointName;
      for (const id of expectedAlarmIds(stack, label)) {
        expect(resources(template)[id].Properties!.Dimensions).toEqual([{ Name: 'EndpointName', Value: name }, { Name: 'VariantName', Value: 'AllTraffic' }]);
      }
    }
    const variants = Object.values(resources(template)).filter((r) => r.Type === 'AWS::SageMaker::EndpointConfig')
      .map((r) => (r.Properties!.ProductionVariants as Array<{ VariantName: string }>).map((v) => v.VariantName));
    expect(variants).toEqual([['AllTraffic'], ['AllTraffic']]);
  });

  test("endpoint names are fixed at synth, valid for SageMaker, and carry the stack's name", () => {
    for (const prefix of ['RealtimeEndpoint', 'ServerlessEndpoint'] as const) {
      const name = endpoint(synthesized, prefix)[1].Properties!.EndpointName as string;
      expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
      expect(name.startsWith(`${stack.stackName}-${prefix}-`)).toBe(true);
    }
  });

  test('the execution role may DescribeAlarms on exactly the rollback alarms, in a policy each endpoint waits for', () => {
    const roleId = stack.resolve((stack.executionRole.node.defaultChild as CfnElement).logicalId) as string;
    const describe = policyStatements(template).filter(({ statement }) => JSON.stringify(statement.Action).includes('cloudwatch:DescribeAlarms'));
    expect(describe).toHaveLength(2);
    for (const [label, prefix] of [['Realtime', 'RealtimeEndpoint'], ['Serverless', 'ServerlessEndpoint']] as const) {
      const [, resource] = endpoint(synthesized, prefix);
      const [policyId, policy] = single(template, 'AWS::IAM::Policy', `${prefix}DescribeRollbackAlarms`);
      expect(policy.Properties).toEqual({
        PolicyName: expect.any(String),
        Roles: [{ Ref: roleId }],
        PolicyDocument: { Version: '2012-10-17', Statement: [{
          Sid: 'DescribeRollbackAlarms', Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms',
          Resource: expectedAlarmIds(stack, label).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
        }] },
      });
      expect(resource.DependsOn).toEqual([policyId]);
    }
  });

  test('alarms come first: the endpoints wait for them, and they wait for no endpoint (no cycle)', () => {
    for (const [label, prefix] of [['Realtime', 'RealtimeEndpoint'], ['Serverless', 'ServerlessEndpoint']] as const) {
      const [endpointId] = endpoint(synthesized, prefix);
      const before = allDependencies(template, endpointId);
      for (const id of expectedAlarmIds(stack, label)) {
        expect(before.has(id)).toBe(true);
        expect(allDependencies(template, id).has(endpointId)).toBe(false);
      }
    }
  });

  test('the training job does not wait for the alarms (their grant is not part of the role the job waits for)', () => {
    const [jobId] = single(template, 'Custom::SageMakerTrainingJob');
    const alarmIds = Object.entries(resources(template)).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm').map(([id]) => id);
    expect(alarmIds.filter((id) => allDependencies(template, jobId).has(id))).toEqual([]);
  });
});

describe('the endpoints that users and the smoke test call are references to the endpoints', () => {
  test('outputs and the smoke test wait for the endpoints they name', () => {
    const { stack, template } = synth();
    const outputs = template.toJSON().Outputs;
    expect(outputs.RealtimeEndpointName.Value).toEqual({ 'Fn::GetAtt': [endpoint({ stack, template }, 'RealtimeEndpoint')[0], 'EndpointName'] });
    expect(outputs.ServerlessEndpointName.Value).toEqual({ 'Fn::GetAtt': [endpoint({ stack, template }, 'ServerlessEndpoint')[0], 'EndpointName'] });
  });
});
