//! The reads behind `wl-infra status`: each service's counts, deployments, events, target health
//! and stopped tasks; the databases', the cache's and the distribution's states; the stack's
//! alarms in ALARM. All at once; the judgement is the pure `crate::status`.

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_ecs::types::DesiredStatus;

use super::{AwsError, Clients, SdkResultExt};
use crate::graph::Kind;
use crate::plan::{LiveResource, LiveState};
use crate::stack::Stack;
use crate::status::{
    problems, DeploymentStatus, FiringAlarm, ResourceState, ServiceStatus, StackStatus, StoppedTask, TargetHealth,
    STATUS_FORMAT_VERSION,
};

/// How many events and stopped tasks a service shows.
const SHOWN: usize = 5;

/// The live resource of a logical id and kind, if the stack has it.
fn find<'a>(live: &'a [LiveResource], id: &str, kind: Kind) -> Option<&'a LiveResource> {
    live.iter().find(|resource| resource.id == id && resource.kind == kind && resource.state != LiveState::Deleting)
}

/// Reads the status of `stack`, whose live resources discovery found.
pub async fn read_status(clients: &Clients, stack: &Stack, live: &[LiveResource]) -> Result<StackStatus, AwsError> {
    let services = super::bounded(stack.services.keys().map(|name| service(clients, live, name)).collect());
    let databases = super::bounded(
        stack
            .databases
            .keys()
            .filter_map(|key| find(live, &format!("db-{key}"), Kind::DbInstance))
            .map(|db| database(clients, db))
            .collect(),
    );
    let (services, databases, cache, distribution, alarms_firing) = futures_util::try_join!(
        services,
        databases,
        cache(clients, live),
        distribution(clients, live),
        alarms(clients)
    )?;
    let mut status = StackStatus {
        format_version: STATUS_FORMAT_VERSION,
        stack: stack.name.clone(),
        region: stack.region.clone(),
        services,
        databases,
        cache,
        distribution,
        alarms_firing,
        problems: Vec::new(),
    };
    status.problems = problems(&status);
    Ok(status)
}

async fn service(clients: &Clients, live: &[LiveResource], name: &str) -> Result<ServiceStatus, AwsError> {
    let missing = ServiceStatus {
        name: name.to_string(),
        status: "MISSING".to_string(),
        running: 0,
        desired: 0,
        pending: 0,
        deployments: Vec::new(),
        targets: Vec::new(),
        events: Vec::new(),
        stopped_tasks: Vec::new(),
    };
    let Some(found) = find(live, &format!("service-{name}"), Kind::EcsService) else { return Ok(missing) };
    let resource = format!("ecs_service {}", found.id);
    let cluster = clients.stack.as_str();
    let described = clients.ecs.describe_services().cluster(cluster).services(&found.physical_id).send().await;
    let described = described.aws("DescribeServices", &resource)?;
    let Some(service) = described.services().first() else { return Ok(missing) };
    let deployments = service
        .deployments()
        .iter()
        .map(|deployment| DeploymentStatus {
            status: deployment.status().unwrap_or_default().to_string(),
            rollout_state: deployment.rollout_state().map(|state| state.as_str().to_string()).unwrap_or_default(),
            rollout_reason: deployment.rollout_state_reason().unwrap_or_default().to_string(),
            task_definition: deployment
                .task_definition()
                .and_then(|arn| arn.rsplit('/').next())
                .unwrap_or_default()
                .to_string(),
            running: deployment.running_count(),
            desired: deployment.desired_count(),
        })
        .collect();
    let events = service.events().iter().take(SHOWN).filter_map(|event| event.message()).map(str::to_string).collect();
    let targets = match find(live, &format!("target-{name}"), Kind::TargetGroup).and_then(|t| t.attributes.get("arn")) {
        Some(arn) => target_health(clients, arn).await?,
        None => Vec::new(),
    };
    Ok(ServiceStatus {
        name: name.to_string(),
        status: service.status().unwrap_or_default().to_string(),
        running: service.running_count(),
        desired: service.desired_count(),
        pending: service.pending_count(),
        deployments,
        targets,
        events,
        stopped_tasks: stopped_tasks(clients, name).await?,
    })
}

async fn target_health(clients: &Clients, target_group_arn: &str) -> Result<Vec<TargetHealth>, AwsError> {
    let described = clients.elb.describe_target_health().target_group_arn(target_group_arn).send().await;
    let Some(described) = described.aws_or_gone("DescribeTargetHealth", target_group_arn)? else {
        return Ok(Vec::new());
    };
    Ok(described
        .target_health_descriptions()
        .iter()
        .map(|description| {
            let target = description.target();
            let health = description.target_health();
            TargetHealth {
                target: format!(
                    "{}:{}",
                    target.and_then(|t| t.id()).unwrap_or_default(),
                    target.and_then(|t| t.port()).unwrap_or_default()
                ),
                state: health.and_then(|h| h.state()).map(|s| s.as_str().to_string()).unwrap_or_default(),
                reason: health
                    .and_then(|h| h.description().or(h.reason().map(|reason| reason.as_str())))
                    .unwrap_or_default()
                    .to_string(),
            }
        })
        .collect())
}

