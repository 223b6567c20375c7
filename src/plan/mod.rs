//! The planner: desired resources + live resources -> a [`Plan`] that decides everything. Pure.
//!
//! The plan holds both what to show (one [`ResourceChange`] per resource) and what to do (the
//! [`Step`]s with their ordering); the executor only runs the steps in that order.

mod safety;
mod saved;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::graph::properties::edge::{CacheInvalidationProps, FrontendObjectProps};
use crate::graph::{Kind, Props, Resource, Value};

pub use safety::Safety;
pub use saved::{SavedPlan, SavedPlanError};

/// A resource as read from AWS: found by the stack's tags or deterministic name.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LiveResource {
    /// The logical id from the `wl:id` tag.
    pub id: String,
    pub kind: Kind,
    /// The AWS identifier the driver uses to address it (vpc-..., a repository name, ...).
    pub physical_id: String,
    /// Properties in the same shape as the desired side, with references as physical ids.
    pub props: Props,
    /// Attributes other resources refer to: always `id`, plus e.g. `arn`, `uri`.
    pub attributes: BTreeMap<String, String>,
    /// Whether the resource can be used now: a run that was interrupted can leave one still being
    /// created (no endpoint yet) or on its way out.
    pub state: LiveState,
}

/// Where a live resource stands in its life.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LiveState {
    Ready,
    /// Not ready yet (`creating`, `modifying`, `pending`, a deployment in progress): its
    /// attributes may be missing, so the plan waits for it before anything reads them.
    Pending(String),
    /// Being deleted: it goes away by itself; the plan waits for that.
    Deleting,
    /// Made, but waiting for a person outside wl-infra (an e-mail subscription's recipient who has
    /// not confirmed it): nothing waits for it, and it cannot be changed or deleted until then.
    Unconfirmed(String),
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    #[serde(rename = "no-op")]
    NoOp,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::NoOp => "no-op",
        }
    }
}

/// One field that differs between live and desired.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Value>,
    /// The desired value; `Ref`s that are already known are resolved to physical ids.
    pub after: Option<Value>,
    pub forces_replacement: bool,
}

/// What the plan does to one resource, for people and for `--json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResourceChange {
    pub id: String,
    pub kind: Kind,
    pub action: Action,
    pub physical_id: Option<String>,
    /// Live properties (None when creating).
    pub before: Option<Props>,
    /// Desired properties with known references resolved (None when deleting).
    pub after: Option<Props>,
    /// The fields that differ (for update and replace).
    pub changes: Vec<FieldChange>,
    /// The state the live resource is in that the plan waits out first (`creating`, `deleting`).
    pub waits_for: Option<String>,
    /// For a replace: whether the new resource is created before the old one is deleted (its
    /// name differs, so both can exist, and what refers to the old one moves over first).
    pub create_before_delete: bool,
    /// What the plan tells about a resource that waits for someone else (an e-mail address that has
    /// not confirmed its subscription); shown, never acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

impl ResourceChange {
    pub fn replaced_by(&self) -> Vec<&str> {
        self.changes.iter().filter(|c| c.forces_replacement).map(|c| c.field.as_str()).collect()
    }
}

/// The operation of one step; all the executor needs, nothing to decide.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Operation {
    /// Create the resource; `Ref`s in `props` are resolved by the executor from earlier outputs.
    Create { props: Props },
    /// Bring the listed fields of `physical_id` to their desired values.
    Update { physical_id: String, props: Props, live: Props, changes: Vec<FieldChange> },
    /// Delete `physical_id`.
    Delete { physical_id: String, live: Props },
    /// Wait until `physical_id`, left pending by an earlier run, is ready; its attributes follow.
    Wait { physical_id: String },
}

/// One unit of work: an operation on a resource, run after the steps in `after`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    pub id: String,
    pub kind: Kind,
    pub operation: Operation,
    /// Indexes into `Plan::steps` that must succeed first.
    pub after: Vec<usize>,
}

