//! The IO edge: AWS clients, discovery of live resources, and one driver per resource kind.
//!
//! Each driver file implements [`driver::Driver`] for its kind (discover, create, update, delete,
//! readiness) over its own typed properties ([`props`]); [`driver::driver`] is the one table from a
//! kind to its driver. The rest is what the drivers share: [`clients`], [`lifecycle`] (discovery of
//! every kind at once, create-or-adopt, the dispatch of each step), [`wait`] (polling, repeating a
//! call while AWS holds a dependency, time limits), [`tags`] (one way per tagging style), [`token`]
//! (client tokens) and [`error`].

pub mod clients;
pub mod driver;
mod error;
pub mod lifecycle;
pub mod props;
pub mod tags;
pub mod token;
pub mod wait;

pub mod alert_subscription;
pub mod alert_topic;
pub mod bucket_policy;
pub mod cache_invalidation;
pub mod cache_replication_group;
pub mod cache_subnet_group;
pub mod dashboard;
pub mod db_instance;
pub mod db_subnet_group;
pub mod distribution;
pub mod ecr_repository;
pub mod ecs_cluster;
pub mod ecs_service;
pub mod elastic_ip;
pub mod frontend_object;
pub mod iam_role;
pub mod internet_gateway;
pub mod kms_key;
pub mod listener;
pub mod listener_rule;
pub mod load_balancer;
pub mod log_group;
pub mod metric_alarm;
pub mod nat_gateway;
pub mod origin_access_control;
pub mod origin_verify;
pub mod route_table;
pub mod s3_bucket;
pub mod scalable_target;
pub mod scaling_policy;
pub mod secret;
pub mod security_group;
pub mod service_logs;
pub mod service_namespace;
pub mod status;
pub mod subnet;
pub mod subnet_group;
pub mod target_group;
pub mod task_definition;
pub mod vpc;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub use clients::{account_facts, connect, no_sdk_retries, usable_zones, Clients, Connection};
pub use error::{classify, done_if, retry_delay, AwsError, ErrorClass, SdkResultExt};
pub use lifecycle::{create, delete, discover, find_listed_late, update, wait_ready};
pub use token::{client_token, TokenApi};
pub use wait::{bounded, retry_while, wait_for, wait_for_network_interfaces_to_go, wait_until, Timeouts};

use crate::graph::{Kind, Props, ID_TAG, STACK_TAG};
use crate::plan::{FieldChange, LiveResource, LiveState};

/// Attributes a driver reports for a resource it created or updated (`id` at least).
pub type Attributes = BTreeMap<String, String>;

/// Progress a driver reports while it works, e.g. what it waits for.
pub trait Progress: Send + Sync {
    fn waiting(&self, what: &str, elapsed: Duration);
    /// Something AWS reported while the step works (an ECS service event), shown as it arrives.
    fn note(&self, message: &str);
}

/// What a driver gets for one step: the clients, the resource's kind and logical id, and a
/// progress sink.
pub struct StepContext<'a> {
    pub clients: &'a Clients,
    pub kind: Kind,
    pub id: &'a str,
    pub progress: Arc<dyn Progress>,
    pub timeouts: &'a Timeouts,
    /// True when an earlier attempt of this step failed: a create first looks for what that
    /// attempt may have made before it makes anything.
    pub retry: bool,
}

impl StepContext<'_> {
    /// A name for messages: `nat_gateway nat-1`.
    pub fn resource(&self) -> String {
        format!("{} {}", self.kind, self.id)
    }

    /// Decodes the step's resolved properties into the driver's own type.
    pub fn decode<T: serde::de::DeserializeOwned>(&self, props: &Props) -> Result<T, AwsError> {
        props::decode(&self.resource(), props)
    }
}

/// The arguments of an update, bundled for the drivers.
pub struct Update<'a> {
    pub physical_id: &'a str,
    pub props: &'a Props,
    pub live: &'a Props,
    pub changes: &'a [FieldChange],
}

impl Update<'_> {
    pub fn changed(&self, field: &str) -> bool {
        self.changes.iter().any(|change| change.field == field)
    }

    /// Whether any field but the tags changed.
    pub fn changed_beyond_tags(&self) -> bool {
        self.changes.iter().any(|change| change.field != "tags")
    }

    /// The desired and the live properties, each in the driver's own type.
    pub fn decode<T: serde::de::DeserializeOwned>(&self, context: &StepContext<'_>) -> Result<(T, T), AwsError> {
        Ok((context.decode(self.props)?, context.decode(self.live)?))
    }
}

/// A live resource that is ready, with its properties from the driver's own type.
pub fn live_resource(
    kind: Kind,
    id: String,
    physical_id: impl Into<String>,
    props: &impl serde::Serialize,
    attributes: Attributes,
) -> LiveResource {
    LiveResource {
        id,
        kind,
        physical_id: physical_id.into(),
        props: props::encode(props),
        attributes,
        state: LiveState::Ready,
    }
}

/// The attributes of a resource whose only attribute is its id.
pub fn id_attributes(physical_id: &str) -> Attributes {
    Attributes::from([("id".to_string(), physical_id.to_string())])
}

