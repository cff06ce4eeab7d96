import { customerMetadata, MAX_METADATA_ENTRIES, MAX_METADATA_KEY_LENGTH, MAX_METADATA_VALUE_LENGTH, metadataProblem, metricKey, REGISTRATION_KEY } from './customer-metadata';
import type { ModelApprovalStatus, ModelPackageVersionProperties } from './properties';
import { MAX_OWN_DESCRIPTION_LENGTH } from './registration-key';

/*
 * Custom::ModelPackageVersion's properties, checked before anything is written: each problem names
 * the property, what SageMaker accepts and the fix (the ModelPackageVersion construct's prop that
 * sets it), so a failed deploy says what to change.
 */

const APPROVAL_STATUSES: readonly ModelApprovalStatus[] = ['PendingManualApproval', 'Approved', 'Rejected'];
/** SageMaker's rule for model package group names (CreateModelPackageGroup). */
const GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** ModelPackageContainerDefinition.Environment keys. */
const ENVIRONMENT_KEY = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** ResponseMIMEType. */
const MIME_TYPE = /^[-\w]+\/.+$/;

export class PropertyError extends Error {
  constructor(property: string, problem: string, fix: string) {
    super(`Custom::ModelPackageVersion property ${property} ${problem}. Fix: ${fix}`);
    this.name = 'PropertyError';
  }
}

const shown = (value: unknown): string => (value === undefined ? 'nothing' : `'${typeof value === 'string' ? value : JSON.stringify(value)}'`);

function isStringMap(value: unknown): value is Record<string, string> {
  return !!value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

function checkTypes(property: string, value: unknown, pattern: RegExp | undefined, prop: string): void {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '' && (!pattern || pattern.test(v)))) {
    throw new PropertyError(property, `must be a non-empty list of MIME types (e.g. ["application/json"]), got ${shown(value)}`, `set ${prop} of ModelPackageVersion, or leave it out for ["application/json"]`);
  }
}

/** `raw` as the contract's properties, or a PropertyError for the first problem. */
export function checkProperties(raw: Record<string, unknown>): ModelPackageVersionProperties {
  const props = raw as unknown as ModelPackageVersionProperties;
  if (typeof props.ModelPackageGroupName !== 'string' || !GROUP_NAME.test(props.ModelPackageGroupName)) {
    throw new PropertyError('ModelPackageGroupName', `must name a model package group (1 to 63 letters, digits and hyphens), got ${shown(props.ModelPackageGroupName)}`,
      'pass the ModelPackageGroup (or ModelPackageGroup.fromModelPackageGroupAttributes) as the group prop of ModelPackageVersion');
  }
  if (typeof props.ImageUri !== 'string' || !/^\S{1,255}$/.test(props.ImageUri)) {
    throw new PropertyError('ImageUri', `must be the inference image's URI (up to 255 characters, no spaces), got ${shown(props.ImageUri)}`,
      'set imageUri of ModelPackageVersion to the image the model is served with (e.g. the PyTorch inference DLC)');
  }
  if (typeof props.ModelDataUrl !== 'string' || !/^s3:\/\/[^/]+\/\S+$/.test(props.ModelDataUrl) || props.ModelDataUrl.length > 1024) {
    throw new PropertyError('ModelDataUrl', `must be an s3://bucket/key URL of the model artifact, got ${shown(props.ModelDataUrl)}`,
      'set modelDataUrl of ModelPackageVersion to the training job\'s modelDataUrl (s3://…/model.tar.gz)');
  }
  if (props.Environment !== undefined) {
    const bad = isStringMap(props.Environment) ? Object.keys(props.Environment).find((k) => !ENVIRONMENT_KEY.test(k) || k.length > 1024 || props.Environment[k].length > 1024) : '';
    if (bad !== undefined) {
      throw new PropertyError('Environment', `must map variable names (letters, digits, _; not starting with a digit) to values of up to 1024 characters, got ${shown(bad || props.Environment)}`,
        'fix the environment prop of ModelPackageVersion');
    }
  }
  checkTypes('ContentTypes', props.ContentTypes, undefined, 'contentTypes');
  checkTypes('ResponseTypes', props.ResponseTypes, MIME_TYPE, 'responseTypes');
  if (!APPROVAL_STATUSES.includes(props.InitialApprovalStatus)) {
    throw new PropertyError('InitialApprovalStatus', `must be one of ${APPROVAL_STATUSES.join(', ')}, got ${shown(props.InitialApprovalStatus)}`,
      'set initialApprovalStatus of ModelPackageVersion to one of these, or leave it out for PendingManualApproval');
  }
  if (props.Lineage !== undefined && !isStringMap(props.Lineage)) {
    throw new PropertyError('Lineage', `must map names to strings, got ${shown(props.Lineage)}`, 'fix the lineage prop of ModelPackageVersion');
  }
  if (props.ModelQuality !== undefined) checkQuality(props);
  if (props.Description !== undefined && (typeof props.Description !== 'string' || props.Description.length > MAX_OWN_DESCRIPTION_LENGTH)) {
    throw new PropertyError('Description', `must be text of up to ${MAX_OWN_DESCRIPTION_LENGTH} characters (SageMaker allows 1024, the registration key takes the rest), got ${String(props.Description).length}`,
      'shorten the description prop of ModelPackageVersion');
  }
  if (props.DeleteVersionsWithStack !== undefined && props.DeleteVersionsWithStack !== 'true' && props.DeleteVersionsWithStack !== 'false') {
    throw new PropertyError('DeleteVersionsWithStack', `must be 'true' or 'false', got ${shown(props.DeleteVersionsWithStack)}`, 'set deleteVersionsWithStack of ModelPackageVersion to true or false');
  }
  checkMetadata(props);
  return props;
}

