//! Everything wl-infra shows: the human plan, the JSON plan, and apply progress. One printer.
//!
//! Plans go to stdout (they are data); progress and summaries go to stderr.

mod json;
mod progress;

pub use json::{json_plan, json_plan_schema, JsonPlan, JSON_FORMAT_VERSION};

pub use progress::seconds as progress_seconds;

pub use progress::ProgressPrinter;

use std::fmt::Write as _;

use crate::graph::{Props, Value};
use crate::plan::{Action, Plan, ResourceChange};

/// ANSI styling, off when `NO_COLOR` is set or the output is not a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }

    pub fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }

    pub fn red(&self, text: &str) -> String {
        self.paint("31", text)
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}

fn symbol(change: &ResourceChange, style: Style) -> String {
    match change.action {
        Action::Create => style.green("+"),
        Action::Update => style.yellow("~"),
        // Terraform's marks: create before destroy, or destroy then create.
        Action::Replace if change.create_before_delete => style.red("+/-"),
        Action::Replace => style.red("-/+"),
        Action::Delete => style.red("-"),
        Action::NoOp => style.yellow("…"),
    }
}

/// The human plan, Terraform-style: one block per changed resource with field-level diffs.
pub fn human_plan(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    let changed: Vec<&ResourceChange> =
        plan.changes.iter().filter(|change| change.action != Action::NoOp || change.waits_for.is_some()).collect();
    if changed.is_empty() {
        let _ = writeln!(out, "No changes. Stack {} in {} matches its stack file.", plan.stack, plan.region);
        render_notices(&mut out, plan, style);
        return out;
    }
    let _ =
        writeln!(out, "wl-infra will make these changes to stack {} in {}:\n", style.bold(&plan.stack), plan.region);
    for change in changed {
        let physical = change.physical_id.as_ref().map(|id| format!(" ({id})")).unwrap_or_default();
        let note = match (change.action, change.waits_for.as_deref()) {
            (Action::Replace, _) => format!(
                "  {}",
                style.red(&format!(
                    "# must be replaced: {} cannot change in place{}",
                    change.replaced_by().join(", "),
                    if change.create_before_delete { "; the new one is created first" } else { "" }
                ))
            ),
            (Action::Delete, Some(state)) => {
                format!("  {}", style.dim(&format!("# already {state}: waits until gone")))
            }
            (Action::Delete, None) => format!("  {}", style.dim("# owned by the stack but no longer in it")),
            (Action::Create, Some(state)) => {
                format!("  {}", style.dim(&format!("# the old one is {state}: created once it is gone")))
            }
            (_, Some(state)) => {
                format!("  {}", style.yellow(&format!("# {state}, left by an earlier run: waits until it is ready")))
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "  {} {} {}{physical}{note}", symbol(change, style), change.kind, style.bold(&change.id));
        match change.action {
            Action::Create => render_props(&mut out, change.after.as_ref(), "+", style),
            Action::Delete => {}
            Action::Update | Action::Replace => {
                for field in &change.changes {
                    let forces = if field.forces_replacement {
                        format!(" {}", style.red("# forces replacement"))
                    } else {
                        String::new()
                    };
                    render_field_diff(
                        &mut out,
                        &field.field,
                        field.before.as_ref(),
                        field.after.as_ref(),
                        style,
                        &forces,
                    );
                }
            }
            Action::NoOp => {}
        }
        out.push('\n');
    }
    render_notices(&mut out, plan, style);
    for kept in &plan.kept {
        let _ = writeln!(out, "  {} {kept}", style.green("kept:"));
    }
    if !plan.kept.is_empty() {
        out.push('\n');
    }
    for lost in &plan.data_loss {
        let _ = writeln!(out, "  {}", style.red(&format!("DATA LOSS: {lost} (allowed by the stack file)")));
    }
    if !plan.data_loss.is_empty() {
        out.push('\n');
    }
    let summary = plan.summary();
    let waits = if summary.wait > 0 { format!(", {} to wait for", summary.wait) } else { String::new() };
    let _ = writeln!(
        out,
        "Plan: {} to create, {} to update, {} to replace, {} to delete{waits}.",
        summary.create, summary.update, summary.replace, summary.delete
    );
    out
}

/// What the plan says beyond changes: what waits for someone else (an address that has not
/// confirmed its alert subscription), what wl-infra leaves to AWS (a scaled service's task count).
fn render_notices(out: &mut String, plan: &Plan, style: Style) {
    let notices: Vec<&ResourceChange> = plan.changes.iter().filter(|change| change.notice.is_some()).collect();
    for change in &notices {
        let notice = change.notice.as_deref().unwrap_or_default();
        let _ = writeln!(out, "  {} {} {}: {notice}", style.yellow("note:"), change.kind, change.id);
    }
    if !notices.is_empty() {
        out.push('\n');
    }
}

fn render_props(out: &mut String, props: Option<&Props>, sign: &str, style: Style) {
    let Some(props) = props else { return };
    let width = props.keys().map(String::len).max().unwrap_or(0);
    for (field, value) in props {
        let _ = writeln!(out, "      {} {field:width$} = {value}", style.green(sign));
    }
}

/// One field's diff; maps are diffed per key and lists per element, so a hand-added security group
/// rule shows as one `-` line rather than a whole new list.
fn render_field_diff(
    out: &mut String,
    field: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    style: Style,
    forces: &str,
) {
    match (before, after) {
        (Some(Value::Map(before)), Some(Value::Map(after))) => {
            for (key, value) in after {
                match before.get(key) {
                    None => {
                        let _ = writeln!(out, "      {} {field}.{key} = {value}{forces}", style.green("+"));
                    }
                    Some(old) if old != value => {
                        let _ = writeln!(out, "      {} {field}.{key} = {old} -> {value}{forces}", style.yellow("~"));
                    }
                    Some(_) => {}
                }
            }
            for (key, old) in before {
                if !after.contains_key(key) {
                    let _ = writeln!(out, "      {} {field}.{key} = {old}{forces}", style.red("-"));
                }
            }
        }
        (Some(Value::List(before)), Some(Value::List(after))) => {
            let _ = writeln!(out, "      {} {field}{forces}", style.yellow("~"));
            for item in before.iter().filter(|item| !after.contains(item)) {
                let _ = writeln!(out, "          {} {item}", style.red("-"));
            }
            for item in after.iter().filter(|item| !before.contains(item)) {
                let _ = writeln!(out, "          {} {item}", style.green("+"));
            }
        }
        (None, Some(value)) => {
            let _ = writeln!(out, "      {} {field} = {value}{forces}", style.green("+"));
        }
        (Some(old), None) => {
            let _ = writeln!(out, "      {} {field} = {old}{forces}", style.red("-"));
        }
        (Some(old), Some(new)) => {
            let _ = writeln!(out, "      {} {field} = {old} -> {new}{forces}", style.yellow("~"));
        }
        (None, None) => {}
    }
}

/// `wl-infra outputs`: one line per output, aligned; what does not exist yet is left out.
pub fn human_outputs(outputs: &crate::outputs::Outputs) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |label: &str, value: &Option<String>| {
        if let Some(value) = value {
            rows.push((label.to_string(), value.clone()));
        }
    };
    row("site", &outputs.site_url);
    row("api", &outputs.api_url);
    row("load balancer", &outputs.load_balancer_dns_name);
    for database in &outputs.databases {
        row(&format!("database {}", database.name), &database.endpoint);
        row(&format!("database {} secret", database.name), &database.secret_arn);
    }
    row("cache", &outputs.cache_endpoint);
    for (service, uri) in &outputs.repositories {
        row(&format!("repository {service}"), &Some(uri.clone()));
    }
    row("cluster", &outputs.cluster);
    row("services", &Some(outputs.services.join(", ")).filter(|services| !services.is_empty()));
    row("dashboard", &outputs.dashboard_url);
    row("alert topic", &outputs.alert_topic_arn);
    let mut out = String::new();
    if rows.is_empty() {
        let _ =
            writeln!(out, "Stack {} in {} has no resources yet: run `wl-infra apply`.", outputs.stack, outputs.region);
        return out;
    }
    let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    for (label, value) in rows {
        let _ = writeln!(out, "{label:width$}  {value}");
    }
    out
}