impl Step {
    pub fn label(&self) -> String {
        let verb = match self.operation {
            Operation::Create { .. } => "create",
            Operation::Update { .. } => "update",
            Operation::Delete { .. } => "delete",
            Operation::Wait { .. } => "wait for",
        };
        format!("{verb} {} {}", self.kind, self.id)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    pub stack: String,
    pub region: String,
    /// Changes AWS or data safety forbids (deleting a protected database, shrinking storage). A
    /// plan with refusals must not be applied; each says what to change in the stack file.
    pub refusals: Vec<String>,
    /// What the plan destroys for good, which the stack allowed (`allow_data_loss`): shown in red.
    pub data_loss: Vec<String>,
    /// What a delete keeps (a database's final snapshot), shown beside the plan.
    pub kept: Vec<String>,
    /// Every resource in the stack or owned by it, no-ops included, in a stable order.
    pub changes: Vec<ResourceChange>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    #[serde(rename = "no_op")]
    pub no_op: usize,
    /// Resources the plan waits for (left pending or deleting by an earlier run).
    pub wait: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Replace => summary.replace += 1,
                Action::Delete => summary.delete += 1,
                Action::NoOp => summary.no_op += 1,
            }
            if change.waits_for.is_some() {
                summary.wait += 1;
            }
        }
        summary
    }

    pub fn has_changes(&self) -> bool {
        !self.steps.is_empty()
    }
}

/// What the plan says of a resource that waits for a person (an e-mail subscription not confirmed
/// yet), kept in the stack (`wanted`) or not.
fn unconfirmed_notice(state: &str, wanted: bool) -> String {
    if wanted {
        format!(
            "{state}: the address has not followed the link in the e-mail from AWS Notifications; nothing is sent again, and SNS deletes the subscription 48 hours after that e-mail (the next apply then subscribes it again)"
        )
    } else {
        format!(
            "{state} and no longer in the stack: SNS cannot unsubscribe it until it is confirmed; it lapses 48 hours after its e-mail, or goes with the topic"
        )
    }
}

