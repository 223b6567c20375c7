//! Driver for each Fargate service: create, update and delete, and the deploy wait that follows
//! them — until the new deployment's `rolloutState` is COMPLETED (not merely "steady"), streaming
//! the service's events, and reporting a circuit-breaker rollback with the stopped tasks' reasons.

use std::collections::BTreeSet;
use std::time::SystemTime;

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration, DesiredStatus, LaunchType,
    LoadBalancer, NetworkConfiguration, PropagateTags, Service, ServiceConnectClientAlias, ServiceConnectConfiguration,
    ServiceConnectService, ServiceField,
};

use super::driver::driver;
use super::ecs_cluster::pairs;
use super::props::Tags;
use super::{live_resource, tags, wait_for, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::compute::EcsServiceProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::{LiveResource, LiveState};

driver!(EcsServiceDriver, EcsServiceProps, wait_ready = wait_ready);

fn attributes(service: &Service) -> Attributes {
    let arn = service.service_arn().unwrap_or_default();
    Attributes::from([
        ("id".to_string(), arn.to_string()),
        ("arn".to_string(), arn.to_string()),
        ("name".to_string(), service.service_name().unwrap_or_default().to_string()),
        ("cluster".to_string(), service.cluster_arn().unwrap_or_default().to_string()),
    ])
}

/// Where a service stands for the plan: a deployment an interrupted apply started is still rolling
/// out, so what comes after it waits for that first.
pub fn live_state(service: &Service) -> LiveState {
    let primary = service.deployments().iter().find(|d| d.status() == Some("PRIMARY"));
    match primary.map(|primary| rollout(service, primary.task_definition().unwrap_or_default(), None)) {
        Some(Rollout::InProgress { .. }) => LiveState::Pending("deploying".to_string()),
        _ => LiveState::Ready,
    }
}

/// Lists the cluster's services, then describes them ten at a time (all batches at once).
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let cluster = clients.stack.as_str();
    let mut arns = Vec::new();
    let mut pages = clients.ecs.list_services().cluster(cluster).into_paginator().send();
    while let Some(page) = pages.next().await {
        // No cluster yet: no services.
        let Some(page) = page.aws_or_gone("ListServices", "the stack's services")? else { return Ok(Vec::new()) };
        arns.extend(page.service_arns().iter().cloned());
    }
    let reads = arns.chunks(10).map(|batch| async move {
        let output = clients
            .ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(batch.to_vec()))
            .include(ServiceField::Tags)
            .send()
            .await
            .aws("DescribeServices", "the stack's services")?;
        Ok::<_, AwsError>(output.services().to_vec())
    });
    let services: Vec<Service> = super::bounded(reads.collect()).await?.into_iter().flatten().collect();
    let mut owned: Vec<(&Service, String, EcsServiceProps)> = services
        .iter()
        // A deleted service is DRAINING, then INACTIVE: gone as far as the stack is concerned.
        .filter(|service| service.status() == Some("ACTIVE"))
        .filter_map(|service| {
            let tags = pairs(service.tags());
            let id = super::owned_id(&clients.stack, tags.iter().copied())?;
            Some((service, id, props_of(service, super::props::tags_of(tags))))
        })
        .collect();
    let names =
        namespace_names(clients, owned.iter().map(|(_, _, props)| props.service_connect_namespace.as_str())).await?;
    for (_, _, props) in &mut owned {
        if let Some(name) = names.get(&props.service_connect_namespace) {
            props.service_connect_namespace = name.clone();
        }
    }
    Ok(owned
        .into_iter()
        .map(|(service, id, props)| {
            let live = live_resource(
                Kind::EcsService,
                id,
                service.service_arn().unwrap_or_default(),
                &props,
                attributes(service),
            );
            LiveResource { state: live_state(service), ..live }
        })
        .collect())
}

