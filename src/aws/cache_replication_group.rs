//! Driver for the Redis replication group (not a bare cache cluster: it has a primary endpoint and
//! can change node type and replica count in place). Encrypted at rest and in transit.

use aws_sdk_elasticache::types::ReplicationGroup;

use super::cache_subnet_group::{cache_tags, read_tags, update_tags};
use super::{error::from_sdk, flag, integer, text, wait_for, wait_until, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::{LiveResource, LiveState};

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

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = format!("{}-", clients.stack);
    let mut groups = Vec::new();
    let mut pages = clients.elasticache.describe_replication_groups().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("DescribeReplicationGroups", "the stack's caches", e))?;
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
        let mut props = Props::new();
        props.insert("id".into(), Value::string(&group_id));
        props.insert("description".into(), Value::string(group.description().unwrap_or_default()));
        props.insert("engine".into(), Value::string(group.engine().unwrap_or("redis")));
        props.insert("node_type".into(), Value::string(group.cache_node_type().unwrap_or_default()));
        props.insert("replicas".into(), Value::Integer(replicas(group)));
        props.insert("at_rest_encryption".into(), Value::Bool(group.at_rest_encryption_enabled().unwrap_or(false)));
        props.insert("transit_encryption".into(), Value::Bool(group.transit_encryption_enabled().unwrap_or(false)));
        props.insert("tags".into(), tags);
        // Read, never compared: the zones the cache's nodes are in (a subnet there cannot go).
        let mut zones: Vec<Value> = group
            .node_groups()
            .iter()
            .flat_map(|node_group| node_group.node_group_members())
            .filter_map(|member| member.preferred_availability_zone().map(Value::string))
            .collect();
        zones.sort();
        zones.dedup();
        props.insert("availability_zones".into(), Value::List(zones));
        Ok::<_, AwsError>(Some(LiveResource {
            state,
            id,
            kind: Kind::CacheReplicationGroup,
            physical_id: group_id,
            props,
            attributes: attributes(group),
        }))
    });
    Ok(futures_util::future::try_join_all(reads).await?.into_iter().flatten().collect())
}

