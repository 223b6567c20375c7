"""ElastiCache: calls moto 5.2 lacks, fixes where it answers unlike AWS, pending states, and
AWS's rules moto does not enforce."""
from moto.core.responses import ActionResult, EmptyResult
from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup
from moto.elasticache.responses import ElastiCacheResponse

import time

from . import control, ec2, profiles

# (account, region, replication group id) -> when a `deleting` group is gone
_deleting = {}
control.reset_hooks.append(_deleting.clear)

_replication_group_init = ReplicationGroup.__init__


def replication_group_init(self, *args, **kwargs):
    """AWS creates NumCacheClusters nodes when cluster mode is disabled; moto 5.2 ignores it and
    creates one node unless ReplicasPerNodeGroup is given."""
    if kwargs.get("num_cache_clusters") and not kwargs.get("replicas_per_node_group"):
        kwargs["replicas_per_node_group"] = int(kwargs["num_cache_clusters"]) - 1
    _replication_group_init(self, *args, **kwargs)


ReplicationGroup.__init__ = replication_group_init


def resize_replicas(group, replicas):
    """Sets the number of replicas of a cluster-mode-disabled group (primary is `-001`)."""
    primary = group.member_clusters[:1]
    group.member_clusters = primary + [f"{group.replication_group_id}-{r + 1:0>3}" for r in range(1, replicas + 1)]
    node_group = group.node_groups[0]
    node_group["node_group_members"] = node_group["node_group_members"][:1] + [
        dict(node_group["node_group_members"][0], cache_cluster_id=cluster, current_role="replica")
        for cluster in group.member_clusters[1:]
    ]


# --- Member clusters ------------------------------------------------------------------------------
#
# A replication group's nodes are cache clusters of their own (`<group>-001`, ...), which
# DescribeCacheClusters answers with their status; moto 5.2 keeps only their names. After
# IncreaseReplicaCount the group reads `available` while a new member is still `creating`
# (terraform-provider-aws#50096), here for profiles.seconds("cache-member").

# (account, region, cluster id) -> when a new member cluster is available
_member_ready = {}
control.reset_hooks.append(_member_ready.clear)


def member_status(backend, cluster_id):
    ready = _member_ready.get((backend.account_id, backend.region_name, cluster_id), 0)
    return "creating" if time.time() < ready else "available"


class _MemberCluster:
    """What DescribeCacheClusters says of a replication group's member cluster."""

    def __init__(self, backend, group, cluster_id):
        self.cache_cluster_id = cluster_id
        self.replication_group_id = group.replication_group_id
        self.cache_cluster_status = member_status(backend, cluster_id)
        self.engine = getattr(group, "engine", "redis")
        self.cache_node_type = getattr(group, "cache_node_type", None)
        self.num_cache_nodes = 1
        self.arn = f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:cluster:{cluster_id}"


_original_describe_cache_clusters = ElastiCacheBackend.describe_cache_clusters


def _describe_cache_clusters(self, cache_cluster_id=None):
    members = {
        cluster: group
        for group in self.replication_groups.values()
        for cluster in group.member_clusters
        if cluster not in self.cache_clusters
    }
    if cache_cluster_id and cache_cluster_id in members:
        return [_MemberCluster(self, members[cache_cluster_id], cache_cluster_id)]
    found = _original_describe_cache_clusters(self, cache_cluster_id)
    if cache_cluster_id:
        return found
    return list(found) + [_MemberCluster(self, group, cluster) for cluster, group in members.items()]


ElastiCacheBackend.describe_cache_clusters = _describe_cache_clusters