/// The names of the namespaces ECS answers by ARN (it answers a namespace as it was given: by
/// name as wl-infra joins, by ARN when a service was joined by hand or by another tool), one
/// GetNamespace per distinct ARN.
async fn namespace_names<'a>(
    clients: &Clients,
    namespaces: impl Iterator<Item = &'a str>,
) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
    let arns: std::collections::BTreeSet<&str> = namespaces.filter(|ns| namespace_id_of_arn(ns).is_some()).collect();
    let mut names = std::collections::BTreeMap::new();
    for arn in arns {
        let id = namespace_id_of_arn(arn).unwrap_or_default();
        match clients.cloud_map.get_namespace().id(id).send().await.aws("GetNamespace", arn) {
            Ok(output) => {
                let name = output.namespace().and_then(|namespace| namespace.name()).unwrap_or_default();
                names.insert(arn.to_string(), name.to_string());
            }
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(names)
}

/// The namespace id in a Cloud Map namespace ARN (`arn:aws:servicediscovery:<region>:<account>:namespace/ns-…`).
pub fn namespace_id_of_arn(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:").and_then(|rest| rest.rsplit_once(":namespace/")).map(|(_, id)| id)
}

/// The properties of a live service, in the shape `graph` gives the desired one.
pub fn props_of(service: &Service, tags: Tags) -> EcsServiceProps {
    let network = service.network_configuration().and_then(|n| n.awsvpc_configuration());
    let sorted = |items: &[String]| {
        let mut values = items.to_vec();
        values.sort();
        values
    };
    let balancer = service.load_balancers().first();
    let deployment = service.deployment_configuration();
    // DescribeServices answers Service Connect per deployment only (Deployment
    // .serviceConnectConfiguration): the primary one's is the service's.
    let primary = service.deployments().iter().find(|d| d.status() == Some("PRIMARY"));
    let connect = primary.and_then(|d| d.service_connect_configuration()).filter(|c| c.enabled());
    let connected = connect.and_then(|c| c.services().first());
    let breaker = deployment.and_then(|d| d.deployment_circuit_breaker());
    EcsServiceProps {
        name: service.service_name().unwrap_or_default().to_string(),
        cluster: service.cluster_arn().unwrap_or_default().to_string(),
        task_definition: service.task_definition().unwrap_or_default().to_string(),
        desired_count: Some(service.desired_count()),
        initial_desired_count: None,
        launch_type: service.launch_type().map_or("", |l| l.as_str()).to_string(),
        subnet_ids: sorted(network.map(|n| n.subnets()).unwrap_or_default()),
        security_group_ids: sorted(network.map(|n| n.security_groups()).unwrap_or_default()),
        assign_public_ip: network.and_then(|n| n.assign_public_ip()) == Some(&AssignPublicIp::Enabled),
        target_group_arn: balancer.and_then(|b| b.target_group_arn()).unwrap_or_default().to_string(),
        container_name: balancer.and_then(|b| b.container_name()).unwrap_or_default().to_string(),
        container_port: balancer.and_then(|b| b.container_port()).unwrap_or(0),
        circuit_breaker: breaker.is_some_and(|b| b.enable() && b.rollback()),
        // AWS's defaults for a rolling deployment, when the answer leaves them out.
        minimum_healthy_percent: deployment.and_then(|d| d.minimum_healthy_percent()).unwrap_or(100),
        maximum_percent: deployment.and_then(|d| d.maximum_percent()).unwrap_or(200),
        health_check_grace_seconds: service.health_check_grace_period_seconds().unwrap_or(0),
        service_connect_namespace: connect.and_then(|c| c.namespace()).unwrap_or_default().to_string(),
        service_connect_port_name: connected.map(|s| s.port_name()).unwrap_or_default().to_string(),
        service_connect_port: connected.and_then(|s| s.client_aliases().first()).map(|alias| alias.port()).unwrap_or(0),
        tags,
    }
}

/// The Service Connect configuration: the namespace, and the service answering as
/// `<port name>:<port>` (its discovery name and client alias are the port name).
fn service_connect(props: &EcsServiceProps) -> Result<ServiceConnectConfiguration, String> {
    if props.service_connect_namespace.is_empty() {
        return Ok(ServiceConnectConfiguration::builder().enabled(false).build());
    }
    let alias = ServiceConnectClientAlias::builder()
        .port(props.service_connect_port)
        .dns_name(&props.service_connect_port_name)
        .build()
        .map_err(|error| error.to_string())?;
    let service = ServiceConnectService::builder()
        .port_name(&props.service_connect_port_name)
        .discovery_name(&props.service_connect_port_name)
        .client_aliases(alias)
        .build()
        .map_err(|error| error.to_string())?;
    Ok(ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(&props.service_connect_namespace)
        .services(service)
        .build())
}

fn network(props: &EcsServiceProps) -> NetworkConfiguration {
    NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .set_subnets(Some(props.subnet_ids.clone()))
                .set_security_groups(Some(props.security_group_ids.clone()))
                .assign_public_ip(if props.assign_public_ip {
                    AssignPublicIp::Enabled
                } else {
                    AssignPublicIp::Disabled
                })
                .build()
                .expect("the subnets are set"),
        )
        .build()
}

