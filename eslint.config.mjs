import tseslint from 'typescript-eslint';

// What may import what (docs/development.md, "Layout"): a Lambda bundle holds only lambda/ and the
// AWS SDK, and the constructs never depend on tooling. Relative paths are matched from the repo's
// top folders, so `../../lib/x` from lambda/<fn>/ is caught and `aws-cdk-lib` is named on its own.
const upTo = (folders) => `^(\\.\\./)+(${folders})(/|$)`;
const lambdaImports = {
  patterns: [
    { regex: upTo('lib|scripts|bin|test'), message: 'lambda/ never imports lib/, scripts/, bin/ or test/: a handler bundle holds only lambda/ and the AWS SDK. Move the shared code into lambda/ (lib/ may import it from there).' },
    { regex: '^(aws-cdk-lib|constructs|cdk-nag|@aws-cdk/.*)(/|$)', message: 'lambda/ never imports the CDK: it would be bundled into the handler. Keep CDK code in lib/.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'dist/**', '**/*.js', '**/*.mjs', '.venv/**', 'local-runs/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
    },
  },
  { files: ['lambda/**/*.ts'], rules: { 'no-restricted-imports': ['error', lambdaImports] } },
  {
    files: ['lambda/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [...lambdaImports.patterns, { regex: '^\\.\\./', message: 'lambda/shared/ imports nothing outside lambda/shared/: every handler bundles it.' }],
      }],
    },
  },
  {
    // An example is an app a user could write outside this repository: the package entry is all it has.
    files: ['examples/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^(\\.\\./)+(lib|lambda)/', message: "examples/ import the constructs from the package entry ('../../lib', as 'mnist-sagemaker-cdk' once installed), never lib/<file> or lambda/: export what is missing from lib/index.ts." },
          { regex: '^mnist-sagemaker-cdk/', message: "Import from 'mnist-sagemaker-cdk' itself: its files are not public API." },
        ],
      }],
    },
  },
  {
    files: ['lib/**/*.ts', 'bin/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: upTo('scripts|test'), message: 'lib/ and bin/ never import scripts/ or test/: the app must not depend on tooling. Move the code into lib/ (scripts/ may import it from there).' }],
      }],
    },
  },
);
