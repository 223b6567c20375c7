"""KMS: the key policy rules of CreateKey and PutKeyPolicy that moto 5.2 does not enforce."""
import json

from .strict import Refusal, rule


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _lets_the_account_put_the_policy(document, account):
    """Whether an Allow statement gives the account's root (or everyone) kms:PutKeyPolicy."""
    for statement in _as_list(document.get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        principals = ["*"] if principal == "*" else _as_list((principal or {}).get("AWS", [])) if isinstance(principal, dict) else []
        root = any(p in ("*", account, f"arn:aws:iam::{account}:root") for p in principals)
        actions = _as_list(statement.get("Action", []))
        if root and any(a in ("kms:*", "*", "kms:PutKeyPolicy") for a in actions):
            return True
    return False


@rule("kms", "CreateKey", "PutKeyPolicy")
def key_policy_is_well_formed_and_manageable(call):
    """Policy (API_CreateKey, API_PutKeyPolicy): JSON whose statements each name one or more
    principals, and which must "allow the calling principal to make a subsequent PutKeyPolicy
    request on the KMS key" unless BypassPolicyLockoutSafetyCheck is set; otherwise
    MalformedPolicyDocumentException ("The new key policy will not allow you to update the key
    policy in the future.")."""
    text = call.get("Policy")
    if text is None:
        return
    try:
        document = json.loads(text)
    except ValueError:
        raise Refusal("MalformedPolicyDocumentException", "The policy is not valid JSON.")
    statements = _as_list(document.get("Statement", [])) if isinstance(document, dict) else []
    if not statements or any(not isinstance(s, dict) or "Principal" not in s for s in statements):
        raise Refusal("MalformedPolicyDocumentException", "Policy contains a statement with no principal.")
    if not call.get("BypassPolicyLockoutSafetyCheck") and not _lets_the_account_put_the_policy(document, call.account):
        raise Refusal("MalformedPolicyDocumentException", "The new key policy will not allow you to update the key policy in the future.")


@rule("kms", "ScheduleKeyDeletion")
def deletion_window(call):
    """PendingWindowInDays: "If you include a value, it must be between 7 and 30, inclusive"
    (botocore kms ScheduleKeyDeletion; the model's range is wider)."""
    days = call.get("PendingWindowInDays")
    if days is not None and not 7 <= int(days) <= 30:
        raise Refusal("ValidationException", f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30")
