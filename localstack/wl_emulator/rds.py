"""RDS: fixes where moto 5.2 answers unlike AWS, pending states, and AWS's rules moto lacks."""
from moto.rds.models import RDSBackend

from . import profiles

_modify_db_subnet_group = RDSBackend.modify_db_subnet_group


def modify_db_subnet_group(self, subnet_name, description, subnets):
    """AWS changes the group in place; moto 5.2 removes it from its registry while modifying
    and never puts it back, so the group (and its tags) vanishes."""
    group = _modify_db_subnet_group(self, subnet_name, description, subnets)
    self.subnet_groups[subnet_name] = group
    return group


RDSBackend.modify_db_subnet_group = modify_db_subnet_group

# Pending states: a new database reads `creating` then `backing-up`, a modified one `modifying`.
profiles.wrap_create(RDSBackend, "create_db_instance", "rds", "db_instance_identifier", ["creating", "backing-up"], "status")
profiles.wrap_create(RDSBackend, "modify_db_instance", "rds", "db_instance_identifier", ["modifying"], "status", "rds-modify")
profiles.wrap_describe(RDSBackend, "describe_db_instances", "rds", "db_instance_identifier", "status", "available")

# --- Request rules (strict layer) ---------------------------------------------------------------

import re  # noqa: E402

from .strict import Refusal, check_tags, identifier_ok, rule  # noqa: E402

_IDENTIFIER_MESSAGE = (
    "The parameter {field} is not a valid identifier. Identifiers must begin with a letter; must contain only "
    "ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."
)

# PostgreSQL's reserved key words (RESERVED_KEYWORD and TYPE_FUNC_NAME_KEYWORD in
# src/include/parser/kwlist.h, the same in PostgreSQL 16 and 17;
# https://www.postgresql.org/docs/17/sql-keywords-appendix.html).
POSTGRES_RESERVED = set(
    """all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create
    current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc
    distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral
    leading limit localtime localtimestamp not null offset on only or order placing primary references returning
    select session_user some symmetric system_user table then to trailing true union unique user using variadic when
    where window with authorization binary collation concurrently cross current_schema freeze full ilike inner is
    isnull join left like natural notnull outer overlaps right similar tablesample verbose""".split()
)

# DB instance classes RDS for PostgreSQL offers
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html).
_SIZES_8 = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"]
_SIZES_7 = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]
_SIZES_9 = _SIZES_8 + ["32xlarge"]
_SIZES_9_48 = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"]
POSTGRES_CLASSES = set()
for _family, _sizes in {
    "t3": ["micro", "small", "medium", "large", "xlarge", "2xlarge"],
    "t4g": ["micro", "small", "medium", "large", "xlarge", "2xlarge"],
    "m5": _SIZES_8, "m5d": _SIZES_8, "m6g": _SIZES_7, "m6gd": _SIZES_7, "m6i": _SIZES_9, "m6id": _SIZES_9,
    "m6in": _SIZES_9, "m6idn": _SIZES_9, "m7g": _SIZES_7, "m7i": _SIZES_9_48, "m8g": _SIZES_9_48, "m8gd": _SIZES_9_48,
    "r5": _SIZES_8, "r5b": _SIZES_8, "r5d": _SIZES_8, "r6g": _SIZES_7, "r6gd": _SIZES_7, "r6i": _SIZES_9,
    "r6id": _SIZES_9, "r6in": _SIZES_9, "r6idn": _SIZES_9[1:], "r7g": _SIZES_7, "r7i": _SIZES_9_48, "r8g": _SIZES_9_48,
    "r8gd": _SIZES_9_48, "x2g": _SIZES_7, "x2idn": ["16xlarge", "24xlarge", "32xlarge"],
    "x2iedn": ["xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge", "24xlarge", "32xlarge"],
}.items():
    POSTGRES_CLASSES.update(f"db.{_family}.{size}" for size in _sizes)

# Allocated storage (GiB) by storage type for RDS for PostgreSQL (botocore rds
# CreateDBInstance.AllocatedStorage: gp2/gp3 20 to 65536, io1/io2 100 to 65536, standard 5 to 3072).
POSTGRES_STORAGE = {"gp2": (20, 65536), "gp3": (20, 65536), "io1": (100, 65536), "io2": (100, 65536), "standard": (5, 3072)}


