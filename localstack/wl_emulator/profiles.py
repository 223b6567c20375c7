"""Pending states and the time AWS takes: WL_EMULATOR_PROFILE=fast|realistic, WL_EMULATOR_SCALE.

moto makes every resource ready at once. With the `fast` profile a new database reads `creating`
then `backing-up`, a modified one `modifying`, a new NAT gateway `pending`, and a new or modified
cache `creating`/`modifying`, each for one describe call, before `available`: the waiters really
wait, without slowing the suite much. With the `realistic` profile each pending state lasts AWS's
typical duration (REALISTIC_SECONDS) times WL_EMULATOR_SCALE (default 0.02), so a benchmark shows
how apply overlaps the slow resources. Without a profile, everything is as moto does it.
"""
import os
import threading
import time

PROFILE = os.environ.get("WL_EMULATOR_PROFILE", "")
SCALE = float(os.environ.get("WL_EMULATOR_SCALE", "0.02") or 0.02)

_pending = {}

# Pending times for what one access key creates (POST /wl-api/pending): a test that kills applies
# midway needs resources to stay half made for seconds, without slowing the tests that share the
# emulator. {access key: {"rds": seconds, "cache": seconds, "nat": seconds}}.
_key_seconds = {}
_request = threading.local()


def set_pending_seconds(access_key, seconds):
    """Resources of `kind` created with `access_key` stay pending `seconds[kind]`; {} turns it off."""
    if seconds:
        _key_seconds[access_key] = {kind: float(value) for kind, value in seconds.items()}
    else:
        _key_seconds.pop(access_key, None)


# Kinds whose creates one access key holds pending until the test lets them go (POST /wl-api/pending
# {"hold": [...]}, POST /wl-api/pending/release): a test that kills an apply while a database is
# `creating` needs it pending for exactly as long as the kill takes, not for a guessed time. A hold
# names a kind ("nat", "rds", "cache") for creates, or a delay kind ("cache-modify") for changes.
_key_holds = {}


class Held:
    """A create held in its first pending state until released; then its states pass as `fast`."""

    def __init__(self, states, access_key, hold_kind):
        self.states = list(states)
        self.access_key = access_key
        # What the hold names: the kind ("rds") for a create, its delay kind ("cache-modify") else.
        self.hold_kind = hold_kind


def set_holds(access_key, kinds):
    """What `access_key` creates of `kinds` stays pending until released; [] stops holding new ones."""
    if kinds:
        _key_holds[access_key] = set(kinds)
    else:
        _key_holds.pop(access_key, None)


def release(access_key, kinds):
    """Lets the held creates of `access_key` (of `kinds`, or all) go on: one describe per state."""
    released = []
    for (kind, resource_id), entry in list(_pending.items()):
        if isinstance(entry, Held) and entry.access_key == access_key and (not kinds or entry.hold_kind in kinds):
            _pending[(kind, resource_id)] = list(entry.states)
            released.append({"kind": entry.hold_kind, "id": resource_id})
    return released


def held():
    """The creates held now: [{"kind", "id", "access_key"}]."""
    return [
        {"kind": entry.hold_kind, "id": resource_id, "access_key": entry.access_key}
        for (_, resource_id), entry in list(_pending.items())
        if isinstance(entry, Held)
    ]


def set_request_key(access_key):
    """The access key of the request this thread serves (the dispatcher sets it)."""
    _request.access_key = access_key


def _key_override(kind):
    return _key_seconds.get(getattr(_request, "access_key", None), {}).get(kind)

# Typical real-AWS durations in seconds, before scaling.
REALISTIC_SECONDS = {
    "rds": 300,
    "rds-modify": 120,
    "cache": 360,
    "cache-modify": 120,
    "nat": 90,
    "alb": 150,
    "cloudfront": 180,
    "ecs": 60,
}


def forget():
    _pending.clear()
    _key_seconds.clear()
    _key_holds.clear()


def slow():
    """Whether resources pass through pending states at all."""
    return PROFILE in ("fast", "realistic")


def realistic_delay(kind):
    """Seconds a pending state lasts with the realistic profile."""
    return REALISTIC_SECONDS.get(kind, 0) * SCALE


def schedule(kind, resource_id, states, delay_kind=None):
    access_key = getattr(_request, "access_key", None)
    override = _key_override(kind) if delay_kind is None else None
    hold_kind = delay_kind or kind
    if hold_kind in _key_holds.get(access_key, ()):
        _pending[(kind, resource_id)] = Held(states, access_key, hold_kind)
    elif override is not None:
        # (ready at, states, total): the states share the key's delay evenly.
        _pending[(kind, resource_id)] = (time.time() + override, list(states), override)
    elif PROFILE == "fast":
        _pending[(kind, resource_id)] = list(states)
    elif PROFILE == "realistic":
        # (ready at, states): the states share the delay evenly.
        delay = realistic_delay(delay_kind or kind)
        _pending[(kind, resource_id)] = (time.time() + delay, list(states), delay)


def advance(kind, resource_id, current, final):
    entry = _pending.get((kind, resource_id))
    if isinstance(entry, Held):
        return entry.states[0]
    if isinstance(entry, tuple):
        ready_at, states, total = entry
        remaining = ready_at - time.time()
        if remaining > 0:
            total = total or 1
            index = min(len(states) - 1, int((1 - remaining / total) * len(states)))
            return states[max(index, 0)]
        _pending.pop((kind, resource_id), None)
        return final
    states = entry
    if states:
        return states.pop(0)
    _pending.pop((kind, resource_id), None)
    return final if current in ("creating", "backing-up", "modifying", "pending") else current


