//! What a plan must not do, and what it must say plainly: changes AWS refuses (checked here so
//! nothing starts), and data the plan loses (refused unless the stack allows it). Pure.

use std::collections::BTreeSet;

use super::{Action, LiveResource, LiveState, ResourceChange};
use crate::graph::properties::data::{CacheReplicationGroupProps, DbInstanceProps, SecretProps, SubnetGroupProps};
use crate::graph::properties::network::SubnetProps;
use crate::graph::{
    Kind, Props, SafetyRule, Value, DELETE_AUTOMATED_BACKUPS_TAG, FINAL_SNAPSHOT_TAG, RECOVERY_WINDOW_TAG,
};

/// What the stack allows a plan to destroy for good.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Safety {
    /// `[databases.NAME]` names whose data may be lost: deleted or replaced without a final snapshot.
    pub allow_data_loss: BTreeSet<String>,
}

/// What the checks found.
#[derive(Debug, Default)]
pub(super) struct Findings {
    pub refusals: Vec<String>,
    pub data_loss: Vec<String>,
    pub kept: Vec<String>,
}

fn tag<'a>(props: &'a Props, key: &str) -> Option<&'a str> {
    props.get("tags").and_then(Value::as_map).and_then(|tags| tags.get(key)).and_then(Value::as_str)
}

fn number(props: &Props, field: &str) -> Option<i64> {
    props.get(field).and_then(Value::as_i64)
}

fn text<'a>(props: &'a Props, field: &str) -> &'a str {
    props.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// The `[databases.NAME]` name of a database instance's logical id.
fn database_name(id: &str) -> &str {
    id.strip_prefix("db-").unwrap_or(id)
}

/// Whether the change removes the live resource (a delete, or a replacement's delete).
fn deletes_live(change: &ResourceChange) -> bool {
    match change.action {
        Action::Delete | Action::Replace => change.waits_for.as_deref() != Some("deleting"),
        Action::Create | Action::Update | Action::NoOp => false,
    }
}

pub(super) fn check(changes: &[ResourceChange], live: &[LiveResource], safety: &Safety) -> Findings {
    let mut findings = Findings::default();
    for change in changes {
        let Some(before) = change.before.as_ref() else { continue };
        match change.kind.spec().safety {
            SafetyRule::Database => {
                if deletes_live(change) {
                    database_deleted(&mut findings, &change.id, before, change.action == Action::Replace, safety);
                }
                if let (Action::Update | Action::Replace, Some(after)) = (change.action, change.after.as_ref()) {
                    database_changed(&mut findings, &change.id, before, after);
                }
            }
            SafetyRule::Secret => {
                if deletes_live(change) && tag(before, RECOVERY_WINDOW_TAG) == Some("0") {
                    findings.data_loss.push(format!(
                        "secret {} is deleted at once, without a recovery window (`secret_recovery_days = 0`)",
                        text(before, SecretProps::NAMES.name)
                    ));
                }
            }
            SafetyRule::Subnet => {
                if deletes_live(change) {
                    subnet_removed(&mut findings, changes, live, change);
                }
            }
            SafetyRule::None => {}
        }
    }
    network_replaced(&mut findings, changes, live);
    findings
}

/// What runs inside the network and holds its subnets and security groups through network
/// interfaces (AWS releases them minutes after their owner goes).
const RUNS_IN_THE_NETWORK: &[(Kind, &str)] = &[
    (Kind::LoadBalancer, "load balancer"),
    (Kind::EcsService, "service"),
    (Kind::DbInstance, "database"),
    (Kind::CacheReplicationGroup, "cache"),
];

/// A new `network.cidr` or `subnet_prefix_length` replaces the VPC or its subnets (and the
/// security groups in it): the NAT gateways go first (an egress outage), then every delete waits
/// for the network interfaces of what still runs there, and DeleteSecurityGroup is refused while
/// another group's rule refers to it. Refused while a load balancer, service, database or cache
/// is kept: destroy first.
fn network_replaced(findings: &mut Findings, changes: &[ResourceChange], live: &[LiveResource]) {
    let replaced: Vec<&ResourceChange> = changes
        .iter()
        .filter(|change| matches!(change.kind, Kind::Vpc | Kind::Subnet) && change.action == Action::Replace)
        .collect();
    if replaced.is_empty() {
        return;
    }
    let going = |resource: &LiveResource| {
        resource.state == LiveState::Deleting
            || changes
                .iter()
                .any(|change| change.id == resource.id && change.kind == resource.kind && deletes_live(change))
    };
    let users: Vec<String> = live
        .iter()
        .filter(|resource| !going(resource))
        .filter_map(|resource| {
            let (_, what) = RUNS_IN_THE_NETWORK.iter().find(|(kind, _)| *kind == resource.kind)?;
            Some(format!("{what} {}", resource.id))
        })
        .collect();
    if users.is_empty() {
        return;
    }
    let fields: BTreeSet<String> =
        replaced.iter().flat_map(|change| change.replaced_by()).map(|field| format!("`{field}`")).collect();
    findings.refusals.push(format!(
        "the plan replaces the {} ({} changed) while {} still run in it; AWS cannot move them to a new network in place: run `wl-infra destroy` first (databases keep their final snapshots), then apply, or keep `network.cidr` and `network.subnet_prefix_length` as they are",
        if replaced.iter().any(|change| change.kind == Kind::Vpc) { "VPC and its subnets" } else { "subnets" },
        fields.into_iter().collect::<Vec<_>>().join(", "),
        users.join(", ")
    ));
}