fn deployment(props: &EcsServiceProps) -> DeploymentConfiguration {
    let breaker = props.circuit_breaker;
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(DeploymentCircuitBreaker::builder().enable(breaker).rollback(breaker).build())
        .minimum_healthy_percent(props.minimum_healthy_percent)
        .maximum_percent(props.maximum_percent)
        .build()
}

pub async fn create(context: &StepContext<'_>, resolved: &Props) -> Result<Attributes, AwsError> {
    let props: EcsServiceProps = context.decode(resolved)?;
    let started = SystemTime::now();
    let resource = context.resource();
    let cluster = &props.cluster;
    let output = context
        .clients
        .ecs
        .create_service()
        .cluster(cluster)
        .service_name(&props.name)
        .task_definition(&props.task_definition)
        .desired_count(props.desired_count.or(props.initial_desired_count).unwrap_or(1))
        .launch_type(LaunchType::Fargate)
        .network_configuration(network(&props))
        .load_balancers(load_balancer(&props))
        .deployment_configuration(deployment(&props))
        .health_check_grace_period_seconds(props.health_check_grace_seconds)
        .service_connect_configuration(
            service_connect(&props).map_err(|error| AwsError::refused(&resource, format!("{error}; this is a bug")))?,
        )
        .propagate_tags(PropagateTags::Service)
        .enable_ecs_managed_tags(true)
        .set_tags(Some(tags::ecs_list(&props.tags)))
        .client_token(super::client_token(super::TokenApi::Ecs, &context.clients.run_id, context.id, resolved))
        .send()
        .await
        .aws("CreateService", &resource)?;
    let arn = output.service().and_then(|s| s.service_arn()).unwrap_or_default().to_string();
    let deployment = primary_deployment_id(output.service());
    let service =
        wait_for_rollout(context, cluster, &arn, &props.task_definition, deployment.as_deref(), started).await?;
    Ok(attributes(&service))
}

/// Sends only what changed: every one of taskDefinition, networkConfiguration and loadBalancers
/// "triggers a new service deployment" when sent (API_UpdateService), so a change of the desired
/// count alone must not carry them. Then waits for the deployment (or the new count) to settle.
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (EcsServiceProps, EcsServiceProps) = update.decode(context)?;
    let started = SystemTime::now();
    let resource = context.resource();
    let cluster = &live.cluster;
    let arn = update.physical_id;
    tags::replace(context, tags::Style::Ecs, arn, &desired.tags, &live.tags).await?;
    let Some(request) = service_update(context, update, &desired, cluster, arn)? else {
        let service = describe(context, cluster, arn).await?.ok_or_else(|| gone(context))?;
        return Ok(attributes(&service));
    };
    let output = request.send().await.aws("UpdateService", &resource)?;
    let deployment = primary_deployment_id(output.service());
    let service =
        wait_for_rollout(context, cluster, arn, &desired.task_definition, deployment.as_deref(), started).await?;
    Ok(attributes(&service))
}