def _engine_is_postgres(engine):
    return str(engine or "").lower() == "postgres"


@rule("rds", "CreateDBInstance", "ModifyDBInstance")
def db_instance_identifier(call):
    """DBInstanceIdentifier (and NewDBInstanceIdentifier): "Must contain from 1 to 63 letters,
    numbers, or hyphens. First character must be a letter. Can't end with a hyphen or contain two
    consecutive hyphens." (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html;
    the message is RDS's own, moto quotes it)."""
    for field in ("DBInstanceIdentifier", "NewDBInstanceIdentifier"):
        value = call.get(field)
        if value is not None and (call.action == "CreateDBInstance" or field == "NewDBInstanceIdentifier") and not identifier_ok(value, 63):
            raise Refusal("InvalidParameterValue", _IDENTIFIER_MESSAGE.format(field=field))


@rule("rds", "CreateDBInstance")
def postgres_db_name_and_master_username(call):
    """RDS for PostgreSQL DBName: "Must contain 1 to 63 letters, numbers, or underscores. Must begin
    with a letter. Subsequent characters can be letters, underscores, or digits (0-9). Can't be a
    word reserved by the specified database engine." MasterUsername: "Must be 1 to 16 letters,
    numbers, or underscores. First character must be a letter. Can't be a reserved word for the
    chosen database engine." (botocore rds CreateDBInstance). RDS also refuses `admin` and
    `rdsadmin` and names starting with `pg_` (aws-cdk#10597, cfn-lint#4425,
    DataShades/ckan-aws-templates#6 quote the messages)."""
    if not _engine_is_postgres(call.get("Engine")):
        return
    name = call.get("DBName")
    if name is not None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,62}", name):
            raise Refusal("InvalidParameterValue", "DBName must begin with a letter and contain only alphanumeric characters.")
        if name.lower() in POSTGRES_RESERVED:
            raise Refusal("InvalidParameterValue", f"DBName {name} cannot be used as it is a reserved word used by the engine")
    user = call.get("MasterUsername")
    if user is not None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,15}", user):
            raise Refusal("InvalidParameterValue", "The parameter MasterUsername is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and underscores; and must be 1 to 16 characters long.")
        if user.lower().startswith("pg_"):
            raise Refusal("InvalidParameterValue", f'MasterUsername {user} cannot be used because role names starting with "pg_" are reserved by the PostgreSQL engine')
        if user.lower() in POSTGRES_RESERVED | {"admin", "rdsadmin"}:
            raise Refusal("InvalidParameterValue", f"MasterUsername {user} cannot be used as it is a reserved word used by the engine")


@rule("rds", "CreateDBInstance")
def postgres_allocated_storage_for_its_storage_type(call):
    """AllocatedStorage for RDS for PostgreSQL: gp2/gp3 "an integer from 20 to 65536", io1/io2 "from
    100 to 65536", standard "from 5 to 3072"; StorageType defaults to gp3 without Iops (botocore rds
    CreateDBInstance.AllocatedStorage/StorageType). The message is RDS's own wording."""
    if not _engine_is_postgres(call.get("Engine")) or call.get("AllocatedStorage") is None:
        return
    storage_type = call.get("StorageType") or ("io1" if call.get("Iops") else "gp3")
    low, high = POSTGRES_STORAGE.get(storage_type, (0, 1 << 31))
    size = int(call.get("AllocatedStorage"))
    if not low <= size <= high:
        raise Refusal("InvalidParameterCombination", f"Invalid storage size for engine name postgres and storage type {storage_type}: {size}")


@rule("rds", "CreateDBInstance", "ModifyDBInstance")
def backup_retention_period(call):
    """BackupRetentionPeriod: "Must be a value from 0 to 35." (botocore rds CreateDBInstance)."""
    value = call.get("BackupRetentionPeriod")
    if value is not None and not 0 <= int(value) <= 35:
        raise Refusal("InvalidParameterValue", f"Invalid backup retention period: {value}. The backup retention period must be between 0 and 35 days.")


