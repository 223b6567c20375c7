"""ElastiCache: calls moto lacks, fixes of its answers, pending states and AWS's rules."""
import pytest
from botocore.exceptions import ClientError

from conftest import error_of
from helpers import network, wait_until


def cache_subnet_group(aws, name, subnets):
    aws("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName=name, CacheSubnetGroupDescription="test", SubnetIds=subnets
    )
    return name


def available(aws, group_id):
    def check():
        group = aws("elasticache").describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
        return group if group["Status"] == "available" else None

    return wait_until(check)


def create_group(aws, name, replicas=1, **extra):
    net = network(aws, name)
    cache_subnet_group(aws, name, net["subnets"])
    arguments = dict(
        ReplicationGroupId=name,
        ReplicationGroupDescription="test",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=replicas + 1,
        AutomaticFailoverEnabled=replicas > 0,
        MultiAZEnabled=replicas > 0,
        CacheSubnetGroupName=name,
        SecurityGroupIds=[net["group"]],
    )
    arguments.update(extra)
    aws("elasticache").create_replication_group(**arguments)
    return net


def test_num_cache_clusters_makes_that_many_nodes(aws, name):
    create_group(aws, name, replicas=2)
    group = available(aws, name)
    assert len(group["MemberClusters"]) == 3


def test_replica_counts_increase_and_decrease(aws, name):
    create_group(aws, name, replicas=1)
    available(aws, name)
    elasticache = aws("elasticache")
    elasticache.increase_replica_count(ReplicationGroupId=name, NewReplicaCount=2, ApplyImmediately=True)
    assert len(available(aws, name)["MemberClusters"]) == 3
    elasticache.decrease_replica_count(ReplicationGroupId=name, NewReplicaCount=1, ApplyImmediately=True)
    assert len(available(aws, name)["MemberClusters"]) == 2


def test_cache_subnet_groups_can_be_modified_and_deleted(aws, name):
    net = network(aws, name, zones=3)
    cache_subnet_group(aws, name, net["subnets"][:2])
    elasticache = aws("elasticache")
    modified = elasticache.modify_cache_subnet_group(CacheSubnetGroupName=name, SubnetIds=net["subnets"])
    assert len(modified["CacheSubnetGroup"]["Subnets"]) == 3
    elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name)
    with pytest.raises(ClientError) as refused:
        elasticache.describe_cache_subnet_groups(CacheSubnetGroupName=name)
    assert error_of(refused)[0] == "CacheSubnetGroupNotFoundFault"


def test_a_deleted_replication_group_goes_away(aws, name):
    create_group(aws, name, replicas=0)
    available(aws, name)
    elasticache = aws("elasticache")
    elasticache.delete_replication_group(ReplicationGroupId=name)

    def gone():
        try:
            elasticache.describe_replication_groups(ReplicationGroupId=name)
        except ClientError as error:
            return error.response["Error"]["Code"] == "ReplicationGroupNotFoundFault"
        return False

    wait_until(gone)


def refused(call):
    with pytest.raises(ClientError) as raised:
        call()
    return error_of(raised)


def test_replication_group_ids(aws, name):
    net = network(aws, name)
    cache_subnet_group(aws, name, net["subnets"])
    for bad in ("1cache", "a--b", "cache-", "c" * 41):
        arguments = dict(ReplicationGroupId=bad, ReplicationGroupDescription="d", Engine="redis", CacheNodeType="cache.t3.micro", CacheSubnetGroupName=name)
        assert refused(lambda: aws("elasticache").create_replication_group(**arguments))[0] == "InvalidParameterValue", bad


def test_automatic_failover_needs_a_replica_and_multi_az_needs_failover(aws, name):
    net = network(aws, name)
    cache_subnet_group(aws, name, net["subnets"])
    base = dict(ReplicationGroupId=name, ReplicationGroupDescription="d", Engine="redis", CacheNodeType="cache.t3.micro", CacheSubnetGroupName=name)
    code, message, _ = refused(lambda: aws("elasticache").create_replication_group(**base, NumCacheClusters=1, AutomaticFailoverEnabled=True))
    assert (code, message) == ("InvalidParameterCombination", "When using automatic failover, there must be at least 2 cache clusters in the replication group.")
    assert refused(lambda: aws("elasticache").create_replication_group(**base, NumCacheClusters=2, MultiAZEnabled=True, AutomaticFailoverEnabled=False))[0] == "InvalidParameterCombination"


def test_node_types_must_exist(aws, name):
    net = network(aws, name)
    cache_subnet_group(aws, name, net["subnets"])
    arguments = dict(ReplicationGroupId=name, ReplicationGroupDescription="d", Engine="redis", CacheNodeType="cache.t3.huge", CacheSubnetGroupName=name)
    assert refused(lambda: aws("elasticache").create_replication_group(**arguments)) [:2] == ("InvalidParameterValue", "Invalid Cache Node Type: cache.t3.huge")


def test_cache_subnet_group_names(aws, name):
    net = network(aws, name)
    assert refused(lambda: cache_subnet_group(aws, "bad_name", net["subnets"]))[0] == "InvalidParameterValue"


from helpers import interfaces  # noqa: E402


def status_of(aws, name):
    return aws("elasticache").describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"][0]["Status"]


