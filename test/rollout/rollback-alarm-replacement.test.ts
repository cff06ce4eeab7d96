import { CfnResolver } from '../support/cfn-resolve';
import type { CfnTemplate } from '../support/synthesized-app';
import { resources, single, synthMnistOnce } from '../stack/synth';

// A new model reaches the real-time endpoint as a NEW endpoint configuration (a retrained model is a
// new Model, and every EndpointConfig property requires replacement): CloudFormation names it anew,
// and only at deploy time. The rollback alarms must follow it: watch that configuration's fleet
// (dimension EndpointConfigName) and be NEW alarms — CloudFormation keeps an alarm's state when it
// updates its definition in place, but AlarmName requires replacement (AWS::CloudWatch::Alarm), so a
// name carrying the configuration's name gives every configuration alarms of its own, and leaves the
// previous configuration's alarms in place until the update has succeeded, for CloudFormation's
// rollback to name again. This resolves the template as CloudFormation would for two consecutive
// configurations and compares what each alarm becomes.

const { template } = synthMnistOnce({ validate: false });
const json = template.toJSON() as CfnTemplate;
const [, realtime] = single(template, 'AWS::SageMaker::Endpoint', 'RealtimeEndpoint');
const configId = (realtime.Properties!.EndpointConfigName as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const rollbackIds = (realtime.Properties!.DeploymentConfig as { AutoRollbackConfiguration: { Alarms: Array<{ AlarmName: { Ref: string } }> } })
  .AutoRollbackConfiguration.Alarms.map((a) => a.AlarmName.Ref);
const alarmIds = Object.entries(resources(template)).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm').map(([id]) => id);
const notificationIds = alarmIds.filter((id) => !rollbackIds.includes(id));

/** The template as CloudFormation deploys it when the real-time endpoint's configuration is named `configName`. */
const deployedWith = (configName: string) =>
  new CfnResolver(json, { account: '123456789012', region: 'eu-west-1', values: { [`${configId}.EndpointConfigName`]: configName } });
const previous = deployedWith('RealtimeEndpointConfig-previous');
const next = deployedWith('RealtimeEndpointConfig-next');
const properties = (resolver: CfnResolver, id: string) => resolver.resolve(resources(template)[id].Properties) as Record<string, unknown>;

test('the endpoint rolls back on rollback alarms only, and there are some', () => {
  expect(rollbackIds.length).toBeGreaterThan(0);
  expect(notificationIds.length).toBeGreaterThan(0);
});

test.each([['previous', previous], ['next', next]] as const)('deployed with the %s configuration, each rollback alarm watches that configuration\'s fleet', (which, resolver) => {
  for (const id of rollbackIds) {
    const dimensions = properties(resolver, id).Dimensions as Array<{ Name: string; Value: string }>;
    expect(dimensions.find((d) => d.Name === 'EndpointConfigName')?.Value).toBe(`RealtimeEndpointConfig-${which}`);
  }
});

test('a new configuration gives the rollback alarms new names (CloudFormation replaces them); the notification alarms stay exactly as they were', () => {
  for (const id of rollbackIds) {
    const [before, after] = [previous, next].map((resolver) => properties(resolver, id).AlarmName as string);
    expect(before).toMatch(/-RealtimeEndpointConfig-previous$/);
    expect(after).toMatch(/-RealtimeEndpointConfig-next$/);
  }
  for (const id of notificationIds) expect(properties(next, id)).toEqual(properties(previous, id));
});

test('what SageMaker reads: the endpoint names the new alarms, and the execution role may describe the previous and the new ones', () => {
  for (const resolver of [previous, next]) {
    const config = resolver.resolve(realtime.Properties!.DeploymentConfig) as { AutoRollbackConfiguration: { Alarms: Array<{ AlarmName: string }> } };
    expect(config.AutoRollbackConfiguration.Alarms.map((a) => a.AlarmName)).toEqual(rollbackIds.map((id) => properties(resolver, id).AlarmName));
  }
  const [, policy] = single(template, 'AWS::IAM::Policy', 'RealtimeEndpointDescribeRollbackAlarms');
  const [statement] = (next.resolve(policy.Properties!.PolicyDocument) as { Statement: Array<{ Resource: string }> }).Statement;
  expect(statement.Resource).toMatch(/^arn:aws:cloudwatch:eu-west-1:123456789012:alarm:.+-rollback-\*$/);
  const granted = (arn: string) => arn.startsWith(statement.Resource.slice(0, -1));
  for (const resolver of [previous, next]) {
    for (const id of rollbackIds) expect(granted(resolver.arnOf(id))).toBe(true);
    for (const id of notificationIds) expect(granted(resolver.arnOf(id))).toBe(false);
  }
});