@rule("rds", "CreateDBInstance")
def postgres_instance_class_exists(call):
    """DBInstanceClass must be one RDS for PostgreSQL offers
    (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html);
    RDS answers "RDS does not support creating a DB instance with the following combination: ..."."""
    if not _engine_is_postgres(call.get("Engine")):
        return
    instance_class = call.get("DBInstanceClass")
    if instance_class is not None and instance_class not in POSTGRES_CLASSES:
        raise Refusal(
            "InvalidParameterCombination",
            f"RDS does not support creating a DB instance with the following combination: DBInstanceClass={instance_class}, "
            f"Engine=postgres, EngineVersion={call.get('EngineVersion', default='')}, LicenseModel=postgresql-license. "
            "For supported combinations of instance class and database engine version, see the documentation.",
        )


@rule("rds", "DeleteDBInstance")
def final_snapshot_identifier(call):
    """DeleteDBInstance: "If you don't enable this parameter [SkipFinalSnapshot], you must specify the
    FinalDBSnapshotIdentifier parameter"; FinalDBSnapshotIdentifier "Must be 1 to 255 letters or
    numbers. First character must be a letter. Can't end with a hyphen or contain two consecutive
    hyphens." (botocore rds DeleteDBInstance; CreateDBSnapshot allows hyphens, so they are allowed)."""
    snapshot = call.get("FinalDBSnapshotIdentifier")
    skip = call.get("SkipFinalSnapshot")
    if not skip and not snapshot:
        raise Refusal("InvalidParameterCombination", "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
    if skip and snapshot:
        raise Refusal("InvalidParameterCombination", "FinalDBSnapshotIdentifier can not be specified when SkipFinalSnapshot is enabled.")
    if snapshot is not None and not identifier_ok(snapshot, 255):
        raise Refusal("InvalidParameterValue", _IDENTIFIER_MESSAGE.format(field="FinalDBSnapshotIdentifier"))


@rule("rds", "CreateDBSubnetGroup")
def db_subnet_group_name(call):
    """DBSubnetGroupName: "This value is stored as a lowercase string. Constraints: Must contain no
    more than 255 letters, numbers, periods, underscores, spaces, or hyphens. Must not be default.
    First character must be a letter." (botocore rds CreateDBSubnetGroup)."""
    name = call.get("DBSubnetGroupName", default="")
    if name.lower() == "default" or not re.fullmatch(r"[A-Za-z][A-Za-z0-9._ -]{0,254}", name):
        raise Refusal("InvalidParameterValue", f"Invalid DB subnet group name: {name}. It must contain no more than 255 letters, numbers, periods, underscores, spaces, or hyphens, begin with a letter, and must not be default.")


@rule("rds", "CreateDBInstance", "CreateDBSubnetGroup", "AddTagsToResource")
def rds_tags(call):
    """Tags: keys "from 1 to 128 Unicode characters in length and can't be prefixed with aws: or
    rds:", values up to 256 characters, the same prefixes refused (botocore rds Tag); at most 50
    tags per resource (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.html)."""
    tags = call.get("Tags") or []
    check_tags(tags, "InvalidParameterValue", key_max=128, value_max=256, count_max=50, reserved=("aws:", "rds:"))
    for tag in tags:
        value = str(tag.get("Value") or "")
        if value.lower().startswith(("aws:", "rds:")):
            raise Refusal("InvalidParameterValue", f"Tag values can't be prefixed with aws: or rds: (key '{tag.get('Key')}').")

# --- Deletion, storage changes and network interfaces ----------------------------------------------

import threading  # noqa: E402
import time  # noqa: E402

from . import control, ec2  # noqa: E402

_lock = threading.RLock()
# (account, region, identifier) -> (when it is gone, the delete's arguments)
_deleting = {}


def _subnet_group_name(database):
    return getattr(database, "_db_subnet_group_name", None)


def _instance_subnets(backend, database):
    group = getattr(database, "db_subnet_group", None)
    return [subnet.id for subnet in (getattr(group, "_subnets", None) or [])]


def _attach_database_interfaces(backend, database):
    """A database has a network interface in a subnet of its subnet group (a second one for the
    Multi-AZ standby, in another zone), described "RDSNetworkInterface", with its VPC security
    groups; it stays a while after the database is gone (profiles.seconds("eni-rds"))."""
    subnets = _instance_subnets(backend, database)
    if not subnets:
        return
    placements = subnets[:2] if database.multi_az and len(subnets) > 1 else subnets[:1]
    ec2.attach_interfaces(
        backend.account_id, backend.region_name, ("rds", database.db_instance_identifier), placements,
        database.vpc_security_group_ids, "RDSNetworkInterface", requester="amazon-rds",
    )


_original_create_db_instance = RDSBackend.create_db_instance


def _create_db_instance(self, db_kwargs):
    database = _original_create_db_instance(self, db_kwargs)
    _attach_database_interfaces(self, database)
    return database


_original_delete_db_instance = RDSBackend.delete_db_instance


def _delete_db_instance(self, db_instance_identifier, final_db_snapshot_identifier=None, skip_final_snapshot=False, delete_automated_backups=True):
    """RDS deletes an instance over minutes: DescribeDBInstances shows it `deleting` ("The DB
    instance is being deleted.", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html)
    for profiles.seconds("rds-delete"), then it is gone; moto removes it at once."""
    database = self.databases.get(db_instance_identifier)
    hold = profiles.seconds("rds-delete")
    arguments = (final_db_snapshot_identifier, skip_final_snapshot, delete_automated_backups)
    if database is None or database.deletion_protection or hold <= 0:
        deleted = _original_delete_db_instance(self, db_instance_identifier, *arguments)
        ec2.release_interfaces(self.account_id, self.region_name, ("rds", db_instance_identifier), "eni-rds")
        return deleted
    profiles._pending.pop(("rds", db_instance_identifier), None)
    database.status = "deleting"
    with _lock:
        _deleting[(self.account_id, self.region_name, db_instance_identifier)] = (time.time() + hold, arguments)
    return database


def settle_deletions():
    from moto.rds.models import rds_backends

    now = time.time()
    with _lock:
        due = [(key, arguments) for key, (when, arguments) in _deleting.items() if when <= now]
        for key, _ in due:
            _deleting.pop(key, None)
    for (account, region, identifier), arguments in due:
        backend = rds_backends[account][region]
        if identifier in backend.databases:
            backend.databases[identifier].deletion_protection = False
            _original_delete_db_instance(backend, identifier, *arguments)
        ec2.release_interfaces(account, region, ("rds", identifier), "eni-rds")


def is_deleting(account, region, identifier):
    with _lock:
        return (account, region, identifier) in _deleting


RDSBackend.create_db_instance = _create_db_instance
RDSBackend.delete_db_instance = _delete_db_instance
control.before_hooks.append(settle_deletions)
control.reset_hooks.append(_deleting.clear)

# A storage change: `modifying`, then `storage-optimization` ("After you modify the storage size for
# a DB instance, the status of the DB instance is storage-optimization", botocore rds
# DBInstance.DBInstanceStatus) for profiles.seconds("storage-optimization"), then `available`; the
# next storage change is refused for profiles.seconds("storage-cooldown") ("You can't make further
# storage modifications for either six (6) hours or until storage optimization has completed on the
# instance, whichever is longer",
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.ScalingUp.html).
# An increase of less than 10% is rounded up to 10% ("Values that are not at least 10% greater than
# the existing value are rounded up so that they are 10% greater than the current value.", botocore
# rds ModifyDBInstance.AllocatedStorage).

