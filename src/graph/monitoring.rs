//! The stack's CloudWatch alarms: per service (CPU, 5xx answers, response time, unhealthy
//! targets), per database (CPU, free storage, connections), per cache node (memory, evictions)
//! and on the load balancer (its own 5xx answers), the alert topic they notify with its e-mail
//! subscriptions (thresholds and addresses from `[alarms]`), and the stack's CloudWatch dashboard
//! (`[dashboard]`), and the services' autoscaling (`[services.NAME.scaling]`). Pure.

use super::properties::monitoring::{
    AlertSubscriptionFields, AlertTopicFields, DashboardFields, KmsKeyFields, MetricAlarmFields, ScalableTargetFields,
    ScalingPolicyFields,
};
use serde_json::json;

use super::compute::{log_group_name, map, reference};
use super::{format_threshold, physical_name, Builder, Value};
use crate::stack::facts::postgres_default_max_connections;
use crate::stack::{Scaling, Stack};

/// The name of the stack's alert topic.
pub fn alert_topic_name(stack: &str) -> String {
    physical_name(stack, "alerts")
}

/// The logical id of the alert subscription of an address (discovery derives it the same way: a
/// subscription has no tags).
pub fn alert_subscription_id(address: &str) -> String {
    format!("alerts-to-{address}")
}

/// The alias of the stack's alert topic key.
pub fn alert_key_alias(stack: &str) -> String {
    format!("alias/{}", alert_topic_name(stack))
}

/// With `[alarms] notify`, the stack's SNS topic, encrypted with a key of the stack that CloudWatch
/// may use (`policy::alert_key_policy` says why not SNS's AWS-managed key), and one e-mail
/// subscription per address.
pub(super) fn add_alerts(builder: &mut Builder<'_>, stack: &Stack, facts: &super::AccountFacts) {
    if stack.alarms.notify.is_empty() {
        return;
    }
    let partition = crate::stack::facts::partition(&stack.region);
    let alias = alert_key_alias(&stack.name);
    builder.add_fields_named(
        "alerts-key",
        &alias,
        KmsKeyFields {
            alias: Value::string(&alias),
            description: Value::string(format!("encrypts the alert topic of stack {}", stack.name)),
            policy: Value::string(super::policy::alert_key_policy(partition, &facts.account_id)),
        },
    );
    let name = alert_topic_name(&stack.name);
    builder.add_fields_named(
        "alerts",
        &name,
        AlertTopicFields { name: Value::string(&name), kms_master_key_id: reference("alerts-key", "arn") },
    );
    for address in &stack.alarms.notify {
        builder.add_fields_named(
            &alert_subscription_id(address),
            address,
            AlertSubscriptionFields {
                topic_arn: reference("alerts", "arn"),
                protocol: Value::string("email"),
                endpoint: Value::string(address),
            },
        );
    }
}

/// Where every alarm sends its ALARM and OK notifications: the stack's topic and the user's.
fn alarm_actions(stack: &Stack) -> Value {
    let mut actions = Vec::new();
    if !stack.alarms.notify.is_empty() {
        actions.push(reference("alerts", "arn"));
    }
    if let Some(arn) = &stack.alarms.topic_arn {
        actions.push(Value::string(arn));
    }
    Value::List(actions)
}

/// One alarm: what it watches and when it fires.
struct AlarmDefinition {
    /// The logical id after `alarm-`.
    id: String,
    namespace: &'static str,
    metric: &'static str,
    statistic: &'static str,
    dimensions: Value,
    comparison: &'static str,
    threshold: f64,
    description: String,
}

/// Every alarm looks at one-minute periods and fires after three in a row; no data (a service
/// scaled to nothing, a database without connections yet) is not a breach.
fn add_alarm(builder: &mut Builder<'_>, stack: &Stack, alarm: AlarmDefinition) {
    let id = format!("alarm-{}", alarm.id);
    let alarm_name = physical_name(&stack.name, &id);
    builder.add_fields_named(
        &id,
        &alarm_name,
        MetricAlarmFields {
            name: Value::string(&alarm_name),
            description: Value::string(alarm.description),
            namespace: Value::string(alarm.namespace),
            metric_name: Value::string(alarm.metric),
            statistic: Value::string(alarm.statistic),
            dimensions: alarm.dimensions,
            period_seconds: Value::Integer(60),
            evaluation_periods: Value::Integer(3),
            threshold: Value::string(format_threshold(alarm.threshold)),
            comparison: Value::string(alarm.comparison),
            treat_missing_data: Value::string("notBreaching"),
            alarm_actions: alarm_actions(stack),
            ok_actions: alarm_actions(stack),
        },
    );
}

