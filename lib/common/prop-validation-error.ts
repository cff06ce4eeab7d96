import { IConstruct } from 'constructs';

/**
 * A construct prop that cannot work, found in the constructor (as aws-cdk-lib's ValidationError):
 * the message names the construct's path and the prop, e.g. `App/Serverless: memorySizeInMb must
 * be one of 1024, 2048, …, got 1500`, so an app prints it as one line (exitOnSettingsError).
 */
export class PropValidationError extends Error {
  /** The construct path, e.g. `MnistSageMaker/ServerlessEndpoint`. */
  public readonly constructPath: string;

  /**
   * @param scope the construct whose props are wrong
   * @param prop the prop's name as the props interface spells it (`memorySizeInMb`, `dataCapture.samplingPercentage`)
   * @param problem what is wrong and what is accepted, following the prop's name (`must be one of …, got 1500`)
   */
  constructor(scope: IConstruct, public readonly prop: string, problem: string) {
    super(`${scope.node.path}: ${prop} ${problem}`);
    this.name = 'PropValidationError';
    this.constructPath = scope.node.path;
  }
}
