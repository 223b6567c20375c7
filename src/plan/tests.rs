//! Unit tests of the planner with plain data: desired resources from the graph, live ones by hand.

use std::collections::BTreeMap;

use super::*;
use crate::graph::{self, AccountFacts};
use crate::stack;

pub(crate) fn facts() -> AccountFacts {
    AccountFacts {
        image_tags: Default::default(),
        frontend_files: Vec::new(),
        account_id: "123456789012".into(),
        subnet_zones: Default::default(),
        availability_zones: vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1c".into()],
        cloudfront_prefix_list: Some("pl-3b927c52".into()),
    }
}

pub(crate) fn dev_desired() -> Vec<Resource> {
    dev_desired_with("", "")
}

/// The dev stack's resources with `from` replaced by `to` in its stack file.
pub(crate) fn dev_desired_with(from: &str, to: &str) -> Vec<Resource> {
    let source = include_str!("../../stacks/dev.toml");
    let source = if from.is_empty() { source.to_string() } else { source.replace(from, to) };
    let stack = stack::parse("dev.toml", &source).unwrap_or_else(|d| panic!("{}", d.render()));
    // Without frontend files there is nothing to invalidate; `frontend_files_*` tests cover that.
    graph::desired(&stack, &facts())
        .expect("enough zones")
        .into_iter()
        .filter(|resource| resource.kind != Kind::CacheInvalidation)
        .collect()
}

/// What AWS would hold after applying `desired`: references resolved to fake physical ids.
pub(crate) fn converged(desired: &[Resource]) -> Vec<LiveResource> {
    let physical = |id: &str| format!("phys-{id}");
    fn resolve(value: &Value, physical: &dyn Fn(&str) -> String) -> Value {
        match value {
            Value::Ref { id, .. } => Value::String(physical(id)),
            Value::List(items) => Value::List(items.iter().map(|i| resolve(i, physical)).collect()),
            Value::Map(map) => Value::Map(map.iter().map(|(k, v)| (k.clone(), resolve(v, physical))).collect()),
            Value::Join(parts) => Value::joined(parts.iter().map(|p| resolve(p, physical)).collect()),
            other => other.clone(),
        }
    }
    // Every attribute another resource refers to, each with the fake physical id as its value.
    fn referenced(value: &Value, into: &mut Vec<(String, String)>) {
        match value {
            Value::Ref { id, attribute } => into.push((id.clone(), attribute.clone())),
            Value::List(items) | Value::Join(items) => items.iter().for_each(|i| referenced(i, into)),
            Value::Map(map) => map.values().for_each(|v| referenced(v, into)),
            _ => {}
        }
    }
    let mut references = Vec::new();
    desired.iter().flat_map(|r| r.props.values()).for_each(|v| referenced(v, &mut references));
    desired
        .iter()
        // An invalidation is an event, never found live.
        .filter(|resource| resource.kind != Kind::CacheInvalidation)
        .map(|resource| {
            let mut attributes = BTreeMap::from([("id".to_string(), physical(&resource.id))]);
            for (_, attribute) in references.iter().filter(|(id, _)| *id == resource.id) {
                attributes.insert(attribute.clone(), physical(&resource.id));
            }
            LiveResource {
                state: LiveState::Ready,
                id: resource.id.clone(),
                kind: resource.kind,
                physical_id: physical(&resource.id),
                props: resource.props.iter().map(|(k, v)| (k.clone(), resolve(v, &physical))).collect(),
                attributes,
            }
        })
        .collect()
}

fn action_of<'a>(plan: &'a Plan, id: &str) -> Option<&'a ResourceChange> {
    plan.changes.iter().find(|change| change.id == id && change.action != Action::Delete)
}

#[test]
fn from_empty_everything_is_created_in_dependency_order() {
    let desired = dev_desired();
    let plan = plan("watchlist-dev", "us-east-1", &desired, &[], &Safety::default());
    assert_eq!(plan.summary().create, desired.len());
    // One step per resource, and the distribution's wait for the edge, which nothing waits for.
    assert_eq!(plan.steps.len(), desired.len() + 1);
    let waits: Vec<usize> =
        (0..plan.steps.len()).filter(|i| matches!(plan.steps[*i].operation, Operation::Wait { .. })).collect();
    assert_eq!(waits.iter().map(|i| plan.steps[*i].id.as_str()).collect::<Vec<_>>(), vec!["distribution"]);
    assert!(!plan.steps.iter().any(|step| step.after.contains(&waits[0])), "nothing waits for the edge");
    let position = |id: &str| plan.steps.iter().position(|s| s.id == id).expect("step");
    let subnet = &plan.steps[position("public-1")];
    assert_eq!(subnet.after, vec![position("vpc")]);
    let nat = &plan.steps[position("nat-1")];
    assert!(nat.after.contains(&position("internet-gateway")) && nat.after.contains(&position("nat-ip-1")));
    // Independent branches start together: the VPC, the address, the repositories and the bucket.
    let roots: Vec<&str> = plan.steps.iter().filter(|s| s.after.is_empty()).map(|s| s.id.as_str()).collect();
    assert_eq!(
        roots,
        vec![
            "vpc",
            "nat-ip-1",
            "db-movies-secret",
            "db-users-secret",
            "db-watchlist-secret",
            "ecr-movie",
            "ecr-user",
            "ecr-watchlist",
            "jwt-secret",
            "origin-secret",
            "task-execution-role",
            "cluster",
            "namespace",
            "task-role-movie",
            "logs-movie",
            "alarm-movie-cpu",
            "task-role-user",
            "logs-user",
            "alarm-user-cpu",
            "task-role-watchlist",
            "logs-watchlist",
            "alarm-watchlist-cpu",
            "alarm-db-movies-cpu",
            "alarm-db-movies-storage",
            "alarm-db-movies-connections",
            "alarm-db-users-cpu",
            "alarm-db-users-storage",
            "alarm-db-users-connections",
            "alarm-db-watchlist-cpu",
            "alarm-db-watchlist-storage",
            "alarm-db-watchlist-connections",
            "alarm-cache-1-memory",
            "alarm-cache-1-evictions",
            "frontend-bucket",
            "frontend-oac",
        ]
    );
}

#[test]
fn a_converged_stack_plans_no_changes() {
    let desired = dev_desired();
    let plan = plan("watchlist-dev", "us-east-1", &desired, &converged(&desired), &Safety::default());
    assert!(!plan.has_changes(), "{:?}", plan.changes.iter().filter(|c| c.action != Action::NoOp).collect::<Vec<_>>());
    assert_eq!(plan.summary().no_op, desired.len());
}