/// The id of the PRIMARY deployment in a CreateService or UpdateService answer: the deployment
/// the call started (or the one running, when the call started none).
fn primary_deployment_id(service: Option<&Service>) -> Option<String> {
    let deployments = service?.deployments();
    deployments.iter().find(|d| d.status() == Some("PRIMARY")).and_then(|d| d.id()).map(str::to_string)
}

/// An UpdateService parameter wl-infra sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateParameter {
    TaskDefinition,
    DesiredCount,
    NetworkConfiguration,
    DeploymentConfiguration,
    HealthCheckGracePeriodSeconds,
    LoadBalancers,
    ServiceConnectConfiguration,
}

/// The UpdateService parameters a change needs, by the fields that changed. Pure.
pub fn parameters_to_send(update: &Update<'_>) -> Vec<UpdateParameter> {
    let changed = |fields: &[&str]| fields.iter().any(|field| update.changed(field));
    [
        (UpdateParameter::TaskDefinition, &["task_definition"][..]),
        (UpdateParameter::DesiredCount, &["desired_count"]),
        (UpdateParameter::NetworkConfiguration, &["subnet_ids", "security_group_ids", "assign_public_ip"]),
        (UpdateParameter::DeploymentConfiguration, &["circuit_breaker", "minimum_healthy_percent", "maximum_percent"]),
        (UpdateParameter::HealthCheckGracePeriodSeconds, &["health_check_grace_seconds"]),
        // A new target group (a new port): "For services that use rolling updates, you can add,
        // update, or remove Elastic Load Balancing target groups" (API_UpdateService).
        (UpdateParameter::LoadBalancers, &["target_group_arn", "container_name", "container_port"]),
        // "Changing this setting starts a new deployment" (API_UpdateService).
        (
            UpdateParameter::ServiceConnectConfiguration,
            &["service_connect_namespace", "service_connect_port_name", "service_connect_port"],
        ),
    ]
    .into_iter()
    .filter(|(_, fields)| changed(fields))
    .map(|(parameter, _)| parameter)
    .collect()
}

/// The UpdateService call for the changed fields, or none when only the tags changed.
fn service_update(
    context: &StepContext<'_>,
    update: &Update<'_>,
    props: &EcsServiceProps,
    cluster: &str,
    arn: &str,
) -> Result<Option<aws_sdk_ecs::operation::update_service::builders::UpdateServiceFluentBuilder>, AwsError> {
    let parameters = parameters_to_send(update);
    if parameters.is_empty() {
        return Ok(None);
    }
    let mut request = context.clients.ecs.update_service().cluster(cluster).service(arn);
    for parameter in parameters {
        request = match parameter {
            UpdateParameter::TaskDefinition => request.task_definition(&props.task_definition),
            UpdateParameter::DesiredCount => request.set_desired_count(props.desired_count),
            UpdateParameter::NetworkConfiguration => request.network_configuration(network(props)),
            UpdateParameter::DeploymentConfiguration => request.deployment_configuration(deployment(props)),
            UpdateParameter::HealthCheckGracePeriodSeconds => {
                request.health_check_grace_period_seconds(props.health_check_grace_seconds)
            }
            UpdateParameter::LoadBalancers => request.load_balancers(load_balancer(props)),
            UpdateParameter::ServiceConnectConfiguration => request.service_connect_configuration(
                service_connect(props)
                    .map_err(|error| AwsError::refused(context.resource(), format!("{error}; this is a bug")))?,
            ),
        };
    }
    Ok(Some(request))
}

fn load_balancer(props: &EcsServiceProps) -> LoadBalancer {
    LoadBalancer::builder()
        .target_group_arn(&props.target_group_arn)
        .container_name(&props.container_name)
        .container_port(props.container_port)
        .build()
}

