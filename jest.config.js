// The AWS SDK's Node 20 support warning once per test file is noise (README: Node 22+ recommended);
// its documented switch, inherited by the workers and by the commands the tests start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // As `cdk init app --language typescript` sets it up: swc only strips types (fast); `npm run build`
  // (tsc --noEmit) is what type-checks.
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  // A green run prints the runners' summaries and little else: CDK's "Bundling asset …" stderr line
  // is dropped, and console output is shown for test files that failed only.
  setupFiles: ['<rootDir>/test/support/quiet-setup.cjs'],
  reporters: ['<rootDir>/test/support/quiet-reporter.cjs', 'summary'],
  // One worker per core: jest's default leaves one core to its mostly idle parent process,
  // which on a 2-core laptop halves the speed of the CPU-bound synthesis suites.
  maxWorkers: '100%',
  testTimeout: 120000,
};
