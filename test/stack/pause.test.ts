// pauseRealtimeEndpoint: the real-time endpoint and what exists only for it go; the model, the
// training job, the data, the bucket and the serverless endpoint stay exactly as they were.
import { PROD_SETTINGS } from '../../lib/mnist/mnist-stage';
import { resources, synthMnistOnce } from './synth';

type Resources = ReturnType<typeof resources>;

const running = () => resources(synthMnistOnce({ validate: false }).template);
const paused = () => resources(synthMnistOnce({ validate: false, context: { pauseRealtimeEndpoint: 'true' } }).template);

/** Resources of these types, by logical id. */
function ofTypes(all: Resources, ...types: string[]): Resources {
  return Object.fromEntries(Object.entries(all).filter(([, r]) => types.includes(r.Type)));
}

/** Every logical id that belongs to the real-time endpoint or watches it. */
function realtimeIds(all: Resources): string[] {
  return Object.keys(all).filter((id) => id.startsWith('RealtimeEndpoint') || id.startsWith('MonitoringRealtime'));
}

test('the running stack has a real-time endpoint, so the comparisons below compare something', () => {
  expect(realtimeIds(running()).length).toBeGreaterThanOrEqual(3);
  expect(Object.keys(ofTypes(running(), 'AWS::SageMaker::Endpoint'))).toHaveLength(2);
});

test('paused: no real-time endpoint, configuration or alarm is left', () => {
  expect(realtimeIds(paused())).toEqual([]);
  const endpoints = Object.values(ofTypes(paused(), 'AWS::SageMaker::Endpoint'));
  expect(endpoints).toHaveLength(1);
  const configs = Object.values(ofTypes(paused(), 'AWS::SageMaker::EndpointConfig'));
  expect(configs).toHaveLength(1);
  expect(configs[0].Properties!.ProductionVariants).toEqual([expect.objectContaining({ ServerlessConfig: expect.anything() })]);
});

test('paused: the model, training job, data copy, bucket and serverless endpoint are untouched (no retrain, no new model)', () => {
  const kept = ['AWS::SageMaker::Model', 'Custom::SageMakerTrainingJob', 'Custom::S3PrefixCopy', 'AWS::S3::Bucket'];
  expect(ofTypes(paused(), ...kept)).toEqual(ofTypes(running(), ...kept));
  const serverless = (all: Resources) => Object.fromEntries(Object.entries(all).filter(([id]) => id.startsWith('ServerlessEndpoint')));
  expect(Object.keys(serverless(running())).length).toBeGreaterThanOrEqual(2);
  expect(serverless(paused())).toEqual(serverless(running()));
});

test('paused: the outputs and the smoke test follow (serverless only)', () => {
  const { template } = synthMnistOnce({ validate: false, context: { pauseRealtimeEndpoint: 'true' } });
  const outputs = Object.keys(template.toJSON().Outputs);
  expect(outputs).toEqual(expect.arrayContaining(['ServerlessEndpointName', 'InvokeServerlessEndpoint', 'SmokeTestFunctionName']));
  expect(outputs.filter((o) => o.includes('Realtime'))).toEqual([]);

  const fn = Object.values(ofTypes(paused(), 'AWS::Lambda::Function')).find((f) => (f.Properties!.Description as string | undefined)?.startsWith('Sends labelled inputs'))!;
  const env = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
  expect(env.ENDPOINT_NAMES).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ServerlessEndpoint/), 'EndpointName'] });
  expect(env.NO_ENDPOINTS_REASON).toBeUndefined();
  // Only the serverless endpoint's served configuration is checked.
  expect(env.ENDPOINT_CONFIGS).toEqual({ 'Fn::Join': ['', [
    { 'Fn::GetAtt': [expect.stringMatching(/^ServerlessEndpoint/), 'EndpointName'] }, '=',
    { 'Fn::GetAtt': [expect.stringMatching(/^ServerlessEndpointConfig/), 'EndpointConfigName'] },
  ]] });
  expect(Object.keys(ofTypes(paused(), 'Custom::Trigger'))).toHaveLength(1);
});

test('pausing the only endpoint (the prod stage) keeps a smoke-test function that says why nothing is tested', () => {
  const { template } = synthMnistOnce({ validate: false, settings: { ...PROD_SETTINGS, pauseRealtimeEndpoint: true } });
  const all = resources(template);
  expect(ofTypes(all, 'AWS::SageMaker::Endpoint', 'AWS::SageMaker::EndpointConfig', 'AWS::CloudWatch::Alarm', 'Custom::Trigger',
    'AWS::ApplicationAutoScaling::ScalableTarget')).toEqual({});
  expect(Object.keys(ofTypes(all, 'AWS::SageMaker::Model'))).toHaveLength(1);

  const fn = Object.values(ofTypes(all, 'AWS::Lambda::Function')).find((f) => (f.Properties!.Description as string | undefined)?.startsWith('Sends labelled inputs'))!;
  const env = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
  expect(env.ENDPOINT_NAMES).toBe('');
  expect(env.NO_ENDPOINTS_REASON).toBe('the real-time endpoint is paused (pauseRealtimeEndpoint=true) and serverlessEndpoint=false: this stack serves no endpoint');
  // Its role may invoke nothing.
  const policies = Object.values(ofTypes(all, 'AWS::IAM::Policy')).map((p) => JSON.stringify(p.Properties));
  expect(policies.filter((p) => p.includes('sagemaker:InvokeEndpoint') || p.includes('sagemaker:DescribeEndpoint'))).toEqual([]);
  expect(env.ENDPOINT_CONFIGS).toBeUndefined();
  expect(Object.keys(template.toJSON().Outputs)).toEqual(expect.arrayContaining(['SmokeTestFunctionName', 'DashboardUrl', 'TrainingJobName']));
});

test('unpausing gives back the same template as never pausing', () => {
  const unpaused = resources(synthMnistOnce({ validate: false, context: { pauseRealtimeEndpoint: 'false' } }).template);
  expect(unpaused).toEqual(running());
});
