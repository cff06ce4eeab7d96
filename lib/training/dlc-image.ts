/**
 * AWS Deep Learning Container (DLC) image URIs that work in any region.
 *
 * The registry account differs by region (763104351884 in most, others in opt-in regions).
 * It comes from aws-cdk-lib's region facts (`FactName.DLC_REPOSITORY_ACCOUNT`); for a stack
 * without a concrete region it becomes a CloudFormation mapping looked up by `AWS::Region`
 * at deploy time.
 */
import { CfnMapping, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Fact, FactName, RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { grantStatements } from '../common/grant-statements';
import { SettingsError } from '../settings/settings-error';

/**
 * DLC accounts of regions that aws-cdk-lib 2.276's region facts do not list yet, as published
 * in the DLC "available images" list and the SageMaker Python SDK's image_uri_config.
 * aws-cdk-lib's own facts win wherever it has one.
 */
export const DLC_ACCOUNTS_MISSING_FROM_REGION_INFO: Readonly<Record<string, string>> = Object.freeze({
  'af-south-1': '626614931356',
  'ap-northeast-3': '364406365360',
  'ap-southeast-5': '550225433462',
  'ap-southeast-7': '590183813437',
  'ca-west-1': '204538143572',
  'il-central-1': '780543022126',
  'mx-central-1': '637423239942',
  'us-gov-east-1': '446045086412',
  'us-gov-west-1': '442386744353',
});

/** The DLC registry account of a concrete region, or undefined when unknown. */
export function dlcAccountForRegion(region: string): string | undefined {
  return Fact.find(region, FactName.DLC_REPOSITORY_ACCOUNT) ?? DLC_ACCOUNTS_MISSING_FROM_REGION_INFO[region];
}

const MAPPING_ID = 'DlcRepositoryAccounts';
const MAPPING_KEY = 'account';

/**
 * The DLC registry account for the stack that holds `scope`: `override` if given, the literal
 * account when the stack's region is concrete, else a per-region mapping lookup.
 */
export function dlcRepositoryAccount(scope: Construct, override?: string): string {
  if (override) return override;
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) {
    const account = dlcAccountForRegion(stack.region);
    if (!account) {
      throw new SettingsError(`No Deep Learning Containers account is known for region ${stack.region}: set -c dlcAccount=<12-digit account> (see the DLC "available images" list).`);
    }
    return account;
  }
  const existing = stack.node.tryFindChild(MAPPING_ID) as CfnMapping | undefined;
  const mapping = existing ?? new CfnMapping(stack, MAPPING_ID, { mapping: regionAccountMap(stack) });
  return mapping.findInMap(Stack.of(scope).region, MAPPING_KEY);
}

/** Region → account for the partitions this app targets (`@aws-cdk/core:target-partitions`). */
function regionAccountMap(stack: Stack): Record<string, Record<string, string>> {
  const partitions = stack.node.tryGetContext(cxapi.TARGET_PARTITIONS) as string[] | undefined;
  const inScope = (region: string) => !Array.isArray(partitions) || partitions.includes(RegionInfo.get(region).partition ?? 'aws');
  const map: Record<string, Record<string, string>> = {};
  const regions = new Set([...RegionInfo.regions.map((r) => r.name), ...Object.keys(DLC_ACCOUNTS_MISSING_FROM_REGION_INFO)]);
  for (const region of [...regions].sort()) {
    const account = dlcAccountForRegion(region);
    if (account && inScope(region)) map[region] = { [MAPPING_KEY]: account };
  }
  return map;
}

export interface DlcImageProps {
  /** e.g. `pytorch-training`, `pytorch-inference`. */
  readonly repositoryName: string;
  readonly tag: string;
  /** Registry account; default: the region's DLC account. */
  readonly account?: string;
}

/** One DLC image: its URI and the ECR repository to grant pulls on. */
export class DlcImage {
  /** `<account>.dkr.ecr.<region>.<urlSuffix>/<repository>:<tag>` */
  public readonly imageUri: string;
  public readonly repositoryArn: string;

  constructor(scope: Construct, props: DlcImageProps) {
    const stack = Stack.of(scope);
    const account = dlcRepositoryAccount(scope, props.account);
    this.imageUri = `${account}.dkr.ecr.${stack.region}.${stack.urlSuffix}/${props.repositoryName}:${props.tag}`;
    this.repositoryArn = stack.formatArn({
      service: 'ecr',
      account,
      resource: 'repository',
      resourceName: props.repositoryName,
    });
  }

  /** Let `grantee` pull `images` ({@link DlcImage.pullStatements}). */
  static grantPull(grantee: iam.IGrantable, images: DlcImage[]): iam.Grant {
    return grantStatements(grantee, DlcImage.pullStatements(images));
  }

  /** Pull rights: layers and manifests from these repositories, and a registry token (account-wide by design). */
  static pullStatements(images: DlcImage[]): iam.PolicyStatement[] {
    const repositories = [...new Set(images.map((i) => i.repositoryArn))];
    return [
      new iam.PolicyStatement({
        sid: 'PullDeepLearningContainerImages',
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        resources: repositories,
      }),
      new iam.PolicyStatement({
        sid: 'GetEcrAuthorizationToken',
        actions: ['ecr:GetAuthorizationToken'],
        resources: ['*'],
      }),
    ];
  }
}
