import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * Adds `statements` to the grantee's principal policy as one `iam.Grant`, each statement with its
 * Sid: `iam.Grant.addToPrincipal` takes none, so it is set on the statement that call added
 * (statements freeze only at synthesis).
 */
export function grantStatements(grantee: iam.IGrantable, statements: iam.PolicyStatement[]): iam.Grant {
  const grants = statements.map((statement) => {
    const grant = iam.Grant.addToPrincipal({
      grantee, actions: statement.actions, resourceArns: statement.resources, conditions: statement.conditions,
    });
    if (statement.sid !== undefined && grant.principalStatement) grant.principalStatement.sid = statement.sid;
    return grant;
  });
  if (grants.length === 0) throw new Error('grantStatements: no statement to grant');
  return grants.reduce((all, grant) => all.combine(grant));
}
