"""Secrets Manager: ListSecrets lagging behind creates, the answer for a name scheduled for
deletion, and the rules AWS enforces that moto 5.2 does not."""
import re
import threading
import time

from moto.secretsmanager.models import SecretsManagerBackend

from . import control, profiles
from .strict import Refusal, rule

# --- ListSecrets lags behind CreateSecret -------------------------------------------------------
#
# "All Secrets Manager operations are eventually consistent. ListSecrets might not reflect changes
# from the last five minutes. You can get more recent information for a specific secret by calling
# DescribeSecret." (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html).
# A new secret is missing from ListSecrets for profiles.seconds("list-secrets"); DescribeSecret
# and GetSecretValue find it at once.

_created = {}
_lock = threading.Lock()
control.reset_hooks.append(_created.clear)

_original_create_secret = SecretsManagerBackend.create_secret


def _create_secret(self, name, *args, **kwargs):
    existed = name in self.secrets
    answer = _original_create_secret(self, name, *args, **kwargs)
    if not existed and name in self.secrets:
        with _lock:
            _created[(self.account_id, self.region_name, name)] = time.time()
    return answer


_original_list_secrets = SecretsManagerBackend.list_secrets


def _list_secrets(self, *args, **kwargs):
    secrets, token = _original_list_secrets(self, *args, **kwargs)
    lag = profiles.seconds("list-secrets")
    if lag > 0:
        now = time.time()
        with _lock:
            secrets = [s for s in secrets if now - _created.get((self.account_id, self.region_name, s.get("Name")), 0) >= lag]
    return secrets, token


SecretsManagerBackend.create_secret = _create_secret
SecretsManagerBackend.list_secrets = _list_secrets

# --- Request rules (strict layer) ---------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")


@rule("secretsmanager", "CreateSecret")
def secret_name(call):
    """Name: "The name of the new secret. The secret name can contain ASCII letters, numbers, and
    the following characters: /_+=.@-"; 1 to 512 characters (botocore secretsmanager CreateSecret).
    Secrets Manager answers ValidationException "Invalid name. Must be a valid name containing
    alphanumeric characters, or any of the following: -/_+=.@!" (smithy-typescript#1546)."""
    if not _NAME.fullmatch(call.get("Name", default="")):
        raise Refusal("ValidationException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")


# ClientRequestToken's 32 to 64 characters are in the model (ClientRequestTokenType, min 32, max
# 64): the generic validator answers them.


@rule("secretsmanager", "CreateSecret", kind="state")
def name_scheduled_for_deletion(call):
    """CreateSecret of a name scheduled for deletion: InvalidRequestException "You can't create this
    secret because a secret with this name is already scheduled for deletion." (terraform-provider-aws#8219;
    moto answers ResourceExistsException)."""
    backend = call.backend("secretsmanager")
    secret = backend.secrets.get(call.get("Name", default=""))
    if secret is not None and getattr(secret, "deleted_date", None):
        raise Refusal("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