/// Plans the changes that turn `live` into `desired`. `desired` is in dependency order; `safety`
/// says which data the stack allows a plan to lose.
pub fn plan(stack: &str, region: &str, desired: &[Resource], live: &[LiveResource], safety: &Safety) -> Plan {
    let desired = &with_invalidation_paths(desired, live);
    // Live resources by logical id; a second resource with the same id (a duplicate left by an
    // interrupted run) is owned but not desired, so it is deleted.
    let mut live_by_id: HashMap<&str, &LiveResource> = HashMap::new();
    let mut extra_live: Vec<&LiveResource> = Vec::new();
    // Of duplicates, the one other resources refer to is kept (a lost answer can leave an empty
    // twin of a VPC whose subnets are all in the other one); ties go to the lower physical id. A
    // resource on its way out is never the one kept.
    let mut references: HashMap<String, usize> = HashMap::new();
    for resource in live {
        let mut strings = Vec::new();
        collect_strings(&Value::Map(resource.props.clone().into_iter().collect()), &mut strings);
        for text in strings {
            *references.entry(text).or_default() += 1;
        }
    }
    // A twin that already has the desired name (a renamed resource whose replacement an
    // interrupted run created) is the one to keep; the old-named one is replaced by it.
    let desired_identity: HashMap<&str, Vec<(&str, &Value)>> = desired
        .iter()
        .map(|resource| {
            let fields = resource
                .kind
                .spec()
                .coexisting_identity_fields
                .iter()
                .filter_map(|field| {
                    resource.props.get(*field).filter(|value| value.is_known()).map(|value| (*field, value))
                })
                .collect();
            (resource.id.as_str(), fields)
        })
        .collect();
    let named_as_desired = |resource: &LiveResource| {
        desired_identity.get(resource.id.as_str()).is_some_and(|fields| {
            !fields.is_empty() && fields.iter().all(|(field, value)| resource.props.get(*field) == Some(*value))
        })
    };
    let mut sorted_live: Vec<&LiveResource> = live.iter().collect();
    sorted_live.sort_by(|a, b| {
        let rank = |resource: &LiveResource| {
            (
                resource.state == LiveState::Deleting,
                !named_as_desired(resource),
                std::cmp::Reverse(references.get(&resource.physical_id).copied().unwrap_or(0)),
            )
        };
        (&a.id, rank(a), &a.physical_id).cmp(&(&b.id, rank(b), &b.physical_id))
    });
    for resource in sorted_live {
        match live_by_id.get(resource.id.as_str()) {
            Some(_) => extra_live.push(resource),
            None => {
                live_by_id.insert(&resource.id, resource);
            }
        }
    }
    let desired_ids: BTreeSet<&str> = desired.iter().map(|r| r.id.as_str()).collect();

    let mut changes: Vec<ResourceChange> = Vec::new();
    let mut action_of: HashMap<String, Action> = HashMap::new();
    for resource in desired {
        let live = live_by_id.get(resource.id.as_str()).filter(|live| live.kind == resource.kind);
        let after = resolve_props(&resource.props, &live_by_id, &action_of, resource.kind);
        let change = match live {
            None => ResourceChange {
                id: resource.id.clone(),
                kind: resource.kind,
                action: Action::Create,
                physical_id: None,
                before: None,
                after: Some(after),
                changes: Vec::new(),
                waits_for: None,
                create_before_delete: false,
                notice: None,
            },
            // On its way out (an interrupted destroy): created again once it is gone.
            Some(live) if live.state == LiveState::Deleting => ResourceChange {
                id: resource.id.clone(),
                kind: resource.kind,
                action: Action::Create,
                physical_id: Some(live.physical_id.clone()),
                before: Some(normalise(&live.props, resource.kind)),
                after: Some(after),
                changes: Vec::new(),
                waits_for: Some("deleting".to_string()),
                create_before_delete: false,
                notice: None,
            },
            Some(live) => {
                let before = normalise(&live.props, resource.kind);
                let field_changes = diff(resource.kind, &before, &after);
                let action = if field_changes.is_empty() {
                    Action::NoOp
                } else if field_changes.iter().any(|c| c.forces_replacement) {
                    Action::Replace
                } else {
                    Action::Update
                };
                // An update that supersedes what the resource is pending in (a new task
                // definition for a service whose deployment is stuck) does not wait for it.
                let superseded = action == Action::Update
                    && field_changes
                        .iter()
                        .any(|c| resource.kind.spec().pending_superseded_by.contains(&c.field.as_str()));
                // So does one that changes only what the resource takes while pending (an
                // instance's tags during its backup), once its attributes are known.
                let updatable = action == Action::Update
                    && field_changes
                        .iter()
                        .all(|c| resource.kind.spec().updatable_while_pending.contains(&c.field.as_str()))
                    && live.attributes.values().all(|value| !value.is_empty());
                let waits_for = match &live.state {
                    LiveState::Pending(state) if action != Action::Replace && !superseded && !updatable => {
                        Some(state.clone())
                    }
                    _ => None,
                };
                let create_before_delete = action == Action::Replace
                    && field_changes
                        .iter()
                        .any(|c| resource.kind.spec().coexisting_identity_fields.contains(&c.field.as_str()));
                // A subscription its recipient has not confirmed cannot be changed; the plan says
                // what it waits for.
                let (action, notice) = match &live.state {
                    LiveState::Unconfirmed(state) => (Action::NoOp, Some(unconfirmed_notice(state, true))),
                    _ => (action, resource.note.clone()),
                };
                ResourceChange {
                    id: resource.id.clone(),
                    kind: resource.kind,
                    action,
                    physical_id: Some(live.physical_id.clone()),
                    before: Some(before),
                    after: Some(after),
                    changes: if notice.is_some() { Vec::new() } else { field_changes },
                    waits_for,
                    create_before_delete,
                    notice,
                }
            }
        };
        action_of.insert(resource.id.clone(), change.action);
        changes.push(change);
    }
    // A live resource with a desired id but another kind is replaced by the desired one.
    let mut deleted: Vec<&LiveResource> = extra_live;
    for resource in live_by_id.values() {
        let desired_kind = desired.iter().find(|d| d.id == resource.id).map(|d| d.kind);
        if !desired_ids.contains(resource.id.as_str()) || desired_kind != Some(resource.kind) {
            deleted.push(resource);
        }
    }
    deleted.sort_by(|a, b| (&a.id, &a.physical_id).cmp(&(&b.id, &b.physical_id)));
    for resource in &deleted {
        let notice = match &resource.state {
            LiveState::Unconfirmed(state) => Some(unconfirmed_notice(state, false)),
            _ => None,
        };
        changes.push(ResourceChange {
            id: resource.id.clone(),
            kind: resource.kind,
            action: if notice.is_some() { Action::NoOp } else { Action::Delete },
            physical_id: Some(resource.physical_id.clone()),
            before: Some(normalise(&resource.props, resource.kind)),
            after: None,
            changes: Vec::new(),
            waits_for: (resource.state == LiveState::Deleting).then(|| "deleting".to_string()),
            create_before_delete: false,
            notice,
        });
    }

    let findings = safety::check(&changes, live, safety);
    let steps = order_steps(desired, &changes, live);
    Plan {
        stack: stack.to_string(),
        region: region.to_string(),
        refusals: findings.refusals,
        data_loss: findings.data_loss,
        kept: findings.kept,
        changes,
        steps,
    }
}

