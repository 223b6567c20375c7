//! What a deployed stack offers its users, Terraform's `output` without a state file: the site's
//! URL, the load balancer, the database and cache endpoints (never a password: the secret's
//! ARN), the repositories, the cluster and its services, the dashboard and the alert topic. Pure:
//! built from the stack and the attributes of its live resources, by logical id.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::graph::{dashboard_console_url, dashboard_name};
use crate::plan::{LiveResource, LiveState};
use crate::stack::Stack;

/// The version of `outputs --json`; a change that removes or renames a field raises it.
pub const OUTPUTS_FORMAT_VERSION: u32 = 1;

/// Attributes of live resources, by logical id (`aws::Attributes` per resource).
pub type AttributesById = HashMap<String, BTreeMap<String, String>>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outputs {
    pub format_version: u32,
    pub stack: String,
    pub region: String,
    /// `https://<distribution domain>` with a frontend.
    pub site_url: Option<String>,
    /// Where the API answers: under the site with a frontend, else the load balancer.
    pub api_url: Option<String>,
    pub load_balancer_dns_name: Option<String>,
    pub databases: Vec<DatabaseOutput>,
    /// `host:port` of the cache's primary endpoint (TLS).
    pub cache_endpoint: Option<String>,
    pub repositories: BTreeMap<String, String>,
    pub cluster: Option<String>,
    pub services: Vec<String>,
    pub dashboard_url: Option<String>,
    pub alert_topic_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseOutput {
    pub name: String,
    /// `host:port`.
    pub endpoint: Option<String>,
    /// The Secrets Manager secret holding the master credentials (read it there; never printed).
    pub secret_arn: Option<String>,
}

/// The attributes of the live resources that are not on their way out, by logical id.
pub fn attributes_by_id(live: &[LiveResource]) -> AttributesById {
    live.iter()
        .filter(|resource| resource.state != LiveState::Deleting)
        .map(|resource| (resource.id.clone(), resource.attributes.clone()))
        .collect()
}

/// The outputs of `stack` from what exists. A resource that does not exist yet leaves its output
/// out (`None`, or missing from a list).
pub fn outputs(stack: &Stack, attributes: &AttributesById) -> Outputs {
    let attribute = |id: &str, name: &str| {
        attributes.get(id).and_then(|found| found.get(name)).filter(|value| !value.is_empty()).cloned()
    };
    let site_url = attribute("distribution", "domain_name").map(|domain| format!("https://{domain}"));
    let load_balancer_dns_name = attribute("alb", "dns_name");
    let scheme = if stack.load_balancer.certificate_arn.is_some() { "https" } else { "http" };
    let api_url = match (&site_url, &load_balancer_dns_name) {
        (Some(site), _) => Some(format!("{site}/api")),
        (None, Some(dns)) => Some(format!("{scheme}://{dns}/api")),
        (None, None) => None,
    };
    let databases = stack
        .databases
        .keys()
        .filter(|key| attributes.contains_key(&format!("db-{key}")))
        .map(|key| DatabaseOutput {
            name: key.clone(),
            endpoint: attribute(&format!("db-{key}"), "address").map(|host| format!("{host}:5432")),
            secret_arn: attribute(&format!("db-{key}-secret"), "arn"),
        })
        .collect();
    let repositories = stack
        .services
        .keys()
        .filter_map(|service| Some((service.clone(), attribute(&format!("ecr-{service}"), "uri")?)))
        .collect();
    let services = stack
        .services
        .keys()
        .filter(|service| attributes.contains_key(&format!("service-{service}")))
        .cloned()
        .collect();
    Outputs {
        format_version: OUTPUTS_FORMAT_VERSION,
        stack: stack.name.clone(),
        region: stack.region.clone(),
        site_url,
        api_url,
        load_balancer_dns_name,
        databases,
        cache_endpoint: attribute("cache", "address").map(|host| format!("{host}:6379")),
        repositories,
        cluster: attributes.contains_key("cluster").then(|| stack.name.clone()),
        services,
        dashboard_url: attributes
            .contains_key("dashboard")
            .then(|| dashboard_console_url(&stack.region, &dashboard_name(&stack.name, &stack.region))),
        alert_topic_arn: attribute("alerts", "arn"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev_stack() -> Stack {
        let source = include_str!("../stacks/dev.toml");
        crate::stack::parse("dev.toml", source).unwrap_or_else(|diagnostics| panic!("{}", diagnostics.render()))
    }

    fn attributes(entries: &[(&str, &[(&str, &str)])]) -> AttributesById {
        entries
            .iter()
            .map(|(id, pairs)| {
                (id.to_string(), pairs.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect())
            })
            .collect()
    }

    #[test]
    fn outputs_come_from_what_exists_and_never_hold_a_password() {
        let stack = dev_stack();
        let live = attributes(&[
            ("distribution", &[("domain_name", "d111.cloudfront.net")]),
            ("alb", &[("dns_name", "watchlist-dev-alb-1.us-east-1.elb.amazonaws.com")]),
            ("db-users", &[("address", "watchlist-dev-users.abc.us-east-1.rds.amazonaws.com")]),
            (
                "db-users-secret",
                &[("arn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:watchlist-dev/users/master-Ab12")],
            ),
            ("cache", &[("address", "master.watchlist-dev-cache.abc.cache.amazonaws.com")]),
            ("ecr-movie", &[("uri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/watchlist-dev-movie")]),
            ("cluster", &[("id", "arn:aws:ecs:us-east-1:123456789012:cluster/watchlist-dev")]),
            ("service-movie", &[("id", "arn:aws:ecs:us-east-1:123456789012:service/watchlist-dev/movie")]),
        ]);
        let outputs = outputs(&stack, &live);
        assert_eq!(outputs.site_url.as_deref(), Some("https://d111.cloudfront.net"));
        assert_eq!(outputs.api_url.as_deref(), Some("https://d111.cloudfront.net/api"));
        assert_eq!(
            outputs.databases,
            vec![DatabaseOutput {
                name: "users".into(),
                endpoint: Some("watchlist-dev-users.abc.us-east-1.rds.amazonaws.com:5432".into()),
                secret_arn: Some(
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:watchlist-dev/users/master-Ab12".into()
                ),
            }],
            "only the database that exists"
        );
        assert_eq!(outputs.cache_endpoint.as_deref(), Some("master.watchlist-dev-cache.abc.cache.amazonaws.com:6379"));
        assert_eq!(outputs.repositories.keys().collect::<Vec<_>>(), vec!["movie"]);
        assert_eq!(
            (outputs.cluster.as_deref(), outputs.services.clone()),
            (Some("watchlist-dev"), vec!["movie".to_string()])
        );
        assert_eq!(outputs.dashboard_url, None, "dev has no dashboard");
        let json = serde_json::to_string(&outputs).expect("JSON");
        assert!(!json.contains("password"), "{json}");
    }
}
