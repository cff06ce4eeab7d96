// The custom resource's properties: what the construct (lib/) and the handler share.
// No SDK imports here: lib/ imports this file, and the package compiles what lib/ imports.

export interface QuotaRequirementProperties {
  /** The quota's name in Service Quotas, e.g. `ml.m5.large for endpoint usage`. */
  readonly QuotaName: string;
  /** What Create needs, and a fleet that starts on Update (CloudFormation sends numbers as strings). */
  readonly Needed: string | number;
  /**
   * Set for a fleet that a deploy replaces blue/green (an endpoint): changes whenever a deploy
   * starts a new fleet, and only then. @default - not a fleet: an Update needs `Needed`
   */
  readonly FleetRevision?: string;
  /** The most instances the fleet runs (autoscaling's maximum). @default Needed */
  readonly FleetMaximum?: string | number;
  /** Why a replacement runs both fleets at once, quoted in the message. */
  readonly FleetReplacementReason?: string;
  /** What needs the quota, e.g. `the real-time endpoint (1 × ml.m5.large)`. */
  readonly NeededBy: string;
  /** Unit of the numbers in the message. @default instances */
  readonly Unit?: string;
  /** Settings that need less of it, quoted in the message. */
  readonly Advice?: string;
}

export interface ServiceQuotaCheckProperties {
  /** Service Quotas service code, e.g. `sagemaker`. */
  readonly ServiceCode: string;
  readonly Requirements: QuotaRequirementProperties[];
}
