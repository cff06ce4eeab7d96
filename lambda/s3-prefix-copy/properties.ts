// The custom resource's properties and revision scheme: what the construct (lib/) and the handler share.
// No SDK imports here: lib/ imports this file, and the package compiles what lib/ imports.

/** The scheme the construct names in RevisionScheme. */
export const REVISION_SCHEME = 'sha256(key, data ETag) v1';

export interface S3PrefixCopyProperties {
  /**
   * Names how the Revision attribute is computed. The handler ignores it; a new value (a new scheme,
   * or the first one) makes CloudFormation send an Update, so a resource deployed before the
   * attribute existed returns it before anything reads it.
   */
  readonly RevisionScheme?: string;
  readonly SourceBucketName: string;
  readonly SourcePrefix: string;
  /** Relative to SourcePrefix; absent → every object under SourcePrefix. */
  readonly Keys?: string[];
  readonly DestinationBucketName: string;
  readonly DestinationPrefix: string;
}