_original_modify_db_instance = RDSBackend.modify_db_instance

# The event RDS records when a storage change finished (RDS-EVENT-0017, category "configuration
# change", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html), which
# wl-infra reads to refuse a second change within six hours.
from moto.rds.models import Event as _Event  # noqa: E402

_Event.EVENT_MAP["WL_DB_INSTANCE_STORAGE_MODIFIED"] = {
    "Categories": ["configuration change"],
    "Message": "Finished applying modification to allocated storage.",
}


def _modify_db_instance(self, db_instance_identifier, db_kwargs):
    database = self.databases.get(db_instance_identifier)
    storage = db_kwargs.get("allocated_storage")
    changes_storage = database is not None and storage is not None and int(storage) != int(database.allocated_storage or 0)
    if changes_storage and int(storage) > int(database.allocated_storage or 0):
        db_kwargs["allocated_storage"] = max(int(storage), -(-int(database.allocated_storage) * 11 // 10))
    groups = db_kwargs.get("vpc_security_group_ids")
    answer = _original_modify_db_instance(self, db_instance_identifier, db_kwargs)
    if changes_storage:
        now = time.time()
        self.add_event("WL_DB_INSTANCE_STORAGE_MODIFIED", answer)
        answer.wl_storage_optimized_until = now + profiles.seconds("storage-optimization")
        answer.wl_storage_locked_until = now + max(profiles.seconds("storage-cooldown"), profiles.seconds("storage-optimization"))
    if groups:
        ec2.set_interface_groups(self.account_id, self.region_name, ("rds", answer.db_instance_identifier), groups)
    return answer


_describe_with_pending = RDSBackend.describe_db_instances


def _describe_db_instances(self, *args, **kwargs):
    databases = _describe_with_pending(self, *args, **kwargs)
    now = time.time()
    for database in databases:
        if database.status == "available" and now < getattr(database, "wl_storage_optimized_until", 0):
            database.status = "storage-optimization"
        elif database.status == "storage-optimization" and now >= getattr(database, "wl_storage_optimized_until", 0):
            database.status = "available"
    return databases


RDSBackend.modify_db_instance = _modify_db_instance
RDSBackend.describe_db_instances = _describe_db_instances

# --- State rules ----------------------------------------------------------------------------------


def _database(call):
    return call.backend("rds").databases.get(call.get("DBInstanceIdentifier", default=""))


@rule("rds", "DeleteDBInstance", "ModifyDBInstance", "RebootDBInstance", kind="state")
def instance_being_deleted(call):
    """An instance that is `deleting`: DeleteDBInstance answers InvalidDBInstanceState "Instance <id>
    is already being deleted." (terraform-provider-aws#5624 quotes it); other changes answer
    InvalidDBInstanceState too ("Instance <id> is not in available state.",
    cloud-custodian#1687). The same for ModifyDBInstance while the instance is still `creating`,
    and for a DeleteDBInstance with a final snapshot then."""
    database = _database(call)
    if database is None:
        return
    identifier = database.db_instance_identifier
    if database.status == "deleting" or is_deleting(call.account, call.region, identifier):
        if call.action == "DeleteDBInstance":
            raise Refusal("InvalidDBInstanceState", f"Instance {identifier} is already being deleted.")
        raise Refusal("InvalidDBInstanceState", f"Instance {identifier} is not in available state.")
    if call.action == "ModifyDBInstance" and database.status == "creating":
        raise Refusal("InvalidDBInstanceState", f"Instance {identifier} is not in available state.")
    # While an earlier change is carried out (or the first backup taken), RDS refuses the next one:
    # InvalidDBInstanceState "Database instance is not in available state." (CloudTrail's
    # errorMessage quoted in terraform-provider-aws#31594 and #16170). A client whose answer to a
    # ModifyDBInstance was lost meets it when its SDK sends the same request again.
    if call.action == "ModifyDBInstance" and profiles.current_status("rds", identifier, database.status) in ("modifying", "backing-up"):
        raise Refusal("InvalidDBInstanceState", "Database instance is not in available state.")
    # A final snapshot needs a created instance: "Instance <id> is currently creating - a final
    # snapshot cannot be taken." (terraform-provider-aws#4597, #27009 quote it).
    if call.action == "DeleteDBInstance" and database.status == "creating" and not call.get("SkipFinalSnapshot"):
        raise Refusal("InvalidDBInstanceState", f"Instance {identifier} is currently creating - a final snapshot cannot be taken.")


@rule("rds", "ModifyDBInstance", kind="state")
def storage_changes(call):
    """ModifyDBInstance AllocatedStorage: storage can't shrink ("you can't reduce the amount of storage
    for a DB instance after storage has been allocated",
    https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.html); the
    new size must fit the storage type (CreateDBInstance.AllocatedStorage); no storage change while
    `storage-optimization` or within six hours of the last one: InvalidParameterCombination "You can't
    currently modify the storage of this DB instance because the previous storage change is being
    optimized." (terraform-provider-aws#12493)."""
    database = _database(call)
    storage = call.get("AllocatedStorage")
    if database is None or storage is None or int(storage) == int(database.allocated_storage or 0):
        return
    current = int(database.allocated_storage or 0)
    if int(storage) < current:
        raise Refusal("InvalidParameterCombination", f"Invalid storage size for engine name {database.engine} and storage type {database.storage_type}: {storage}. You can't reduce the allocated storage from {current} GiB.")
    if time.time() < getattr(database, "wl_storage_locked_until", 0) or database.status == "storage-optimization":
        raise Refusal("InvalidParameterCombination", "You can't currently modify the storage of this DB instance because the previous storage change is being optimized.")
    storage_type = call.get("StorageType") or database.storage_type
    if _engine_is_postgres(database.engine):
        low, high = POSTGRES_STORAGE.get(storage_type, (0, 1 << 31))
        if not low <= int(storage) <= high:
            raise Refusal("InvalidParameterCombination", f"Invalid storage size for engine name postgres and storage type {storage_type}: {storage}")


def _version(text):
    return tuple(int(part) for part in re.findall(r"\d+", str(text or "")))


@rule("rds", "ModifyDBInstance", kind="state")
def engine_version_changes(call):
    """EngineVersion: "Major version upgrades must be allowed when specifying a value for the
    EngineVersion parameter that's a different major version than the DB instance's current
    version." (botocore rds ModifyDBInstance.AllowMajorVersionUpgrade): InvalidParameterCombination
    "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version."
    (hashicorp/terraform#8468). A lower version is refused: "Cannot upgrade postgres from 14.12 to
    14.11" (ministryofjustice/cloud-platform-environments#25939; "After an upgrade is complete, you
    can't revert to the previous version of the database engine")."""
    database = _database(call)
    wanted = call.get("EngineVersion")
    if database is None or not wanted:
        return
    current = _version(database.engine_version)
    target = _version(wanted)
    if not current or not target:
        return
    if target[:1] < current[:1] or (len(target) > 1 and target[:1] == current[:1] and target < current[: len(target)]):
        raise Refusal("InvalidParameterCombination", f"Cannot upgrade {database.engine} from {database.engine_version} to {wanted}")
    if target[0] != current[0] and not call.get("AllowMajorVersionUpgrade"):
        raise Refusal("InvalidParameterCombination", "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.")


@rule("rds", "ModifyDBInstance", kind="state")
def modified_instance_class_exists(call):
    """DBInstanceClass in ModifyDBInstance must be one RDS for PostgreSQL offers (see
    postgres_instance_class_exists)."""
    database = _database(call)
    instance_class = call.get("DBInstanceClass")
    if database is not None and instance_class and _engine_is_postgres(database.engine) and instance_class not in POSTGRES_CLASSES:
        raise Refusal(
            "InvalidParameterCombination",
            f"RDS does not support creating a DB instance with the following combination: DBInstanceClass={instance_class}, "
            f"Engine=postgres, EngineVersion={database.engine_version}, LicenseModel=postgresql-license.",
        )


@rule("rds", "CreateDBSubnetGroup", "ModifyDBSubnetGroup", kind="state")
def subnet_group_covers_two_zones(call):
    """"DB subnet groups must contain at least one subnet in at least two AZs in the AWS Region."
    (botocore rds ModifyDBSubnetGroup); DBSubnetGroupDoesNotCoverEnoughAZs "The DB subnet group
    doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: us-east-2a. Add
    subnets to cover at least 2 AZs." (terraform-aws-modules/terraform-aws-vpc#821)."""
    backend = call.backend("ec2")
    zones = []
    for subnet_id in call.get("SubnetIds", default=[]) or []:
        try:
            zones.append(backend.get_subnet(subnet_id).availability_zone)
        except Exception:  # noqa: BLE001 - an unknown subnet is moto's to answer
            return
    if len(set(zones)) < 2:
        raise Refusal(
            "DBSubnetGroupDoesNotCoverEnoughAZs",
            f"The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: {', '.join(sorted(set(zones)))}. Add subnets to cover at least 2 AZs.",
        )


@rule("rds", "DeleteDBSubnetGroup", kind="state")
def subnet_group_in_use(call):
    """DeleteDBSubnetGroup while an instance (deleting ones too) uses it: InvalidDBSubnetGroupStateFault
    "Cannot delete the subnet group 'x' because at least one database instance: y is still using it."
    (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBSubnetGroup.html lists
    InvalidDBSubnetGroupStateFault; the message is RDS's own)."""
    name = call.get("DBSubnetGroupName", default="")
    for database in call.backend("rds").databases.values():
        if _subnet_group_name(database) == name:
            raise Refusal("InvalidDBSubnetGroupStateFault", f"Cannot delete the subnet group '{name}' because at least one database instance: {database.db_instance_identifier} is still using it.")