#[test]
fn list_order_in_unordered_fields_is_not_a_change() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    let table = live.iter_mut().find(|r| r.id == "public-routes").expect("table");
    if let Some(Value::List(subnets)) = table.props.get_mut("subnet_ids") {
        subnets.reverse();
    }
    assert!(!plan("watchlist-dev", "us-east-1", &desired, &live, &Safety::default()).has_changes());
}

#[test]
fn a_hand_added_rule_is_an_update_of_that_group_only() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    let group = live.iter_mut().find(|r| r.id == "sg-database").expect("group");
    if let Some(Value::List(rules)) = group.props.get_mut("ingress") {
        let mut ssh = BTreeMap::new();
        ssh.insert("protocol".to_string(), Value::string("tcp"));
        ssh.insert("from_port".to_string(), Value::Integer(22));
        ssh.insert("to_port".to_string(), Value::Integer(22));
        ssh.insert("source".to_string(), Value::string("0.0.0.0/0"));
        ssh.insert("description".to_string(), Value::string(""));
        rules.push(Value::Map(ssh));
    }
    let plan = plan("watchlist-dev", "us-east-1", &desired, &live, &Safety::default());
    let changed: Vec<&ResourceChange> = plan.changes.iter().filter(|c| c.action != Action::NoOp).collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].id, "sg-database");
    assert_eq!(changed[0].action, Action::Update);
    assert_eq!(changed[0].changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), vec!["ingress"]);
}

#[test]
fn a_removed_tag_is_an_update() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    let vpc = live.iter_mut().find(|r| r.id == "vpc").expect("vpc");
    if let Some(Value::Map(tags)) = vpc.props.get_mut("tags") {
        tags.remove("Name");
    }
    let plan = plan("watchlist-dev", "us-east-1", &desired, &live, &Safety::default());
    assert_eq!(action_of(&plan, "vpc").map(|c| c.action), Some(Action::Update));
    assert_eq!(plan.steps.len(), 1);
}

#[test]
fn an_immutable_field_forces_replacement_and_cascades_to_referrers() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    let subnet = live.iter_mut().find(|r| r.id == "public-1").expect("subnet");
    subnet.props.insert("cidr_block".into(), Value::string("10.0.240.0/20"));
    let plan = plan("watchlist-dev", "us-east-1", &desired, &live, &Safety::default());
    let subnet_change = action_of(&plan, "public-1").expect("change");
    assert_eq!(subnet_change.action, Action::Replace);
    assert_eq!(subnet_change.replaced_by(), vec!["cidr_block"]);
    // The NAT gateway lives in that subnet, so it must be replaced too; the table re-associates.
    assert_eq!(action_of(&plan, "nat-1").map(|c| c.action), Some(Action::Replace));
    assert_eq!(action_of(&plan, "public-routes").map(|c| c.action), Some(Action::Update));
    // The new subnet is created after the old one is deleted, and the old one after the NAT.
    let index = |id: &str, delete: bool| {
        plan.steps
            .iter()
            .position(|s| s.id == id && matches!(s.operation, Operation::Delete { .. }) == delete)
            .expect("step")
    };
    assert!(plan.steps[index("public-1", false)].after.contains(&index("public-1", true)));
    assert!(plan.steps[index("public-1", true)].after.contains(&index("nat-1", true)));
    assert!(plan.steps[index("nat-1", false)].after.contains(&index("public-1", false)));
}

#[test]
fn owned_resources_no_longer_desired_are_deleted_after_their_referrers() {
    let desired = dev_desired();
    let live = converged(&desired);
    let without_movie: Vec<Resource> = desired.iter().filter(|r| r.id != "ecr-movie").cloned().collect();
    let plan_one = plan("watchlist-dev", "us-east-1", &without_movie, &live, &Safety::default());
    let deletes: Vec<&str> =
        plan_one.changes.iter().filter(|c| c.action == Action::Delete).map(|c| c.id.as_str()).collect();
    assert_eq!(deletes, vec!["ecr-movie"]);

    let destroy = plan("watchlist-dev", "us-east-1", &[], &live, &Safety::default());
    assert_eq!(destroy.summary().delete, desired.len());
    let index = |id: &str| destroy.steps.iter().position(|s| s.id == id).expect("step");
    assert!(destroy.steps[index("vpc")].after.contains(&index("public-1")));
    assert!(destroy.steps[index("public-1")].after.contains(&index("nat-1")));
    assert!(destroy.steps[index("public-1")].after.contains(&index("public-routes")));
    assert!(destroy.steps[index("sg-app")].after.contains(&index("sg-database")));
    assert!(destroy.steps[index("internet-gateway")].after.contains(&index("nat-ip-1")));
    assert!(destroy.steps[index("nat-ip-1")].after.contains(&index("nat-1")));
}

#[test]
fn a_duplicate_left_by_an_interrupted_run_is_deleted() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    let mut duplicate = live.iter().find(|r| r.id == "nat-ip-1").cloned().expect("address");
    duplicate.physical_id = "phys-nat-ip-1-duplicate".into();
    live.push(duplicate);
    let plan = plan("watchlist-dev", "us-east-1", &desired, &live, &Safety::default());
    let deleted: Vec<&str> =
        plan.changes.iter().filter(|c| c.action == Action::Delete).filter_map(|c| c.physical_id.as_deref()).collect();
    assert_eq!(deleted, vec!["phys-nat-ip-1-duplicate"]);
    assert_eq!(action_of(&plan, "nat-ip-1").map(|c| c.action), Some(Action::NoOp));
}

#[test]
fn a_changed_lifecycle_count_is_an_in_place_update() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    let repository = live.iter_mut().find(|r| r.id == "ecr-user").expect("repository");
    repository.props.insert("keep_images".into(), Value::Integer(5));
    let plan = plan("watchlist-dev", "us-east-1", &desired, &live, &Safety::default());
    let change = action_of(&plan, "ecr-user").expect("change");
    assert_eq!(change.action, Action::Update);
    assert_eq!(change.changes[0].before, Some(Value::Integer(5)));
    assert_eq!(change.changes[0].after, Some(Value::Integer(10)));
}

