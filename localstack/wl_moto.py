"""moto server with wl-infra's fidelity extensions: fixes where moto answers unlike AWS.

Each extension is small, documented in localstack/README.md, and only changes how moto answers,
never what wl-infra does. Run as: python wl_moto.py -H 127.0.0.1 -p PORT
"""
import sys

from moto.s3.responses import S3Response


def get_bucket_versioning(self):
    """AWS answers <VersioningConfiguration/> (with <Status> once versioning was ever set);
    moto 5.2 names the root element GetBucketVersioningResponse, which SDKs cannot parse."""
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
    )
    return 200, {"Content-Type": "application/xml"}, body


S3Response.get_bucket_versioning = get_bucket_versioning


from moto.rds.models import RDSBackend  # noqa: E402

_modify_db_subnet_group = RDSBackend.modify_db_subnet_group


def modify_db_subnet_group(self, subnet_name, description, subnets):
    """AWS changes the group in place; moto 5.2 removes it from its registry while modifying
    and never puts it back, so the group (and its tags) vanishes."""
    group = _modify_db_subnet_group(self, subnet_name, description, subnets)
    self.subnet_groups[subnet_name] = group
    return group


RDSBackend.modify_db_subnet_group = modify_db_subnet_group

from moto.core.responses import ActionResult, EmptyResult  # noqa: E402
from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup  # noqa: E402
from moto.elasticache.responses import ElastiCacheResponse  # noqa: E402

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


def increase_replica_count(self):
    backend = self.elasticache_backend
    group = backend.replication_groups[self._get_param("ReplicationGroupId")]
    resize_replicas(group, int(self._get_param("NewReplicaCount")))
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
    """AWS removes the group once it has been `deleting` for a while; moto 5.2 leaves it
    `deleting` forever."""
    group = _delete_replication_group(self, replication_group_id, retain_primary_cluster)
    self.replication_groups.pop(replication_group_id, None)
    return group


ElastiCacheBackend.delete_replication_group = delete_replication_group

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