def increase_replica_count(self):
    """Missing from moto 5.2 (IncreaseReplicaCount and DecreaseReplicaCount)."""
    backend = self.elasticache_backend
    group = backend.replication_groups[self._get_param("ReplicationGroupId")]
    before = list(group.member_clusters)
    resize_replicas(group, int(self._get_param("NewReplicaCount")))
    for cluster in group.member_clusters:
        if cluster not in before:
            _member_ready[(backend.account_id, backend.region_name, cluster)] = time.time() + profiles.seconds("cache-member")
    _sync_node_interfaces(backend, group, before)
    # The group is `modifying` while the replicas are added or removed, as after ModifyReplicationGroup.
    profiles.schedule("cache", group.replication_group_id, ["modifying"], "cache-modify")
    if profiles.slow():
        group.status = "modifying"
    return ActionResult({"ReplicationGroup": group})


def delete_cache_subnet_group(self):
    """Missing from moto 5.2."""
    self.elasticache_backend.cache_subnet_groups.pop(self._get_param("CacheSubnetGroupName"), None)
    return EmptyResult()


def modify_cache_subnet_group(self):
    """Missing from moto 5.2."""
    backend = self.elasticache_backend
    name = self._get_param("CacheSubnetGroupName")
    group = backend.cache_subnet_groups[name]
    # Re-running the constructor recomputes the subnets' zones and VPC; name, ARN and tags stay.
    group.__init__(
        backend.account_id,
        backend.region_name,
        name,
        self._get_param("CacheSubnetGroupDescription") or group.cache_subnet_group_description,
        self._get_param("SubnetIds") or group.subnet_ids,
        group.tags,
    )
    return ActionResult({"CacheSubnetGroup": group})


ElastiCacheResponse.increase_replica_count = increase_replica_count
ElastiCacheResponse.decrease_replica_count = increase_replica_count
ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group
ElastiCacheResponse.modify_cache_subnet_group = modify_cache_subnet_group

_delete_replication_group = ElastiCacheBackend.delete_replication_group


def delete_replication_group(self, replication_group_id, retain_primary_cluster):
    """AWS removes the group once it has been `deleting` for a while
    (profiles.seconds("cache-delete")); moto 5.2 leaves it `deleting` forever."""
    existing = self.replication_groups.get(replication_group_id)
    clusters = list(existing.member_clusters) if existing is not None else []
    group = _delete_replication_group(self, replication_group_id, retain_primary_cluster)
    group.wl_clusters = clusters
    profiles._pending.pop(("cache", replication_group_id), None)
    hold = profiles.seconds("cache-delete")
    if hold <= 0:
        _forget_group(self, replication_group_id)
    else:
        group.status = "deleting"
        _deleting[(self.account_id, self.region_name, replication_group_id)] = time.time() + hold
    return group


def _forget_group(backend, replication_group_id):
    group = backend.replication_groups.pop(replication_group_id, None)
    if group is not None:
        for cluster in getattr(group, "wl_clusters", None) or group.member_clusters:
            ec2.release_interfaces(backend.account_id, backend.region_name, ("cache", replication_group_id, cluster), "eni-cache")


def settle_deletions():
    from moto.elasticache.models import elasticache_backends

    now = time.time()
    for key, due in list(_deleting.items()):
        if due <= now:
            _deleting.pop(key, None)
            account, region, replication_group_id = key
            _forget_group(elasticache_backends[account][region], replication_group_id)


control.before_hooks.append(settle_deletions)


# --- The cache nodes' network interfaces --------------------------------------------------------
#
# Each cache node has a network interface in a subnet of its cache subnet group (taken in turn),
# with the group's security groups, described "ElastiCache <cluster id>"; it stays a while after the
# node is gone (ec2.py: profiles.seconds("eni-cache")).


def _sync_node_interfaces(backend, group, before=()):
    subnet_group = backend.cache_subnet_groups.get(group.cache_subnet_group_name or "")
    subnets = list(getattr(subnet_group, "subnet_ids", None) or [])
    for cluster in before:
        if cluster not in group.member_clusters:
            ec2.release_interfaces(backend.account_id, backend.region_name, ("cache", group.replication_group_id, cluster), "eni-cache")
    if not subnets:
        return
    for index, cluster in enumerate(group.member_clusters):
        owner = ("cache", group.replication_group_id, cluster)
        if not ec2.interfaces_of(backend.account_id, backend.region_name, owner):
            ec2.attach_interfaces(
                backend.account_id, backend.region_name, owner, [subnets[index % len(subnets)]],
                group.security_group_ids or [], f"ElastiCache {cluster}", requester="amazon-elasticache",
            )