#[test]
fn references_to_unchanged_resources_resolve_to_their_physical_ids() {
    let desired = dev_desired();
    let live: Vec<LiveResource> = converged(&desired).into_iter().filter(|r| r.id != "public-2").collect();
    let plan = plan("watchlist-dev", "us-east-1", &desired, &live, &Safety::default());
    let subnet = action_of(&plan, "public-2").expect("change");
    assert_eq!(subnet.action, Action::Create);
    assert_eq!(subnet.after.as_ref().and_then(|a| a.get("vpc_id")), Some(&Value::string("phys-vpc")));
    // The public table gains the new subnet: its new member is only known after apply.
    let table = action_of(&plan, "public-routes").expect("change");
    assert_eq!(table.action, Action::Update);
    assert!(table.after.as_ref().and_then(|a| a.get("subnet_ids")).is_some_and(|v| !v.is_known()));
}

pub(crate) fn with_live_field(desired: &[Resource], id: &str, field: &str, value: Value) -> Vec<LiveResource> {
    let mut live = converged(desired);
    live.iter_mut().find(|r| r.id == id).expect("resource").props.insert(field.into(), value);
    live
}

pub(crate) fn plan_of(desired: &[Resource], live: &[LiveResource]) -> Plan {
    plan("watchlist-dev", "us-east-1", desired, live, &Safety::default())
}

pub(crate) fn live_field(live: &mut [LiveResource], id: &str, field: &str, value: Value) {
    live.iter_mut().find(|r| r.id == id).expect("resource").props.insert(field.into(), value);
}

pub(crate) fn live_tag(live: &mut [LiveResource], id: &str, key: &str, value: &str) {
    let resource = live.iter_mut().find(|r| r.id == id).expect("resource");
    if let Some(Value::Map(tags)) = resource.props.get_mut("tags") {
        tags.insert(key.into(), Value::string(value));
    }
}

#[test]
fn a_new_instance_class_and_a_new_major_version_are_in_place_updates() {
    let desired = dev_desired();
    let plan_one =
        plan_of(&desired, &with_live_field(&desired, "db-users", "instance_class", Value::string("db.t3.small")));
    let change = action_of(&plan_one, "db-users").expect("change");
    assert_eq!((change.action, change.changes.len()), (Action::Update, 1));
    assert!(plan_one.refusals.is_empty());
    // 15 → 16: RDS upgrades the instance in place; nothing is deleted, nothing is empty.
    let plan_two = plan_of(&desired, &with_live_field(&desired, "db-users", "engine_version", Value::string("15")));
    let change = action_of(&plan_two, "db-users").expect("change");
    assert_eq!(change.action, Action::Update);
    assert_eq!(change.changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), vec!["engine_version"]);
    assert!(!plan_two.steps.iter().any(|s| matches!(s.operation, Operation::Delete { .. })));
    assert!(plan_two.refusals.is_empty());
}

#[test]
fn a_major_version_downgrade_is_refused() {
    let desired = dev_desired();
    let plan = plan_of(&desired, &with_live_field(&desired, "db-users", "engine_version", Value::string("17")));
    assert_eq!(plan.refusals.len(), 1, "{:?}", plan.refusals);
    assert!(plan.refusals[0].contains("cannot downgrade it to 16"), "{}", plan.refusals[0]);
}

#[test]
fn shrinking_storage_and_deleting_a_protected_database_are_refused() {
    let desired = dev_desired();
    let shrink = plan_of(&desired, &with_live_field(&desired, "db-movies", "allocated_storage", Value::Integer(100)));
    assert_eq!(
        shrink.refusals,
        vec!["database movies has 100 GiB of storage and RDS cannot shrink it; set `storage_gb` to 100 or more in [databases.movies]"]
    );
    let protected = with_live_field(&desired, "db-users", "deletion_protection", Value::Bool(true));
    let destroy = plan_of(&[], &protected);
    assert!(destroy.refusals.iter().any(|r| r.contains("set `deletion_protection = false` in [databases.users]")));
    // Growing storage by 10% or more is fine.
    let grow = plan_of(&desired, &with_live_field(&desired, "db-movies", "allocated_storage", Value::Integer(10)));
    assert!(grow.refusals.is_empty(), "{:?}", grow.refusals);
}

#[test]
fn growing_storage_by_less_than_ten_percent_or_within_six_hours_is_refused() {
    let desired = dev_desired();
    // 19 → 20 GiB is 5%: RDS would round it up to 21, which then reads back as a shrink.
    let small = plan_of(&desired, &with_live_field(&desired, "db-movies", "allocated_storage", Value::Integer(19)));
    assert_eq!(small.refusals.len(), 1);
    assert!(small.refusals[0].contains("at least 10%; set `storage_gb` to 21 or more"), "{}", small.refusals[0]);
    let mut live = with_live_field(&desired, "db-movies", "allocated_storage", Value::Integer(10));
    live_field(&mut live, "db-movies", "storage_change_blocked", Value::string("the last one finished at 12:00 UTC"));
    let locked = plan_of(&desired, &live);
    assert_eq!(locked.refusals.len(), 1);
    assert!(locked.refusals[0].contains("cannot change its storage yet: the last one finished at 12:00 UTC"));
}

#[test]
fn deleting_a_database_without_a_final_snapshot_is_refused_unless_the_stack_allows_the_loss() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    live_tag(&mut live, "db-users", graph::FINAL_SNAPSHOT_TAG, "false");
    // Removing [databases.users] (a rename, say) would lose its data.
    let without_users: Vec<Resource> =
        desired.iter().filter(|r| r.id != "db-users" && r.id != "db-users-secret").cloned().collect();
    let refused = plan_of(&without_users, &live);
    assert_eq!(refused.refusals.len(), 1, "{:?}", refused.refusals);
    assert!(refused.refusals[0].contains("allow_data_loss = [\"users\"]"), "{}", refused.refusals[0]);
    let allowed = plan(
        "watchlist-dev",
        "us-east-1",
        &without_users,
        &live,
        &Safety { allow_data_loss: ["users".to_string()].into() },
    );
    assert!(allowed.refusals.is_empty(), "{:?}", allowed.refusals);
    assert_eq!(allowed.data_loss.len(), 1);
    assert!(
        allowed.data_loss[0].starts_with("database users (watchlist-dev-users) is deleted without a final snapshot"),
        "{}",
        allowed.data_loss[0]
    );
    // With the default, a final snapshot, the delete goes ahead and says what it keeps.
    let without_movies: Vec<Resource> =
        desired.iter().filter(|r| r.id != "db-movies" && r.id != "db-movies-secret").cloned().collect();
    let snapshot = plan_of(&without_movies, &converged(&desired));
    assert!(snapshot.refusals.is_empty(), "{:?}", snapshot.refusals);
    assert!(snapshot.kept.iter().any(|kept| kept.contains("final snapshot")), "{:?}", snapshot.kept);
}