function checkQuality(props: ModelPackageVersionProperties): void {
  const quality = props.ModelQuality!;
  if (typeof quality.ProblemType !== 'string' || !/^[A-Za-z0-9_]+$/.test(quality.ProblemType)) {
    throw new PropertyError('ModelQuality.ProblemType', `must name the report's section (e.g. multiclass_classification_metrics), got ${shown(quality.ProblemType)}`,
      'set modelQuality.problemType of ModelPackageVersion');
  }
  if (!quality.Metrics || typeof quality.Metrics !== 'object' || Object.keys(quality.Metrics).length === 0) {
    throw new PropertyError('ModelQuality.Metrics', `must hold at least one metric, got ${shown(quality.Metrics)}`, 'set modelQuality.metrics of ModelPackageVersion, or leave modelQuality out');
  }
  for (const [name, metric] of Object.entries(quality.Metrics)) {
    if (!metric || typeof metric.Value !== 'string' || metric.Value.trim() === '' || !Number.isFinite(Number(metric.Value))) {
      throw new PropertyError(`ModelQuality.Metrics.${name}.Value`, `must be a number, got ${shown(metric?.Value)}`,
        `set modelQuality.metrics['${name}'].value of ModelPackageVersion to the metric's value (e.g. the training job's metric attribute)`);
    }
    if (metric.Scale !== undefined && (String(metric.Scale).trim() === '' || !Number.isFinite(Number(metric.Scale)))) {
      throw new PropertyError(`ModelQuality.Metrics.${name}.Scale`, `must be a number, got ${shown(metric.Scale)}`, `set modelQuality.metrics['${name}'].scale of ModelPackageVersion to a number, or leave it out for 1`);
    }
  }
  if (typeof props.ReportS3Prefix !== 'string' || !/^s3:\/\/[^/]+\/(.*\/)?$/.test(props.ReportS3Prefix)) {
    throw new PropertyError('ReportS3Prefix', `must be an s3://bucket/prefix/ URL ending in '/', got ${shown(props.ReportS3Prefix)}`,
      'set reportBucket and reportPrefix (ending in \'/\') of ModelPackageVersion');
  }
}

function checkMetadata(props: ModelPackageVersionProperties): void {
  if (Object.prototype.hasOwnProperty.call(props.Lineage ?? {}, REGISTRATION_KEY)) {
    throw new PropertyError(`Lineage.${REGISTRATION_KEY}`, 'is the key the handler records the registration key under', `rename lineage['${REGISTRATION_KEY}'] of ModelPackageVersion`);
  }
  const metadata = customerMetadata(props, '0'.repeat(16));
  const count = Object.keys(metadata).length;
  if (count > MAX_METADATA_ENTRIES) {
    throw new PropertyError('Lineage', `and ModelQuality.Metrics make ${count} CustomerMetadataProperties, more than the ${MAX_METADATA_ENTRIES} SageMaker accepts (one is the RegistrationKey)`,
      'record fewer lineage entries or metrics in ModelPackageVersion');
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (key === REGISTRATION_KEY) continue;
    const metric = Object.keys(props.ModelQuality?.Metrics ?? {}).find((name) => metricKey(name) === key);
    const property = metric !== undefined ? `ModelQuality.Metrics.${metric}` : `Lineage.${key}`;
    const fix = metric !== undefined ? 'rename the metric in modelQuality.metrics of ModelPackageVersion' : `fix lineage['${key}'] of ModelPackageVersion`;
    const keyProblem = metadataProblem(key, MAX_METADATA_KEY_LENGTH);
    if (keyProblem) throw new PropertyError(property, `is recorded as the CustomerMetadataProperties key '${key}', which ${keyProblem}`, fix);
    if (metric !== undefined) continue; // its value is a number
    const valueProblem = metadataProblem(value, MAX_METADATA_VALUE_LENGTH);
    if (valueProblem) throw new PropertyError(property, `is recorded as a CustomerMetadataProperties value, which ${valueProblem}; got ${shown(value)}`, fix);
  }
}
