//! The compute and routing tier of a stack: IAM roles, log groups, the ECS cluster, task
//! definitions and Fargate services, the load balancer with its listeners and path rules. Pure,
//! like the rest of the graph.

use std::collections::BTreeMap;

use super::policy::{allow_policy, trust_policy};
use super::properties::compute::{
    DefaultActionFields, EcsClusterFields, EcsServiceFields, IamRoleFields, ListenerFields, ListenerRuleFields,
    LoadBalancerFields, LogGroupFields, SecretReferenceFields, ServiceNamespaceFields, TargetGroupFields,
    TaskDefinitionFields,
};
use super::properties::data::SecretFields;
use super::{physical_name, repository_name, AccountFacts, Builder, Value};
use crate::stack::{Service, Stack};

/// The tag that says what a generated secret holds (`signing-key`, or a database's credentials).
pub const SECRET_CONTENT_TAG: &str = "wl:secret-content";
pub const SIGNING_KEY_CONTENT: &str = "signing-key";
/// The content of the origin secret CloudFront sends to the load balancer.
pub const ORIGIN_VERIFY_CONTENT: &str = "origin-verify";
/// The logical id of the origin secret.
pub const ORIGIN_SECRET_ID: &str = "origin-secret";

/// What the load balancer answers a request without the origin secret (not from this stack's
/// distribution), behind CloudFront.
pub const FORBIDDEN_BODY: &str =
    r#"{"error":{"code":"forbidden","message":"reach this API through its CloudFront distribution"}}"#;

/// The name of the stack's origin secret in Secrets Manager.
pub fn origin_secret_name(stack: &str) -> String {
    format!("{stack}/origin-verify")
}

/// Whether CloudFront stands in front of the load balancer: a stack with a frontend and services.
pub fn behind_cloudfront(stack: &Stack) -> bool {
    stack.frontend.is_some() && !stack.services.is_empty()
}

/// The managed policy that lets ECS pull images from ECR and write logs for a task, in the
/// region's partition.
pub fn execution_managed_policy(partition: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
}

/// Where the services' image keeps the RDS certificate authorities (services/Dockerfile).
pub const RDS_CA_BUNDLE: &str = "/etc/ssl/certs/rds-global-bundle.pem";

/// The image tag a service deploys when neither `--image-tag` nor a running task definition says.
pub const DEFAULT_IMAGE_TAG: &str = "latest";

/// How many days the services' log groups keep their lines.
pub const LOG_RETENTION_DAYS: i64 = 30;

/// The path of every IAM role of a stack in a region, which discovery lists by. Roles are global,
/// so the region is part of it (and of the names): one stack name may run in two regions.
pub fn role_path(stack: &str, region: &str) -> String {
    format!("/wl/{stack}/{region}/")
}

/// The path roles had before it carried the region; such roles are the stack's own and are
/// replaced by ones with region-scoped names.
pub fn legacy_role_path(stack: &str) -> String {
    format!("/wl/{stack}/")
}

/// The name of a role: `<stack>-<region>-<id>`, at most 64 characters (IAM's limit).
fn role_name(stack: &str, region: &str, id: &str) -> String {
    bounded_name(&format!("{stack}-{region}-{id}"), 64)
}

/// The log group of a service's containers.
pub fn log_group_name(stack: &str, service: &str) -> String {
    format!("/ecs/{stack}/{service}")
}

/// A name of at most 32 characters (the limit of load balancers and target groups): `<stack>-<id>`
/// when it fits, otherwise a prefix of it and a hash of the whole, so it stays stable and unique.
pub fn short_name(stack: &str, id: &str) -> String {
    bounded_name(&physical_name(stack, id), 32)
}

/// `full` when it has at most `max` characters, otherwise its first `max - 8` characters and a
/// hash of the whole (names are ASCII).
pub fn bounded_name(full: &str, max: usize) -> String {
    if full.len() <= max {
        return full.to_string();
    }
    let hash = fnv1a(full);
    let prefix = full[..max - 8].trim_end_matches('-');
    format!("{prefix}-{:07x}", hash & 0x0fff_ffff)
}

fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Listener rule priorities by service: derived from the service's name alone, so adding or
/// removing a service never renumbers the others. Two names that hash to the same slot (about one
/// chance in 4,000 for ten services) are told apart in name order.
pub fn rule_priorities<'a>(services: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, i64> {
    const FIRST: u64 = 1_000;
    const SLOTS: u64 = 40_000;
    let mut names: Vec<&str> = services.into_iter().collect();
    names.sort_unstable();
    let mut taken = std::collections::BTreeSet::new();
    let mut priorities = BTreeMap::new();
    for name in names {
        let mut slot = fnv1a(name) % SLOTS;
        while !taken.insert(slot) {
            slot = (slot + 1) % SLOTS;
        }
        priorities.insert(name.to_string(), (FIRST + slot) as i64);
    }
    priorities
}

/// The fixed answer of the load balancer to a path no rule matches.
pub const NOT_FOUND_BODY: &str = r#"{"error":{"code":"not_found","message":"no service serves this path"}}"#;

pub(super) fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(key, value)| (key.to_string(), value)).collect())
}

pub(super) fn reference(id: &str, attribute: &str) -> Value {
    Value::Ref { id: id.to_string(), attribute: attribute.to_string() }
}

/// A listener's fixed JSON answer.
fn fixed_response(status_code: &str, body: &str) -> Value {
    Value::from(DefaultActionFields {
        r#type: Value::string("fixed-response"),
        status_code: Some(Value::string(status_code)),
        content_type: Some(Value::string("application/json")),
        message_body: Some(Value::string(body)),
        protocol: None,
        port: None,
    })
}

fn fixed_forbidden() -> Value {
    fixed_response("403", FORBIDDEN_BODY)
}

fn fixed_not_found() -> Value {
    fixed_response("404", NOT_FOUND_BODY)
}

