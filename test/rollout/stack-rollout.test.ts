import { CfnElement, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { MnistSettingsOverrides, rolloutOptions } from '../../lib/settings';
import { applyDeployment } from '../../lib/endpoints/rollout';
import { MnistSageMakerStack } from '../../lib/mnist/mnist-stack';
import { PROD_SETTINGS } from '../../lib/mnist/mnist-stage';
import { allDependencies, policyStatements, resources, single, synthMnistOnce, validationFindings } from '../stack/synth';

// A real-time endpoint update rolls out by the rollout settings and rolls back on alarms that watch
// its NEW fleet only, which SageMaker reads with the execution role. The serverless endpoint has no
// deployment guardrails (SageMaker documents them for real-time and asynchronous endpoints only).

type Synth = ReturnType<typeof synthMnistOnce>;
const synth = (settings: MnistSettingsOverrides = {}) => synthMnistOnce({ settings, validate: false });
const logicalId = (stack: Stack, alarm: cloudwatch.Alarm) => stack.resolve((alarm.node.defaultChild as cloudwatch.CfnAlarm).logicalId) as string;

/** The real-time endpoint's rollback alarms, as logical ids of the monitoring construct's alarms. */
function rollbackAlarmIds(stack: MnistSageMakerStack): string[] {
  return stack.monitoring.rollbackAlarmsFor(stack.realtimeEndpoint!).alarms.map((alarm) => logicalId(stack, alarm));
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
  ['canary 50% of 2 instances', { rollout: 'canary', rolloutStepSize: '50%', rolloutWaitMinutes: 15, rolloutBakeMinutes: 20, realtimeInstanceCount: 2, realtimeMaxInstanceCount: 2 }, {
    TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 900, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 } },
    TerminationWaitInSeconds: 1200, MaximumExecutionTimeoutInSeconds: (15 + 20 + 30) * 60,
  }],
  ['linear 25% of 4 instances', { rollout: 'linear', rolloutStepSize: '25%', rolloutWaitMinutes: 5, rolloutBakeMinutes: 0, realtimeInstanceCount: 4, realtimeMaxInstanceCount: 4 }, {
    TrafficRoutingConfiguration: { Type: 'LINEAR', WaitIntervalInSeconds: 300, LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 } },
    TerminationWaitInSeconds: 0, MaximumExecutionTimeoutInSeconds: (3 * 5 + 0 + 30) * 60,
  }],
] as Array<[string, MnistSettingsOverrides, Record<string, unknown>]>)('rollout %s', (_, settings, policy) => {
  test('the real-time endpoint gets exactly this DeploymentConfig, rolling back on its rollback alarms; the serverless endpoint none', () => {
    const synthesized = synth(settings);
    expect(endpoint(synthesized, 'RealtimeEndpoint')[1].Properties!.DeploymentConfig).toEqual(deploymentConfig(policy, rollbackAlarmIds(synthesized.stack)));
    expect(endpoint(synthesized, 'ServerlessEndpoint')[1].Properties).not.toHaveProperty('DeploymentConfig');
  });
});