/// `wl-infra status`: each service with its tasks, deployments, targets, events and stopped
/// tasks; the data tier and the edge; the alarms firing; and what is unhealthy, last.
pub fn human_status(status: &crate::status::StackStatus) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Stack {} in {}", status.stack, status.region);
    for service in &status.services {
        let _ = writeln!(
            out,
            "\nservice {}  {}  running {}/{}  pending {}",
            service.name, service.status, service.running, service.desired, service.pending
        );
        for deployment in &service.deployments {
            let reason = if deployment.rollout_reason.is_empty() {
                String::new()
            } else {
                format!(": {}", deployment.rollout_reason)
            };
            let _ = writeln!(
                out,
                "  deployment {} {} {}  {}/{}{reason}",
                deployment.status,
                deployment.task_definition,
                deployment.rollout_state,
                deployment.running,
                deployment.desired
            );
        }
        for target in &service.targets {
            let reason = if target.reason.is_empty() { String::new() } else { format!(" ({})", target.reason) };
            let _ = writeln!(out, "  target {} {}{reason}", target.target, target.state);
        }
        for event in &service.events {
            let _ = writeln!(out, "  event {event}");
        }
        for task in &service.stopped_tasks {
            let containers =
                if task.containers.is_empty() { String::new() } else { format!(" [{}]", task.containers.join("; ")) };
            let _ = writeln!(out, "  stopped {}: {}{containers}", task.task, task.stopped_reason);
        }
    }
    out.push('\n');
    for database in &status.databases {
        let _ = writeln!(out, "database {}  {}", database.name, database.state);
    }
    if let Some(cache) = &status.cache {
        let _ = writeln!(out, "cache {}  {}", cache.name, cache.state);
    }
    if let Some(distribution) = &status.distribution {
        let _ = writeln!(out, "distribution {}  {}", distribution.name, distribution.state);
    }
    for alarm in &status.alarms_firing {
        let _ = writeln!(out, "alarm {}  ALARM: {}", alarm.name, alarm.reason);
    }
    if status.problems.is_empty() {
        let _ = writeln!(out, "\nHealthy: every service runs its tasks, and nothing is failing.");
    } else {
        let _ = writeln!(out, "\nUnhealthy:");
        for problem in &status.problems {
            let _ = writeln!(out, "  - {problem}");
        }
    }
    out
}

/// `wl-infra verify`: one line per check, what it saw, and a summary.
pub fn human_verify(base_url: &str, checks: &[crate::verify::Check]) -> String {
    use crate::verify::Outcome;
    let mut out = String::new();
    let _ = writeln!(out, "Verifying {base_url}");
    for check in checks {
        let (mark, detail) = match &check.outcome {
            Outcome::Pass(detail) => ("pass", detail),
            Outcome::Fail(detail) => ("FAIL", detail),
            Outcome::Skipped(detail) => ("skip", detail),
        };
        let _ = writeln!(out, "  {mark}  {}: {detail}", check.name);
    }
    let failed = checks.iter().filter(|check| matches!(check.outcome, Outcome::Fail(_))).count();
    let passed = checks.iter().filter(|check| matches!(check.outcome, Outcome::Pass(_))).count();
    let _ = writeln!(out, "{passed} passed, {failed} failed, {} skipped", checks.len() - passed - failed);
    out
}

#[cfg(test)]
mod tests;