/// Every resource that runs and routes to the services; nothing when the stack has none.
pub(super) fn add_compute(builder: &mut Builder<'_>, stack: &Stack, facts: &AccountFacts, zones: usize) {
    if stack.services.is_empty() {
        return;
    }
    let name = &stack.name;
    let region = &stack.region;
    let account = &facts.account_id;
    let partition = crate::stack::facts::partition(region);

    // The token signing key the user service signs with and the others verify with.
    let signing_key_name = format!("{name}/jwt-signing-key");
    builder.add_fields_named(
        "jwt-secret",
        &signing_key_name,
        SecretFields {
            name: Value::string(&signing_key_name),
            description: Value::string(format!("token signing key of the services of stack {name}")),
        },
    );
    builder.tag("jwt-secret", SECRET_CONTENT_TAG, SIGNING_KEY_CONTENT);
    builder.tag("jwt-secret", super::RECOVERY_WINDOW_TAG, "7");
    let behind_cloudfront = behind_cloudfront(stack);
    if behind_cloudfront {
        // The value CloudFront sends and every rule requires (aws::origin_verify); generated by
        // wl-infra, kept across applies, never printed.
        let origin_secret_name = origin_secret_name(name);
        builder.add_fields_named(
            ORIGIN_SECRET_ID,
            &origin_secret_name,
            SecretFields {
                name: Value::string(&origin_secret_name),
                description: Value::string(format!("the header CloudFront sends to the load balancer of stack {name}")),
            },
        );
        builder.tag(ORIGIN_SECRET_ID, SECRET_CONTENT_TAG, ORIGIN_VERIFY_CONTENT);
        builder.tag(ORIGIN_SECRET_ID, super::RECOVERY_WINDOW_TAG, "7");
    }

    let secrets_arn = format!("arn:{partition}:secretsmanager:{region}:{account}:secret:{name}/*");
    let role =
        |builder: &mut Builder<'_>, id: &str, description: &str, managed: Vec<Value>, inline: Vec<(&str, String)>| {
            let role_name = role_name(name, region, id);
            builder.add_fields_named(
                id,
                &role_name,
                IamRoleFields {
                    name: Value::string(&role_name),
                    path: Value::string(role_path(name, region)),
                    description: Value::string(description),
                    assume_role_policy: Value::string(trust_policy("ecs-tasks.amazonaws.com")),
                    managed_policy_arns: Value::List(managed),
                    inline_policies: Value::Map(
                        inline.into_iter().map(|(key, document)| (key.to_string(), Value::string(document))).collect(),
                    ),
                },
            );
        };
    role(
        builder,
        "task-execution-role",
        "lets ECS pull the services' images, write their logs and read this stack's secrets",
        vec![Value::string(execution_managed_policy(partition))],
        vec![("read-stack-secrets", allow_policy(&["secretsmanager:GetSecretValue"], &[&secrets_arn]))],
    );
    builder.add_fields_named(
        "cluster",
        name,
        EcsClusterFields { name: Value::string(name), container_insights: Value::string("enabled") },
    );
    // The Cloud Map namespace ECS Service Connect names the services in: they call each other
    // by name (`http://user:8001`) inside the VPC (ARCHITECTURE.md, "service calls").
    builder.add_fields_named(
        "namespace",
        name,
        ServiceNamespaceFields {
            name: Value::string(name),
            description: Value::string(format!("the services of stack {name} call each other here")),
        },
    );

    let public_subnets: Vec<Value> = (1..=zones).map(|n| Value::id_of(&format!("public-{n}"))).collect();
    let private_subnets: Vec<Value> = (1..=zones).map(|n| Value::id_of(&format!("private-{n}"))).collect();
    let load_balancer_name = short_name(name, "alb");
    builder.add_fields_named(
        "alb",
        &load_balancer_name,
        LoadBalancerFields {
            name: Value::string(&load_balancer_name),
            r#type: Value::string("application"),
            scheme: Value::string("internet-facing"),
            subnet_ids: Value::List(public_subnets),
            security_group_ids: Value::List(vec![Value::id_of("sg-alb")]),
        },
    );
    builder.depends("alb", "internet-gateway");
    let serving_listener = match &stack.load_balancer.certificate_arn {
        Some(certificate) => {
            add_listener(
                builder,
                "listener-http",
                80,
                Value::from(DefaultActionFields {
                    r#type: Value::string("redirect"),
                    protocol: Some(Value::string("HTTPS")),
                    port: Some(Value::string("443")),
                    status_code: Some(Value::string("HTTP_301")),
                    content_type: None,
                    message_body: None,
                }),
                None,
            );
            add_listener(builder, "listener-https", 443, fixed_not_found(), Some(certificate));
            "listener-https"
        }
        // Behind CloudFront, what no rule takes (no origin secret, or an unknown path) is refused.
        None if behind_cloudfront => {
            add_listener(builder, "listener-http", 80, fixed_forbidden(), None);
            "listener-http"
        }
        None => {
            add_listener(builder, "listener-http", 80, fixed_not_found(), None);
            "listener-http"
        }
    };

    let priorities = rule_priorities(stack.services.keys().map(String::as_str));
    for (service_name, service) in &stack.services {
        role(builder, &format!("task-role-{service_name}"), "the service's own AWS permissions: none", vec![], vec![]);
        let log_group = log_group_name(name, service_name);
        builder.add_fields_named(
            &format!("logs-{service_name}"),
            &log_group,
            LogGroupFields { name: Value::string(&log_group), retention_days: Value::Integer(LOG_RETENTION_DAYS) },
        );
        let target_id = format!("target-{service_name}");
        // The port is part of the name: a new port makes a new target group, created before the
        // old one is deleted, while the rule and the service move over to it.
        let target_name = short_name(name, &format!("tg-{service_name}-{}", service.port));
        builder.add_fields_named(
            &target_id,
            &target_name,
            TargetGroupFields {
                name: Value::string(&target_name),
                protocol: Value::string("HTTP"),
                port: Value::Integer(i64::from(service.port)),
                vpc_id: Value::id_of("vpc"),
                target_type: Value::string("ip"),
                health_check_path: Value::string(&service.health_check_path),
                health_check_matcher: Value::string("200"),
                health_check_interval_seconds: Value::Integer(15),
                healthy_threshold: Value::Integer(2),
                unhealthy_threshold: Value::Integer(3),
                deregistration_delay_seconds: Value::Integer(30),
            },
        );
        let rule_id = format!("rule-{service_name}");
        builder.add_fields(
            &rule_id,
            ListenerRuleFields {
                listener_arn: reference(serving_listener, "arn"),
                priority: Value::Integer(priorities[service_name]),
                paths: Value::List(service.paths.iter().map(Value::string).collect()),
                target_group_arn: reference(&target_id, "arn"),
                // Set only by the step that moves a service to a new target group.
                standby_target_group_arn: None,
                // At most 3 paths and the secret's 2 values: within a rule's 5 condition values.
                origin_verify_secret: behind_cloudfront.then(|| reference(ORIGIN_SECRET_ID, "arn")),
            },
        );
        add_task_definition(builder, stack, facts, service_name, service);
        let service_id = format!("service-{service_name}");
        // Once Application Auto Scaling owns the task count, the service starts with the stack's
        // count (within the bounds) and the count is not compared again.
        let (desired_count, initial_desired_count) = match &service.scaling {
            None => (Some(Value::Integer(i64::from(service.desired_count))), None),
            Some(scaling) => {
                (None, Some(Value::Integer(i64::from(service.desired_count.clamp(scaling.min, scaling.max)))))
            }
        };
        builder.add_fields_named(
            &service_id,
            service_name,
            EcsServiceFields {
                name: Value::string(service_name),
                cluster: reference("cluster", "arn"),
                task_definition: reference(&format!("task-{service_name}"), "arn"),
                desired_count,
                initial_desired_count,
                launch_type: Value::string("FARGATE"),
                subnet_ids: Value::List(private_subnets.clone()),
                security_group_ids: Value::List(vec![Value::id_of("sg-app")]),
                assign_public_ip: Value::Bool(false),
                target_group_arn: reference(&target_id, "arn"),
                container_name: Value::string(service_name),
                container_port: Value::Integer(i64::from(service.port)),
                circuit_breaker: Value::Bool(service.deployment.circuit_breaker),
                minimum_healthy_percent: Value::Integer(i64::from(service.deployment.minimum_healthy_percent)),
                maximum_percent: Value::Integer(i64::from(service.deployment.maximum_percent)),
                health_check_grace_seconds: Value::Integer(60),
                // Service Connect: the service answers as `<name>:<port>` to the others in the
                // namespace, through the proxy ECS adds to each task.
                // By name: ECS takes "the namespace name or full ARN" and answers with what it
                // was given (kayac/ecspresso#745); discovery reads an ARN back as its name.
                service_connect_namespace: Value::string(name),
                service_connect_port_name: Value::string(service_name),
                service_connect_port: Value::Integer(i64::from(service.port)),
            },
        );
        // ECS refuses a target group that no listener routes to yet.
        builder.depends(&service_id, &rule_id);
        builder.depends(&service_id, "namespace");
        if let Some(scaling) = &service.scaling {
            super::monitoring::add_scaling(builder, stack, service_name, scaling);
        }
        super::monitoring::add_service_alarms(builder, stack, service_name, &target_id);
    }
}

