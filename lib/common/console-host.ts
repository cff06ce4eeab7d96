import { CfnMapping, Stack } from 'aws-cdk-lib';

/** Console domains per partition (the global one would be wrong in China and GovCloud). */
const CONSOLE_HOSTS: Record<string, string> = {
  'aws': 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

/** The AWS console's host name for the stack's partition: a literal where it is known, else a mapping lookup. */
export function consoleHost(stack: Stack): string {
  const id = 'ConsoleHostByPartition';
  const mapping = (stack.node.tryFindChild(id) as CfnMapping | undefined) ?? new CfnMapping(stack, id, {
    mapping: Object.fromEntries(Object.entries(CONSOLE_HOSTS).map(([partition, host]) => [partition, { host }])),
    lazy: true,
  });
  return mapping.findInMap(stack.partition, 'host');
}
