//! A saved plan (`plan --out FILE`, then `apply FILE`): the reviewed blueprint together with the
//! live state it was made from, so that apply runs exactly what was reviewed and refuses, before
//! any write, when AWS has changed since (Terraform's saved-plan contract).

use std::collections::BTreeMap;

use super::{LiveResource, LiveState, Plan};
use crate::graph::{Kind, Props};

/// The file format; a file of another format is refused, never guessed at.
pub const SAVED_PLAN_FORMAT: &str = "wl-infra-saved-plan/1";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedPlan {
    pub format: String,
    /// The wl-infra version that made the plan: its steps are only meant for the same drivers.
    pub wl_infra_version: String,
    pub plan: Plan,
    /// The live resources the plan was made from, compared with a fresh read before apply.
    pub live: Vec<LiveResource>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SavedPlanError {
    #[error("{path} is not a saved plan ({detail}); make one with `wl-infra plan --stack FILE --out {path}`")]
    Unreadable { path: String, detail: String },
    #[error("{path} was saved by wl-infra {saved} (format {format}) and this is wl-infra {current}; make the plan again with this version")]
    OtherVersion { path: String, saved: String, format: String, current: String },
    #[error("the plan in {path} is stale: {drift} since it was made; nothing was changed: make a new plan with `wl-infra plan --out` and review it")]
    Stale { path: String, drift: String },
}

/// What identifies a live resource across two reads.
type LiveKey = (Kind, String, String);

impl SavedPlan {
    pub fn new(plan: Plan, live: Vec<LiveResource>) -> SavedPlan {
        SavedPlan {
            format: SAVED_PLAN_FORMAT.to_string(),
            wl_infra_version: env!("CARGO_PKG_VERSION").to_string(),
            plan,
            live,
        }
    }

    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising it cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn from_json(path: &str, text: &str) -> Result<SavedPlan, SavedPlanError> {
        #[derive(serde::Deserialize)]
        struct Header {
            format: String,
            wl_infra_version: String,
        }
        let unreadable = |error: serde_json::Error| SavedPlanError::Unreadable {
            path: path.to_string(),
            detail: format!("line {} column {}: {error}", error.line(), error.column()),
        };
        let header: Header = serde_json::from_str(text).map_err(unreadable)?;
        let current = env!("CARGO_PKG_VERSION");
        if header.format != SAVED_PLAN_FORMAT || header.wl_infra_version != current {
            return Err(SavedPlanError::OtherVersion {
                path: path.to_string(),
                saved: header.wl_infra_version,
                format: header.format,
                current: current.to_string(),
            });
        }
        serde_json::from_str(text).map_err(unreadable)
    }

    /// How the live state `now` differs from the one the plan was made from, one line per
    /// resource (empty when nothing changed). Attributes are left out: only what the plan read
    /// to decide (properties and state) counts.
    pub fn drift(&self, now: &[LiveResource]) -> Vec<String> {
        fn by_key(live: &[LiveResource]) -> BTreeMap<LiveKey, (&Props, &LiveState)> {
            live.iter()
                .map(|resource| {
                    (
                        (resource.kind, resource.id.clone(), resource.physical_id.clone()),
                        (&resource.props, &resource.state),
                    )
                })
                .collect()
        }
        let (then, now) = (by_key(&self.live), by_key(now));
        let mut drift = Vec::new();
        for (key, (props, state)) in &then {
            let (kind, id, physical_id) = key;
            match now.get(key) {
                None => drift.push(format!("{kind} {id} ({physical_id}) is gone")),
                Some((now_props, now_state)) => {
                    let fields: Vec<&str> = props
                        .keys()
                        .chain(now_props.keys())
                        .filter(|field| props.get(*field) != now_props.get(*field))
                        .map(String::as_str)
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    if !fields.is_empty() {
                        drift.push(format!("{kind} {id} changed ({})", fields.join(", ")));
                    } else if state != now_state {
                        drift.push(format!("{kind} {id} is now {}", state_name(now_state)));
                    }
                }
            }
        }
        for (kind, id, physical_id) in now.keys().filter(|key| !then.contains_key(*key)) {
            drift.push(format!("{kind} {id} ({physical_id}) appeared"));
        }
        drift
    }

    /// Refuses the plan when the live state has changed since it was made.
    pub fn check_fresh(&self, path: &str, now: &[LiveResource]) -> Result<(), SavedPlanError> {
        let drift = self.drift(now);
        if drift.is_empty() {
            return Ok(());
        }
        Err(SavedPlanError::Stale { path: path.to_string(), drift: drift.join("; ") })
    }
}

fn state_name(state: &LiveState) -> &str {
    match state {
        LiveState::Ready => "ready",
        LiveState::Pending(what) => what,
        LiveState::Deleting => "deleting",
        LiveState::Unconfirmed(what) => what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Value;

    fn live(id: &str, cidr: &str) -> LiveResource {
        LiveResource {
            id: id.to_string(),
            kind: Kind::Vpc,
            physical_id: format!("vpc-{id}"),
            props: [("cidr_block".to_string(), Value::string(cidr))].into(),
            attributes: [("id".to_string(), format!("vpc-{id}"))].into(),
            state: LiveState::Ready,
        }
    }

    fn saved(live: Vec<LiveResource>) -> SavedPlan {
        let plan = crate::plan::plan("demo", "us-east-1", &[], &live, &crate::plan::Safety::default());
        SavedPlan::new(plan, live)
    }

    #[test]
    fn a_saved_plan_reads_back_as_it_was_written() {
        let saved = saved(vec![live("vpc", "10.0.0.0/16")]);
        assert!(!saved.plan.steps.is_empty(), "the plan deletes the vpc");
        assert_eq!(SavedPlan::from_json("plan.json", &saved.to_json()), Ok(saved));
    }

    #[test]
    fn an_unchanged_live_state_is_fresh_and_attributes_do_not_count() {
        let saved = saved(vec![live("vpc", "10.0.0.0/16")]);
        let mut now = vec![live("vpc", "10.0.0.0/16")];
        now[0].attributes.insert("arn".into(), "arn:aws:ec2:vpc".into());
        assert_eq!(saved.check_fresh("plan.json", &now), Ok(()));
    }

    #[test]
    fn a_changed_a_new_a_gone_and_a_pending_resource_make_the_plan_stale() {
        let saved = saved(vec![live("a", "10.0.0.0/16"), live("b", "10.1.0.0/16"), live("c", "10.2.0.0/16")]);
        let mut pending = live("c", "10.2.0.0/16");
        pending.state = LiveState::Deleting;
        let now = vec![live("a", "10.9.0.0/16"), pending, live("d", "10.3.0.0/16")];
        assert_eq!(
            saved.drift(&now),
            vec![
                "vpc a changed (cidr_block)",
                "vpc b (vpc-b) is gone",
                "vpc c is now deleting",
                "vpc d (vpc-d) appeared"
            ]
        );
        let error = saved.check_fresh("plan.json", &now).expect_err("stale");
        assert!(error.to_string().starts_with("the plan in plan.json is stale: vpc a changed"), "{error}");
        assert!(error.to_string().contains("nothing was changed"), "{error}");
    }

    #[test]
    fn another_format_or_version_and_a_broken_file_are_refused_with_what_to_do() {
        let mut other = saved(Vec::new());
        other.wl_infra_version = "0.0.1".into();
        let error = SavedPlan::from_json("plan.json", &other.to_json()).expect_err("other version");
        assert!(matches!(error, SavedPlanError::OtherVersion { .. }), "{error}");
        assert!(error.to_string().contains("make the plan again"), "{error}");
        let error = SavedPlan::from_json("plan.json", "{\"format\": 1").expect_err("broken");
        assert!(error.to_string().contains("line 1"), "{error}");
        assert!(error.to_string().contains("wl-infra plan --stack FILE --out plan.json"), "{error}");
    }
}