describe('canary by instance count (the prod stage\'s settings)', () => {
  const synthesized = synthMnistOnce({ settings: PROD_SETTINGS });

  test('one of the two instances takes the canary; 10 minutes, then all, baked 10 minutes', () => {
    const [, resource] = endpoint(synthesized, 'RealtimeEndpoint');
    expect(resource.Properties!.DeploymentConfig).toEqual(deploymentConfig({
      TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 600, CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 } },
      TerminationWaitInSeconds: 600, MaximumExecutionTimeoutInSeconds: 3000,
    }, rollbackAlarmIds(synthesized.stack)));
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
  const [realtimeId, realtime] = endpoint(synthesized, 'RealtimeEndpoint');
  const endpointName = realtime.Properties!.EndpointName as string;
  const alarms = Object.entries(resources(template)).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');

  test('the rollback alarms are the 5xx and model-latency ones, never 4xx', () => {
    const refs = (realtime.Properties!.DeploymentConfig as { AutoRollbackConfiguration: { Alarms: Array<{ AlarmName: { Ref: string } }> } })
      .AutoRollbackConfiguration.Alarms.map((a) => a.AlarmName.Ref);
    expect(refs.map((id) => resources(template)[id].Properties!.MetricName)).toEqual(['Invocation5XXErrors', 'ModelLatency']);
  });

  test('each rollback alarm watches the NEW fleet only: the endpoint by its name, the variant, and the configuration this deploy sets', () => {
    const configuration = realtime.Properties!.EndpointConfigName;
    expect(configuration).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^RealtimeEndpointConfig/), 'EndpointConfigName'] });
    for (const id of rollbackAlarmIds(stack)) {
      const dimensions = resources(template)[id].Properties!.Dimensions as Array<{ Name: string }>;
      expect([...dimensions].sort((a, b) => a.Name.localeCompare(b.Name))).toEqual([
        { Name: 'EndpointConfigName', Value: configuration },
        { Name: 'EndpointName', Value: endpointName },
        { Name: 'VariantName', Value: 'AllTraffic' },
      ]);
    }
  });

  test('a rollback alarm is named after the endpoint and the configuration, and notifies no one (the endpoint-wide alarms do)', () => {
    const configuration = realtime.Properties!.EndpointConfigName;
    for (const id of rollbackAlarmIds(stack)) {
      const properties = resources(template)[id].Properties!;
      expect(properties.AlarmName).toEqual({ 'Fn::Join': ['', [`${endpointName}-rollback-${properties.MetricName as string}-`, configuration]] });
      expect(properties).not.toHaveProperty('AlarmActions');
      expect(properties).not.toHaveProperty('OKActions');
    }
  });

  test('the endpoint-wide alarms stay as they were: no configuration dimension, no fixed name, notifying the topic', () => {
    const [topicId] = single(template, 'AWS::SNS::Topic');
    const rollback = new Set(rollbackAlarmIds(stack));
    const notifying = alarms.filter(([id]) => !rollback.has(id));
    expect(notifying.map(([, r]) => r.Properties!.MetricName).sort()).toEqual([
      'Invocation4XXErrors', 'Invocation4XXErrors', 'Invocation5XXErrors', 'Invocation5XXErrors', 'ModelLatency', 'ModelLatency', 'OverheadLatency',
    ]);
    for (const [, alarm] of notifying) {
      expect((alarm.Properties!.Dimensions as Array<{ Name: string }>).map((d) => d.Name).sort()).toEqual(['EndpointName', 'VariantName']);
      expect(alarm.Properties).not.toHaveProperty('AlarmName');
      expect(alarm.Properties!.AlarmActions).toEqual([{ Ref: topicId }]);
    }
  });

  test("endpoint names are fixed at synth, valid for SageMaker, and carry the stack's name", () => {
    for (const prefix of ['RealtimeEndpoint', 'ServerlessEndpoint'] as const) {
      const name = endpoint(synthesized, prefix)[1].Properties!.EndpointName as string;
      expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
      expect(name.startsWith(`${stack.stackName}-${prefix}-`)).toBe(true);
    }
  });

  test('the execution role may DescribeAlarms on exactly the real-time endpoint\'s rollback alarms (any configuration\'s), in a policy the endpoint waits for', () => {
    const roleId = stack.resolve((stack.executionRole.node.defaultChild as CfnElement).logicalId) as string;
    const describe = policyStatements(template).filter(({ statement }) => JSON.stringify(statement.Action).includes('cloudwatch:DescribeAlarms'));
    const [policyId, policy] = single(template, 'AWS::IAM::Policy', 'RealtimeEndpointDescribeRollbackAlarms');
    expect(describe.map((d) => d.policy)).toEqual([policyId]);
    expect(policy.Properties).toEqual({
      PolicyName: expect.any(String),
      Roles: [{ Ref: roleId }],
      PolicyDocument: { Version: '2012-10-17', Statement: [{
        Sid: 'DescribeRollbackAlarms', Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:alarm:${endpointName}-rollback-*`]] },
      }] },
    });
    expect(realtime.DependsOn).toEqual([policyId]);
    // The pattern matches the rollback alarms and no endpoint-wide alarm (those have generated names).
    const rollback = new Set(rollbackAlarmIds(stack));
    for (const [id, alarm] of alarms) {
      const named = JSON.stringify(alarm.Properties!.AlarmName ?? '').startsWith(`{"Fn::Join":["",["${endpointName}-rollback-`);
      expect(named).toBe(rollback.has(id));
    }
  });

  test('alarms come first: the endpoint waits for them, they wait for its configuration but not for it (no cycle)', () => {
    const before = allDependencies(template, realtimeId);
    const [configId] = single(template, 'AWS::SageMaker::EndpointConfig', 'RealtimeEndpointConfig');
    for (const id of rollbackAlarmIds(stack)) {
      expect(before.has(id)).toBe(true);
      expect(allDependencies(template, id).has(configId)).toBe(true);
      expect(allDependencies(template, id).has(realtimeId)).toBe(false);
    }
  });

  test('the training job does not wait for the alarms (their grant is not part of the role the job waits for)', () => {
    const [jobId] = single(template, 'Custom::SageMakerTrainingJob');
    expect(alarms.map(([id]) => id).filter((id) => allDependencies(template, jobId).has(id))).toEqual([]);
  });
});

describe('the serverless endpoint: no deployment guardrails', () => {
  test('no DeploymentConfig, no DescribeAlarms grant, no rollback alarms; its notification alarms stay', () => {
    for (const settings of [{}, { realtimeEndpoint: false }, { realtimeEndpoint: false, rollout: 'canary', rolloutStepSize: '50%' }] as MnistSettingsOverrides[]) {
      const synthesized = synth(settings);
      const { template } = synthesized;
      expect(endpoint(synthesized, 'ServerlessEndpoint')[1].Properties).not.toHaveProperty('DeploymentConfig');
      const serverlessAlarms = Object.values(resources(template))
        .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && JSON.stringify(r.Properties!.Dimensions).includes('ServerlessEndpoint'));
      expect(serverlessAlarms.map((r) => r.Properties!.MetricName).sort()).toEqual(['Invocation4XXErrors', 'Invocation5XXErrors', 'ModelLatency', 'OverheadLatency']);
      for (const alarm of serverlessAlarms) expect(alarm.Properties).not.toHaveProperty('AlarmName');
      expect(policyStatements(template).filter(({ policy }) => policy.startsWith('ServerlessEndpoint'))).toEqual([]);
      expect(() => synthesized.stack.monitoring.rollbackAlarmsFor(synthesized.stack.serverlessEndpoint!)).toThrow("EndpointMonitoring: endpoint 'Serverless' has no rollback alarms");
    }
  });

  test('applyDeployment refuses a serverless target', () => {
    const { stack } = synth();
    const serverless = stack.serverlessEndpoint!;
    const options = { rollout: rolloutOptions(stack.settings), rollbackAlarms: stack.monitoring.rollbackAlarmsFor(stack.realtimeEndpoint!), executionRole: stack.executionRole };
    expect(() => applyDeployment(serverless, serverless.endpoint, { serverless: true }, options))
      .toThrow('Deployment guardrails apply to real-time and asynchronous endpoints only; a serverless endpoint takes no DeploymentConfig.');
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
