/* eslint-disable @typescript-eslint/no-require-imports -- a jest reporter is loaded untransformed: CommonJS */
// Jest's reporter, less the console output of test files that passed: the tests' own progress and
// size lines (console.log/info) are kept for a file with a failing test, where they help, and dropped
// where everything passed, so a green run prints the summaries and little else.
// jest's own copy of @jest/reporters (a dependency of jest, not of this project).
const { DefaultReporter, VerboseReporter } = require(require.resolve('@jest/reporters', { paths: [require.resolve('jest')] }));

function quietReporter(Base) {
  return class extends Base {
    printTestFileHeader(testPath, config, result) {
      const passed = result.numFailingTests === 0 && !result.testExecError && !result.failureMessage;
      super.printTestFileHeader(testPath, config, passed ? { ...result, console: undefined } : result);
    }
  };
}

const QuietDefaultReporter = quietReporter(DefaultReporter);
const QuietVerboseReporter = quietReporter(VerboseReporter);

/** The reporter jest's 'default' would pick (verbose for one test file), made quiet. */
module.exports = class QuietReporter {
  constructor(globalConfig, options) {
    return globalConfig.verbose ? new QuietVerboseReporter(globalConfig, options) : new QuietDefaultReporter(globalConfig, options);
  }
};