/// Fills in the paths of the frontend's invalidation: every object whose content changes or that
/// goes away (`/` too for `index.html`, the default root object). With no such path the
/// invalidation is left out, so a converged stack plans nothing; otherwise it runs after the uploads
/// and the deletes of those objects.
fn with_invalidation_paths(desired: &[Resource], live: &[LiveResource]) -> Vec<Resource> {
    let hash_of = |props: &Props| props.get(FrontendObjectProps::NAMES.md5).and_then(Value::as_str).map(str::to_string);
    let key_of = |props: &Props| {
        props.get(FrontendObjectProps::NAMES.key).and_then(Value::as_str).unwrap_or_default().to_string()
    };
    let live_objects: HashMap<String, (Option<String>, &str)> = live
        .iter()
        .filter(|resource| resource.kind == Kind::FrontendObject)
        .map(|resource| (key_of(&resource.props), (hash_of(&resource.props), resource.id.as_str())))
        .collect();
    let desired_objects: Vec<&Resource> = desired.iter().filter(|r| r.kind == Kind::FrontendObject).collect();
    let mut paths: BTreeSet<String> = BTreeSet::new();
    // What the invalidation runs after: the uploads of changed objects, the deletes of removed ones.
    let mut invalidated_after: Vec<String> = Vec::new();
    for object in &desired_objects {
        let key = key_of(&object.props);
        if let Some((live_hash, _)) = live_objects.get(&key) {
            if *live_hash != hash_of(&object.props) {
                paths.insert(format!("/{key}"));
                invalidated_after.push(object.id.clone());
            }
        }
    }
    for (key, (_, id)) in &live_objects {
        if !desired_objects.iter().any(|object| key_of(&object.props) == *key) {
            paths.insert(format!("/{key}"));
            // Invalidated once deleted: an edge asking before would cache the file again.
            invalidated_after.push(id.to_string());
        }
    }
    if paths.contains("/index.html") {
        paths.insert("/".to_string());
    }
    desired
        .iter()
        .filter(|resource| resource.kind != Kind::CacheInvalidation || !paths.is_empty())
        .map(|resource| {
            let mut resource = resource.clone();
            if resource.kind == Kind::CacheInvalidation {
                resource.props.insert(
                    CacheInvalidationProps::NAMES.paths.into(),
                    Value::List(paths.iter().map(Value::string).collect()),
                );
                resource.depends_on.extend(invalidated_after.iter().cloned());
                resource.depends_on.sort();
                resource.depends_on.dedup();
            }
            resource
        })
        .collect()
}

/// Replaces `Ref`s to resources that exist and stay by their live attribute; others stay `Ref`.
fn resolve_props(
    props: &Props,
    live_by_id: &HashMap<&str, &LiveResource>,
    action_of: &HashMap<String, Action>,
    kind: Kind,
) -> Props {
    let resolved: Props =
        props.iter().map(|(key, value)| (key.clone(), resolve_value(value, live_by_id, action_of))).collect();
    normalise(&resolved, kind)
}

fn resolve_value(
    value: &Value,
    live_by_id: &HashMap<&str, &LiveResource>,
    action_of: &HashMap<String, Action>,
) -> Value {
    match value {
        Value::Ref { id, attribute } => {
            // An update keeps a resource's attributes, except those the kind's updates renew (a task
            // definition's update registers a new revision with a new ARN).
            // A resource that is pending but whose attribute is known already (a database
            // backing up keeps its address) is used as it is: waiting is the steps' business,
            // and an unknown address would change every task definition that names it.
            let live = live_by_id.get(id.as_str());
            let usable = live.is_some_and(|live| {
                live.state != LiveState::Deleting && live.attributes.get(attribute).is_some_and(|v| !v.is_empty())
            });
            let stays = usable
                && match action_of.get(id) {
                    Some(Action::NoOp) => true,
                    Some(Action::Update) => {
                        live.is_some_and(|live| !live.kind.spec().renewed_attributes.contains(&attribute.as_str()))
                    }
                    _ => false,
                };
            match live.and_then(|live| live.attributes.get(attribute)) {
                Some(known) if stays => Value::String(known.clone()),
                _ => value.clone(),
            }
        }
        Value::List(items) => {
            Value::List(items.iter().map(|item| resolve_value(item, live_by_id, action_of)).collect())
        }
        Value::Join(parts) => {
            Value::joined(parts.iter().map(|part| resolve_value(part, live_by_id, action_of)).collect())
        }
        Value::Map(map) => {
            Value::Map(map.iter().map(|(k, v)| (k.clone(), resolve_value(v, live_by_id, action_of))).collect())
        }
        other => other.clone(),
    }
}