#[test]
fn a_database_left_creating_is_waited_for_before_anything_reads_its_address() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    let database = live.iter_mut().find(|r| r.id == "db-watchlist").expect("database");
    database.state = LiveState::Pending("creating".into());
    database.attributes.insert("address".into(), String::new());
    live.retain(|r| r.id != "task-watchlist" && r.id != "service-watchlist");
    let plan = plan_of(&desired, &live);
    let change = action_of(&plan, "db-watchlist").expect("change");
    assert_eq!((change.action, change.waits_for.as_deref()), (Action::NoOp, Some("creating")));
    let wait = plan.steps.iter().position(|s| s.id == "db-watchlist").expect("a wait step");
    assert!(matches!(plan.steps[wait].operation, Operation::Wait { .. }));
    let task = plan.steps.iter().position(|s| s.id == "task-watchlist").expect("the task definition's create");
    assert!(plan.steps[task].after.contains(&wait), "the task definition reads the address after the wait");
    let after = action_of(&plan, "task-watchlist").and_then(|c| c.after.as_ref()).expect("desired");
    let host = after.get("environment").and_then(Value::as_map).and_then(|env| env.get("PGHOST")).expect("PGHOST");
    assert!(!host.is_known(), "the address is known after apply, not taken from a creating database");
    assert_eq!(plan.summary().wait, 1);
}

#[test]
fn a_resource_on_its_way_out_is_waited_for_then_made_again() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    live.iter_mut().find(|r| r.id == "cache").expect("cache").state = LiveState::Deleting;
    let plan = plan_of(&desired, &live);
    let change = action_of(&plan, "cache").expect("change");
    assert_eq!((change.action, change.waits_for.as_deref()), (Action::Create, Some("deleting")));
    let delete = plan
        .steps
        .iter()
        .position(|s| s.id == "cache" && matches!(s.operation, Operation::Delete { .. }))
        .expect("the delete that waits it out");
    let create = plan
        .steps
        .iter()
        .position(|s| s.id == "cache" && matches!(s.operation, Operation::Create { .. }))
        .expect("the create");
    assert!(plan.steps[create].after.contains(&delete));
    // A destroy run again waits for it before deleting its subnet group.
    let destroy = plan_of(&[], &live);
    let group = destroy.steps.iter().position(|s| s.id == "cache-subnets").expect("group delete");
    let cache = destroy.steps.iter().position(|s| s.id == "cache").expect("cache delete");
    assert!(destroy.steps[group].after.contains(&cache));
}

#[test]
fn a_new_port_creates_the_new_target_group_first_and_deletes_the_old_one_last() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    // The live group was made for port 8000: its name says so.
    live_field(&mut live, "target-movie", "port", Value::Integer(8000));
    live_field(&mut live, "target-movie", "name", Value::string("watchlist-dev-tg-movie-8000"));
    let plan = plan_of(&desired, &live);
    let change = action_of(&plan, "target-movie").expect("change");
    assert_eq!(change.action, Action::Replace);
    assert!(change.create_before_delete);
    let index = |id: &str, delete: bool| {
        plan.steps
            .iter()
            .position(|s| s.id == id && matches!(s.operation, Operation::Delete { .. }) == delete)
            .unwrap_or_else(|| panic!("step {id} {delete}"))
    };
    let (create, delete) = (index("target-movie", false), index("target-movie", true));
    assert!(!plan.steps[create].after.contains(&delete), "created first");
    assert!(plan.steps[delete].after.contains(&create));
    // The rule and the service move over (updates, no replacement), then the old group goes.
    assert_eq!(action_of(&plan, "rule-movie").map(|c| c.action), Some(Action::Update));
    assert_eq!(action_of(&plan, "service-movie").map(|c| c.action), Some(Action::Update));
    // The rule's last update (its move to the new group alone) is what the delete waits for;
    // its first one associates the new group and needs it created.
    let rule_move = plan.steps.iter().rposition(|s| s.id == "rule-movie").expect("the rule's move");
    assert!(plan.steps[delete].after.contains(&rule_move));
    assert!(plan.steps[delete].after.contains(&index("service-movie", false)));
    assert!(plan.steps[index("rule-movie", false)].after.contains(&create));
}

#[test]
fn removing_a_zone_that_holds_a_database_is_refused() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    live_field(&mut live, "private-2", "availability_zone", Value::string("us-east-1b"));
    live_field(&mut live, "database-subnets", "subnet_ids", Value::List(vec![Value::string("phys-private-2")]));
    live_field(&mut live, "db-users", "availability_zones", Value::List(vec![Value::string("us-east-1b")]));
    let one_zone: Vec<Resource> =
        desired.iter().filter(|r| !r.id.ends_with("-2") && r.id != "private-routes-2").cloned().collect();
    let plan = plan_of(&one_zone, &live);
    assert!(
        plan.refusals.iter().any(|r| r.contains("subnet private-2 in us-east-1b") && r.contains("db-users")),
        "{:?}",
        plan.refusals
    );
}

#[test]
fn removing_a_zone_that_holds_a_cache_node_is_refused() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    live_field(&mut live, "private-2", "availability_zone", Value::string("us-east-1b"));
    live_field(&mut live, "cache-subnets", "subnet_ids", Value::List(vec![Value::string("phys-private-2")]));
    live_field(
        &mut live,
        "cache",
        "availability_zones",
        Value::List(vec![Value::string("us-east-1a"), Value::string("us-east-1b")]),
    );
    let one_zone: Vec<Resource> =
        desired.iter().filter(|r| !r.id.ends_with("-2") && r.id != "private-routes-2").cloned().collect();
    let plan = plan_of(&one_zone, &live);
    assert!(
        plan.refusals.iter().any(|r| r.contains("subnet private-2 in us-east-1b") && r.contains("cache cache")),
        "{:?}",
        plan.refusals
    );
    // A cache whose nodes are all in the zone that stays does not hold the change back.
    live_field(&mut live, "cache", "availability_zones", Value::List(vec![Value::string("us-east-1a")]));
    let plan = plan_of(&one_zone, &live);
    assert!(!plan.refusals.iter().any(|r| r.contains("cache cache")), "{:?}", plan.refusals);
}

#[test]
fn create_only_fields_of_the_cache_are_not_compared() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    let cache = live.iter_mut().find(|r| r.id == "cache").expect("the cache");
    // Discovery reads neither field back; their absence is not a change.
    cache.props.remove("subnet_group");
    cache.props.remove("security_group_ids");
    let plan_one = plan("watchlist-dev", "us-east-1", &desired, &live, &Safety::default());
    assert!(!plan_one.has_changes());
    let replicas = with_live_field(&desired, "cache", "replicas", Value::Integer(2));
    let change = plan("watchlist-dev", "us-east-1", &desired, &replicas, &Safety::default());
    assert_eq!(action_of(&change, "cache").map(|c| c.action), Some(Action::Update));
}

