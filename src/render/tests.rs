//! Snapshot tests of the human plan (insta: `cargo insta review`, or `INSTA_UPDATE=always` to
//! rewrite), and the JSON plan of the same plans checked against `docs/plan.schema.json`.

use crate::graph::properties::network::IngressRuleFields;
use crate::graph::{Resource, Value};
use crate::plan::tests::{converged, dev_desired, dev_desired_with, live_field, live_tag, plan_of};
use crate::plan::{plan, LiveResource, LiveState, Plan, Safety};

use super::{human_plan, json_plan, json_plan_schema, Style};

const PLAIN: Style = Style { color: false };

/// The dev stack with two resources it wants that do not exist yet.
fn plan_with_creates() -> Plan {
    let desired = dev_desired();
    let live: Vec<LiveResource> =
        converged(&desired).into_iter().filter(|r| r.id != "ecr-movie" && r.id != "logs-movie").collect();
    plan_of(&desired, &live)
}

/// A new instance class, a tag removed by hand and a rule added by hand.
fn plan_with_updates() -> Plan {
    let desired = dev_desired_with("instance_class = \"db.t3.micro\"", "instance_class = \"db.t3.small\"");
    let mut live = converged(&dev_desired());
    if let Some(Value::Map(tags)) = live.iter_mut().find(|r| r.id == "vpc").and_then(|vpc| vpc.props.get_mut("tags")) {
        tags.remove("Name");
    }
    if let Some(Value::List(rules)) =
        live.iter_mut().find(|r| r.id == "sg-database").and_then(|group| group.props.get_mut("ingress"))
    {
        rules.push(Value::from(IngressRuleFields {
            description: Value::string(""),
            from_port: Value::Integer(22),
            protocol: Value::string("tcp"),
            source: Value::string("0.0.0.0/0"),
            to_port: Value::Integer(22),
        }));
    }
    plan_of(&desired, &live)
}

/// The movie service moved from port 8000: its target group is replaced, new one first.
fn plan_with_a_replacement() -> Plan {
    let desired = dev_desired();
    let mut live = converged(&desired);
    live_field(&mut live, "target-movie", "port", Value::Integer(8000));
    live_field(&mut live, "target-movie", "name", Value::string("watchlist-dev-tg-movie-8000"));
    plan_of(&desired, &live)
}

/// Two databases removed with what watches them (their services gone already): one without a
/// final snapshot (the loss allowed), one with.
fn plan_with_data_loss() -> Plan {
    let names = |resource_id: &str, words: &[&str]| resource_id.split('-').any(|part| words.contains(&part));
    let desired = dev_desired();
    let mut live: Vec<LiveResource> =
        converged(&desired).into_iter().filter(|resource| !names(&resource.id, &["movie", "user"])).collect();
    live_tag(&mut live, "db-users", crate::graph::FINAL_SNAPSHOT_TAG, "false");
    let remaining: Vec<Resource> =
        desired.into_iter().filter(|resource| !names(&resource.id, &["movie", "user", "movies", "users"])).collect();
    plan("watchlist-dev", "us-east-1", &remaining, &live, &Safety { allow_data_loss: ["users".to_string()].into() })
}

/// A database an interrupted run left creating, and a cache left deleting.
fn plan_with_waits() -> Plan {
    let desired = dev_desired();
    let mut live = converged(&desired);
    let database = live.iter_mut().find(|r| r.id == "db-watchlist").expect("database");
    database.state = LiveState::Pending("creating".into());
    database.attributes.insert("address".into(), String::new());
    live.iter_mut().find(|r| r.id == "cache").expect("cache").state = LiveState::Deleting;
    plan_of(&desired, &live)
}