def test_tagging_is_refused_while_the_group_is_creating_or_modifying(aws, name):
    create_group(aws, name, replicas=1)
    elasticache = aws("elasticache")
    arn = f"arn:aws:elasticache:us-east-1:123456789012:replicationgroup:{name}"
    code, message, _ = refused(lambda: elasticache.list_tags_for_resource(ResourceName=arn))
    assert (code, message) == ("InvalidReplicationGroupState", "Cluster not in available state to perform tagging operations.")
    available(aws, name)
    elasticache.list_tags_for_resource(ResourceName=arn)
    elasticache.modify_replication_group(ReplicationGroupId=name, CacheNodeType="cache.t3.small", ApplyImmediately=True)
    assert refused(lambda: elasticache.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "k", "Value": "v"}]))[0] == "InvalidReplicationGroupState"
    assert refused(lambda: elasticache.delete_replication_group(ReplicationGroupId=name))[:2] == (
        "InvalidReplicationGroupState", f"Replication group {name} has status modifying which is not valid for deletion.")
    assert refused(lambda: elasticache.increase_replica_count(ReplicationGroupId=name, NewReplicaCount=2, ApplyImmediately=True))[0] == "InvalidReplicationGroupState"
    available(aws, name)
    elasticache.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "k", "Value": "v"}])


def test_a_deleted_group_is_deleting_and_its_nodes_interfaces_linger(aws, name):
    net = create_group(aws, name, replicas=1)
    available(aws, name)
    nodes = interfaces(aws, **{"group-id": net["group"]})
    assert sorted(eni["Description"] for eni in nodes) == [f"ElastiCache {name}-001", f"ElastiCache {name}-002"]
    elasticache = aws("elasticache")
    elasticache.delete_replication_group(ReplicationGroupId=name)
    assert status_of(aws, name) == "deleting"
    assert refused(lambda: elasticache.delete_replication_group(ReplicationGroupId=name))[0] == "InvalidReplicationGroupState"
    wait_until(lambda: not interfaces(aws, **{"group-id": net["group"]}), timeout=5)


def test_the_last_replica_cannot_go_while_failover_is_on(aws, name):
    create_group(aws, name, replicas=1)
    available(aws, name)
    elasticache = aws("elasticache")
    code, message, _ = refused(lambda: elasticache.decrease_replica_count(ReplicationGroupId=name, NewReplicaCount=0, ApplyImmediately=True))
    assert (code, message) == ("InvalidParameterValue", "Must have at least 1 replica when cluster mode is disabled with auto failover enabled.")
    elasticache.modify_replication_group(ReplicationGroupId=name, AutomaticFailoverEnabled=False, MultiAZEnabled=False, ApplyImmediately=True)
    available(aws, name)
    elasticache.decrease_replica_count(ReplicationGroupId=name, NewReplicaCount=0, ApplyImmediately=True)
    assert len(available(aws, name)["MemberClusters"]) == 1


def test_a_new_group_is_creating_then_available(aws, name):
    create_group(aws, name, replicas=0)
    assert [status_of(aws, name) for _ in range(2)] == ["creating", "available"]


def test_modifying_multi_az_needs_failover_and_tags_have_limits(aws, name):
    create_group(aws, name, replicas=1)
    available(aws, name)
    elasticache = aws("elasticache")
    assert refused(lambda: elasticache.modify_replication_group(ReplicationGroupId=name, MultiAZEnabled=True, AutomaticFailoverEnabled=False, ApplyImmediately=True))[0] == "InvalidParameterCombination"
    assert refused(lambda: elasticache.modify_replication_group(ReplicationGroupId=name, CacheNodeType="cache.t3.huge", ApplyImmediately=True))[0] == "InvalidParameterValue"
    arn = f"arn:aws:elasticache:us-east-1:123456789012:replicationgroup:{name}"
    assert refused(lambda: elasticache.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "aws:x", "Value": "v"}]))[0] == "InvalidParameterValue"


def test_a_subnet_group_a_cache_uses_cannot_be_deleted(aws, name):
    create_group(aws, name, replicas=0)
    available(aws, name)
    elasticache = aws("elasticache")
    with pytest.raises(ClientError) as refused:
        elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name)
    assert error_of(refused)[0] == "CacheSubnetGroupInUse"
    elasticache.delete_replication_group(ReplicationGroupId=name)
    wait_until(lambda: not [g for g in elasticache.describe_replication_groups()["ReplicationGroups"] if g["ReplicationGroupId"] == name])
    elasticache.delete_cache_subnet_group(CacheSubnetGroupName=name)


def test_a_new_replica_is_creating_after_the_group_reads_available_and_failover_waits_for_it(aws, name):
    create_group(aws, name, replicas=0)
    available(aws, name)
    elasticache = aws("elasticache")
    members = lambda: {c["CacheClusterId"]: c["CacheClusterStatus"] for c in elasticache.describe_cache_clusters()["CacheClusters"] if c.get("ReplicationGroupId") == name}
    assert members() == {f"{name}-001": "available"}
    elasticache.increase_replica_count(ReplicationGroupId=name, NewReplicaCount=1, ApplyImmediately=True)
    group = available(aws, name)
    replica = group["MemberClusters"][1]
    assert elasticache.describe_cache_clusters(CacheClusterId=replica)["CacheClusters"][0]["CacheClusterStatus"] == "creating"
    with pytest.raises(ClientError) as refused:
        elasticache.modify_replication_group(ReplicationGroupId=name, AutomaticFailoverEnabled=True, MultiAZEnabled=True, ApplyImmediately=True)
    assert error_of(refused)[0] == "InvalidCacheClusterState"
    wait_until(lambda: set(members().values()) == {"available"}, timeout=10)
    elasticache.modify_replication_group(ReplicationGroupId=name, AutomaticFailoverEnabled=True, MultiAZEnabled=True, ApplyImmediately=True)
