//! The `plan --json` document: typed, versioned, with a JSON Schema (`docs/plan.schema.json`)
//! generated from the same types.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::graph::Props;
use crate::plan::{Action, Plan, ResourceChange, Summary};

/// The version of the `plan --json` document; bumped when its shape changes incompatibly.
pub const JSON_FORMAT_VERSION: &str = "1.0";

/// What `wl-infra plan --json` prints: every resource of the stack with what apply would do to it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "wl-infra plan", deny_unknown_fields)]
pub struct JsonPlan {
    /// The version of this document's shape, "MAJOR.MINOR"; MAJOR changes when a field changes
    /// meaning or goes away.
    pub format_version: String,
    pub stack: String,
    pub region: String,
    /// Every resource in the stack or owned by it, no-ops included, in a stable order.
    pub changes: Vec<JsonChange>,
    /// Changes AWS or data safety forbids; a plan with refusals is not applied.
    pub refusals: Vec<String>,
    /// What the plan destroys for good, which the stack file allowed (`allow_data_loss`).
    pub data_loss: Vec<String>,
    /// What a delete keeps (a database's final snapshot).
    pub kept: Vec<String>,
    pub summary: Summary,
}

/// One resource and what apply would do to it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct JsonChange {
    /// The logical id in the stack (`db-movies`, `service-user`).
    pub id: String,
    /// The kind of resource (`db_instance`, `ecs_service`, ...).
    pub kind: String,
    pub action: Action,
    /// The AWS identifier of the live resource; null when it does not exist yet.
    pub physical_id: Option<String>,
    /// The live properties; null when creating.
    pub before: Option<BTreeMap<String, serde_json::Value>>,
    /// The desired properties; null when deleting. A value known only after apply is null, and
    /// its field is listed in `after_unknown`.
    pub after: Option<BTreeMap<String, serde_json::Value>>,
    /// Fields whose desired value is known only after apply, so tools need not guess from null.
    pub after_unknown: Vec<String>,
    /// The fields that differ between `before` and `after`.
    pub changed_fields: Vec<String>,
    /// The changed fields that force a replacement.
    pub replace_fields: Vec<String>,
    /// For a replace: whether the new resource is created before the old one is deleted.
    pub create_before_delete: bool,
    /// The state the live resource is waited out of first (`creating`, `deleting`, ...).
    pub waits_for: Option<String>,
    /// What the plan tells about a resource that waits for someone else; never acted on.
    pub notice: Option<String>,
}

fn properties(props: Option<&Props>) -> Option<BTreeMap<String, serde_json::Value>> {
    props.map(|props| props.iter().map(|(key, value)| (key.clone(), value.to_json())).collect())
}

impl JsonChange {
    fn of(change: &ResourceChange) -> JsonChange {
        let after_unknown = change
            .after
            .as_ref()
            .map(|after| after.iter().filter(|(_, value)| !value.is_known()).map(|(key, _)| key.clone()).collect())
            .unwrap_or_default();
        JsonChange {
            id: change.id.clone(),
            kind: change.kind.as_str().to_string(),
            action: change.action,
            physical_id: change.physical_id.clone(),
            before: properties(change.before.as_ref()),
            after: properties(change.after.as_ref()),
            after_unknown,
            changed_fields: change.changes.iter().map(|c| c.field.clone()).collect(),
            replace_fields: change.replaced_by().into_iter().map(str::to_string).collect(),
            create_before_delete: change.create_before_delete,
            waits_for: change.waits_for.clone(),
            notice: change.notice.clone(),
        }
    }
}

impl JsonPlan {
    pub fn of(plan: &Plan) -> JsonPlan {
        JsonPlan {
            format_version: JSON_FORMAT_VERSION.to_string(),
            stack: plan.stack.clone(),
            region: plan.region.clone(),
            changes: plan.changes.iter().map(JsonChange::of).collect(),
            refusals: plan.refusals.clone(),
            data_loss: plan.data_loss.clone(),
            kept: plan.kept.clone(),
            summary: plan.summary(),
        }
    }
}

/// The `plan --json` document of `plan`, as text.
pub fn json_plan(plan: &Plan) -> String {
    serde_json::to_string(&JsonPlan::of(plan)).unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"))
}

/// The JSON Schema of the `plan --json` document (`docs/plan.schema.json` is this, written out).
pub fn json_plan_schema() -> String {
    let schema = schemars::schema_for!(JsonPlan);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