/// A service's alarms: its CPU in ECS, and what the load balancer sees of its target group.
pub(super) fn add_service_alarms(builder: &mut Builder<'_>, stack: &Stack, service_name: &str, target_id: &str) {
    let alarms = &stack.alarms;
    let service_dimensions =
        map(vec![("ClusterName", Value::string(&stack.name)), ("ServiceName", Value::string(service_name))]);
    let target_dimensions =
        map(vec![("LoadBalancer", reference("alb", "dimension")), ("TargetGroup", reference(target_id, "dimension"))]);
    let definitions = [
        AlarmDefinition {
            id: format!("{service_name}-cpu"),
            namespace: "AWS/ECS",
            metric: "CPUUtilization",
            statistic: "Average",
            dimensions: service_dimensions,
            comparison: "GreaterThanThreshold",
            threshold: f64::from(alarms.cpu_percent),
            description: format!("CPU of service {service_name} above {}% for 3 minutes", alarms.cpu_percent),
        },
        AlarmDefinition {
            id: format!("{service_name}-5xx"),
            namespace: "AWS/ApplicationELB",
            metric: "HTTPCode_Target_5XX_Count",
            statistic: "Sum",
            dimensions: target_dimensions.clone(),
            comparison: "GreaterThanThreshold",
            threshold: f64::from(alarms.http_5xx_per_minute),
            description: format!(
                "more than {} 5xx answers a minute from service {service_name}",
                alarms.http_5xx_per_minute
            ),
        },
        AlarmDefinition {
            id: format!("{service_name}-latency"),
            namespace: "AWS/ApplicationELB",
            metric: "TargetResponseTime",
            statistic: "Average",
            dimensions: target_dimensions.clone(),
            comparison: "GreaterThanThreshold",
            threshold: alarms.target_response_time_seconds,
            description: format!(
                "service {service_name} answers slower than {} s on average for 3 minutes",
                alarms.target_response_time_seconds
            ),
        },
        AlarmDefinition {
            id: format!("{service_name}-unhealthy"),
            namespace: "AWS/ApplicationELB",
            metric: "UnHealthyHostCount",
            statistic: "Maximum",
            dimensions: target_dimensions,
            comparison: "GreaterThanThreshold",
            threshold: f64::from(alarms.unhealthy_targets),
            description: format!(
                "more than {} unhealthy targets of service {service_name} for 3 minutes",
                alarms.unhealthy_targets
            ),
        },
    ];
    for alarm in definitions {
        add_alarm(builder, stack, alarm);
    }
}