#[test]
fn of_duplicate_vpcs_the_one_with_the_subnets_is_kept() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    // An empty twin whose physical id sorts first: a lost CreateVpc answer, retried.
    let mut twin = live.iter().find(|r| r.id == "vpc").cloned().expect("the vpc");
    twin.physical_id = "phys-0-empty-twin".into();
    twin.attributes.insert("id".into(), "phys-0-empty-twin".into());
    live.push(twin);
    let plan = plan("watchlist-dev", "us-east-1", &desired, &live, &Safety::default());
    let deleted: Vec<&str> =
        plan.changes.iter().filter(|c| c.action == Action::Delete).filter_map(|c| c.physical_id.as_deref()).collect();
    assert_eq!(deleted, vec!["phys-0-empty-twin"]);
    assert_eq!(plan.summary().replace, 0, "nothing is rebuilt");
}

#[test]
fn a_new_image_tag_plans_one_task_definition_revision_and_one_service_update() {
    let desired = dev_desired();
    let live = converged(&desired);
    let mut tagged_facts = facts();
    tagged_facts.image_tags.insert("movie".into(), "abc".into());
    let stack =
        stack::parse("dev.toml", include_str!("../../stacks/dev.toml")).unwrap_or_else(|d| panic!("{}", d.render()));
    let tagged = graph::desired(&stack, &tagged_facts).expect("enough zones");
    let plan = plan("watchlist-dev", "us-east-1", &tagged, &live, &Safety::default());
    let changed: Vec<(&str, Action)> =
        plan.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| (c.id.as_str(), c.action)).collect();
    assert_eq!(changed, vec![("task-movie", Action::Update), ("service-movie", Action::Update)]);
    let service = plan.changes.iter().find(|c| c.id == "service-movie").expect("the service");
    let fields: Vec<&str> = service.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["task_definition"], "the new revision's ARN is known after apply");
    let position = |id: &str| plan.steps.iter().position(|s| s.id == id).expect("a step");
    assert!(plan.steps[position("service-movie")].after.contains(&position("task-movie")));
}

fn file(key: &str, md5: &str) -> graph::FrontendFile {
    graph::FrontendFile { key: key.into(), md5: md5.into(), path: format!("/dist/{key}") }
}

fn with_files(files: Vec<graph::FrontendFile>) -> Vec<Resource> {
    let stack =
        stack::parse("dev.toml", include_str!("../../stacks/dev.toml")).unwrap_or_else(|d| panic!("{}", d.render()));
    let mut facts = facts();
    facts.frontend_files = files;
    graph::desired(&stack, &facts).expect("enough zones")
}

#[test]
fn frontend_files_upload_only_what_changed_and_invalidate_exactly_those_paths() {
    let before =
        with_files(vec![file("index.html", "aaa"), file("assets/app-12345678.js", "bbb"), file("old.txt", "ccc")]);
    let live = converged(&before);
    assert!(
        !plan("watchlist-dev", "us-east-1", &before, &live, &Safety::default()).has_changes(),
        "a converged frontend plans nothing"
    );

    let after = with_files(vec![file("index.html", "ddd"), file("assets/app-87654321.js", "eee")]);
    let plan = plan("watchlist-dev", "us-east-1", &after, &live, &Safety::default());
    let changed: Vec<(&str, Action)> =
        plan.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| (c.id.as_str(), c.action)).collect();
    assert_eq!(
        changed,
        vec![
            ("file:index.html", Action::Update),
            ("file:assets/app-87654321.js", Action::Create),
            ("frontend-invalidation", Action::Create),
            ("file:assets/app-12345678.js", Action::Delete),
            ("file:old.txt", Action::Delete),
        ]
    );
    let invalidation = plan.changes.iter().find(|c| c.id == "frontend-invalidation").expect("an invalidation");
    let paths = invalidation.after.as_ref().and_then(|after| after.get("paths")).expect("paths");
    assert_eq!(
        paths,
        &Value::List(vec![
            Value::string("/"),
            Value::string("/assets/app-12345678.js"),
            Value::string("/index.html"),
            Value::string("/old.txt"),
        ])
    );
    let position = |id: &str| plan.steps.iter().position(|s| s.id == id).expect("a step");
    assert!(plan.steps[position("frontend-invalidation")].after.contains(&position("file:index.html")));
    // A removed file is invalidated once it is gone: an edge asking before would cache it again.
    assert!(plan.steps[position("frontend-invalidation")].after.contains(&position("file:old.txt")));
}

#[test]
fn a_new_task_definition_supersedes_a_stuck_rollout_instead_of_waiting_for_it() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    // The movie service's deployment is IN_PROGRESS (tasks that pass health checks, then crash).
    live.iter_mut().find(|r| r.id == "service-movie").expect("service").state =
        LiveState::Pending("IN_PROGRESS".into());
    let stuck = plan_of(&desired, &live);
    assert_eq!(action_of(&stuck, "service-movie").and_then(|c| c.waits_for.as_deref()), Some("IN_PROGRESS"));
    assert!(stuck.steps.iter().any(|s| s.id == "service-movie" && matches!(s.operation, Operation::Wait { .. })));

    // The fix: a new image, hence a new task definition and a service update carrying it.
    let service = live.iter_mut().find(|r| r.id == "service-movie").expect("service");
    service.props.insert("task_definition".into(), Value::string("phys-task-movie:1"));
    let fixed = plan_of(&desired, &live);
    let change = action_of(&fixed, "service-movie").expect("change");
    assert_eq!((change.action, change.waits_for.as_deref()), (Action::Update, None));
    assert!(
        !fixed.steps.iter().any(|s| s.id == "service-movie" && matches!(s.operation, Operation::Wait { .. })),
        "the update is not gated on the deployment it replaces: {:#?}",
        fixed.steps
    );
}