_original_create_replication_group = ElastiCacheBackend.create_replication_group


def _create_replication_group(self, *args, **kwargs):
    group = _original_create_replication_group(self, *args, **kwargs)
    _sync_node_interfaces(self, group)
    return group


ElastiCacheBackend.create_replication_group = _create_replication_group


ElastiCacheBackend.delete_replication_group = delete_replication_group

# Pending states: a new cache reads `creating`, a modified one `modifying`.
profiles.wrap_create(ElastiCacheBackend, "create_replication_group", "cache", "replication_group_id", ["creating"], "status")
profiles.wrap_create(ElastiCacheBackend, "modify_replication_group", "cache", "replication_group_id", ["modifying"], "status", "cache-modify")
profiles.wrap_describe(ElastiCacheBackend, "describe_replication_groups", "cache", "replication_group_id", "status", "available")

# --- Request rules (strict layer) ---------------------------------------------------------------

import re  # noqa: E402

from .strict import Refusal, check_tags, identifier_ok, rule  # noqa: E402

# Node types ElastiCache offers for Valkey and Redis OSS
# (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html; botocore
# elasticache CreateReplicationGroup.CacheNodeType lists the same families).
_SEVEN = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]
CACHE_NODE_TYPES = set()
for _family, _sizes in {
    "t2": ["micro", "small", "medium"], "t3": ["micro", "small", "medium"], "t4g": ["micro", "small", "medium"],
    "m4": ["large", "xlarge", "2xlarge", "4xlarge", "10xlarge"],
    "m5": ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"], "m6g": _SEVEN, "m7g": _SEVEN, "m8g": _SEVEN,
    "r4": ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"],
    "r5": ["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"], "r6g": _SEVEN, "r7g": _SEVEN, "r8g": _SEVEN,
    "r6gd": _SEVEN[1:], "c7gn": _SEVEN, "c8gn": _SEVEN,
}.items():
    CACHE_NODE_TYPES.update(f"cache.{_family}.{size}" for size in _sizes)


@rule("elasticache", "CreateReplicationGroup")
def replication_group_id(call):
    """ReplicationGroupId: "A name must contain from 1 to 40 alphanumeric characters or hyphens. The
    first character must be a letter. A name cannot end with a hyphen or contain two consecutive
    hyphens." (botocore elasticache CreateReplicationGroup)."""
    value = call.get("ReplicationGroupId", default="")
    if not identifier_ok(value, 40):
        raise Refusal("InvalidParameterValue", f"Invalid replication group id: {value}. A name must contain from 1 to 40 alphanumeric characters or hyphens, begin with a letter, and must not end with a hyphen or contain two consecutive hyphens.")


@rule("elasticache", "CreateCacheSubnetGroup", "ModifyCacheSubnetGroup")
def cache_subnet_group_name(call):
    """CacheSubnetGroupName: "This value is stored as a lowercase string. Constraints: Must contain no
    more than 255 alphanumeric characters or hyphens." (botocore elasticache CreateCacheSubnetGroup)."""
    value = call.get("CacheSubnetGroupName", default="")
    if call.action == "CreateCacheSubnetGroup" and not re.fullmatch(r"[A-Za-z0-9-]{1,255}", value):
        raise Refusal("InvalidParameterValue", f"Invalid cache subnet group name: {value}. It must contain no more than 255 alphanumeric characters or hyphens.")


@rule("elasticache", "CreateReplicationGroup", "ModifyReplicationGroup")
def cache_node_type_exists(call):
    """CacheNodeType must be a node type ElastiCache offers
    (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html)."""
    node_type = call.get("CacheNodeType")
    if node_type is not None and node_type not in CACHE_NODE_TYPES:
        raise Refusal("InvalidParameterValue", f"Invalid Cache Node Type: {node_type}")


