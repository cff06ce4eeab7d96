#!/bin/sh
# Promotes the model package version an earlier pipeline stage tested: approves it in the registry,
# then waits (bounded) until the promotion pointer names it, so the next stage deploys exactly it.
# Run by the pipeline's Promote step after the manual approval; a person can run it the same way:
#   MODEL_PACKAGE_ARN=arn:aws:sagemaker:…:model-package/<group>/<n> \
#   POINTER_PARAMETER=/model-registry/<group>/approved-version scripts/promote-model.sh
# Exits 1, naming the fix, when the version was rejected or a newer approved version would be
# deployed instead. PROMOTE_WAIT_SECONDS (default 120) and PROMOTE_POLL_SECONDS (default 5) bound the wait.
set -eu

: "${MODEL_PACKAGE_ARN:?set MODEL_PACKAGE_ARN to the version to promote (the tested stage's ModelPackageArn output)}"
: "${POINTER_PARAMETER:?set POINTER_PARAMETER to the promotion pointer (the training stack's PromotionPointerParameter output)}"
wait_seconds="${PROMOTE_WAIT_SECONDS:-120}"
poll_seconds="${PROMOTE_POLL_SECONDS:-5}"
approver="${CODEBUILD_BUILD_ID:-$(id -un 2>/dev/null || echo someone)}"

status=$(aws sagemaker describe-model-package --model-package-name "$MODEL_PACKAGE_ARN" --query ModelApprovalStatus --output text)
case "$status" in
  Rejected)
    echo "promote: $MODEL_PACKAGE_ARN is Rejected: a rejected version never reaches prod, and the pipeline does not re-approve it. Fix the model and push (a new training job registers a new version), or roll prod back to an approved version with -c prodModelVersion=<n> (docs/model-registry.md)." >&2
    exit 1 ;;
  Approved)
    echo "promote: $MODEL_PACKAGE_ARN is already Approved" ;;
  *)
    aws sagemaker update-model-package --model-package-arn "$MODEL_PACKAGE_ARN" --model-approval-status Approved \
      --approval-description "Approved by $approver after the earlier stage's smoke test" > /dev/null
    echo "promote: approved $MODEL_PACKAGE_ARN (was $status)" ;;
esac

waited=0
while :; do
  pointer=$(aws ssm get-parameter --name "$POINTER_PARAMETER" --query Parameter.Value --output text)
  if [ "$pointer" = "$MODEL_PACKAGE_ARN" ]; then
    echo "promote: $POINTER_PARAMETER names $MODEL_PACKAGE_ARN: the next stage deploys it"
    exit 0
  fi
  if [ "$waited" -ge "$wait_seconds" ]; then break; fi
  sleep "$poll_seconds"
  waited=$((waited + poll_seconds))
done
echo "promote: after ${waited} s $POINTER_PARAMETER names $pointer, not $MODEL_PACKAGE_ARN. The pointer names the group's newest Approved version: if a newer version is Approved, prod would deploy it instead of the tested one; reject it (aws sagemaker update-model-package --model-package-arn <newer arn> --model-approval-status Rejected) and retry this step. If the pointer still says 'none' or an older version, check the promotion pointer's function logs." >&2
exit 1