#[test]
fn a_new_port_forwards_to_both_groups_then_moves_the_service_then_the_rule_then_deletes_the_old_group() {
    let live = converged(&dev_desired());
    let desired = dev_desired_with("port = 8002", "port = 8012");
    let plan = plan_of(&desired, &live);
    let position = |what: &dyn Fn(&Step) -> bool| {
        plan.steps.iter().position(what).unwrap_or_else(|| panic!("a step in {:#?}", plan.steps))
    };
    let is_update = |step: &Step, id: &str| step.id == id && matches!(step.operation, Operation::Update { .. });
    let create_group = position(&|s| s.id == "target-movie" && matches!(s.operation, Operation::Create { .. }));
    let delete_group = position(&|s| s.id == "target-movie" && matches!(s.operation, Operation::Delete { .. }));
    let rule_updates: Vec<usize> =
        plan.steps.iter().enumerate().filter(|(_, s)| is_update(s, "rule-movie")).map(|(i, _)| i).collect();
    let [associate, move_rule] = rule_updates[..] else { panic!("two rule updates: {:#?}", plan.steps) };
    let service = position(&|s| is_update(s, "service-movie"));

    // The association forwards to the old group with all the traffic and to the new one beside it.
    let Operation::Update { props, changes, .. } = &plan.steps[associate].operation else { unreachable!() };
    assert_eq!(props.get("target_group_arn"), Some(&Value::string("phys-target-movie")));
    assert_eq!(
        props.get("standby_target_group_arn"),
        Some(&Value::Ref { id: "target-movie".into(), attribute: "arn".into() })
    );
    assert_eq!(changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), vec!["standby_target_group_arn"]);
    let Operation::Update { props, .. } = &plan.steps[move_rule].operation else { unreachable!() };
    assert_eq!(props.get("standby_target_group_arn"), None, "the move forwards to the new group alone");

    // What runs after what (transitively, the executor's order).
    let runs_after = |later: usize, earlier: usize| {
        let mut stack = vec![later];
        let mut seen = BTreeSet::new();
        while let Some(step) = stack.pop() {
            for before in &plan.steps[step].after {
                if *before == earlier {
                    return true;
                }
                if seen.insert(*before) {
                    stack.push(*before);
                }
            }
        }
        false
    };
    assert!(runs_after(associate, create_group), "the new group exists before the rule names it");
    assert!(runs_after(service, associate), "the service moves once the new group is associated");
    assert!(!runs_after(service, move_rule), "the service does not wait for the rule's move");
    // The move waits in its driver for the new group to serve, beside the service's rollout: not
    // after it, when the old tasks have drained from the old group already.
    assert!(runs_after(move_rule, associate), "the rule moves after the association");
    assert!(!runs_after(move_rule, service), "not after the service's whole rollout");
    assert!(runs_after(delete_group, move_rule), "the old group goes once nothing forwards to it");
    assert!(runs_after(delete_group, service), "and once the service left it");

    // The services' security group lets the new port in before the service's first new task
    // starts, and keeps the old port open until its rollout is done: two steps.
    let group_updates: Vec<usize> =
        plan.steps.iter().enumerate().filter(|(_, s)| is_update(s, "sg-app")).map(|(i, _)| i).collect();
    let [widen, narrow] = group_updates[..] else { panic!("two updates of sg-app: {:#?}", plan.steps) };
    let ports = |step: usize| -> BTreeSet<i64> {
        let Operation::Update { props, .. } = &plan.steps[step].operation else { unreachable!() };
        props["ingress"]
            .as_list()
            .iter()
            .filter_map(|rule| rule.as_map().and_then(|rule| rule.get("from_port")).and_then(Value::as_i64))
            .collect()
    };
    assert!(ports(widen).contains(&8002) && ports(widen).contains(&8012), "both ports: {:?}", ports(widen));
    assert!(!ports(narrow).contains(&8002) && ports(narrow).contains(&8012), "the new port: {:?}", ports(narrow));
    assert!(runs_after(service, widen), "the service moves once the new port is let in");
    assert!(runs_after(narrow, service), "the old port closes once the service's rollout is done");
    assert!(runs_after(narrow, widen));
}

#[test]
fn a_tag_change_of_a_database_that_is_backing_up_is_applied_without_waiting_for_the_backup() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    let database = live.iter_mut().find(|r| r.id == "db-movies").expect("database");
    database.state = LiveState::Pending("backing-up".into());
    live_tag(&mut live, "db-movies", "team", "data");
    let plan = plan_of(&desired, &live);
    let change = action_of(&plan, "db-movies").expect("change");
    assert_eq!(change.changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), vec!["tags"]);
    assert_eq!((change.action, change.waits_for.as_deref()), (Action::Update, None));
    let steps: Vec<&Step> = plan.steps.iter().filter(|s| s.id == "db-movies").collect();
    assert_eq!(steps.len(), 1, "no wait step: {steps:#?}");
    assert!(matches!(steps[0].operation, Operation::Update { .. }));
    // Its address is known while it backs up: nothing that names it changes.
    assert_eq!(action_of(&plan, "task-movie").map(|c| c.action), Some(Action::NoOp));
    // A change beyond the tags waits for the backup first.
    live_field(&mut live, "db-movies", "backup_retention_days", Value::Integer(3));
    let plan = plan_of(&desired, &live);
    assert_eq!(action_of(&plan, "db-movies").and_then(|c| c.waits_for.as_deref()), Some("backing-up"));
}

#[test]
fn what_depends_on_a_database_left_pending_waits_for_its_update_not_only_for_the_wait() {
    let mut live = converged(&dev_desired());
    live.iter_mut().find(|r| r.id == "db-movies").expect("database").state = LiveState::Pending("backing-up".into());
    let source = include_str!("../../stacks/dev.toml")
        .replace(
            "[databases.movies]\ninstance_class = \"db.t3.micro\"",
            "[databases.movies]\ninstance_class = \"db.t3.small\"",
        )
        .replace(
            "cache = true\nenvironment = { RUST_LOG = \"info\" }",
            "cache = true\nenvironment = { RUST_LOG = \"debug\" }",
        );
    let stack = stack::parse("dev.toml", &source).unwrap_or_else(|d| panic!("{}", d.render()));
    let desired = graph::desired(&stack, &facts()).expect("enough zones");
    let plan = plan_of(&desired, &live);
    let position = |id: &str, wait: bool| {
        plan.steps
            .iter()
            .position(|s| s.id == id && matches!(s.operation, Operation::Wait { .. }) == wait)
            .unwrap_or_else(|| panic!("{id} in {:?}", plan.steps.iter().map(Step::label).collect::<Vec<_>>()))
    };
    let (wait, update) = (position("db-movies", true), position("db-movies", false));
    assert!(plan.steps[update].after.contains(&wait), "the update waits for the backup");
    // The movie service's task definition names the database: it runs after the database's
    // update, not merely after the wait before it.
    let task = position("task-movie", false);
    assert!(plan.steps[task].after.contains(&update), "{:?}", plan.steps[task].after);
}