fn database_deleted(findings: &mut Findings, id: &str, before: &Props, replaced: bool, safety: &Safety) {
    let database = database_name(id);
    let identifier = text(before, DbInstanceProps::NAMES.identifier);
    if before.get(DbInstanceProps::NAMES.deletion_protection) == Some(&Value::Bool(true)) {
        findings.refusals.push(format!(
            "database {database} has deletion protection on; set `deletion_protection = false` in [databases.{database}], apply, then remove or destroy it"
        ));
        return;
    }
    let backups_go = tag(before, DELETE_AUTOMATED_BACKUPS_TAG) == Some("true");
    if tag(before, FINAL_SNAPSHOT_TAG) == Some("true") {
        findings.kept.push(format!(
            "database {database} ({identifier}): a final snapshot {identifier}-final-<time> is taken and kept{}{}",
            if backups_go {
                "; its automated backups are deleted"
            } else {
                ", and its automated backups stay for their retention period"
            },
            if replaced { "; the new database starts empty" } else { "" }
        ));
    } else if safety.allow_data_loss.contains(database) {
        findings.data_loss.push(format!(
            "database {database} ({identifier}) is deleted without a final snapshot: its data is lost{}",
            if backups_go {
                ", and its automated backups with it"
            } else {
                " (its automated backups stay for their retention period)"
            }
        ));
    } else {
        findings.refusals.push(format!(
            "database {database} ({identifier}) would be deleted without a final snapshot and its data lost; set `final_snapshot = true` in [databases.{database}] and apply first (put the table back if you removed it), or allow the loss with `allow_data_loss = [\"{database}\"]` in [stack]"
        ));
    }
}

/// RDS storage and version rules: storage never shrinks, grows by at least 10% (RDS rounds a
/// smaller increase up, which would then read back as a shrink), and changes at most once every six
/// hours; a major version is only ever upgraded.
fn database_changed(findings: &mut Findings, id: &str, before: &Props, after: &Props) {
    let database = database_name(id);
    if let (Some(old), Some(new)) = (
        number(before, DbInstanceProps::NAMES.allocated_storage),
        number(after, DbInstanceProps::NAMES.allocated_storage),
    ) {
        if new < old {
            findings.refusals.push(format!(
                "database {database} has {old} GiB of storage and RDS cannot shrink it; set `storage_gb` to {old} or more in [databases.{database}]"
            ));
        } else if new > old {
            // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.html:
            // an increase must be at least 10%.
            let least = old + (old + 9) / 10;
            if new < least {
                findings.refusals.push(format!(
                    "database {database} would grow from {old} to {new} GiB, but RDS grows storage by at least 10%; set `storage_gb` to {least} or more in [databases.{database}]"
                ));
            } else if let Some(reason) =
                before.get(DbInstanceProps::NAMES.storage_change_blocked).and_then(Value::as_str)
            {
                findings.refusals.push(format!(
                    "database {database} cannot change its storage yet: {reason}; keep `storage_gb = {old}` in [databases.{database}] until then"
                ));
            }
        }
    }
    let major = |props: &Props| text(props, DbInstanceProps::NAMES.engine_version).parse::<u32>().ok();
    if let (Some(old), Some(new)) = (major(before), major(after)) {
        if new < old {
            findings.refusals.push(format!(
                "database {database} runs PostgreSQL {old} and RDS cannot downgrade it to {new}; set `engine_version = \"{old}\"` in [databases.{database}] (to go back, restore a snapshot into a new database)"
            ));
        }
    }
}

/// Removing a zone deletes its private subnet; RDS and ElastiCache refuse to give up a subnet
/// that still holds an instance or a cache node, so the plan says so before anything starts.
fn subnet_removed(findings: &mut Findings, changes: &[ResourceChange], live: &[LiveResource], subnet: &ResourceChange) {
    let Some(before) = subnet.before.as_ref() else { return };
    let zone = text(before, SubnetProps::NAMES.availability_zone);
    let Some(subnet_id) = subnet.physical_id.as_deref() else { return };
    let going = |resource: &LiveResource| {
        changes.iter().any(|change| change.id == resource.id && deletes_live(change))
            || resource.state == LiveState::Deleting
    };
    let in_group = |kind: Kind| {
        live.iter().any(|group| {
            group.kind == kind
                && group
                    .props
                    .get(SubnetGroupProps::NAMES.subnet_ids)
                    .is_some_and(|ids| ids.as_list().contains(&Value::string(subnet_id)))
        })
    };
    for (kind, group_kind, what, zones_field) in [
        (Kind::DbInstance, Kind::DbSubnetGroup, "database", DbInstanceProps::NAMES.availability_zones),
        (
            Kind::CacheReplicationGroup,
            Kind::CacheSubnetGroup,
            "cache",
            CacheReplicationGroupProps::NAMES.availability_zones,
        ),
    ] {
        if !in_group(group_kind) {
            continue;
        }
        for resource in live.iter().filter(|resource| resource.kind == kind && !going(resource)) {
            let zones = resource.props.get(zones_field).map(Value::as_list).unwrap_or_default();
            if zones.contains(&Value::string(zone)) {
                findings.refusals.push(format!(
                    "subnet {} in {zone} would be deleted, but {what} {} has a node there; keep `network.availability_zones` as it is until the {what} runs in the remaining zones",
                    subnet.id, resource.id
                ));
            }
        }
    }
}