/// The tags wl-infra gives the stack's cache, for a cache whose tags cannot be read yet.
fn expected_tags(clients: &super::Clients, group_id: &str) -> Value {
    super::tags_value([
        ("Name", group_id),
        (crate::graph::STACK_TAG, clients.stack.as_str()),
        (crate::graph::ID_TAG, "cache"),
    ])
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
    match context.clients.elasticache.describe_replication_groups().replication_group_id(group_id).send().await {
        Ok(output) => Ok(output.replication_groups().first().cloned()),
        Err(e) => {
            let error = from_sdk("DescribeReplicationGroups", &context.resource(Kind::CacheReplicationGroup), e);
            if error.is_not_found() || error.code() == Some("ReplicationGroupNotFoundFault") {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
}

async fn wait_available(context: &StepContext<'_>, group_id: &str) -> Result<ReplicationGroup, AwsError> {
    let resource = context.resource(Kind::CacheReplicationGroup);
    wait_for(context, Kind::CacheReplicationGroup, "available", || async {
        match describe(context, group_id).await? {
            Some(group) => Ok(ready(&resource, group.status())?.then_some(group)),
            None => Ok(None),
        }
    })
    .await
}

/// Waits for a cache an earlier run left creating or modifying, then confirms from its tags (which
/// ElastiCache lists only once it is available) that it is the stack's own.
pub async fn wait_ready(context: &StepContext<'_>, group_id: &str) -> Result<Attributes, AwsError> {
    let group = wait_available(context, group_id).await?;
    let attributes = attributes(&group);
    let (_, owner) = read_tags(context.clients, attributes.get("arn").map_or("", String::as_str)).await?;
    if owner.as_deref() != Some(context.id) {
        return Err(AwsError::refused(
            context.resource(Kind::CacheReplicationGroup),
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
    let group_id = text(props, "id");
    let replicas = integer(props, "replicas");
    let security_groups: Vec<String> = super::texts(props, "security_group_ids");
    context
        .clients
        .elasticache
        .create_replication_group()
        .replication_group_id(group_id)
        .replication_group_description(text(props, "description"))
        .engine(text(props, "engine"))
        .cache_node_type(text(props, "node_type"))
        .num_cache_clusters(replicas as i32 + 1)
        .automatic_failover_enabled(replicas > 0)
        .multi_az_enabled(replicas > 0)
        .cache_subnet_group_name(text(props, "subnet_group"))
        .set_security_group_ids(Some(security_groups))
        .at_rest_encryption_enabled(flag(props, "at_rest_encryption"))
        .transit_encryption_enabled(flag(props, "transit_encryption"))
        .port(6379)
        .set_tags(Some(cache_tags(props)))
        .send()
        .await
        .map_err(|e| from_sdk("CreateReplicationGroup", &context.resource(Kind::CacheReplicationGroup), e))?;
    Ok(attributes(&wait_available(context, group_id).await?))
}

/// Changes the node type, the replica count and the description in place, one step at a time
/// (ElastiCache takes one modification at a time), waiting for `available` after each.
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::CacheReplicationGroup);
    let group_id = update.physical_id;
    let elasticache = &context.clients.elasticache;
    if update.changed("node_type") || update.changed("description") {
        elasticache
            .modify_replication_group()
            .replication_group_id(group_id)
            .cache_node_type(text(update.props, "node_type"))
            .replication_group_description(text(update.props, "description"))
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| from_sdk("ModifyReplicationGroup", &resource, e))?;
        wait_available(context, group_id).await?;
    }
    if update.changed("replicas") {
        let wanted = integer(update.props, "replicas");
        let current = integer(update.live, "replicas");
        let set_failover = |enabled: bool| {
            elasticache
                .modify_replication_group()
                .replication_group_id(group_id)
                .automatic_failover_enabled(enabled)
                .multi_az_enabled(enabled)
                .apply_immediately(true)
                .send()
        };
        if wanted < current {
            // Failover needs a replica: it is switched off before the last replica goes.
            if wanted == 0 {
                set_failover(false).await.map_err(|e| from_sdk("ModifyReplicationGroup", &resource, e))?;
                wait_available(context, group_id).await?;
            }
            elasticache
                .decrease_replica_count()
                .replication_group_id(group_id)
                .new_replica_count(wanted as i32)
                .apply_immediately(true)
                .send()
                .await
                .map_err(|e| from_sdk("DecreaseReplicaCount", &resource, e))?;
            wait_available(context, group_id).await?;
        } else {
            elasticache
                .increase_replica_count()
                .replication_group_id(group_id)
                .new_replica_count(wanted as i32)
                .apply_immediately(true)
                .send()
                .await
                .map_err(|e| from_sdk("IncreaseReplicaCount", &resource, e))?;
            wait_available(context, group_id).await?;
            if current == 0 {
                set_failover(true).await.map_err(|e| from_sdk("ModifyReplicationGroup", &resource, e))?;
                wait_available(context, group_id).await?;
            }
        }
    }
    let group = wait_available(context, group_id).await?;
    let attributes = attributes(&group);
    update_tags(context, attributes.get("arn").map_or("", String::as_str), update).await?;
    Ok(attributes)
}

/// Deletes the group and waits until it is gone. ElastiCache refuses to delete a group that is
/// modifying or snapshotting (InvalidReplicationGroupState "... has status modifying which is not
/// valid for deletion."): that is waited out; a group already deleting (an interrupted destroy) is
/// only waited for.
pub async fn delete(context: &StepContext<'_>, group_id: &str) -> Result<(), AwsError> {
    let resource = context.resource(Kind::CacheReplicationGroup);
    wait_until(context, Kind::CacheReplicationGroup, "deleting", || async {
        let deleted = context
            .clients
            .elasticache
            .delete_replication_group()
            .replication_group_id(group_id)
            .retain_primary_cluster(false)
            .send()
            .await
            .map_err(|e| from_sdk("DeleteReplicationGroup", &resource, e));
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
    wait_until(context, Kind::CacheReplicationGroup, "deleted", || async {
        Ok(describe(context, group_id).await?.is_none())
    })
    .await
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
    fn creating_and_modifying_are_not_ready() {
        for status in ["creating", "modifying", "snapshotting"] {
            assert!(!ready("cache", Some(status)).unwrap_or(true), "{status}");
        }
        assert!(ready("cache", Some("available")).unwrap_or(false));
        assert!(ready("cache", Some("create-failed")).is_err_and(|e| e.to_string().contains("apply again")));
    }
}
