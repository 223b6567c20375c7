"""RDS: fixes of moto's answers, pending states and AWS's rules for databases and subnet groups."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_of
from helpers import network


def subnet_group(aws, name, subnets):
    aws("rds").create_db_subnet_group(
        DBSubnetGroupName=name, DBSubnetGroupDescription="test", SubnetIds=subnets, Tags=[{"Key": "owner", "Value": name}]
    )
    return name


def test_modify_db_subnet_group_changes_the_group_in_place_and_keeps_its_tags(aws, name):
    net = network(aws, name, zones=3)
    subnet_group(aws, name, net["subnets"][:2])
    rds = aws("rds")
    modified = rds.modify_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="changed", SubnetIds=net["subnets"])
    arn = modified["DBSubnetGroup"]["DBSubnetGroupArn"]
    group = rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]
    assert group["DBSubnetGroupDescription"] == "changed"
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(net["subnets"])
    assert rds.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "owner", "Value": name}]


def database(aws, name, net=None, **extra):
    net = net or network(aws, name)
    subnet_group(aws, name, net["subnets"])
    arguments = dict(
        DBInstanceIdentifier=name,
        Engine="postgres",
        EngineVersion="16.4",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        StorageType="gp3",
        StorageEncrypted=True,
        MultiAZ=False,
        BackupRetentionPeriod=7,
        DBName="main",
        MasterUsername="watchlist_admin",
        MasterUserPassword="A" * 32,
        DBSubnetGroupName=name,
        VpcSecurityGroupIds=[net["group"]],
    )
    arguments.update(extra)
    aws("rds").create_db_instance(**arguments)
    return net


def status(aws, name):
    return aws("rds").describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["DBInstanceStatus"]


def test_a_new_database_is_creating_then_backing_up_then_available(aws, name):
    database(aws, name)
    assert [status(aws, name) for _ in range(3)] == ["creating", "backing-up", "available"]


def test_a_modified_database_is_modifying_then_available(aws, name):
    database(aws, name)
    [status(aws, name) for _ in range(3)]
    aws("rds").modify_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.small", ApplyImmediately=True)
    assert [status(aws, name) for _ in range(2)] == ["modifying", "available"]


def test_a_database_modifying_or_backing_up_refuses_the_next_modification(aws, name):
    database(aws, name)
    rds = aws("rds")
    assert [status(aws, name) for _ in range(2)] == ["creating", "backing-up"]
    modify = lambda: rds.modify_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.small", ApplyImmediately=True)
    refusal = ("InvalidDBInstanceState", "Database instance is not in available state.")
    assert refused(modify)[:2] == refusal
    assert status(aws, name) == "available"
    modify()
    # The same request again (an SDK's retry of an answer it lost) while the first is carried out.
    assert refused(modify)[:2] == refusal
    assert status(aws, name) == "modifying"
    assert status(aws, name) == "available"
    modify()


def refused(call):
    with pytest.raises(ClientError) as raised:
        call()
    return error_of(raised)


def test_db_instance_identifiers(aws, name):
    for bad in ("1db", "db--x", "db-", "d" * 64, "db_x"):
        code, message, _ = refused(lambda: database(aws, name, DBInstanceIdentifier=bad))
        assert code == "InvalidParameterValue" and message.startswith("The parameter DBInstanceIdentifier is not a valid identifier."), bad


def test_postgres_db_names(aws, name):
    net = network(aws, name)
    assert refused(lambda: database(aws, name, net, DBName="1main"))[1] == "DBName must begin with a letter and contain only alphanumeric characters."
    assert refused(lambda: aws("rds").create_db_instance(**db_arguments(name, DBName="movie-db")))[0] == "InvalidParameterValue"
    assert refused(lambda: aws("rds").create_db_instance(**db_arguments(name, DBName="select")))[1] == "DBName select cannot be used as it is a reserved word used by the engine"
    assert refused(lambda: aws("rds").create_db_instance(**db_arguments(name, DBName="d" * 64)))[0] == "InvalidParameterValue"


def test_postgres_master_usernames(aws, name):
    net = network(aws, name)
    subnet_group(aws, name, net["subnets"])
    assert refused(lambda: aws("rds").create_db_instance(**db_arguments(name, MasterUsername="admin")))[1] == "MasterUsername admin cannot be used as it is a reserved word used by the engine"
    assert "reserved by the PostgreSQL engine" in refused(lambda: aws("rds").create_db_instance(**db_arguments(name, MasterUsername="pg_dba")))[1]
    assert refused(lambda: aws("rds").create_db_instance(**db_arguments(name, MasterUsername="u" * 17)))[0] == "InvalidParameterValue"


def test_allocated_storage_by_storage_type(aws, name):
    net = network(aws, name)
    subnet_group(aws, name, net["subnets"])
    code, message, _ = refused(lambda: aws("rds").create_db_instance(**db_arguments(name, AllocatedStorage=10)))
    assert (code, message) == ("InvalidParameterCombination", "Invalid storage size for engine name postgres and storage type gp3: 10")
    assert refused(lambda: aws("rds").create_db_instance(**db_arguments(name, AllocatedStorage=50, StorageType="io1", Iops=1000)))[0] == "InvalidParameterCombination"
    assert refused(lambda: aws("rds").create_db_instance(**db_arguments(name, AllocatedStorage=65537)))[0] == "InvalidParameterCombination"


def test_backup_retention_and_instance_class(aws, name):
    assert refused(lambda: aws("rds").create_db_instance(**db_arguments(name, BackupRetentionPeriod=36)))[0] == "InvalidParameterValue"
    code, message, _ = refused(lambda: aws("rds").create_db_instance(**db_arguments(name, DBInstanceClass="db.t3.nano")))
    assert code == "InvalidParameterCombination" and message.startswith("RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.t3.nano, Engine=postgres")


def test_final_snapshot_identifier(aws, name):
    database(aws, name)
    rds = aws("rds")
    while status(aws, name) != "available":
        pass
    assert refused(lambda: rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=False))[1] == "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified."
    assert refused(lambda: rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=False, FinalDBSnapshotIdentifier="snap--1"))[0] == "InvalidParameterValue"
    rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=False, FinalDBSnapshotIdentifier=f"{name}-final-1790000000")


def test_db_subnet_group_names_and_tags(aws, name):
    net = network(aws, name)
    rds = aws("rds")
    assert refused(lambda: rds.create_db_subnet_group(DBSubnetGroupName="default", DBSubnetGroupDescription="d", SubnetIds=net["subnets"]))[0] == "InvalidParameterValue"
    assert refused(lambda: rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="d", SubnetIds=net["subnets"], Tags=[{"Key": "rds:x", "Value": "v"}]))[0] == "InvalidParameterValue"


def db_arguments(name, **extra):
    arguments = dict(
        DBInstanceIdentifier=name,
        Engine="postgres",
        EngineVersion="16",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        StorageType="gp3",
        DBName="main",
        MasterUsername="watchlist_admin",
        MasterUserPassword="A" * 32,
        DBSubnetGroupName=name,
    )
    arguments.update(extra)
    return arguments


from helpers import interfaces, wait_until  # noqa: E402


def available(aws, name):
    return wait_until(lambda: status(aws, name) == "available")


def test_a_deleted_database_is_deleting_then_gone_and_its_interface_lingers(aws, name):
    net = database(aws, name)
    available(aws, name)
    [eni] = interfaces(aws, **{"group-id": net["group"]})
    assert eni["Description"] == "RDSNetworkInterface" and eni["RequesterManaged"]
    rds = aws("rds")
    rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
    assert status(aws, name) == "deleting"
    code, message, _ = refused(lambda: rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True))
    assert (code, message) == ("InvalidDBInstanceState", f"Instance {name} is already being deleted.")
    assert refused(lambda: rds.modify_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.small", ApplyImmediately=True))[0] == "InvalidDBInstanceState"
    assert refused(lambda: rds.delete_db_subnet_group(DBSubnetGroupName=name))[0] == "InvalidDBSubnetGroupStateFault"

    def gone():
        try:
            status(aws, name)
        except ClientError as error:
            return error.response["Error"]["Code"] == "DBInstanceNotFound"
        return False

    wait_until(gone, timeout=5)
    wait_until(lambda: not interfaces(aws, **{"group-id": net["group"]}), timeout=5)
    rds.delete_db_subnet_group(DBSubnetGroupName=name)


def test_a_multi_az_database_has_a_standby_interface(aws, name):
    net = database(aws, name, MultiAZ=True)
    assert len(interfaces(aws, **{"group-id": net["group"]})) == 2


def test_a_db_subnet_group_needs_two_zones(aws, name):
    net = network(aws, name)
    rds = aws("rds")
    code, message, _ = refused(lambda: rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="d", SubnetIds=net["subnets"][:1]))
    assert code == "DBSubnetGroupDoesNotCoverEnoughAZs"
    assert message == "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: us-east-1a. Add subnets to cover at least 2 AZs."
    subnet_group(aws, name, net["subnets"])
    assert refused(lambda: rds.modify_db_subnet_group(DBSubnetGroupName=name, SubnetIds=net["subnets"][:1]))[0] == "DBSubnetGroupDoesNotCoverEnoughAZs"


def test_a_storage_change_is_optimized_and_blocks_the_next_one(aws, name):
    database(aws, name, AllocatedStorage=100)
    available(aws, name)
    rds = aws("rds")
    # Less than 10% more is rounded up to 10% more.
    rds.modify_db_instance(DBInstanceIdentifier=name, AllocatedStorage=105, ApplyImmediately=True)
    assert status(aws, name) == "modifying"
    assert status(aws, name) == "storage-optimization"
    instance = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
    assert instance["AllocatedStorage"] == 110
    code, message, _ = refused(lambda: rds.modify_db_instance(DBInstanceIdentifier=name, AllocatedStorage=200, ApplyImmediately=True))
    assert (code, message) == ("InvalidParameterCombination", "You can't currently modify the storage of this DB instance because the previous storage change is being optimized.")
    # Other changes are allowed while the storage is optimized, and tags too.
    rds.add_tags_to_resource(ResourceName=instance["DBInstanceArn"], Tags=[{"Key": "k", "Value": "v"}])
    assert refused(lambda: rds.modify_db_instance(DBInstanceIdentifier=name, AllocatedStorage=50, ApplyImmediately=True))[0] == "InvalidParameterCombination"


def test_engine_versions_go_up_only_and_a_major_upgrade_must_be_allowed(aws, name):
    database(aws, name, EngineVersion="16.4")
    available(aws, name)
    rds = aws("rds")
    code, message, _ = refused(lambda: rds.modify_db_instance(DBInstanceIdentifier=name, EngineVersion="17.2", ApplyImmediately=True))
    assert (code, message) == ("InvalidParameterCombination", "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.")
    assert refused(lambda: rds.modify_db_instance(DBInstanceIdentifier=name, EngineVersion="16.3", ApplyImmediately=True))[:2] == ("InvalidParameterCombination", "Cannot upgrade postgres from 16.4 to 16.3")
    rds.modify_db_instance(DBInstanceIdentifier=name, EngineVersion="17.2", AllowMajorVersionUpgrade=True, ApplyImmediately=True)


def test_a_modified_instance_class_must_exist(aws, name):
    database(aws, name)
    available(aws, name)
    code, message, _ = refused(lambda: aws("rds").modify_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.nano", ApplyImmediately=True))
    assert code == "InvalidParameterCombination" and "DBInstanceClass=db.t3.nano" in message


def test_a_finished_storage_change_is_an_rds_event(aws, name):
    # wl-infra reads it to refuse a second storage change within six hours (RDS-EVENT-0017).
    database(aws, name)
    [status(aws, name) for _ in range(3)]
    aws("rds").modify_db_instance(DBInstanceIdentifier=name, AllocatedStorage=30, ApplyImmediately=True)
    events = aws("rds").describe_events(SourceType="db-instance", Duration=360, EventCategories=["configuration change"])["Events"]
    # (moto does not filter by category; AWS does.)
    finished = [event for event in events if event["SourceIdentifier"] == name and "storage" in event["Message"]]
    assert [event["Message"] for event in finished] == ["Finished applying modification to allocated storage."]
    assert finished[0]["EventCategories"] == ["configuration change"]


def test_a_database_still_creating_cannot_be_deleted_with_a_final_snapshot(aws, name):
    database(aws, name)
    rds = aws("rds")
    delete = lambda: rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=False, FinalDBSnapshotIdentifier=f"{name}-final-1")
    code, message, _ = refused(delete)
    assert code == "InvalidDBInstanceState" and "a final snapshot cannot be taken" in message
    while status(aws, name) != "available":
        pass
    delete()