/// Waits for the rollout of the service's current deployment (one an interrupted apply left in
/// progress, or one an adopted create started).
pub async fn wait_ready(context: &StepContext<'_>, arn: &str, known: &Attributes) -> Result<Attributes, AwsError> {
    let cluster = known.get("cluster").cloned().unwrap_or_else(|| cluster_of(arn).to_string());
    let service = describe(context, &cluster, arn).await?.ok_or_else(|| gone(context))?;
    let primary = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .and_then(|d| d.task_definition())
        .or(service.task_definition())
        .unwrap_or_default()
        .to_string();
    let service = wait_for_rollout(context, &cluster, arn, &primary, None, SystemTime::now()).await?;
    Ok(attributes(&service))
}

/// The cluster name in a service ARN (`...:service/<cluster>/<service>`).
pub fn cluster_of(arn: &str) -> &str {
    arn.rsplit_once(":service/").and_then(|(_, tail)| tail.split_once('/')).map_or("", |(cluster, _)| cluster)
}

fn gone(context: &StepContext<'_>) -> AwsError {
    AwsError::refused(context.resource(), "the service disappeared while wl-infra worked on it; run apply again")
}

async fn describe(context: &StepContext<'_>, cluster: &str, arn: &str) -> Result<Option<Service>, AwsError> {
    let output = context
        .clients
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(arn)
        .send()
        .await
        .aws("DescribeServices", &context.resource())?;
    Ok(output.services().first().cloned())
}

/// Where a service's rollout of `task_definition` stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    Completed,
    InProgress {
        running: i32,
        desired: i32,
    },
    /// The deployment failed, or the circuit breaker rolled it back to an earlier revision.
    Failed {
        reason: String,
    },
}

/// Reads the rollout state of the deployment that runs `task_definition` from a DescribeServices
/// answer: the deployment `deployment_id` when the call that started it answered one (a rollback
/// of a change that kept the task definition, a new subnet, runs the same revision in a deployment
/// of its own). Pure, so that every case is tested with hand-written answers.
pub fn rollout(service: &Service, task_definition: &str, deployment_id: Option<&str>) -> Rollout {
    let deployments = service.deployments();
    let Some(primary) = deployments.iter().find(|d| d.status() == Some("PRIMARY")) else {
        return Rollout::InProgress { running: service.running_count(), desired: service.desired_count() };
    };
    let ours = match deployment_id {
        Some(id) => deployments.iter().find(|d| d.id() == Some(id)),
        None => deployments.iter().find(|d| d.task_definition() == Some(task_definition)),
    };
    let state = |d: &aws_sdk_ecs::types::Deployment| d.rollout_state().map(|s| s.as_str().to_string());
    let replaced = deployment_id.is_some_and(|id| primary.id() != Some(id));
    if primary.task_definition() != Some(task_definition) || replaced {
        // The circuit breaker started a rollback deployment of the previous revision.
        let why = ours
            .and_then(|d| d.rollout_state_reason())
            .or_else(|| primary.rollout_state_reason())
            .unwrap_or("the new tasks did not become healthy");
        return Rollout::Failed {
            reason: format!(
                "the deployment was rolled back to {}: {why}",
                primary.task_definition().map_or("the previous revision", super::task_definition::family_and_revision)
            ),
        };
    }
    match state(primary).as_deref() {
        Some("FAILED") => {
            Rollout::Failed { reason: primary.rollout_state_reason().unwrap_or("the deployment failed").to_string() }
        }
        // COMPLETED means ECS considers the deployment done; the old deployments must also have
        // drained (no task of theirs running: a failed one that was rolled back may stay listed
        // with none) and every desired task be running.
        Some("COMPLETED") | None
            if deployments.iter().filter(|d| d.status() != Some("PRIMARY")).all(|d| d.running_count() == 0)
                && primary.running_count() >= primary.desired_count() =>
        {
            Rollout::Completed
        }
        _ => Rollout::InProgress { running: primary.running_count(), desired: primary.desired_count() },
    }
}

