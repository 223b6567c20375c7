//! Driver for the Redis replication group (not a bare cache cluster: it has a primary endpoint and
//! can change node type and replica count in place). Encrypted at rest and in transit.

use aws_sdk_elasticache::types::{AutomaticFailoverStatus, MultiAzStatus, ReplicationGroup};

use super::driver::driver;
use super::props::{tags_of, Tags};
use super::{
    live_resource, tags, wait_for, wait_until, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update,
};
use crate::graph::properties::data::CacheReplicationGroupProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::{LiveResource, LiveState};

driver!(CacheReplicationGroupDriver, CacheReplicationGroupProps, wait_ready = wait_ready);

fn replicas(group: &ReplicationGroup) -> i64 {
    (group.member_clusters().len() as i64 - 1).max(0)
}

fn attributes(group: &ReplicationGroup) -> Attributes {
    let endpoint = group.node_groups().first().and_then(|node_group| node_group.primary_endpoint());
    Attributes::from([
        ("id".to_string(), group.replication_group_id().unwrap_or_default().to_string()),
        ("arn".to_string(), group.arn().unwrap_or_default().to_string()),
        ("address".to_string(), endpoint.and_then(|e| e.address()).unwrap_or_default().to_string()),
        ("port".to_string(), endpoint.and_then(|e| e.port()).unwrap_or(6379).to_string()),
    ])
}

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = format!("{}-", clients.stack);
    let mut groups = Vec::new();
    let mut pages = clients.elasticache.describe_replication_groups().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeReplicationGroups", "the stack's caches")?;
        groups.extend(
            page.replication_groups()
                .iter()
                .filter(|g| g.replication_group_id().is_some_and(|id| id.starts_with(&prefix)))
                .cloned(),
        );
    }
    let reads = groups.iter().map(|group| async move {
        let group_id = group.replication_group_id().unwrap_or_default().to_string();
        let state = live_state(group.status());
        let (tags, owner) = match read_tags(clients, group.arn().unwrap_or_default()).await {
            Ok(read) => read,
            // "If the cluster is not in the available state, ListTagsForResource returns an error"
            // (InvalidReplicationGroupState, API_ListTagsForResource): a cache an earlier run left
            // creating or modifying. The one name wl-infra gives a cache stands in for its tags
            // until then; the wait for it checks the tags before anything else touches it.
            Err(error) if error.code() == Some("InvalidReplicationGroupState") && state != LiveState::Ready => {
                if group_id != crate::graph::physical_name(&clients.stack, "cache") {
                    return Ok(None);
                }
                (expected_tags(clients, &group_id), Some("cache".to_string()))
            }
            Err(error) => return Err(error),
        };
        let Some(id) = owner else { return Ok(None) };
        let props = props_of(group, tags);
        let live = live_resource(Kind::CacheReplicationGroup, id, group_id, &props, attributes(group));
        Ok::<_, AwsError>(Some(LiveResource { state, ..live }))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

fn props_of(group: &ReplicationGroup, tags: Tags) -> CacheReplicationGroupProps {
    let mut zones: Vec<String> = group
        .node_groups()
        .iter()
        .flat_map(|node_group| node_group.node_group_members())
        .filter_map(|member| member.preferred_availability_zone().map(str::to_string))
        .collect();
    zones.sort();
    zones.dedup();
    CacheReplicationGroupProps {
        id: group.replication_group_id().unwrap_or_default().to_string(),
        description: group.description().unwrap_or_default().to_string(),
        engine: group.engine().unwrap_or("redis").to_string(),
        node_type: group.cache_node_type().unwrap_or_default().to_string(),
        replicas: replicas(group),
        at_rest_encryption: group.at_rest_encryption_enabled().unwrap_or(false),
        transit_encryption: group.transit_encryption_enabled().unwrap_or(false),
        automatic_failover: matches!(
            group.automatic_failover(),
            Some(AutomaticFailoverStatus::Enabled | AutomaticFailoverStatus::Enabling)
        ),
        multi_az: group.multi_az() == Some(&MultiAzStatus::Enabled),
        subnet_group: None,
        security_group_ids: None,
        tags,
        availability_zones: Some(zones),
    }
}

/// The tags and owner id of a replication group (ElastiCache's ListTagsForResource).
async fn read_tags(clients: &Clients, arn: &str) -> Result<(Tags, Option<String>), AwsError> {
    super::subnet_group::read_tags(clients, super::subnet_group::Service::Elasticache, arn).await
}

/// The tags wl-infra gives the stack's cache, for a cache whose tags cannot be read yet.
fn expected_tags(clients: &Clients, group_id: &str) -> Tags {
    tags_of([("Name", group_id), (crate::graph::STACK_TAG, clients.stack.as_str()), (crate::graph::ID_TAG, "cache")])
}

/// Where a group in `status` stands for the plan.
pub fn live_state(status: Option<&str>) -> LiveState {
    match status {
        Some("available") => LiveState::Ready,
        Some("deleting") => LiveState::Deleting,
        // A failed create: nothing comes of waiting; `ready` says what to do.
        Some("create-failed") => LiveState::Ready,
        Some(other) => LiveState::Pending(other.to_string()),
        None => LiveState::Pending("creating".to_string()),
    }
}

/// Whether a replication group in `status` is ready for what comes next.
pub fn ready(resource: &str, status: Option<&str>) -> Result<bool, AwsError> {
    match status {
        Some("available") => Ok(true),
        Some("create-failed") => Err(AwsError::refused(
            resource,
            "the cache failed to create; delete it in the console or with destroy, then apply again",
        )),
        Some("deleting") => {
            Err(AwsError::refused(resource, "the cache is being deleted; wait for it to go, then apply again"))
        }
        _ => Ok(false),
    }
}

async fn describe(context: &StepContext<'_>, group_id: &str) -> Result<Option<ReplicationGroup>, AwsError> {
    let output = context.clients.elasticache.describe_replication_groups().replication_group_id(group_id).send().await;
    match output.aws("DescribeReplicationGroups", &context.resource()) {
        Ok(output) => Ok(output.replication_groups().first().cloned()),
        Err(error) if error.is_not_found() || error.code() == Some("ReplicationGroupNotFoundFault") => Ok(None),
        Err(error) => Err(error),
    }
}

/// Waits until the group and every member cluster are available: after IncreaseReplicaCount the
/// group reads `available` while the new replica is still `creating`, and ModifyReplicationGroup
/// (failover, Multi-AZ) answers InvalidCacheClusterState until it is not
/// (terraform-provider-aws#50096).
async fn wait_available(context: &StepContext<'_>, group_id: &str) -> Result<ReplicationGroup, AwsError> {
    let resource = context.resource();
    wait_for(context, "available with all its nodes", || async {
        let Some(group) = describe(context, group_id).await? else { return Ok(None) };
        if !ready(&resource, group.status())? {
            return Ok(None);
        }
        Ok(members_available(context, &group).await?.then_some(group))
    })
    .await
}

/// Whether every member cluster of the group reads `available`.
async fn members_available(context: &StepContext<'_>, group: &ReplicationGroup) -> Result<bool, AwsError> {
    let resource = &context.resource();
    let reads = group
        .member_clusters()
        .iter()
        .map(|member| async move {
            let output = context.clients.elasticache.describe_cache_clusters().cache_cluster_id(member).send().await;
            let status = output.aws_or_gone("DescribeCacheClusters", resource)?.and_then(|output| {
                output.cache_clusters().first().and_then(|c| c.cache_cluster_status().map(str::to_string))
            });
            Ok::<_, AwsError>(status)
        })
        .collect();
    let statuses = super::bounded(reads).await?;
    Ok(statuses.iter().all(|status| status.as_deref() == Some("available")))
}

/// Waits for a cache an earlier run left creating or modifying, then confirms from its tags (which
/// ElastiCache lists only once it is available) that it is the stack's own.
pub async fn wait_ready(
    context: &StepContext<'_>,
    group_id: &str,
    _known: &Attributes,
) -> Result<Attributes, AwsError> {
    let group = wait_available(context, group_id).await?;
    let attributes = attributes(&group);
    let (_, owner) = read_tags(context.clients, attributes.get("arn").map_or("", String::as_str)).await?;
    if owner.as_deref() != Some(context.id) {
        return Err(AwsError::refused(
            context.resource(),
            format!(
                "{group_id} exists but is not tagged {}={}; wl-infra never touches resources it does not own: rename the stack, delete it, or tag it to adopt it",
                crate::graph::STACK_TAG,
                context.clients.stack
            ),
        ));
    }
    Ok(attributes)
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: CacheReplicationGroupProps = context.decode(props)?;
    let group_id = props.id.as_str();
    let replicas = props.replicas;
    let security_groups: Vec<String> = props.security_group_ids.clone().unwrap_or_default();
    context
        .clients
        .elasticache
        .create_replication_group()
        .replication_group_id(group_id)
        .replication_group_description(&props.description)
        .engine(&props.engine)
        .cache_node_type(&props.node_type)
        .num_cache_clusters(replicas as i32 + 1)
        .automatic_failover_enabled(props.automatic_failover)
        .multi_az_enabled(props.multi_az)
        .cache_subnet_group_name(props.subnet_group.as_deref().unwrap_or_default())
        .set_security_group_ids(Some(security_groups))
        .at_rest_encryption_enabled(props.at_rest_encryption)
        .transit_encryption_enabled(props.transit_encryption)
        .port(6379)
        .set_tags(Some(tags::elasticache_list(&props.tags)))
        .send()
        .await
        .aws("CreateReplicationGroup", &context.resource())?;
    Ok(attributes(&wait_available(context, group_id).await?))
}

/// Changes the node type, the replica count and the description in place, one step at a time
/// (ElastiCache takes one modification at a time), waiting for `available` after each.
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (CacheReplicationGroupProps, CacheReplicationGroupProps) = update.decode(context)?;
    let resource = context.resource();
    let group_id = update.physical_id;
    let elasticache = &context.clients.elasticache;
    if update.changed(CacheReplicationGroupProps::NAMES.node_type)
        || update.changed(CacheReplicationGroupProps::NAMES.description)
    {
        elasticache
            .modify_replication_group()
            .replication_group_id(group_id)
            .cache_node_type(&desired.node_type)
            .replication_group_description(&desired.description)
            .apply_immediately(true)
            .send()
            .await
            .aws("ModifyReplicationGroup", &resource)?;
        wait_available(context, group_id).await?;
    }
    let set_failover = |failover: bool, multi_az: bool| {
        elasticache
            .modify_replication_group()
            .replication_group_id(group_id)
            .automatic_failover_enabled(failover)
            .multi_az_enabled(multi_az)
            .apply_immediately(true)
            .send()
    };
    // What failover and Multi-AZ are once the replica count is done.
    let mut failover_now = (live.automatic_failover, live.multi_az);
    if update.changed(CacheReplicationGroupProps::NAMES.replicas) {
        let wanted = desired.replicas;
        let current = live.replicas;
        if wanted < current {
            // Failover needs a replica: it is switched off before the last replica goes.
            if wanted == 0 && failover_now != (false, false) {
                set_failover(false, false).await.aws("ModifyReplicationGroup", &resource)?;
                wait_available(context, group_id).await?;
                failover_now = (false, false);
            }
            elasticache
                .decrease_replica_count()
                .replication_group_id(group_id)
                .new_replica_count(wanted as i32)
                .apply_immediately(true)
                .send()
                .await
                .aws("DecreaseReplicaCount", &resource)?;
        } else {
            elasticache
                .increase_replica_count()
                .replication_group_id(group_id)
                .new_replica_count(wanted as i32)
                .apply_immediately(true)
                .send()
                .await
                .aws("IncreaseReplicaCount", &resource)?;
        }
        wait_available(context, group_id).await?;
    }
    // Failover on with a replica (its new member cluster available first), off without.
    if failover_now != (desired.automatic_failover, desired.multi_az) {
        set_failover(desired.automatic_failover, desired.multi_az).await.aws("ModifyReplicationGroup", &resource)?;
        wait_available(context, group_id).await?;
    }
    let group = wait_available(context, group_id).await?;
    let attributes = attributes(&group);
    let arn = attributes.get("arn").map_or("", String::as_str);
    tags::replace(context, tags::Style::Elasticache, arn, &desired.tags, &live.tags).await?;
    Ok(attributes)
}

/// Deletes the group and waits until it is gone. ElastiCache refuses to delete a group that is
/// modifying or snapshotting (InvalidReplicationGroupState "... has status modifying which is not
/// valid for deletion."): that is waited out; a group already deleting (an interrupted destroy) is
/// only waited for.
pub async fn delete(context: &StepContext<'_>, group_id: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource();
    wait_until(context, "deleting", || async {
        let deleted = context
            .clients
            .elasticache
            .delete_replication_group()
            .replication_group_id(group_id)
            .retain_primary_cluster(false)
            .send()
            .await
            .aws("DeleteReplicationGroup", &resource);
        match deleted {
            Ok(_) => Ok(true),
            Err(error) if error.is_not_found() => Ok(true),
            Err(error) if error.code() == Some("InvalidReplicationGroupState") => {
                Ok(describe(context, group_id).await?.is_none_or(|group| group.status() == Some("deleting")))
            }
            Err(error) => Err(error),
        }
    })
    .await?;
    wait_until(context, "deleted", || async { Ok(describe(context, group_id).await?.is_none()) }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_reports_caches_being_created_changed_or_deleted() {
        assert_eq!(live_state(Some("creating")), LiveState::Pending("creating".into()));
        assert_eq!(live_state(Some("modifying")), LiveState::Pending("modifying".into()));
        assert_eq!(live_state(Some("snapshotting")), LiveState::Pending("snapshotting".into()));
        assert_eq!(live_state(Some("deleting")), LiveState::Deleting);
        assert_eq!(live_state(Some("available")), LiveState::Ready);
    }

    #[test]
    fn the_zones_of_a_cache_are_where_its_member_nodes_are() {
        // DescribeReplicationGroups of a group with a primary in us-east-1a and a replica in
        // us-east-1b, as ElastiCache answers it: the plan refuses to remove either zone's subnet.
        let member = |cluster: &str, zone: &str| {
            aws_sdk_elasticache::types::NodeGroupMember::builder()
                .cache_cluster_id(cluster)
                .preferred_availability_zone(zone)
                .build()
        };
        let group = ReplicationGroup::builder()
            .replication_group_id("watchlist-dev-cache")
            .node_groups(
                aws_sdk_elasticache::types::NodeGroup::builder()
                    .node_group_id("0001")
                    .node_group_members(member("watchlist-dev-cache-002", "us-east-1b"))
                    .node_group_members(member("watchlist-dev-cache-001", "us-east-1a"))
                    .node_group_members(member("watchlist-dev-cache-003", "us-east-1a"))
                    .build(),
            )
            .build();
        let props = props_of(&group, Tags::new());
        assert_eq!(props.availability_zones, Some(vec!["us-east-1a".to_string(), "us-east-1b".to_string()]));
    }

    #[test]
    fn creating_and_modifying_are_not_ready() {
        for status in ["creating", "modifying", "snapshotting"] {
            assert!(!ready("cache", Some(status)).unwrap_or(true), "{status}");
        }
        assert!(ready("cache", Some("available")).unwrap_or(false));
        assert!(ready("cache", Some("create-failed")).is_err_and(|e| e.to_string().contains("apply again")));
    }
}