/// The alarms on the databases, the cache nodes and the load balancer itself.
pub(super) fn add_data_and_edge_alarms(builder: &mut Builder<'_>, stack: &Stack) {
    let alarms = &stack.alarms;
    for (key, database) in &stack.databases {
        let dimensions = || map(vec![("DBInstanceIdentifier", Value::string(physical_name(&stack.name, key)))]);
        // FreeStorageSpace is in bytes; storage_gb in GiB (RDS's allocated storage).
        let storage_bytes = f64::from(database.storage_gb) * f64::from(1u32 << 30);
        let free_floor = (storage_bytes * f64::from(alarms.database_free_storage_percent) / 100.0).round();
        // The classes the stack accepts all have a known memory; a class without one gets
        // RDS's ceiling, so the alarm still exists.
        let max_connections = postgres_default_max_connections(&database.instance_class).unwrap_or(5000);
        let connections = (f64::from(max_connections) * f64::from(alarms.database_connections_percent) / 100.0).floor();
        let definitions = [
            AlarmDefinition {
                id: format!("db-{key}-cpu"),
                namespace: "AWS/RDS",
                metric: "CPUUtilization",
                statistic: "Average",
                dimensions: dimensions(),
                comparison: "GreaterThanThreshold",
                threshold: f64::from(alarms.database_cpu_percent),
                description: format!("CPU of database {key} above {}% for 3 minutes", alarms.database_cpu_percent),
            },
            AlarmDefinition {
                id: format!("db-{key}-storage"),
                namespace: "AWS/RDS",
                metric: "FreeStorageSpace",
                statistic: "Minimum",
                dimensions: dimensions(),
                comparison: "LessThanThreshold",
                threshold: free_floor,
                description: format!(
                    "free storage of database {key} below {}% of its {} GiB",
                    alarms.database_free_storage_percent, database.storage_gb
                ),
            },
            AlarmDefinition {
                id: format!("db-{key}-connections"),
                namespace: "AWS/RDS",
                metric: "DatabaseConnections",
                statistic: "Maximum",
                dimensions: dimensions(),
                comparison: "GreaterThanThreshold",
                threshold: connections,
                description: format!(
                    "database {key} holds more than {connections} connections ({}% of the {max_connections} a {} allows)",
                    alarms.database_connections_percent, database.instance_class
                ),
            },
        ];
        for alarm in definitions {
            add_alarm(builder, stack, alarm);
        }
    }
    if let Some(cache) = &stack.cache {
        // Redis metrics are per node; a replication group's nodes are its id and -001, -002, ...
        let group = physical_name(&stack.name, "cache");
        for number in 1..=u32::from(cache.replicas) + 1 {
            let node = format!("{group}-{number:03}");
            let dimensions = || map(vec![("CacheClusterId", Value::string(&node))]);
            let definitions = [
                AlarmDefinition {
                    id: format!("cache-{number}-memory"),
                    namespace: "AWS/ElastiCache",
                    metric: "DatabaseMemoryUsagePercentage",
                    statistic: "Average",
                    dimensions: dimensions(),
                    comparison: "GreaterThanThreshold",
                    threshold: f64::from(alarms.cache_memory_percent),
                    description: format!(
                        "cache node {node} uses more than {}% of its memory",
                        alarms.cache_memory_percent
                    ),
                },
                AlarmDefinition {
                    id: format!("cache-{number}-evictions"),
                    namespace: "AWS/ElastiCache",
                    metric: "Evictions",
                    statistic: "Sum",
                    dimensions: dimensions(),
                    comparison: "GreaterThanThreshold",
                    threshold: f64::from(alarms.cache_evictions_per_minute),
                    description: format!(
                        "cache node {node} evicts more than {} keys a minute",
                        alarms.cache_evictions_per_minute
                    ),
                },
            ];
            for alarm in definitions {
                add_alarm(builder, stack, alarm);
            }
        }
    }
    if !stack.services.is_empty() {
        add_alarm(
            builder,
            stack,
            AlarmDefinition {
                id: "alb-5xx".into(),
                namespace: "AWS/ApplicationELB",
                metric: "HTTPCode_ELB_5XX_Count",
                statistic: "Sum",
                dimensions: map(vec![("LoadBalancer", reference("alb", "dimension"))]),
                comparison: "GreaterThanThreshold",
                threshold: f64::from(alarms.load_balancer_5xx_per_minute),
                description: format!(
                    "the load balancer itself answers more than {} 5xx a minute",
                    alarms.load_balancer_5xx_per_minute
                ),
            },
        );
    }
}

/// The name of the stack's dashboard. Dashboards are global to the account, so the name carries
/// the region, as the stack's other account-wide names do.
pub fn dashboard_name(stack: &str, region: &str) -> String {
    format!("{stack}-{region}")
}

/// Where the CloudWatch console shows the stack's dashboard.
pub fn dashboard_console_url(region: &str, name: &str) -> String {
    format!("https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{name}")
}

/// A dashboard body in the one form both sides compare: keys sorted, no whitespace (the body
/// AWS answers with is parsed and written again this way). `None` when it is not JSON.
pub fn canonical_dashboard_body(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    serde_json::to_string(&value).ok()
}

/// Marks a reference inside the body's text; split into a `Join` of text and `Ref`s.
const REF_OPEN: char = '\u{27E6}';
const REF_CLOSE: char = '\u{27E7}';

fn placeholder(id: &str, attribute: &str) -> String {
    format!("{REF_OPEN}{id}.{attribute}{REF_CLOSE}")
}

/// The canonical body text as a `Join` of its text and the references inside it (the load
/// balancer's and target groups' metric dimensions, known once they exist).
fn body_value(body: &serde_json::Value) -> Value {
    let text = serde_json::to_string(body).unwrap_or_default();
    let mut parts = Vec::new();
    let mut rest = text.as_str();
    while let Some(open) = rest.find(REF_OPEN) {
        parts.push(Value::string(&rest[..open]));
        let after = &rest[open + REF_OPEN.len_utf8()..];
        let close = after.find(REF_CLOSE).unwrap_or(after.len());
        let (id, attribute) = after[..close].split_once('.').unwrap_or((&after[..close], "id"));
        parts.push(reference(id, attribute));
        rest = after.get(close + REF_CLOSE.len_utf8()..).unwrap_or_default();
    }
    parts.push(Value::string(rest));
    Value::joined(parts)
}