/// Sorts the kind's unordered list fields so that order never shows as a change.
fn normalise(props: &Props, kind: Kind) -> Props {
    let mut props = props.clone();
    for field in kind.spec().unordered_fields {
        if let Some(Value::List(items)) = props.get_mut(*field) {
            items.sort();
        }
    }
    props
}

/// The fields of `after` that differ from `before`, as the planner compares them (unordered lists
/// sorted, create-only fields left out).
pub fn field_changes(kind: Kind, before: &Props, after: &Props) -> Vec<FieldChange> {
    diff(kind, &normalise(before, kind), &normalise(after, kind))
}

fn diff(kind: Kind, before: &Props, after: &Props) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    for (field, desired) in after.iter().filter(|(field, _)| !kind.spec().create_only_fields.contains(&field.as_str()))
    {
        let live = before.get(field);
        let equal = match live {
            Some(live) => live == desired,
            None => false,
        };
        if !equal {
            changes.push(FieldChange {
                field: field.clone(),
                before: live.cloned(),
                after: Some(desired.clone()),
                forces_replacement: kind.spec().replace_fields.contains(&field.as_str()),
            });
        }
    }
    for field in kind.spec().clearable_fields.iter().filter(|field| !after.contains_key(**field)) {
        if let Some(live) = before.get(*field) {
            changes.push(FieldChange {
                field: field.to_string(),
                before: Some(live.clone()),
                after: None,
                forces_replacement: kind.spec().replace_fields.contains(field),
            });
        }
    }
    changes
}