@rule("elasticache", "CreateReplicationGroup")
def failover_needs_a_replica_and_multi_az_needs_failover(call):
    """NumCacheClusters: "If AutomaticFailoverEnabled is true, the value of this parameter must be at
    least 2." (botocore elasticache CreateReplicationGroup; AWS answers InvalidParameterCombination
    "When using automatic failover, there must be at least 2 cache clusters in the replication
    group.", hashicorp/terraform#25077). Multi-AZ needs automatic failover and a replica: "You can
    enable Multi-AZ only on Redis (cluster mode disabled) clusters that have at least one available
    read replica" (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html)."""
    failover = bool(call.get("AutomaticFailoverEnabled"))
    multi_az = bool(call.get("MultiAZEnabled"))
    groups = call.get("NumNodeGroups")
    clusters = call.get("NumCacheClusters")
    replicas = call.get("ReplicasPerNodeGroup")
    nodes = int(clusters) if clusters is not None else (int(replicas) + 1 if replicas is not None else 1)
    if failover and groups in (None, 1) and nodes < 2:
        raise Refusal("InvalidParameterCombination", "When using automatic failover, there must be at least 2 cache clusters in the replication group.")
    if multi_az and not failover:
        raise Refusal("InvalidParameterCombination", "Multi-AZ is not supported when automatic failover is disabled.")
    if multi_az and nodes < 2:
        raise Refusal("InvalidParameterCombination", "Multi-AZ requires at least one read replica.")


@rule("elasticache", "ModifyReplicationGroup")
def modify_multi_az_needs_failover(call):
    """Multi-AZ needs automatic failover on (botocore elasticache ModifyReplicationGroup
    MultiAZEnabled; AutoFailover.html)."""
    if call.get("MultiAZEnabled") is True and call.get("AutomaticFailoverEnabled") is False:
        raise Refusal("InvalidParameterCombination", "Multi-AZ is not supported when automatic failover is disabled.")


@rule("elasticache", "CreateReplicationGroup", "CreateCacheSubnetGroup", "AddTagsToResource")
def elasticache_tags(call):
    """Tags: keys up to 128 characters, values up to 256, at most 50 per resource, keys not starting
    with aws: (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Tagging-Resources.html)."""
    check_tags(call.get("Tags"), "InvalidParameterValue", key_max=128, value_max=256, count_max=50, reserved=("aws:",))


# --- State rules ----------------------------------------------------------------------------------


def current_status(group):
    """The group's status now (profiles.current_status)."""
    return profiles.current_status("cache", group.replication_group_id, group.status)


def _group_of(call, arn_or_id):
    backend = call.backend("elasticache")
    for group in backend.replication_groups.values():
        if arn_or_id in (group.arn, group.replication_group_id):
            return group
    return None


@rule("elasticache", "ListTagsForResource", "AddTagsToResource", "RemoveTagsFromResource", kind="state")
def tagging_needs_an_available_group(call):
    """ListTagsForResource: "If the cluster is not in the available state, ListTagsForResource returns
    an error." (botocore elasticache ListTagsForResource). ElastiCache answers
    InvalidReplicationGroupState "Cluster not in available state to perform tagging operations."
    while the group is creating or modifying (terraform-provider-aws#33859, #30444)."""
    group = _group_of(call, call.get("ResourceName", default=""))
    if group is not None and current_status(group) in ("creating", "modifying", "snapshotting"):
        raise Refusal("InvalidReplicationGroupState", "Cluster not in available state to perform tagging operations.")


@rule("elasticache", "DeleteReplicationGroup", kind="state")
def delete_needs_an_available_group(call):
    """DeleteReplicationGroup while the group is modifying, snapshotting or already deleting:
    InvalidReplicationGroupState "Replication group <id> has status <status> which is not valid for
    deletion." (crossplane-contrib/provider-aws#46 quotes the deleting one)."""
    group = _group_of(call, call.get("ReplicationGroupId", default=""))
    if group is not None:
        status = current_status(group)
        if status in ("modifying", "snapshotting", "deleting"):
            raise Refusal("InvalidReplicationGroupState", f"Replication group {group.replication_group_id} has status {status} which is not valid for deletion.")