/// Waits until the rollout of `task_definition` completes, passing new service events on.
async fn wait_for_rollout(
    context: &StepContext<'_>,
    cluster: &str,
    arn: &str,
    task_definition: &str,
    deployment_id: Option<&str>,
    started: SystemTime,
) -> Result<Service, AwsError> {
    let resource = context.resource();
    let seen = std::sync::Mutex::new(BTreeSet::new());
    // Events from before this step are old news; allow for clocks a minute apart.
    let since = started.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64) - 60;
    let failure = std::sync::Mutex::new(None);
    let result = wait_for(context, "deployed (rollout COMPLETED)", || async {
        let Some(service) = describe(context, cluster, arn).await? else { return Err(gone(context)) };
        let mut seen = seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Events come newest first; show them oldest first.
        for event in service.events().iter().rev() {
            let id = event.id().unwrap_or_default().to_string();
            let recent = event.created_at().is_none_or(|at| at.secs() >= since);
            if recent && seen.insert(id) {
                context.progress.note(event.message().unwrap_or_default());
            }
        }
        match rollout(&service, task_definition, deployment_id) {
            Rollout::Completed => Ok(Some(service)),
            Rollout::InProgress { .. } => Ok(None),
            Rollout::Failed { reason } => {
                *failure.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(reason);
                Ok(Some(service))
            }
        }
    })
    .await?;
    let failed = failure.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
    match failed {
        None => Ok(result),
        Some(reason) => {
            let stopped = stopped_task_reasons(context, cluster, result.service_name().unwrap_or_default()).await;
            Err(AwsError::refused(
                resource,
                format!(
                    "{reason}{}; fix the image or the configuration, then apply again",
                    if stopped.is_empty() { String::new() } else { format!("; stopped tasks: {}", stopped.join("; ")) }
                ),
            ))
        }
    }
}

/// Why the service's most recently stopped tasks stopped (at most five), for a failed deploy.
async fn stopped_task_reasons(context: &StepContext<'_>, cluster: &str, service: &str) -> Vec<String> {
    let ecs = &context.clients.ecs;
    let Ok(listed) =
        ecs.list_tasks().cluster(cluster).service_name(service).desired_status(DesiredStatus::Stopped).send().await
    else {
        return Vec::new();
    };
    let arns: Vec<String> = listed.task_arns().iter().take(5).cloned().collect();
    if arns.is_empty() {
        return Vec::new();
    }
    let Ok(described) = ecs.describe_tasks().cluster(cluster).set_tasks(Some(arns)).send().await else {
        return Vec::new();
    };
    stopped_reasons(described.tasks())
}

/// One line per stopped task: its stop reason and each container's exit code and reason.
pub fn stopped_reasons(tasks: &[aws_sdk_ecs::types::Task]) -> Vec<String> {
    tasks
        .iter()
        .map(|task| {
            let containers: Vec<String> = task
                .containers()
                .iter()
                .filter(|c| c.exit_code().is_some() || c.reason().is_some())
                .map(|c| {
                    format!(
                        "{} exited {}{}",
                        c.name().unwrap_or("container"),
                        c.exit_code().map_or("?".to_string(), |code| code.to_string()),
                        c.reason().map(|r| format!(" ({r})")).unwrap_or_default()
                    )
                })
                .collect();
            let reason = task.stopped_reason().unwrap_or("stopped");
            if containers.is_empty() {
                reason.to_string()
            } else {
                format!("{reason} [{}]", containers.join(", "))
            }
        })
        .collect()
}

