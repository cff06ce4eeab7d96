import { resources, single, synthMnist, synthMnistOnce, SynthOptions } from '../stack/synth';

// CloudFormation's validation of these variants is asserted in test/stack (off here: it is slow).
const synth = (options: SynthOptions = {}) => synthMnistOnce({ ...options, validate: false });

/** The alarms' (EndpointName, VariantName[, EndpointConfigName]) dimensions, as synthesized. */
function alarmTargets(template: ReturnType<typeof synthMnist>['template']) {
  return Object.values(resources(template))
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => {
      const dims = r.Properties!.Dimensions as Array<{ Name: string; Value: unknown }>;
      const config = dims.find((d) => d.Name === 'EndpointConfigName');
      return `${r.Properties!.MetricName} ${JSON.stringify(dims.find((d) => d.Name === 'EndpointName')!.Value)} ${dims.find((d) => d.Name === 'VariantName')!.Value}` +
        (config ? ` ${JSON.stringify(config.Value)}` : '');
    })
    .sort();
}

describe('the MNIST stack monitors what it deploys', () => {
  test('default: both endpoints, by their deployed names and variants; training job on the dashboard', () => {
    const { stack, template } = synth();
    // By the literal names the endpoints are created with (their rollback configuration names the
    // alarms, so the alarms cannot refer to the endpoints).
    const deployedName = (prefix: string) => single(template, 'AWS::SageMaker::Endpoint', prefix)[1].Properties!.EndpointName;
    expect(deployedName('RealtimeEndpoint')).toBe(stack.realtimeEndpoint!.physicalEndpointName);
    expect(deployedName('ServerlessEndpoint')).toBe(stack.serverlessEndpoint!.physicalEndpointName);
    const realtime = JSON.stringify(stack.realtimeEndpoint!.physicalEndpointName);
    const serverless = JSON.stringify(stack.serverlessEndpoint!.physicalEndpointName);
    // The real-time endpoint's rollback alarms also watch the configuration this deploy sets.
    const realtimeConfig = JSON.stringify(single(template, 'AWS::SageMaker::Endpoint', 'RealtimeEndpoint')[1].Properties!.EndpointConfigName);
    expect(alarmTargets(template)).toEqual([
      `Invocation4XXErrors ${realtime} AllTraffic`, `Invocation4XXErrors ${serverless} AllTraffic`,
      `Invocation5XXErrors ${realtime} AllTraffic`, `Invocation5XXErrors ${serverless} AllTraffic`,
      `ModelLatency ${realtime} AllTraffic`, `ModelLatency ${serverless} AllTraffic`,
      `OverheadLatency ${serverless} AllTraffic`,
      `Invocation5XXErrors ${realtime} AllTraffic ${realtimeConfig}`, `ModelLatency ${realtime} AllTraffic ${realtimeConfig}`,
    ].sort());
    const [dashboard] = Object.values(resources(template)).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    const parts = (dashboard.Properties!.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    // The final accuracy comes from the training custom resource; the graph from the job's own metrics.
    expect(parts).toContainEqual(stack.resolve(stack.trainingJob!.finalMetric('test:accuracy')));
    expect(parts).toContainEqual(stack.resolve(stack.trainingJob!.trainingJobName));
    expect(parts.filter((p) => typeof p === 'string').join('')).toContain('"/aws/sagemaker/TrainingJobs","test:accuracy","Host"');
    const [dashboardId] = single(template, 'AWS::CloudWatch::Dashboard');
    const [topicId] = single(template, 'AWS::SNS::Topic');
    const outputs = template.toJSON().Outputs;
    expect(outputs.DashboardUrl.Value).toEqual({ 'Fn::Join': ['', [
      'https://', { 'Fn::FindInMap': ['ConsoleHostByPartition', { Ref: 'AWS::Partition' }, 'host'] },
      '/cloudwatch/home?region=', { Ref: 'AWS::Region' }, '#dashboards/dashboard/', { Ref: dashboardId },
    ]] });
    expect(outputs.AlarmTopicArn.Value).toEqual({ Ref: topicId });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('the dashboard link uses the console of the partition it is deployed in', () => {
    // (China has no sample-files bucket: the data comes from an S3 prefix there.)
    const china = { dataSource: 's3', dataS3Uri: 's3://mnist-data/mnist/' };
    const link = (env?: { account: string; region: string }) =>
      JSON.stringify(synth(env ? { env, context: env.region.startsWith('cn-') ? china : {} } : {}).template.toJSON().Outputs.DashboardUrl.Value);
    expect(link()).toContain('{"Fn::FindInMap":["ConsoleHostByPartition",{"Ref":"AWS::Partition"},"host"]}');
    expect(link({ account: '123456789012', region: 'cn-north-1' })).toContain('https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1');
    expect(link({ account: '123456789012', region: 'eu-west-1' })).toContain('https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1');
  });

  test('serverless only: no real-time alarms, and no rollback alarms (the serverless endpoint has no deployment guardrails)', () => {
    const { template } = synth({ settings: { realtimeEndpoint: false } });
    expect(alarmTargets(template).map((t) => t.split(' ')[0])).toEqual([
      'Invocation4XXErrors', 'Invocation5XXErrors', 'ModelLatency', 'OverheadLatency',
    ]);
  });

  test('alarmEmail from context subscribes the address; a bad one fails synth naming the setting', () => {
    const { template } = synth({ context: { alarmEmail: 'ops@example.com' } });
    const [topicId] = single(template, 'AWS::SNS::Topic');
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } });
    expect(() => synthMnist({ validate: false, context: { alarmEmail: 'ops at example' } })).toThrow(/Invalid setting alarmEmail=ops at example: expected an e-mail address/);
  });
});