/// The service's tasks that stopped lately (ECS keeps them for about an hour), with why.
async fn stopped_tasks(clients: &Clients, name: &str) -> Result<Vec<StoppedTask>, AwsError> {
    let cluster = clients.stack.as_str();
    let listed = clients
        .ecs
        .list_tasks()
        .cluster(cluster)
        .service_name(name)
        .desired_status(DesiredStatus::Stopped)
        .max_results(SHOWN as i32)
        .send()
        .await;
    let Some(listed) = listed.aws_or_gone("ListTasks", name)? else { return Ok(Vec::new()) };
    if listed.task_arns().is_empty() {
        return Ok(Vec::new());
    }
    let described =
        clients.ecs.describe_tasks().cluster(cluster).set_tasks(Some(listed.task_arns().to_vec())).send().await;
    let described = described.aws("DescribeTasks", name)?;
    Ok(described
        .tasks()
        .iter()
        .map(|task| StoppedTask {
            task: task.task_arn().and_then(|arn| arn.rsplit('/').next()).unwrap_or_default().to_string(),
            stopped_reason: task.stopped_reason().unwrap_or_default().to_string(),
            containers: task
                .containers()
                .iter()
                .filter(|container| container.exit_code().is_some() || container.reason().is_some())
                .map(|container| {
                    format!(
                        "{}: exit {}{}",
                        container.name().unwrap_or_default(),
                        container.exit_code().map_or("?".to_string(), |code| code.to_string()),
                        container.reason().map(|reason| format!(" ({reason})")).unwrap_or_default()
                    )
                })
                .collect(),
        })
        .collect())
}

async fn database(clients: &Clients, found: &LiveResource) -> Result<ResourceState, AwsError> {
    let described = clients.rds.describe_db_instances().db_instance_identifier(&found.physical_id).send().await;
    let state = match described.aws_or_gone("DescribeDBInstances", &found.physical_id)? {
        Some(described) => described
            .db_instances()
            .first()
            .and_then(|instance| instance.db_instance_status())
            .unwrap_or("unknown")
            .to_string(),
        None => "deleted".to_string(),
    };
    Ok(ResourceState { name: found.physical_id.clone(), state })
}

async fn cache(clients: &Clients, live: &[LiveResource]) -> Result<Option<ResourceState>, AwsError> {
    let Some(found) = find(live, "cache", Kind::CacheReplicationGroup) else { return Ok(None) };
    let described =
        clients.elasticache.describe_replication_groups().replication_group_id(&found.physical_id).send().await;
    let state = match described.aws_or_gone("DescribeReplicationGroups", &found.physical_id)? {
        Some(described) => {
            described.replication_groups().first().and_then(|group| group.status()).unwrap_or("unknown").to_string()
        }
        None => "deleted".to_string(),
    };
    Ok(Some(ResourceState { name: found.physical_id.clone(), state }))
}

async fn distribution(clients: &Clients, live: &[LiveResource]) -> Result<Option<ResourceState>, AwsError> {
    let Some(found) = find(live, "distribution", Kind::Distribution) else { return Ok(None) };
    let got = clients.cloudfront.get_distribution().id(&found.physical_id).send().await;
    let state = match got.aws_or_gone("GetDistribution", &found.physical_id)? {
        Some(got) => got.distribution().map(|d| d.status().to_string()).unwrap_or_else(|| "unknown".to_string()),
        None => "deleted".to_string(),
    };
    Ok(Some(ResourceState { name: found.physical_id.clone(), state }))
}

async fn alarms(clients: &Clients) -> Result<Vec<FiringAlarm>, AwsError> {
    let mut firing = Vec::new();
    let mut pages = clients
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(crate::graph::physical_name(&clients.stack, "alarm-"))
        .state_value(StateValue::Alarm)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeAlarms", "the stack's alarms")?;
        // StateValue filters already; the check keeps an answer that ignored it from misleading.
        let in_alarm = page.metric_alarms().iter().filter(|alarm| alarm.state_value() == Some(&StateValue::Alarm));
        firing.extend(in_alarm.map(|alarm| FiringAlarm {
            name: alarm.alarm_name().unwrap_or_default().to_string(),
            reason: alarm.state_reason().unwrap_or_default().to_string(),
        }));
    }
    Ok(firing)
}