/// A repository no longer in the stack, and a duplicate address an interrupted run left.
fn plan_with_deletes() -> Plan {
    let desired = dev_desired();
    let mut live = converged(&desired);
    let mut duplicate = live.iter().find(|r| r.id == "nat-ip-1").cloned().expect("address");
    duplicate.physical_id = "phys-nat-ip-1-duplicate".into();
    live.push(duplicate);
    let remaining: Vec<Resource> = desired.iter().filter(|r| r.id != "ecr-movie").cloned().collect();
    plan_of(&remaining, &live)
}

fn plan_with_no_changes() -> Plan {
    let desired = dev_desired();
    plan_of(&desired, &converged(&desired))
}

fn every_plan() -> Vec<(&'static str, Plan)> {
    vec![
        ("creates", plan_with_creates()),
        ("updates", plan_with_updates()),
        ("replacement", plan_with_a_replacement()),
        ("data_loss", plan_with_data_loss()),
        ("waits", plan_with_waits()),
        ("deletes", plan_with_deletes()),
        ("no_changes", plan_with_no_changes()),
    ]
}

/// Creates, updates with each field's diff, a replacement with the field that forces it, data lost
/// and kept, waits, deletes and a converged stack: one snapshot each (`the_human_plan_of_NAME`).
#[test]
fn the_human_plan_of_each_kind_of_change() {
    for (name, plan) in every_plan() {
        insta::assert_snapshot!(format!("the_human_plan_of_{name}"), human_plan(&plan, PLAIN));
    }
}

#[test]
fn the_human_plan_in_colour_marks_creates_green_and_replacements_red() {
    let coloured = human_plan(&plan_with_a_replacement(), Style { color: true });
    assert!(coloured.contains("\x1b[31m+/-\x1b[0m"), "{coloured}");
    assert!(coloured.contains("\x1b[31m# forces replacement\x1b[0m"), "{coloured}");
    let creates = human_plan(&plan_with_creates(), Style { color: true });
    assert!(creates.contains("\x1b[32m+\x1b[0m"), "{creates}");
}

const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/plan.schema.json");

fn schema() -> serde_json::Value {
    let text = std::fs::read_to_string(SCHEMA_PATH).expect("docs/plan.schema.json exists");
    serde_json::from_str(&text).expect("the schema is JSON")
}

#[test]
fn the_json_plan_schema_in_docs_is_the_one_the_types_make() {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(SCHEMA_PATH, json_plan_schema()).expect("the schema can be written");
    }
    let written = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert_eq!(written, json_plan_schema(), "docs/plan.schema.json is stale: run with UPDATE_SNAPSHOTS=1");
}

#[test]
fn every_json_plan_validates_against_its_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid JSON Schema");
    for (name, plan) in every_plan() {
        let document: serde_json::Value = serde_json::from_str(&json_plan(&plan)).expect("the plan is JSON");
        let errors: Vec<String> = validator.iter_errors(&document).map(|error| error.to_string()).collect();
        assert!(errors.is_empty(), "the {name} plan does not fit docs/plan.schema.json: {errors:?}");
        assert_eq!(document["format_version"], super::JSON_FORMAT_VERSION);
    }
    // And the schema is strict enough to refuse what is not a plan.
    let wrong = serde_json::json!({"format_version": "1.0", "stack": "s", "region": "r", "changes": [{"id": 1}]});
    assert!(!validator.is_valid(&wrong), "a change without its fields must not validate");
}

#[test]
fn the_json_plan_marks_what_is_known_only_after_apply() {
    let document: serde_json::Value = serde_json::from_str(&json_plan(&plan_with_waits())).expect("the plan is JSON");
    let changes = document["changes"].as_array().expect("changes");
    let task = changes.iter().find(|change| change["id"] == "task-watchlist").expect("the task definition");
    assert_eq!(task["action"], "update");
    let unknown = task["after_unknown"].as_array().expect("after_unknown");
    assert!(unknown.iter().any(|field| field == "environment"), "{task}");
    let database = changes.iter().find(|change| change["id"] == "db-watchlist").expect("the database");
    assert_eq!(database["waits_for"], "creating");
}