/// Turns resource changes into steps with their ordering.
///
/// Creates and updates run after the creates, updates and waits of what they refer to. A replace
/// is a delete then a create, unless the new resource can exist beside the old one (its name
/// differs): then the create comes first, what refers to the old one moves over, and the old one
/// goes last. A delete runs after the deletes of everything that refers to it (by physical id in
/// live properties, or by the kind's known AWS blockers) and after the updates that stop
/// referring to it. A resource left pending by an earlier run is waited for before its update
/// and before anything that refers to it.
fn order_steps(desired: &[Resource], changes: &[ResourceChange], live: &[LiveResource]) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut delete_step: HashMap<(String, String), usize> = HashMap::new();
    // Ids whose delete must come before their create (names that cannot exist twice).
    let mut deleted_first: BTreeSet<String> = BTreeSet::new();
    let mut created_first: BTreeSet<String> = BTreeSet::new();
    let mut apply_step: HashMap<String, usize> = HashMap::new();
    let mut wait_step: HashMap<String, usize> = HashMap::new();
    // Waits that follow their own resource's create or update, by step.
    let mut own_wait_step: HashMap<usize, usize> = HashMap::new();
    let desired_by_id: HashMap<&str, &Resource> = desired.iter().map(|r| (r.id.as_str(), r)).collect();
    let moves = associations(&desired_by_id, changes);
    // The first step of each association (old and new target side by side), by id.
    let mut associate_step: HashMap<String, usize> = HashMap::new();
    // The second step of each update split by `widened_before_narrowed` (the removals), by id.
    let mut narrow_step: HashMap<String, usize> = HashMap::new();

    for change in changes {
        let physical_id = change.physical_id.clone().unwrap_or_default();
        let live_props = change.before.clone().unwrap_or_default();
        let deletes_live = match change.action {
            Action::Delete | Action::Replace => true,
            Action::Create => change.physical_id.is_some(),
            Action::Update | Action::NoOp => false,
        };
        let mut push_delete = |steps: &mut Vec<Step>| {
            delete_step.insert((change.id.clone(), physical_id.clone()), steps.len());
            steps.push(Step {
                id: change.id.clone(),
                kind: change.kind,
                operation: Operation::Delete { physical_id: physical_id.clone(), live: live_props.clone() },
                after: Vec::new(),
            });
        };
        if deletes_live && !change.create_before_delete {
            if change.action != Action::Delete {
                deleted_first.insert(change.id.clone());
            }
            push_delete(&mut steps);
        }
        if change.waits_for.is_some() && matches!(change.action, Action::NoOp | Action::Update) {
            wait_step.insert(change.id.clone(), steps.len());
            apply_step.insert(change.id.clone(), steps.len());
            steps.push(Step {
                id: change.id.clone(),
                kind: change.kind,
                operation: Operation::Wait { physical_id: physical_id.clone() },
                after: Vec::new(),
            });
        }
        if let Some(resource) = desired_by_id.get(change.id.as_str()) {
            let association = change.kind.spec().associate_before_move.filter(|_| moves.contains_key(&change.id));
            let targets = association.and_then(|associate| {
                Some((associate, live_props.get(associate.field)?, resource.props.get(associate.field)?))
            });
            if let Some((associate, old_target, new_target)) = targets {
                // The new target beside the old one, which keeps all the traffic.
                let mut props = resource.props.clone();
                props.insert(associate.field.to_string(), old_target.clone());
                props.insert(associate.standby_field.to_string(), new_target.clone());
                associate_step.insert(change.id.clone(), steps.len());
                let standby = FieldChange {
                    field: associate.standby_field.to_string(),
                    before: None,
                    after: Some(new_target.clone()),
                    forces_replacement: false,
                };
                steps.push(first_of_two_updates(change, &physical_id, &live_props, props, standby));
            }
            let widened = change
                .kind
                .spec()
                .widened_before_narrowed
                .filter(|_| change.action == Action::Update)
                .and_then(|field| widened_props(field, &resource.props, change));
            if let Some((props, field_change)) = widened {
                // The grants added beside the live ones; dependents wait for this step.
                apply_step.insert(change.id.clone(), steps.len());
                steps.push(first_of_two_updates(change, &physical_id, &live_props, props, field_change));
                narrow_step.insert(change.id.clone(), steps.len());
            }
            let operation = match change.action {
                Action::Create | Action::Replace => Some(Operation::Create { props: resource.props.clone() }),
                Action::Update => Some(Operation::Update {
                    physical_id: physical_id.clone(),
                    props: resource.props.clone(),
                    live: live_props.clone(),
                    changes: change.changes.clone(),
                }),
                Action::NoOp | Action::Delete => None,
            };
            if let Some(operation) = operation {
                let applied = steps.len();
                // What dependents wait for: this step, unless a widened update's additions are.
                if !narrow_step.contains_key(&change.id) {
                    apply_step.insert(change.id.clone(), applied);
                }
                steps.push(Step { id: change.id.clone(), kind: change.kind, operation, after: Vec::new() });
                if change.kind.spec().waits_in_own_step {
                    // Only the run waits for this; dependents go on with the id and ARN.
                    own_wait_step.insert(steps.len(), applied);
                    steps.push(Step {
                        id: change.id.clone(),
                        kind: change.kind,
                        operation: Operation::Wait { physical_id: change.physical_id.clone().unwrap_or_default() },
                        after: Vec::new(),
                    });
                }
            }
        }
        if deletes_live && change.create_before_delete {
            created_first.insert(change.id.clone());
            push_delete(&mut steps);
        }
    }

    // Which live resources each live resource refers to, found through the names in its props.
    // Physical ids are unique only within a kind (the cache and its subnet group share a name),
    // so a string names every live resource that has it. A resource is named by its physical id
    // and by its identifying attributes: its ARN and
    // domain names (a role by its ARN in a task definition, a bucket by its regional domain in a
    // distribution's origin), which are unique. Other attributes are not: an object's `id` is its
    // key, which a distribution's default root object repeats; ports, names and the like.
    let mut owners_of_physical: HashMap<&str, Vec<&LiveResource>> = HashMap::new();
    let identifying = |name: &str| name == "arn" || name.ends_with("domain_name") || name == "dns_name";
    for resource in live {
        let names = std::iter::once(resource.physical_id.as_str()).chain(
            resource
                .attributes
                .iter()
                .filter(|(name, value)| identifying(name) && !value.is_empty() && **value != resource.physical_id)
                .map(|(_, value)| value.as_str()),
        );
        for name in names {
            owners_of_physical.entry(name).or_default().push(resource);
        }
    }
    let mut live_references: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
    for resource in live {
        let mut strings = Vec::new();
        // Tags name no other resource (every one carries the stack's name).
        for (_, value) in resource.props.iter().filter(|(field, _)| field.as_str() != "tags") {
            collect_strings(value, &mut strings);
        }
        for text in strings {
            for target in owners_of_physical.get(text.as_str()).into_iter().flatten() {
                // A resource's own physical id in its props names itself (a cache's `id`), and
                // the other kind of the same name beside it.
                if target.physical_id != resource.physical_id {
                    live_references
                        .entry((resource.id.clone(), resource.physical_id.clone()))
                        .or_default()
                        .push((target.id.clone(), target.physical_id.clone()));
                }
            }
        }
    }

    let own_wait_of_apply: HashMap<usize, usize> =
        own_wait_step.iter().map(|(wait, applied)| (*applied, *wait)).collect();
    let deletes: Vec<((String, String), usize, Kind)> =
        delete_step.iter().map(|(key, index)| (key.clone(), *index, steps[*index].kind)).collect();
    let applies: Vec<(usize, Kind)> = steps
        .iter()
        .enumerate()
        .filter(|(_, step)| matches!(step.operation, Operation::Create { .. } | Operation::Update { .. }))
        .map(|(index, step)| (index, step.kind))
        .collect();
    let mut orderings: Vec<Vec<usize>> = Vec::with_capacity(steps.len());
    for (index, step) in steps.iter().enumerate() {
        let mut after: BTreeSet<usize> = BTreeSet::new();
        match &step.operation {
            Operation::Create { .. } | Operation::Update { .. } => {
                if let Some(resource) = desired_by_id.get(step.id.as_str()) {
                    for dependency in &resource.depends_on {
                        // A resource moving to a new target needs only the association; the
                        // move of the dependency itself waits for it instead (below).
                        let moving = moves.get(dependency).is_some_and(|movers| movers.contains(&step.id));
                        let dependency_step =
                            if moving { associate_step.get(dependency) } else { apply_step.get(dependency) };
                        if let Some(dependency_step) = dependency_step {
                            after.insert(*dependency_step);
                        } else {
                            // One on its way out (a removed file the invalidation covers): its delete.
                            for ((id, _), delete_index, _) in &deletes {
                                if id == dependency {
                                    after.insert(*delete_index);
                                }
                            }
                        }
                    }
                }
                // The move itself comes after the association; its driver waits until the new
                // target serves (the dependents' new tasks are healthy there) before it moves, so
                // it runs beside the dependents' rollouts, not after them: old tasks drain from
                // the old target as the rollout ends.
                if apply_step.get(&step.id) == Some(&index) {
                    if let Some(associated) = associate_step.get(&step.id) {
                        after.insert(*associated);
                    }
                }
                // An update of a resource left pending waits for it first.
                if let Some(wait) = wait_step.get(&step.id) {
                    after.insert(*wait);
                }
                // The removals of a widened update: after the additions, and after everything
                // that depends on the resource is applied (a service's rollout done).
                if narrow_step.get(&step.id) == Some(&index) {
                    if let Some(widen) = apply_step.get(&step.id) {
                        after.insert(*widen);
                    }
                    for dependent in desired.iter().filter(|resource| resource.depends_on.contains(&step.id)) {
                        if let Some(applied) = apply_step.get(&dependent.id) {
                            after.insert(own_wait_of_apply.get(applied).copied().unwrap_or(*applied));
                        }
                    }
                }
                // A replaced resource is created after its old self is gone (names are unique).
                if matches!(step.operation, Operation::Create { .. }) && deleted_first.contains(&step.id) {
                    for ((id, _), delete_index, _) in &deletes {
                        if *id == step.id {
                            after.insert(*delete_index);
                        }
                    }
                }
            }
            Operation::Wait { .. } => {
                if let Some(applied) = own_wait_step.get(&index) {
                    after.insert(*applied);
                }
            }
            Operation::Delete { physical_id, .. } => {
                let me = (step.id.clone(), physical_id.clone());
                for (referrer, targets) in &live_references {
                    if targets.contains(&me) {
                        if let Some(referrer_delete) = delete_step.get(referrer) {
                            after.insert(*referrer_delete);
                        } else if deleted_first.contains(&step.id) {
                            // The referrer's update needs the replacement, which needs this
                            // delete: the update follows instead. AWS lets some references
                            // dangle (a subnet's NAT gateway route) but not all: a security group
                            // another group's rule names cannot be deleted (DependencyViolation).
                            // The only replacement that reaches one, a new network, is refused
                            // while anything runs in it (`safety::network_replaced`).
                        } else if let Some(referrer_update) = apply_step.get(&referrer.0) {
                            // A referrer that deploys in a wait of its own (a distribution moving
                            // to a new origin) still reads the old one until that wait is done.
                            after.insert(own_wait_of_apply.get(referrer_update).copied().unwrap_or(*referrer_update));
                        }
                    }
                }
                for (_, other_index, other_kind) in &deletes {
                    if step.kind.spec().deleted_after.contains(other_kind) && *other_index != index {
                        after.insert(*other_index);
                    }
                }
                for (apply_index, apply_kind) in &applies {
                    if step.kind.spec().deleted_after_applies_of.contains(apply_kind) {
                        after.insert(*apply_index);
                    }
                }
                // Created first: the new one exists before the old one goes.
                if created_first.contains(&step.id) {
                    if let Some(create) = apply_step.get(&step.id) {
                        after.insert(*create);
                    }
                }
            }
        }
        after.remove(&index);
        orderings.push(after.into_iter().collect());
    }
    for (step, after) in steps.iter_mut().zip(orderings) {
        step.after = after;
    }
    steps
}