/// The logical id of an owned resource, if its tags say it belongs to `stack`.
pub fn owned_id<'a>(stack: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    let mut stack_matches = false;
    let mut id = None;
    for (key, value) in pairs {
        if key == STACK_TAG && value == stack {
            stack_matches = true;
        }
        if key == ID_TAG {
            id = Some(value.to_string());
        }
    }
    if stack_matches {
        id
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{client_token, usable_zones, TokenApi};

    #[test]
    fn client_tokens_fit_each_api_s_limit_and_differ_by_resource_and_run() {
        let props = crate::graph::Props::new();
        for (api, shortest, longest) in [
            (TokenApi::Ecs, 1, 36),
            (TokenApi::Ec2, 1, 64),
            (TokenApi::SecretsManager, 32, 64),
            (TokenApi::CloudFront, 1, 64),
        ] {
            let token = client_token(api, "19a2b3c4d5e", "nat-1", &props);
            assert!((shortest..=longest).contains(&token.len()), "{api:?}: {token} ({} characters)", token.len());
            assert!(token.bytes().all(|byte| (33..=126).contains(&byte)), "{api:?}: {token}");
            assert_eq!(token, client_token(api, "19a2b3c4d5e", "nat-1", &props), "stable within a run");
            assert_ne!(token, client_token(api, "19a2b3c4d5e", "nat-2", &props));
            assert_ne!(token, client_token(api, "19a2b3c4d5f", "nat-1", &props), "new in the next run");
        }
        assert_eq!(client_token(TokenApi::Ecs, "19a2b3c4d5e", "service-movie", &props).len(), 36);
    }

    #[test]
    fn zones_are_ordered_by_id_without_the_unavailable_ones_and_those_without_fargate() {
        let zone = |id: &str, name: &str, state: &str| (id.to_string(), name.to_string(), state.to_string());
        let zones = vec![
            zone("use1-az6", "us-east-1a", "available"),
            zone("use1-az1", "us-east-1b", "available"),
            zone("use1-az2", "us-east-1d", "constrained"),
            zone("use1-az4", "us-east-1e", "available"),
        ];
        assert_eq!(usable_zones("us-east-1", zones), vec!["us-east-1b", "us-east-1e", "us-east-1a"]);
        // Fargate runs in two of us-west-1's zones only.
        let west = vec![
            zone("usw1-az3", "us-west-1a", "available"),
            zone("usw1-az2", "us-west-1b", "available"),
            zone("usw1-az1", "us-west-1c", "available"),
        ];
        assert_eq!(usable_zones("us-west-1", west), vec!["us-west-1c", "us-west-1a"]);
    }
}

#[cfg(test)]
mod driver_tests {
    use super::driver::driver;
    use crate::graph::{self, AccountFacts, Kind, Props, Value};
    use crate::stack;

    /// The graph's resources of a shipped stack, with every reference resolved to a placeholder
    /// (as the executor resolves them to real ids before a step runs).
    fn resolved_resources(source: &str) -> Vec<(Kind, String, Props)> {
        fn resolve(value: &Value) -> Value {
            match value {
                Value::Ref { id, attribute } => Value::string(format!("{id}.{attribute}")),
                Value::Join(parts) => Value::string(
                    parts.iter().map(|p| resolve(p).as_str().unwrap_or("x").to_string()).collect::<String>(),
                ),
                Value::List(items) => Value::List(items.iter().map(resolve).collect()),
                Value::Map(map) => Value::Map(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect()),
                other => other.clone(),
            }
        }
        let stack = stack::parse("stack.toml", source).unwrap_or_else(|d| panic!("{}", d.render()));
        let facts = AccountFacts {
            account_id: "123456789012".into(),
            availability_zones: vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1c".into()],
            frontend_files: vec![graph::FrontendFile {
                key: "index.html".into(),
                md5: "0".repeat(32),
                path: "index.html".into(),
            }],
            cloudfront_prefix_list: Some("pl-3b927c52".into()),
            ..AccountFacts::default()
        };
        graph::desired(&stack, &facts)
            .expect("enough zones")
            .into_iter()
            .map(|resource| {
                let props = resource.props.iter().map(|(k, v)| (k.clone(), resolve(v))).collect();
                (resource.kind, resource.id, props)
            })
            .collect()
    }

    #[test]
    fn every_kind_has_a_driver_whose_properties_fit_what_the_graph_builds() {
        let mut seen = std::collections::BTreeSet::new();
        for source in [include_str!("../../stacks/dev.toml"), include_str!("../../stacks/prod.toml")] {
            for (kind, id, props) in resolved_resources(source) {
                let checked = driver(kind).check_props(&props);
                assert!(checked.is_ok(), "{kind} {id}: {checked:?}");
                if let Some(field) = kind.spec().name_field {
                    let name = props.get(field).and_then(crate::graph::Value::as_str);
                    assert!(
                        name.is_some_and(|name| !name.is_empty()),
                        "{kind} {id}: its name field {field} is its name"
                    );
                }
                seen.insert(kind);
            }
        }
        for kind in Kind::ALL {
            assert!(seen.contains(kind), "the shipped stacks have a {kind}, so its driver is checked");
        }
    }
}
