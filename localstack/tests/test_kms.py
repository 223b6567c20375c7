"""KMS: key policies must name principals and leave the account able to manage the key."""
import json

import pytest
from botocore.exceptions import ClientError

from conftest import error_of

ACCOUNT = "123456789012"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ROOT = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
CLOUDWATCH = {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}


def test_a_policy_the_account_administers_is_accepted_and_a_lockout_refused(aws, name):
    kms = aws("kms")
    key = kms.create_key(Description=name, Policy=policy(ROOT, CLOUDWATCH), Tags=[{"TagKey": "wl:stack", "TagValue": name}])
    key_id = key["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as refused:
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy(CLOUDWATCH))
    assert error_of(refused)[:2] == ("MalformedPolicyDocumentException", "The new key policy will not allow you to update the key policy in the future.")
    with pytest.raises(ClientError) as refused:
        kms.create_key(Policy=policy({"Effect": "Allow", "Action": "kms:*", "Resource": "*"}))
    assert error_of(refused)[0] == "MalformedPolicyDocumentException"
    kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=key_id)
    kms.delete_alias(AliasName=f"alias/{name}")
    with pytest.raises(ClientError) as refused:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=3)
    assert error_of(refused)[0] == "ValidationException"
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