/// The first of an update's two steps (`associate_before_move`, `widened_before_narrowed`): the
/// one field change it makes, with the properties that say how far it goes.
fn first_of_two_updates(
    change: &ResourceChange,
    physical_id: &str,
    live: &Props,
    props: Props,
    field_change: FieldChange,
) -> Step {
    Step {
        id: change.id.clone(),
        kind: change.kind,
        operation: Operation::Update {
            physical_id: physical_id.to_string(),
            props,
            live: live.clone(),
            changes: vec![field_change],
        },
        after: Vec::new(),
    }
}

/// The first step of an update of `field` that both adds and removes grants: the desired
/// properties with `field` holding the desired grants and the live ones the update removes, and
/// the change that makes. `None` when the update only adds or only removes (one step is enough).
fn widened_props(field: &str, desired: &Props, change: &ResourceChange) -> Option<(Props, FieldChange)> {
    change.changes.iter().find(|c| c.field == field)?;
    let live = change.before.as_ref()?.get(field)?.as_list();
    let after = change.after.as_ref()?.get(field)?.as_list();
    let removed: Vec<&Value> = live.iter().filter(|grant| !after.contains(grant)).collect();
    let adds = after.iter().any(|grant| !live.contains(grant));
    if removed.is_empty() || !adds {
        return None;
    }
    let mut props = desired.clone();
    let mut grants = desired.get(field)?.as_list().to_vec();
    grants.extend(removed.into_iter().cloned());
    let mut resolved = after.to_vec();
    resolved.extend(live.iter().filter(|grant| !after.contains(grant)).cloned());
    props.insert(field.to_string(), Value::List(grants));
    let field_change = FieldChange {
        field: field.to_string(),
        before: Some(Value::List(live.to_vec())),
        after: Some(Value::List(resolved)),
        forces_replacement: false,
    };
    Some((props, field_change))
}