/// Scales the service to zero, deletes it, and waits until it is inactive (its tasks stopped and
/// their network interfaces on their way out).
pub async fn delete(context: &StepContext<'_>, arn: &str, live: &Props) -> Result<(), AwsError> {
    let resource = context.resource();
    let live: EcsServiceProps = context.decode(live)?;
    let cluster = &live.cluster;
    let ecs = &context.clients.ecs;
    let scaled = ecs
        .update_service()
        .cluster(cluster)
        .service(arn)
        .desired_count(0)
        .send()
        .await
        .aws("UpdateService", &resource);
    match scaled {
        // An earlier attempt already deleted it (ServiceNotActive): go on to the wait.
        Err(error) if !error.is_not_found() => return Err(error),
        _ => {}
    }
    let deleted =
        ecs.delete_service().cluster(cluster).service(arn).force(true).send().await.aws("DeleteService", &resource);
    match deleted {
        Err(error) if !error.is_not_found() => return Err(error),
        _ => {}
    }
    super::wait_until(context, "inactive", || async {
        Ok(describe(context, cluster, arn).await?.is_none_or(|service| service.status() == Some("INACTIVE")))
    })
    .await
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{Container, Deployment, DeploymentRolloutState, ServiceEvent, Task};

    use super::*;

    #[test]
    fn a_namespace_given_by_arn_is_known_by_its_id() {
        let arn = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-kpfljha2hj2yic3m";
        assert_eq!(namespace_id_of_arn(arn), Some("ns-kpfljha2hj2yic3m"));
        assert_eq!(namespace_id_of_arn("watchlist-dev"), None);
        assert_eq!(namespace_id_of_arn(""), None);
    }

    const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/watchlist-dev-movie:8";
    const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/watchlist-dev-movie:7";

    fn deployment(status: &str, task_definition: &str, state: Option<&str>, running: i32) -> Deployment {
        Deployment::builder()
            .status(status)
            .task_definition(task_definition)
            .set_rollout_state(state.map(DeploymentRolloutState::from))
            .rollout_state_reason(format!("ECS deployment {status} {}", state.unwrap_or("-")))
            .desired_count(2)
            .running_count(running)
            .build()
    }

    fn service(deployments: Vec<Deployment>) -> Service {
        Service::builder()
            .service_name("movie")
            .desired_count(2)
            .running_count(2)
            .set_deployments(Some(deployments))
            .events(ServiceEvent::builder().id("1").message("has reached a steady state.").build())
            .build()
    }

    #[test]
    fn a_new_deployment_is_in_progress_until_completed_and_the_old_one_drained() {
        let rolling = service(vec![
            deployment("PRIMARY", NEW, Some("IN_PROGRESS"), 1),
            deployment("ACTIVE", OLD, Some("COMPLETED"), 2),
        ]);
        assert_eq!(rollout(&rolling, NEW, None), Rollout::InProgress { running: 1, desired: 2 });
        // "Steady" is not enough: the new deployment says COMPLETED but the old one still drains.
        let draining = service(vec![
            deployment("PRIMARY", NEW, Some("COMPLETED"), 2),
            deployment("ACTIVE", OLD, Some("COMPLETED"), 1),
        ]);
        assert_eq!(rollout(&draining, NEW, None), Rollout::InProgress { running: 2, desired: 2 });
        let done = service(vec![deployment("PRIMARY", NEW, Some("COMPLETED"), 2)]);
        assert_eq!(rollout(&done, NEW, None), Rollout::Completed);
    }

    #[test]
    fn a_circuit_breaker_rollback_is_a_failure_that_names_the_revision() {
        let rolled_back = service(vec![
            deployment("PRIMARY", OLD, Some("IN_PROGRESS"), 1),
            deployment("ACTIVE", NEW, Some("FAILED"), 0),
        ]);
        let Rollout::Failed { reason } = rollout(&rolled_back, NEW, None) else { panic!("a rollback is a failure") };
        assert!(reason.contains("rolled back to watchlist-dev-movie:7"), "{reason}");
        assert!(reason.contains("ECS deployment ACTIVE FAILED"), "{reason}");
    }

    #[test]
    fn a_rolled_back_service_whose_failed_deployment_stays_listed_is_settled() {
        // After a circuit-breaker rollback: the rollback deployment is PRIMARY and COMPLETED, the
        // failed one still listed with no task.
        let settled = service(vec![
            deployment("PRIMARY", OLD, Some("COMPLETED"), 2),
            deployment("ACTIVE", NEW, Some("FAILED"), 0),
        ]);
        assert_eq!(rollout(&settled, OLD, None), Rollout::Completed);
        assert_eq!(live_state(&settled), LiveState::Ready);
    }

    #[test]
    fn a_rollback_to_the_same_revision_is_a_failure_of_the_deployment_the_update_started() {
        // A new subnet (no new task definition) whose tasks never start: the circuit breaker rolls
        // back to the same revision in a deployment of its own, which completes.
        let with_id = |mut deployment: Deployment, id: &str| {
            deployment.id = Some(id.into());
            deployment
        };
        let rolled_back = service(vec![
            with_id(deployment("PRIMARY", NEW, Some("COMPLETED"), 2), "ecs-svc/rollback"),
            with_id(deployment("ACTIVE", NEW, Some("FAILED"), 0), "ecs-svc/ours"),
        ]);
        let Rollout::Failed { reason } = rollout(&rolled_back, NEW, Some("ecs-svc/ours")) else {
            panic!("a rollback is a failure")
        };
        assert!(reason.contains("rolled back to watchlist-dev-movie:8"), "{reason}");
        // Read by its revision alone it would look done.
        assert_eq!(rollout(&rolled_back, NEW, None), Rollout::Completed);
        let ours_done = service(vec![with_id(deployment("PRIMARY", NEW, Some("COMPLETED"), 2), "ecs-svc/ours")]);
        assert_eq!(rollout(&ours_done, NEW, Some("ecs-svc/ours")), Rollout::Completed);
    }

    #[test]
    fn a_failed_deployment_without_rollback_is_a_failure() {
        let failed = service(vec![deployment("PRIMARY", NEW, Some("FAILED"), 0)]);
        assert!(matches!(rollout(&failed, NEW, None), Rollout::Failed { .. }));
    }

    #[test]
    fn a_deployment_without_rollout_state_completes_when_alone_and_running() {
        assert_eq!(rollout(&service(vec![deployment("PRIMARY", NEW, None, 2)]), NEW, None), Rollout::Completed);
        assert_eq!(
            rollout(&service(vec![deployment("PRIMARY", NEW, None, 1)]), NEW, None),
            Rollout::InProgress { running: 1, desired: 2 }
        );
    }

    fn change(field: &str) -> crate::plan::FieldChange {
        crate::plan::FieldChange { field: field.into(), before: None, after: None, forces_replacement: false }
    }

    #[test]
    fn a_new_count_alone_sends_the_count_alone_and_starts_no_deployment() {
        let props = Props::new();
        let changes = [change("desired_count")];
        let update = Update { physical_id: "arn", props: &props, live: &props, changes: &changes };
        assert_eq!(parameters_to_send(&update), vec![UpdateParameter::DesiredCount]);
        let changes = [change("tags")];
        let tags_only = Update { physical_id: "arn", props: &props, live: &props, changes: &changes };
        assert!(parameters_to_send(&tags_only).is_empty());
    }

    #[test]
    fn a_new_target_group_moves_the_service_s_load_balancer_in_place() {
        let props = Props::new();
        let changes = [change("target_group_arn"), change("container_port"), change("task_definition")];
        let update = Update { physical_id: "arn", props: &props, live: &props, changes: &changes };
        assert_eq!(parameters_to_send(&update), vec![UpdateParameter::TaskDefinition, UpdateParameter::LoadBalancers]);
    }

    #[test]
    fn a_deployment_in_progress_is_reported_as_pending() {
        let rolling = service(vec![
            deployment("PRIMARY", NEW, Some("IN_PROGRESS"), 1),
            deployment("ACTIVE", OLD, Some("COMPLETED"), 2),
        ]);
        assert_eq!(live_state(&rolling), LiveState::Pending("deploying".into()));
        assert_eq!(live_state(&service(vec![deployment("PRIMARY", NEW, Some("COMPLETED"), 2)])), LiveState::Ready);
        assert_eq!(cluster_of("arn:aws:ecs:us-east-1:123:service/watchlist-dev/movie"), "watchlist-dev");
    }

    #[test]
    fn stopped_tasks_explain_themselves() {
        let task = Task::builder()
            .stopped_reason("Essential container in task exited")
            .containers(Container::builder().name("movie").exit_code(1).reason("panicked at config").build())
            .build();
        assert_eq!(
            stopped_reasons(&[task]),
            vec!["Essential container in task exited [movie exited 1 (panicked at config)]".to_string()]
        );
    }
}
