// SecureBucket in an app without the project's cdk.json: a package user's app may lack `cdk init`'s
// feature flags, and the bucket-owner-enforced log bucket must still receive access logs.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecureBucket } from '../../lib';

function synth(context: Record<string, unknown> = {}): Template {
  const app = new App({ context });
  const stack = new Stack(app, 'Consumer');
  new SecureBucket(stack, 'Storage');
  return Template.fromStack(stack);
}

test('without any feature flag, access logs reach the log bucket by its policy, never by an ACL', () => {
  const template = synth();
  for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
    expect(bucket.Properties?.AccessControl).toBeUndefined();
    expect(bucket.Properties?.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  }
  template.hasResourceProperties('AWS::S3::BucketPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
      })]),
    },
  });
});

test('an app that turned the flag off explicitly still gets the policy inside SecureBucket only', () => {
  const template = synth({ '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': false });
  template.hasResourceProperties('AWS::S3::BucketPolicy', {
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' } })]) },
  });
});