/// The widgets of the guide's monitoring section, built from the stack's real names: ECS CPU and
/// memory per service, the load balancer's requests, response time and 5xx, database CPU and
/// connections, cache hits and memory, and the error lines in the services' logs.
fn dashboard_body(stack: &Stack, period: u32) -> serde_json::Value {
    let region = stack.region.as_str();
    let services: Vec<&String> = stack.services.keys().collect();
    let alb = placeholder("alb", "dimension");
    let target = |service: &str| placeholder(&format!("target-{service}"), "dimension");
    let nodes: Vec<String> = stack
        .cache
        .as_ref()
        .map(|cache| {
            let group = physical_name(&stack.name, "cache");
            (1..=u32::from(cache.replicas) + 1).map(|number| format!("{group}-{number:03}")).collect()
        })
        .unwrap_or_default();
    let databases: Vec<String> = stack.databases.keys().map(|key| physical_name(&stack.name, key)).collect();
    let graph = |title: &str, stat: &str, metrics: Vec<serde_json::Value>| {
        json!({"type": "metric", "properties": {
            "title": title, "region": region, "period": period, "stat": stat, "view": "timeSeries", "metrics": metrics,
        }})
    };
    let per_service = |metric: &str| -> Vec<serde_json::Value> {
        services.iter().map(|s| json!(["AWS/ECS", metric, "ClusterName", stack.name, "ServiceName", s])).collect()
    };
    let per_target = |metric: &str| -> Vec<serde_json::Value> {
        services
            .iter()
            .map(|s| json!(["AWS/ApplicationELB", metric, "LoadBalancer", alb, "TargetGroup", target(s), {"label": s}]))
            .collect()
    };
    let mut widgets = Vec::new();
    if !services.is_empty() {
        widgets.push(graph("ECS CPU by service (%)", "Average", per_service("CPUUtilization")));
        widgets.push(graph("ECS memory by service (%)", "Average", per_service("MemoryUtilization")));
        widgets.push(graph(
            "Load balancer requests",
            "Sum",
            vec![json!(["AWS/ApplicationELB", "RequestCount", "LoadBalancer", alb])],
        ));
        widgets.push(graph("Target response time (s)", "Average", per_target("TargetResponseTime")));
        let mut errors = per_target("HTTPCode_Target_5XX_Count");
        errors.push(
            json!(["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", alb, {"label": "load balancer"}]),
        );
        widgets.push(graph("5xx answers", "Sum", errors));
    }
    if !databases.is_empty() {
        let per_database = |metric: &str| -> Vec<serde_json::Value> {
            databases.iter().map(|id| json!(["AWS/RDS", metric, "DBInstanceIdentifier", id])).collect()
        };
        widgets.push(graph("Database CPU (%)", "Average", per_database("CPUUtilization")));
        widgets.push(graph("Database connections", "Maximum", per_database("DatabaseConnections")));
    }
    if !nodes.is_empty() {
        let hits = nodes
            .iter()
            .flat_map(|node| {
                [
                    json!(["AWS/ElastiCache", "CacheHits", "CacheClusterId", node]),
                    json!(["AWS/ElastiCache", "CacheMisses", "CacheClusterId", node]),
                ]
            })
            .collect();
        widgets.push(graph("Cache hits and misses", "Sum", hits));
        let memory = nodes
            .iter()
            .map(|node| json!(["AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "CacheClusterId", node]));
        widgets.push(graph("Cache memory used (%)", "Average", memory.collect()));
    }
    if !services.is_empty() {
        // The services log JSON lines (`"level":"ERROR"`), which Logs Insights reads as fields.
        let sources: Vec<String> =
            services.iter().map(|s| format!("SOURCE '{}'", log_group_name(&stack.name, s))).collect();
        let query = format!("{} | filter level = \"ERROR\" | stats count() as errors by bin(5m)", sources.join(" | "));
        widgets.push(json!({"type": "log", "properties": {
            "title": "Errors in the services' logs (per 5 minutes)", "region": region, "view": "timeSeries", "query": query,
        }}));
    }
    // Two widgets a row, under a line saying where the dashboard comes from.
    let mut placed = vec![json!({"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {
        "markdown": format!("## {}\nMade by wl-infra from the stack file of stack {} in {region}: a change made here is undone by the next apply.", stack.name, stack.name),
    }})];
    for (index, mut widget) in widgets.into_iter().enumerate() {
        if let Some(object) = widget.as_object_mut() {
            object.insert("x".into(), json!(if index % 2 == 0 { 0 } else { 12 }));
            object.insert("y".into(), json!(2 + 6 * (index / 2)));
            object.insert("width".into(), json!(12));
            object.insert("height".into(), json!(6));
        }
        placed.push(widget);
    }
    json!({"widgets": placed})
}

/// With `[dashboard]`, one CloudWatch dashboard of the stack.
pub(super) fn add_dashboard(builder: &mut Builder<'_>, stack: &Stack) {
    let Some(dashboard) = &stack.dashboard else { return };
    let name = dashboard_name(&stack.name, &stack.region);
    builder.add_fields_named(
        "dashboard",
        &name,
        DashboardFields {
            name: Value::string(&name),
            body: body_value(&dashboard_body(stack, dashboard.period_seconds)),
        },
    );
}

/// Application Auto Scaling's names for an ECS service's task count.
pub const SCALING_NAMESPACE: &str = "ecs";
pub const SCALING_DIMENSION: &str = "ecs:service:DesiredCount";

/// A service's scalable target (its task count between `min` and `max`) and its target tracking
/// policies: average CPU, and requests per task when asked for.
pub(super) fn add_scaling(builder: &mut Builder<'_>, stack: &Stack, service_name: &str, scaling: &Scaling) {
    let target_id = format!("scaling-{service_name}");
    let resource_id = format!("service/{}/{service_name}", stack.name);
    builder.add_fields_named(
        &target_id,
        &resource_id,
        ScalableTargetFields {
            service_namespace: Value::string(SCALING_NAMESPACE),
            resource_id: Value::string(&resource_id),
            scalable_dimension: Value::string(SCALING_DIMENSION),
            min_capacity: Value::Integer(i64::from(scaling.min)),
            max_capacity: Value::Integer(i64::from(scaling.max)),
        },
    );
    builder.depends(&target_id, &format!("service-{service_name}"));
    builder.note(
        &format!("service-{service_name}"),
        format!(
            "desired_count is not compared: Application Auto Scaling sets it between {} and {} tasks",
            scaling.min, scaling.max
        ),
    );
    let mut policies =
        vec![("cpu", "ECSServiceAverageCPUUtilization", f64::from(scaling.cpu_percent), Value::string(""))];
    if let Some(requests) = scaling.requests_per_target {
        // "app/<load balancer>/<id>/targetgroup/<target group>/<id>": the two metric dimensions.
        let label = Value::joined(vec![
            reference("alb", "dimension"),
            Value::string("/"),
            reference(&format!("target-{service_name}"), "dimension"),
        ]);
        policies.push(("requests", "ALBRequestCountPerTarget", f64::from(requests), label));
    }
    for (suffix, metric, target_value, label) in policies {
        let id = format!("scaling-{service_name}-{suffix}");
        let name = physical_name(&stack.name, &format!("{service_name}-{suffix}"));
        builder.add_fields_named(
            &id,
            &name,
            ScalingPolicyFields {
                name: Value::string(&name),
                service_namespace: Value::string(SCALING_NAMESPACE),
                resource_id: Value::string(&resource_id),
                scalable_dimension: Value::string(SCALING_DIMENSION),
                metric: Value::string(metric),
                resource_label: label,
                target_value: Value::string(format_threshold(target_value)),
                // Out within a minute, in only after five quiet ones (the ECS guide's defaults).
                scale_out_cooldown_seconds: Value::Integer(60),
                scale_in_cooldown_seconds: Value::Integer(300),
            },
        );
        builder.depends(&id, &target_id);
        // The label names the service's target group, which AWS wants attached to the service
        // ("You can't specify a resource label unless the target group is attached to the ...
        // ECS service", PredefinedMetricSpecification ResourceLabel): after a port change the
        // policy moves to the new group once the service has.
        if suffix == "requests" {
            builder.depends(&id, &format!("service-{service_name}"));
        }
    }
}
