"""Secrets Manager: names, tokens, names scheduled for deletion, and ListSecrets' lag."""
import time

import pytest
from botocore.exceptions import ClientError

from conftest import error_of

TOKEN = "wl-000000000001-" + "0" * 32


def refused(call):
    with pytest.raises(ClientError) as raised:
        call()
    return error_of(raised)


def test_secret_names(aws):
    code, message, _ = refused(lambda: aws("secretsmanager").create_secret(Name="bad name", SecretString="s", ClientRequestToken=TOKEN))
    assert (code, message) == ("ValidationException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")


def test_client_request_tokens_are_32_to_64_characters(aws, name):
    assert refused(lambda: aws("secretsmanager").create_secret(Name=name, SecretString="s", ClientRequestToken="t" * 65))[0] == "ValidationException"
    aws("secretsmanager").create_secret(Name=name, SecretString="s", ClientRequestToken=TOKEN)


def test_a_name_scheduled_for_deletion_cannot_be_created_again(aws, name):
    secrets = aws("secretsmanager")
    secrets.create_secret(Name=name, SecretString="s")
    secrets.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    code, message, _ = refused(lambda: secrets.create_secret(Name=name, SecretString="s"))
    assert (code, message) == ("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")


def test_list_secrets_lags_behind_create_but_describe_finds_it(aws, name):
    secrets = aws("secretsmanager")
    secrets.create_secret(Name=name, SecretString="s", Tags=[{"Key": "wl:stack", "Value": name}])
    listed = lambda: [s["Name"] for s in secrets.list_secrets(Filters=[{"Key": "tag-value", "Values": [name]}])["SecretList"]]
    assert listed() == []
    assert secrets.describe_secret(SecretId=name)["Name"] == name
    assert secrets.get_secret_value(SecretId=name)["SecretString"] == "s"
    time.sleep(0.4)
    assert listed() == [name]