def current_status(kind, resource_id, status):
    """A resource's status now: its describe-visible status, moved on by time with the realistic
    profile (a describe is what moves the fast profile's states)."""
    entry = _pending.get((kind, resource_id))
    if isinstance(entry, tuple) and entry[0] <= time.time():
        return "available"
    return status


def pending(kind, resource_id):
    return (kind, resource_id) in _pending


def wrap_create(cls, name, kind, key, states, attribute, delay_kind=None):
    original = getattr(cls, name)

    def wrapped(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        resource_id = getattr(result, key)
        schedule(kind, resource_id, states, delay_kind)
        if slow() or pending(kind, resource_id):
            setattr(result, attribute, states[0])
        return result

    wrapped.__wrapped__ = original
    setattr(cls, name, wrapped)


def wrap_describe(cls, name, kind, key, attribute, final):
    original = getattr(cls, name)

    def wrapped(self, *args, **kwargs):
        results = original(self, *args, **kwargs)
        for item in results:
            resource_id = getattr(item, key)
            if (kind, resource_id) in _pending or getattr(item, attribute) in ("creating", "backing-up", "modifying", "pending"):
                setattr(item, attribute, advance(kind, resource_id, getattr(item, attribute), final))
        return results

    wrapped.__wrapped__ = original
    setattr(cls, name, wrapped)


# --- The time AWS takes to let go ------------------------------------------------------------------
#
# How long AWS keeps what a deleted resource held, how long a deletion takes, how long a storage
# change is optimized, and how far listings lag behind creates. `fast` keeps each short enough for
# the test suite (a fraction of a second, a few seconds for storage optimization); `realistic` uses
# AWS's times times WL_EMULATOR_SCALE; without a profile everything is let go at once, as moto does.
# Each WL_EMULATOR_* variable below overrides its times, in seconds, unscaled.

LET_GO = {
    # kind: (fast seconds, AWS's typical seconds before scaling, overriding variable)
    # Network interfaces of deleted owners (no AWS number is published; Fargate and ELB interfaces
    # are reported to stay for minutes, github.com/alchemy-run/alchemy/pull/1125).
    "eni-elb": (1.0, 300, "WL_EMULATOR_ENI_HOLD_SECONDS"),
    "eni-ecs": (1.0, 120, "WL_EMULATOR_ENI_HOLD_SECONDS"),
    "eni-rds": (1.0, 120, "WL_EMULATOR_ENI_HOLD_SECONDS"),
    "eni-cache": (1.0, 120, "WL_EMULATOR_ENI_HOLD_SECONDS"),
    # A deletion in progress: NAT gateway `deleting`, database `deleting`, cache `deleting`.
    "nat-delete": (0.5, 60, "WL_EMULATOR_DELETE_SECONDS"),
    # The Elastic IP of a NAT gateway that reads `deleted` stays associated a moment longer:
    # ReleaseAddress still answers AuthFailure "despite explicit wait" (eformat/sno-for-100#9,
    # terraform-provider-aws#49299). No AWS number is published.
    "nat-eip": (0.5, 10, "WL_EMULATOR_ENI_HOLD_SECONDS"),
    "rds-delete": (0.5, 240, "WL_EMULATOR_DELETE_SECONDS"),
    "cache-delete": (0.5, 300, "WL_EMULATOR_DELETE_SECONDS"),
    # RDS storage changes: `storage-optimization` ("can take several hours") and the six-hour wait
    # before the next storage change.
    "storage-optimization": (5.0, 7200, "WL_EMULATOR_STORAGE_OPTIMIZATION_SECONDS"),
    "storage-cooldown": (5.0, 21600, "WL_EMULATOR_STORAGE_COOLDOWN_SECONDS"),
    # ListSecrets ("might not reflect changes from the last five minutes") and ListRoles (IAM is
    # eventually consistent) lag behind creates.
    "list-secrets": (0.3, 300, "WL_EMULATOR_LIST_LAG_SECONDS"),
    "list-roles": (0.3, 30, "WL_EMULATOR_LIST_LAG_SECONDS"),
    # CloudFront invalidations stay InProgress for a while.
    "invalidation": (0.5, 60, "WL_EMULATOR_INVALIDATION_SECONDS"),
    # A replica added to a cache group is `creating` a while after the group reads `available`.
    "cache-member": (2.0, 600, "WL_EMULATOR_CACHE_MEMBER_SECONDS"),
    # ECS removes the Cloud Map service Service Connect made a while after the ECS service is
    # deleted ("minutes later"; DeleteNamespace answers ResourceInUse until then). No AWS number.
    "sc-cleanup": (1.0, 120, "WL_EMULATOR_DELETE_SECONDS"),
    # A role whose policies were just detached still answers DeleteConflict while IAM propagates.
    "iam-detach": (0.5, 10, "WL_EMULATOR_IAM_DETACH_SECONDS"),
}


def seconds(kind):
    """How long `kind` takes with the current profile and variables."""
    fast, typical, variable = LET_GO[kind]
    # POST /wl-api/pending sets these per access key too (a test's own listing lag).
    keyed = _key_override(kind)
    if keyed is not None:
        return keyed
    override = os.environ.get(variable)
    if override not in (None, ""):
        return float(override)
    if PROFILE == "fast":
        return fast
    if PROFILE == "realistic":
        return typical * SCALE
    return 0.0