#[test]
fn a_new_network_under_running_services_databases_and_caches_is_refused() {
    let live = converged(&dev_desired());
    let desired = dev_desired_with("cidr = \"10.0.0.0/16\"", "cidr = \"10.1.0.0/16\"");
    let plan = plan_of(&desired, &live);
    assert_eq!(action_of(&plan, "vpc").map(|c| c.action), Some(Action::Replace));
    assert_eq!(plan.refusals.len(), 1, "{:#?}", plan.refusals);
    let refusal = &plan.refusals[0];
    for user in ["load balancer alb", "service service-movie", "database db-movies", "cache cache"] {
        assert!(refusal.contains(user), "{user} in {refusal}");
    }
    assert!(refusal.contains("`cidr_block`") && refusal.contains("run `wl-infra destroy` first"), "{refusal}");

    // A network with nothing running in it yet may move.
    let network = |resources: Vec<Resource>| -> Vec<Resource> {
        resources
            .into_iter()
            .filter(|r| matches!(r.kind, Kind::Vpc | Kind::Subnet | Kind::InternetGateway | Kind::RouteTable))
            .collect()
    };
    let bare_live: Vec<LiveResource> = converged(&network(dev_desired()));
    let plan = plan_of(&network(desired), &bare_live);
    assert_eq!(action_of(&plan, "vpc").map(|c| c.action), Some(Action::Replace));
    assert!(plan.refusals.is_empty(), "{:#?}", plan.refusals);
}

#[test]
fn a_role_renamed_goes_after_the_task_definitions_that_name_it_by_arn_and_a_bucket_after_the_edge_moved() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    // The role as an earlier version named it: task definitions name it by its ARN only.
    let old_arn = "arn:aws:iam::123456789012:role/wl/watchlist-dev/watchlist-dev-task-execution-role";
    let role = live.iter_mut().find(|r| r.id == "task-execution-role").expect("role");
    role.physical_id = "watchlist-dev-task-execution-role".into();
    role.props.insert("name".into(), Value::string("watchlist-dev-task-execution-role"));
    role.attributes.insert("arn".into(), old_arn.into());
    for task in live.iter_mut().filter(|r| r.kind == Kind::TaskDefinition) {
        task.props.insert("execution_role_arn".into(), Value::string(old_arn));
    }
    // The bucket as an earlier version named it: the distribution reads it through its domain.
    let bucket = live.iter_mut().find(|r| r.id == "frontend-bucket").expect("bucket");
    bucket.physical_id = "watchlist-dev-frontend-123456789012".into();
    bucket.props.insert("name".into(), Value::string("watchlist-dev-frontend-123456789012"));
    bucket
        .attributes
        .insert("regional_domain_name".into(), "watchlist-dev-frontend-123456789012.s3.us-east-1.amazonaws.com".into());
    live_field(
        &mut live,
        "distribution",
        "s3_origin_domain",
        Value::string("watchlist-dev-frontend-123456789012.s3.us-east-1.amazonaws.com"),
    );
    let plan = plan_of(&desired, &live);
    let position = |id: &str, what: &dyn Fn(&Operation) -> bool| {
        plan.steps
            .iter()
            .position(|s| s.id == id && what(&s.operation))
            .unwrap_or_else(|| panic!("{id} in {:#?}", plan.steps))
    };
    let is_delete = |o: &Operation| matches!(o, Operation::Delete { .. });
    let is_update = |o: &Operation| matches!(o, Operation::Update { .. });
    let is_wait = |o: &Operation| matches!(o, Operation::Wait { .. });
    let role_delete = position("task-execution-role", &is_delete);
    assert!(
        plan.steps[role_delete].after.contains(&position("task-movie", &is_update)),
        "a rollback still needs the old role"
    );
    let bucket_delete = position("frontend-bucket", &is_delete);
    assert!(
        plan.steps[bucket_delete].after.contains(&position("distribution", &is_wait)),
        "CloudFront reads the old origin until its change is deployed: {:#?}",
        plan.steps[bucket_delete]
    );
}

/// Every step of `plan` can run: the ordering has no cycle.
fn runs_to_the_end(plan: &Plan) -> bool {
    let after: Vec<Vec<usize>> = plan.steps.iter().map(|step| step.after.clone()).collect();
    let mut queue = crate::apply::queue::Queue::new(&after);
    let mut done = 0;
    loop {
        let ready = queue.take_ready();
        if ready.is_empty() {
            return done == plan.steps.len();
        }
        for step in ready {
            queue.succeed(step);
            done += 1;
        }
    }
}

#[test]
fn attributes_that_are_not_identifiers_never_order_deletes_into_a_cycle() {
    let desired = dev_desired();
    let mut live = converged(&desired);
    // As AWS answers them: an object's id is its key (which the distribution's default root
    // object repeats), the bucket policy's id is its bucket's name, a bucket has an ARN.
    let bucket = "watchlist-dev-frontend-123456789012-us-east-1";
    for resource in live.iter_mut() {
        match resource.kind {
            Kind::FrontendObject => {
                let key = resource.props.get("key").and_then(Value::as_str).unwrap_or_default().to_string();
                resource.attributes.insert("id".into(), key);
            }
            Kind::BucketPolicy => {
                resource.attributes.insert("id".into(), bucket.into());
            }
            Kind::S3Bucket => {
                resource.props.insert("name".into(), Value::string(bucket));
                resource.attributes.insert("arn".into(), format!("arn:aws:s3:::{bucket}"));
            }
            _ => {}
        }
    }
    live_field(&mut live, "distribution", "default_root_object", Value::string("index.html"));
    let destroy = plan_of(&[], &live);
    assert!(runs_to_the_end(&destroy), "{:#?}", destroy.steps);
}

#[test]
fn an_unconfirmed_subscription_gets_a_notice_and_no_step_kept_or_removed() {
    let source = include_str!("../../stacks/prod.toml");
    let stack = crate::stack::parse("prod.toml", source).unwrap_or_else(|d| panic!("{}", d.render()));
    let desired = crate::graph::desired(&stack, &facts()).expect("enough zones");
    let mut live = converged(&desired);
    let kept = crate::graph::alert_subscription_id("ops@example.com");
    let subscription = live.iter_mut().find(|r| r.id == kept).expect("the subscription");
    subscription.state = LiveState::Unconfirmed("pending confirmation".into());
    let mut removed = subscription.clone();
    removed.id = crate::graph::alert_subscription_id("gone@example.com");
    removed.physical_id = "gone@example.com".into();
    live.push(removed);
    let plan = plan("watchlist-prod", "us-east-1", &desired, &live, &Safety::default());
    assert!(plan.steps.is_empty(), "nothing is done about a subscription waiting for its recipient");
    let notice = |id: &str| {
        let change = plan.changes.iter().find(|c| c.id == id).expect("a change");
        assert_eq!(change.action, Action::NoOp, "{id}");
        change.notice.clone().unwrap_or_default()
    };
    assert!(notice(&kept).starts_with("pending confirmation: the address has not followed the link"));
    assert!(notice("alerts-to-gone@example.com").contains("no longer in the stack: SNS cannot unsubscribe it"));
}