fn add_listener(builder: &mut Builder<'_>, id: &str, port: u16, default_action: Value, certificate: Option<&str>) {
    builder.add_fields(
        id,
        ListenerFields {
            load_balancer_arn: reference("alb", "arn"),
            port: Value::Integer(i64::from(port)),
            protocol: Value::string(if certificate.is_some() { "HTTPS" } else { "HTTP" }),
            default_action,
            certificate_arn: certificate.map(Value::string),
            ssl_policy: certificate.map(|_| Value::string("ELBSecurityPolicy-TLS13-1-2-2021-06")),
        },
    );
}

/// The image a service runs: its repository in this account and region, at the chosen tag.
pub fn image(facts: &AccountFacts, stack: &Stack, service: &str) -> String {
    let tag = facts.image_tags.get(service).map_or(DEFAULT_IMAGE_TAG, String::as_str);
    format!(
        "{}.dkr.ecr.{}.amazonaws.com/{}:{tag}",
        facts.account_id,
        stack.region,
        repository_name(&stack.name, service)
    )
}

fn secret_value(secret_id: &str, key: &str) -> Value {
    Value::from(SecretReferenceFields { secret: reference(secret_id, "arn"), key: Value::string(key) })
}

fn add_task_definition(
    builder: &mut Builder<'_>,
    stack: &Stack,
    facts: &AccountFacts,
    service_name: &str,
    service: &Service,
) {
    let mut environment: BTreeMap<String, Value> = BTreeMap::new();
    let mut secrets: BTreeMap<String, Value> = BTreeMap::new();
    environment.insert("PORT".into(), Value::string(service.port.to_string()));
    // The load balancer appends its caller to X-Forwarded-For, and CloudFront, when the stack has
    // a frontend, appends the browser's before it: the client is that many hops from the right.
    let trusted_proxy_hops = if stack.frontend.is_some() { "2" } else { "1" };
    environment.insert("TRUSTED_PROXY_HOPS".into(), Value::string(trusted_proxy_hops));
    secrets.insert("JWT_SECRET".into(), secret_value("jwt-secret", ""));
    if let Some(database) = &service.database {
        let instance = format!("db-{database}");
        environment.insert("PGHOST".into(), reference(&instance, "address"));
        environment.insert("PGPORT".into(), Value::string("5432"));
        environment.insert("PGUSER".into(), Value::string(super::DATABASE_MASTER_USER));
        environment.insert("PGDATABASE".into(), Value::string(super::database_name(database)));
        // RDS for PostgreSQL refuses unencrypted connections; the image carries the RDS CA bundle.
        environment.insert("PGSSLMODE".into(), Value::string("verify-full"));
        environment.insert("PGSSLROOTCERT".into(), Value::string(RDS_CA_BUNDLE));
        secrets.insert("PGPASSWORD".into(), secret_value(&format!("{instance}-secret"), "password"));
    }
    if service.cache {
        // The cache encrypts in transit, hence rediss://.
        environment.insert(
            "REDIS_URL".into(),
            Value::Join(vec![Value::string("rediss://"), reference("cache", "address"), Value::string(":6379")]),
        );
    }
    for called in &service.calls {
        // Services call each other inside the VPC by their Service Connect names
        // (ARCHITECTURE.md, "service calls").
        let port = stack.services.get(called).map_or(0, |called| called.port);
        environment.insert(
            format!("{}_SERVICE_URL", called.to_uppercase().replace('-', "_")),
            Value::string(format!("http://{called}:{port}")),
        );
    }
    for (key, value) in &service.environment {
        environment.insert(key.clone(), Value::string(value));
    }
    let family = physical_name(&stack.name, service_name);
    let task_id = format!("task-{service_name}");
    builder.add_fields_named(
        &task_id,
        &family,
        TaskDefinitionFields {
            family: Value::string(&family),
            cpu: Value::Integer(i64::from(service.cpu)),
            memory: Value::Integer(i64::from(service.memory)),
            execution_role_arn: reference("task-execution-role", "arn"),
            task_role_arn: reference(&format!("task-role-{service_name}"), "arn"),
            container_name: Value::string(service_name),
            image: Value::string(image(facts, stack, service_name)),
            port: Value::Integer(i64::from(service.port)),
            // The port mapping's name, which Service Connect's `portName` refers to.
            port_name: Value::string(service_name),
            environment: Value::Map(environment),
            secrets: Value::Map(secrets),
            log_group: Value::string(log_group_name(&stack.name, service_name)),
            log_region: Value::string(&stack.region),
            // Fargate runs x86_64 unless told otherwise: an arm64 image is a choice in the stack.
            cpu_architecture: Value::string(service.architecture.as_ecs()),
            operating_system_family: Value::string("LINUX"),
            health_check_command: Value::List(vec![
                Value::string("CMD"),
                Value::string("/usr/local/bin/service"),
                Value::string("healthcheck"),
            ]),
        },
    );
    builder.depends(&task_id, &format!("logs-{service_name}"));
}

/// A threshold in the one spelling both sides use: `80`, `2`, `0.5`.
pub fn format_threshold(threshold: f64) -> String {
    format!("{threshold}")
}
