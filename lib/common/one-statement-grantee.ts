import * as iam from 'aws-cdk-lib/aws-iam';
import { IDependable } from 'constructs';

/**
 * A grantee that folds every grant it receives into ONE statement on `role`'s policy: the statement
 * given here (with its Sid and actions), to which each grant adds its resources in order. So
 * `endpoint.grantInvoke(grantee)` for several endpoints reads as one named rule listing all of them,
 * where grants to the role itself would make a statement each (or one merged without a Sid). Takes
 * only grants of exactly `statement`'s actions, without conditions.
 */
export class OneStatementGrantee implements iam.IGrantable {
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(role: iam.IRole, statement: iam.PolicyStatement) {
    const added = role.addToPrincipalPolicy(statement);
    if (!added.statementAdded || !added.policyDependable) throw new Error(`OneStatementGrantee: ${role.node.path} took no policy statement`);
    this.grantPrincipal = new FoldingPrincipal(role, statement, added.policyDependable);
  }
}

class FoldingPrincipal extends iam.PrincipalBase {
  constructor(private readonly role: iam.IRole, private readonly statement: iam.PolicyStatement, private readonly policy: IDependable) {
    super();
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    return this.role.policyFragment;
  }

  public dedupeString(): string | undefined {
    return undefined;
  }

  public addToPrincipalPolicy(grant: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    const same = grant.actions.length === this.statement.actions.length && grant.actions.every((a) => this.statement.actions.includes(a));
    if (!same || Object.keys(grant.conditions).length > 0) {
      throw new Error(`OneStatementGrantee: statement ${this.statement.sid} takes grants of ${this.statement.actions.join(', ')} without conditions, got ${grant.actions.join(', ')}`);
    }
    this.statement.addResources(...grant.resources);
    return { statementAdded: true, policyDependable: this.policy };
  }
}
