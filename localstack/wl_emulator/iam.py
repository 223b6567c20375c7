"""IAM: ListRoles lagging behind creates, names unique whatever their case, and the rules AWS
enforces that moto 5.2 does not (the model carries RoleName's and Path's limits; the generic
validator answers those)."""
import threading
import time

from moto.iam.models import IAMBackend

from . import control, profiles
from .strict import Refusal, rule

# --- ListRoles lags behind CreateRole -----------------------------------------------------------
#
# "IAM uses a distributed computing model called eventual consistency. Any change that you make in
# IAM ... takes time to become visible from all possible endpoints" (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
# A new role is missing from ListRoles for profiles.seconds("list-roles"); GetRole finds it at once.

_created = {}
_lock = threading.Lock()
control.reset_hooks.append(_created.clear)

_original_create_role = IAMBackend.create_role


def _create_role(self, role_name, *args, **kwargs):
    role = _original_create_role(self, role_name, *args, **kwargs)
    with _lock:
        _created[(self.account_id, role.id)] = time.time()
    return role


_original_list_roles = IAMBackend.list_roles


def _list_roles(self, *args, **kwargs):
    roles, marker = _original_list_roles(self, *args, **kwargs)
    lag = profiles.seconds("list-roles")
    if lag > 0:
        now = time.time()
        with _lock:
            roles = [role for role in roles if now - _created.get((self.account_id, role.id), 0) >= lag]
    return roles, marker


IAMBackend.create_role = _create_role
IAMBackend.list_roles = _list_roles


@rule("iam", "CreateRole", kind="state")
def role_names_are_unique_whatever_their_case(call):
    """"IAM user, group, role, and policy names must be unique within the account. Names are not
    distinguished by case." (botocore iam CreateRole.RoleName;
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). moto compares
    names case-sensitively."""
    name = call.get("RoleName", default="")
    backend = call.backend("iam")
    if any(role.name.lower() == name.lower() and role.name != name for role in backend.get_roles()):
        raise Refusal("EntityAlreadyExists", f"Role with name {name} already exists.", status=409)


@rule("iam", "CreateRole", "TagRole")
def role_tags(call):
    """Tags: at most 50 per role, keys 1 to 128 characters, values up to 256, keys not starting with
    aws: (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length;
    botocore iam Tag)."""
    tags = call.get("Tags") or []
    if len(tags) > 50:
        raise Refusal("LimitExceeded", "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50", status=409)
    for tag in tags:
        if str(tag.get("Key", "")).lower().startswith("aws:"):
            raise Refusal("InvalidInput", "User-defined tag keys can't start with 'aws:'. This prefix is reserved for AWS tags.")


# --- DeleteRole right after its policies went ---------------------------------------------------
#
# IAM is eventually consistent: a DeleteRole right after the role's last DetachRolePolicy or
# DeleteRolePolicy can still answer DeleteConflict "Cannot delete entity, must detach all policies
# first." (409) while the detach propagates; here for profiles.seconds("iam-detach").

_detached = {}
control.reset_hooks.append(_detached.clear)

_original_detach_role_policy = IAMBackend.detach_role_policy
_original_delete_role_policy = IAMBackend.delete_role_policy


def _detach_role_policy(self, policy_arn, role_name):
    _original_detach_role_policy(self, policy_arn, role_name)
    with _lock:
        _detached[(self.account_id, role_name.lower())] = time.time()


def _delete_role_policy(self, role_name, policy_name):
    _original_delete_role_policy(self, role_name, policy_name)
    with _lock:
        _detached[(self.account_id, role_name.lower())] = time.time()


IAMBackend.detach_role_policy = _detach_role_policy
IAMBackend.delete_role_policy = _delete_role_policy


@rule("iam", "DeleteRole", kind="state")
def delete_role_waits_for_its_policies_to_go(call):
    """DeleteRole of a role with policies, or within a moment of detaching its last one:
    DeleteConflict "Cannot delete entity, must detach all policies first." (botocore iam
    DeleteRole errors; IAM's eventual consistency,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency)."""
    backend = call.backend("iam")
    name = call.get("RoleName", default="")
    with _lock:
        detached = _detached.get((backend.account_id, name.lower()), 0)
    if time.time() - detached < profiles.seconds("iam-detach"):
        raise Refusal("DeleteConflict", "Cannot delete entity, must detach all policies first.", status=409)