/// The updates that must associate a new target before their dependents move to it, each with
/// those dependents: an update of a kind with `associate_before_move` that changes its field,
/// and the updates of resources depending on it that change a field to the same desired value.
fn associations(desired_by_id: &HashMap<&str, &Resource>, changes: &[ResourceChange]) -> HashMap<String, Vec<String>> {
    let mut moves: HashMap<String, Vec<String>> = HashMap::new();
    for change in changes.iter().filter(|change| change.action == Action::Update) {
        let Some(associate) = change.kind.spec().associate_before_move else { continue };
        if !change.changes.iter().any(|c| c.field == associate.field) {
            continue;
        }
        let Some(target) = desired_by_id.get(change.id.as_str()).and_then(|r| r.props.get(associate.field)) else {
            continue;
        };
        let movers: Vec<String> = changes
            .iter()
            .filter(|other| other.action == Action::Update)
            .filter(|other| {
                desired_by_id.get(other.id.as_str()).is_some_and(|resource| {
                    resource.depends_on.contains(&change.id)
                        && other.changes.iter().any(|c| resource.props.get(&c.field) == Some(target))
                })
            })
            .map(|other| other.id.clone())
            .collect();
        if !movers.is_empty() {
            moves.insert(change.id.clone(), movers);
        }
    }
    moves
}

fn collect_strings(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(text) => into.push(text.clone()),
        Value::List(items) => items.iter().for_each(|item| collect_strings(item, into)),
        Value::Map(map) => map.values().for_each(|item| collect_strings(item, into)),
        _ => {}
    }
}