@rule("elasticache", "ModifyReplicationGroup", "IncreaseReplicaCount", "DecreaseReplicaCount", kind="state")
def changes_need_an_available_group(call):
    """ModifyReplicationGroup on a group that is not available: InvalidReplicationGroupState
    "Replication group must be in available state to modify." (the fault: "The requested
    replication group is not in the available state.", botocore elasticache)."""
    group = _group_of(call, call.get("ReplicationGroupId", default=""))
    if group is not None and current_status(group) != "available":
        raise Refusal("InvalidReplicationGroupState", "Replication group must be in available state to modify.")


@rule("elasticache", "DecreaseReplicaCount", "IncreaseReplicaCount", kind="state")
def replica_counts(call):
    """NewReplicaCount: "The minimum number of replicas in a shard or replication group is: Valkey or
    Redis OSS (cluster mode disabled) If Multi-AZ is enabled: 1 ... If Multi-AZ is not enabled: 0";
    at most 5 (botocore elasticache DecreaseReplicaCount/IncreaseReplicaCount). AWS answers
    InvalidParameterValue "Must have at least 1 replica when cluster mode is disabled with auto
    failover enabled." (terraform-provider-aws#24244)."""
    group = _group_of(call, call.get("ReplicationGroupId", default=""))
    count = call.get("NewReplicaCount")
    if group is None or count is None:
        return
    if int(count) > 5:
        raise Refusal("InvalidParameterValue", "The number of replicas per node group must be within 0 and 5.")
    failover = str(getattr(group, "automatic_failover", "")).lower() in ("enabled", "enabling") or getattr(group, "multi_az", "") == "enabled"
    if int(count) < 1 and failover:
        raise Refusal("InvalidParameterValue", "Must have at least 1 replica when cluster mode is disabled with auto failover enabled.")


@rule("elasticache", "DeleteCacheSubnetGroup", kind="state")
def subnet_group_in_use(call):
    """DeleteCacheSubnetGroup of a group a cache still uses: CacheSubnetGroupInUse "The requested
    cache subnet group is currently in use." (botocore elasticache; "You cannot delete a cache
    subnet group if it is associated with any clusters", API_DeleteCacheSubnetGroup). A group
    being deleted still holds it until it is gone."""
    backend = call.backend("elasticache")
    name = call.get("CacheSubnetGroupName", default="")
    # Standalone clusters only: a group's member clusters go with the group.
    standalone = [c for c in backend.cache_clusters.values() if not getattr(c, "replication_group_id", None)]
    users = list(backend.replication_groups.values()) + standalone
    if any(getattr(user, "cache_subnet_group_name", None) == name for user in users):
        raise Refusal("CacheSubnetGroupInUse", f"Cache subnet group {name} is currently in use by a cache cluster.")



@rule("elasticache", "ModifyReplicationGroup", kind="state")
def failover_needs_available_members(call):
    """Automatic failover and Multi-AZ need every member cluster available: right after
    IncreaseReplicaCount the group reads `available` while the new replica is still `creating`, and
    ModifyReplicationGroup answers InvalidCacheClusterState (terraform-provider-aws#50096; botocore
    elasticache ModifyReplicationGroup errors: "The requested cache cluster is not in the available
    state.")."""
    if call.get("AutomaticFailoverEnabled") is None and call.get("MultiAZEnabled") is None:
        return
    group = _group_of(call, call.get("ReplicationGroupId", default=""))
    if group is None:
        return
    backend = call.backend("elasticache")
    for cluster in group.member_clusters:
        if member_status(backend, cluster) != "available":
            raise Refusal("InvalidCacheClusterState", f"Cache cluster {cluster} is not in available state.")