#[test]
fn a_scaled_service_keeps_its_autoscaled_count_and_goes_after_its_scalable_target() {
    let source = include_str!("../../stacks/prod.toml");
    let stack = crate::stack::parse("prod.toml", source).unwrap_or_else(|d| panic!("{}", d.render()));
    let desired = crate::graph::desired(&stack, &facts()).expect("enough zones");
    let mut live = converged(&desired);
    // The autoscaler moved the count; the live service reads it back.
    live_field(&mut live, "service-movie", "desired_count", Value::Integer(7));
    let kept = plan("watchlist-prod", "us-east-1", &desired, &live, &Safety::default());
    assert!(kept.steps.is_empty(), "{:?}", kept.steps.iter().map(Step::label).collect::<Vec<_>>());
    let note = kept.changes.iter().find(|c| c.id == "service-movie").and_then(|c| c.notice.clone());
    assert_eq!(
        note.as_deref(),
        Some("desired_count is not compared: Application Auto Scaling sets it between 2 and 10 tasks")
    );

    let destroyed = plan("watchlist-prod", "us-east-1", &[], &live, &Safety::default());
    let position = |id: &str| destroyed.steps.iter().position(|s| s.id == id).expect(id);
    let service = &destroyed.steps[position("service-movie")];
    assert!(service.after.contains(&position("scaling-movie")), "the target is deregistered before its service goes");
    let target = &destroyed.steps[position("scaling-movie")];
    assert!(target.after.contains(&position("scaling-movie-cpu")));
}

#[test]
fn a_request_count_policy_moves_to_a_new_target_group_once_its_service_has() {
    let source = include_str!("../../stacks/prod.toml");
    let parse = |source: &str| crate::stack::parse("prod.toml", source).unwrap_or_else(|d| panic!("{}", d.render()));
    let live = converged(&crate::graph::desired(&parse(source), &facts()).expect("enough zones"));
    let moved = source.replace("port = 8002", "port = 8012");
    let desired = crate::graph::desired(&parse(&moved), &facts()).expect("enough zones");
    let plan = plan("watchlist-prod", "us-east-1", &desired, &live, &Safety::default());
    let position = |id: &str| {
        plan.steps.iter().position(|s| s.id == id && matches!(s.operation, Operation::Update { .. })).unwrap_or_else(
            || panic!("an update of {id}: {:?}", plan.steps.iter().map(Step::label).collect::<Vec<_>>()),
        )
    };
    let policy = position("scaling-movie-requests");
    assert!(plan.steps[policy].after.contains(&position("service-movie")), "the policy follows the service");
}

/// The dev stack's resources without any service (the frontend alone, and the data tier).
fn dev_desired_without_services() -> Vec<Resource> {
    let source = include_str!("../../stacks/dev.toml");
    let mut stack = stack::parse("dev.toml", source).unwrap_or_else(|d| panic!("{}", d.render()));
    stack.services.clear();
    graph::desired(&stack, &facts())
        .expect("enough zones")
        .into_iter()
        .filter(|resource| resource.kind != Kind::CacheInvalidation)
        .collect()
}

#[test]
fn the_last_service_gone_takes_the_api_out_of_the_distribution_before_its_load_balancer_goes() {
    let mut live = converged(&dev_desired());
    // AWS names a load balancer by its ARN and the distribution names it by its DNS name.
    let dns_name = "watchlist-dev-alb-1.us-east-1.elb.amazonaws.com";
    let alb = live.iter_mut().find(|r| r.id == "alb").expect("the load balancer");
    alb.attributes.insert("dns_name".into(), dns_name.into());
    let distribution = live.iter_mut().find(|r| r.id == "distribution").expect("the distribution");
    distribution.props.insert("api_origin_domain".into(), Value::string(dns_name));

    let plan = plan_of(&dev_desired_without_services(), &live);
    let change = action_of(&plan, "distribution").expect("the distribution changes");
    assert_eq!(change.action, Action::Update);
    let mut cleared: Vec<(&str, Option<&Value>)> =
        change.changes.iter().map(|c| (c.field.as_str(), c.after.as_ref())).collect();
    cleared.sort();
    assert_eq!(
        cleared,
        vec![("api_origin_domain", None), ("api_origin_verify_secret", None), ("api_path", None)],
        "the API's origin and behaviour go"
    );
    let position = |id: &str, delete: bool| {
        plan.steps
            .iter()
            .position(|s| s.id == id && matches!(s.operation, Operation::Delete { .. }) == delete)
            .unwrap_or_else(|| panic!("{id} in {:#?}", plan.steps))
    };
    let after_distribution = |step: usize| {
        let deployed = plan.steps.iter().rposition(|s| s.id == "distribution").expect("the distribution's wait");
        plan.steps[step].after.contains(&deployed)
    };
    assert!(after_distribution(position("alb", true)), "the load balancer goes once CloudFront stopped using it");
    assert!(after_distribution(position("origin-secret", true)), "and so does the secret it sent");
    // Converged: nothing left to clear.
    let mut converged_live = converged(&dev_desired_without_services());
    converged_live.retain(|r| r.kind != Kind::CacheInvalidation);
    assert!(plan_of(&dev_desired_without_services(), &converged_live).steps.is_empty());
}

#[test]
fn the_frontend_gone_takes_the_origin_check_out_of_the_listener_rules() {
    let live = converged(&dev_desired());
    let source = include_str!("../../stacks/dev.toml");
    let mut stack = stack::parse("dev.toml", source).unwrap_or_else(|d| panic!("{}", d.render()));
    stack.frontend = None;
    let desired: Vec<Resource> = graph::desired(&stack, &facts()).expect("enough zones");
    let plan = plan_of(&desired, &live);
    for service in ["user", "movie", "watchlist"] {
        let change = action_of(&plan, &format!("rule-{service}")).expect("the rule changes");
        assert_eq!(
            change.changes.iter().map(|c| (c.field.as_str(), c.after.is_none())).collect::<Vec<_>>(),
            vec![("origin_verify_secret", true)]
        );
    }
}
