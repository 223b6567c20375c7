//! Driver for each service's Fargate task definition. A task definition is immutable: a change
//! registers a new revision (and deregisters revisions beyond the last few), and the live side is
//! read back as exactly the fields wl-infra sets, so defaults AWS fills in never show as changes.

use aws_sdk_ecs::types::{
    ApplicationProtocol, Compatibility, ContainerDefinition, CpuArchitecture, Failure, HealthCheck, KeyValuePair,
    LogConfiguration, LogDriver, NetworkMode, OsFamily, PortMapping, RuntimePlatform, Secret, TaskDefinition,
    TaskDefinitionFamilyStatus, TaskDefinitionField, TaskDefinitionStatus, TransportProtocol,
};

use super::driver::driver;
use super::ecs_cluster::pairs;
use super::props::Tags;
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::compute::{SecretReference, TaskDefinitionProps};
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(TaskDefinitionDriver, TaskDefinitionProps);

/// Revisions kept registered after a new one, for rollbacks by hand.
pub const KEEP_REVISIONS: usize = 5;

/// The container health check's timing; set explicitly so that AWS's answer matches.
const HEALTH_CHECK_INTERVAL_SECONDS: i32 = 30;
const HEALTH_CHECK_TIMEOUT_SECONDS: i32 = 5;
const HEALTH_CHECK_RETRIES: i32 = 3;
const HEALTH_CHECK_START_PERIOD_SECONDS: i32 = 15;

fn attributes(arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), arn.to_string()), ("arn".to_string(), arn.to_string())])
}

/// The family of a task definition ARN (`...:task-definition/<family>:<revision>`).
pub fn family_of(arn: &str) -> &str {
    let tail = arn.rsplit_once('/').map_or(arn, |(_, tail)| tail);
    tail.rsplit_once(':').map_or(tail, |(family, _)| family)
}

/// `family:revision` of a task definition ARN, for messages.
pub fn family_and_revision(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, tail)| tail)
}

/// Splits a secret reference (`<secret arn>:<json key>::`) into the secret's ARN and the key.
pub fn split_value_from(value_from: &str) -> (String, String) {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() <= 7 {
        return (value_from.to_string(), String::new());
    }
    (parts[..7].join(":"), parts[7].to_string())
}

/// The reference ECS resolves to a secret's value, or to one key of its JSON document.
pub fn value_from(secret_arn: &str, key: &str) -> String {
    if key.is_empty() {
        secret_arn.to_string()
    } else {
        format!("{secret_arn}:{key}::")
    }
}

/// The properties of a registered task definition, in the shape `graph` gives the desired one.
pub fn props_of(definition: &TaskDefinition, tags: Tags) -> TaskDefinitionProps {
    let container = definition.container_definitions().first();
    let number = |text: Option<&str>| text.and_then(|t| t.parse().ok()).unwrap_or(0);
    let environment = container
        .map(|c| c.environment())
        .unwrap_or_default()
        .iter()
        .filter_map(|pair| Some((pair.name()?.to_string(), pair.value().unwrap_or_default().to_string())))
        .collect();
    let secrets = container
        .map(|c| c.secrets())
        .unwrap_or_default()
        .iter()
        .map(|secret| {
            let (arn, key) = split_value_from(secret.value_from());
            (secret.name().to_string(), SecretReference { secret: arn, key })
        })
        .collect();
    let options = container.and_then(|c| c.log_configuration()).and_then(|l| l.options());
    let option = |key: &str| options.and_then(|o| o.get(key)).map_or("", String::as_str).to_string();
    // Fargate runs LINUX on X86_64 when a task definition names no platform.
    let platform = definition.runtime_platform();
    let command = container.and_then(|c| c.health_check()).map(|h| h.command()).unwrap_or_default();
    TaskDefinitionProps {
        family: definition.family().unwrap_or_default().to_string(),
        cpu: number(definition.cpu()),
        memory: number(definition.memory()),
        execution_role_arn: definition.execution_role_arn().unwrap_or_default().to_string(),
        task_role_arn: definition.task_role_arn().unwrap_or_default().to_string(),
        container_name: container.and_then(|c| c.name()).unwrap_or_default().to_string(),
        image: container.and_then(|c| c.image()).unwrap_or_default().to_string(),
        port: container.and_then(|c| c.port_mappings().first()).and_then(|p| p.container_port()).unwrap_or(0),
        port_name: container
            .and_then(|c| c.port_mappings().first())
            .and_then(|p| p.name())
            .unwrap_or_default()
            .to_string(),
        environment,
        secrets,
        log_group: option("awslogs-group"),
        log_region: option("awslogs-region"),
        cpu_architecture: platform.and_then(|p| p.cpu_architecture()).map_or("X86_64", |a| a.as_str()).to_string(),
        operating_system_family: platform
            .and_then(|p| p.operating_system_family())
            .map_or("LINUX", |f| f.as_str())
            .to_string(),
        health_check_command: command.to_vec(),
        tags,
    }
}

/// Lists the stack's families, then reads each family's latest active revision (concurrently).
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let mut families = Vec::new();
    let mut pages = clients
        .ecs
        .list_task_definition_families()
        .family_prefix(format!("{}-", clients.stack))
        .status(TaskDefinitionFamilyStatus::Active)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.aws("ListTaskDefinitionFamilies", "the stack's task definitions")?;
        families.extend(page.families().iter().cloned());
    }
    let reads = families.iter().map(|family| async move {
        let output = clients
            .ecs
            .describe_task_definition()
            .task_definition(family)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
            .aws("DescribeTaskDefinition", family);
        let output = match output {
            Ok(output) => output,
            // A family whose revisions are all deregistered has no active revision to describe.
            Err(error) if error.is_not_found() || error.code() == Some("ClientException") => return Ok(None),
            Err(error) => return Err(error),
        };
        let Some(definition) = output.task_definition() else { return Ok(None) };
        if definition.status() != Some(&TaskDefinitionStatus::Active) {
            return Ok(None);
        }
        let tags = pairs(output.tags());
        let Some(id) = super::owned_id(&clients.stack, tags.iter().copied()) else { return Ok(None) };
        let arn = definition.task_definition_arn().unwrap_or_default();
        let props = props_of(definition, super::props::tags_of(tags));
        Ok::<_, AwsError>(Some(live_resource(Kind::TaskDefinition, id, arn, &props, attributes(arn))))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

fn container_definition(props: &TaskDefinitionProps) -> ContainerDefinition {
    let environment =
        props.environment.iter().map(|(name, value)| KeyValuePair::builder().name(name).value(value).build()).collect();
    let secrets = props
        .secrets
        .iter()
        .filter_map(|(name, reference)| {
            Secret::builder().name(name).value_from(value_from(&reference.secret, &reference.key)).build().ok()
        })
        .collect();
    ContainerDefinition::builder()
        .name(&props.container_name)
        .image(&props.image)
        .essential(true)
        // Named for Service Connect; `http` gives its proxy's HTTP metrics (ECS developer guide,
        // "Service Connect configuration overview").
        .port_mappings(
            PortMapping::builder()
                .name(&props.port_name)
                .container_port(props.port)
                .protocol(TransportProtocol::Tcp)
                .app_protocol(ApplicationProtocol::Http)
                .build(),
        )
        .set_environment(Some(environment))
        .set_secrets(Some(secrets))
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", &props.log_group)
                .options("awslogs-region", &props.log_region)
                .options("awslogs-stream-prefix", "ecs")
                .build()
                .expect("the log driver is set"),
        )
        .health_check(
            HealthCheck::builder()
                .set_command(Some(props.health_check_command.clone()))
                .interval(HEALTH_CHECK_INTERVAL_SECONDS)
                .timeout(HEALTH_CHECK_TIMEOUT_SECONDS)
                .retries(HEALTH_CHECK_RETRIES)
                .start_period(HEALTH_CHECK_START_PERIOD_SECONDS)
                .build()
                .expect("the command is set"),
        )
        .build()
}

/// Registers a revision from the desired properties and deregisters all but the newest few.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: TaskDefinitionProps = context.decode(props)?;
    register(context, &props).await
}

/// Registers a revision of `props` and deregisters all but the newest few.
async fn register(context: &StepContext<'_>, props: &TaskDefinitionProps) -> Result<Attributes, AwsError> {
    let resource = context.resource();
    let family = &props.family;
    let output = context
        .clients
        .ecs
        .register_task_definition()
        .family(family)
        .cpu(props.cpu.to_string())
        .memory(props.memory.to_string())
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .execution_role_arn(&props.execution_role_arn)
        .task_role_arn(&props.task_role_arn)
        .runtime_platform(
            RuntimePlatform::builder()
                .cpu_architecture(CpuArchitecture::from(props.cpu_architecture.as_str()))
                .operating_system_family(OsFamily::from(props.operating_system_family.as_str()))
                .build(),
        )
        .container_definitions(container_definition(props))
        .set_tags(Some(tags::ecs_list(&props.tags)))
        .send()
        .await
        .aws("RegisterTaskDefinition", &resource)?;
    let arn = output.task_definition().and_then(|d| d.task_definition_arn()).unwrap_or_default().to_string();
    let revisions = active_revisions(context, family).await?;
    deregister(context, revisions.iter().skip(KEEP_REVISIONS).filter(|old| **old != arn), false).await?;
    Ok(attributes(&arn))
}

/// Any change but the tags registers a new revision; tags are changed on the current one.
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (TaskDefinitionProps, TaskDefinitionProps) = update.decode(context)?;
    if !update.changed_beyond_tags() {
        tags::replace(context, tags::Style::Ecs, update.physical_id, &desired.tags, &live.tags).await?;
        return Ok(attributes(update.physical_id));
    }
    register(context, &desired).await
}

/// The family's active revisions, newest first.
async fn active_revisions(context: &StepContext<'_>, family: &str) -> Result<Vec<String>, AwsError> {
    revisions(context, family, TaskDefinitionStatus::Active).await
}

/// The family's revisions in `status`, newest first.
async fn revisions(
    context: &StepContext<'_>,
    family: &str,
    status: TaskDefinitionStatus,
) -> Result<Vec<String>, AwsError> {
    let mut arns = Vec::new();
    let mut pages = context
        .clients
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(status)
        .sort(aws_sdk_ecs::types::SortOrder::Desc)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.aws("ListTaskDefinitions", &context.resource())?;
        // `familyPrefix` takes the full family name; the check guards against a looser match.
        arns.extend(page.task_definition_arns().iter().filter(|arn| family_of(arn) == family).cloned());
    }
    Ok(arns)
}

async fn deregister<'a>(
    context: &StepContext<'_>,
    arns: impl Iterator<Item = &'a String>,
    and_delete: bool,
) -> Result<(), AwsError> {
    let resource = context.resource();
    let mut deregistered = Vec::new();
    for arn in arns {
        let result = context
            .clients
            .ecs
            .deregister_task_definition()
            .task_definition(arn)
            .send()
            .await
            .aws("DeregisterTaskDefinition", &resource);
        match result {
            Err(error) if error.is_not_found() => {}
            other => {
                other?;
            }
        }
        deregistered.push(arn.clone());
    }
    if and_delete {
        delete_revisions(context, &deregistered).await?;
    }
    Ok(())
}

/// Deletes deregistered (INACTIVE) revisions, ten a call (DeleteTaskDefinitions' limit); they
/// would otherwise stay listed for good.
async fn delete_revisions(context: &StepContext<'_>, arns: &[String]) -> Result<(), AwsError> {
    let resource = context.resource();
    // "You can specify up to 10 task definitions" per call (API_DeleteTaskDefinitions).
    for batch in arns.chunks(10) {
        let output = context
            .clients
            .ecs
            .delete_task_definitions()
            .set_task_definitions(Some(batch.to_vec()))
            .send()
            .await
            .aws("DeleteTaskDefinitions", &resource)?;
        revisions_left_behind(&resource, output.failures())?;
    }
    Ok(())
}

/// DeleteTaskDefinitions answers 200 with a `failures` entry per revision it did not delete (one
/// still ACTIVE, one in use): destroy must not report success while they remain. A revision
/// already gone is not a failure: DELETE_IN_PROGRESS, or "does not exist" / not found, which is
/// what a repeated call answers when the first one deleted it but its answer was lost. Pure.
pub fn revisions_left_behind(resource: &str, failures: &[Failure]) -> Result<(), AwsError> {
    let left: Vec<String> = failures
        .iter()
        .filter(|failure| {
            let reason = failure.reason().unwrap_or_default().to_ascii_lowercase();
            !(reason.contains("delete_in_progress")
                || reason.contains("missing")
                || reason.contains("not found")
                || reason.contains("does not exist"))
        })
        .map(|failure| {
            format!("{}: {}", failure.arn().unwrap_or("a revision"), failure.reason().unwrap_or("no reason given"))
        })
        .collect();
    if left.is_empty() {
        return Ok(());
    }
    Err(AwsError::refused(
        resource,
        format!(
            "ECS did not delete {} task definition revision(s) ({}); run destroy again, or deregister them in the console",
            left.len(),
            left.join("; ")
        ),
    ))
}

/// Deregisters every active revision of the family, then deletes every revision, the ones
/// deregistered earlier (kept as INACTIVE) included, so destroy leaves none behind.
pub async fn delete(context: &StepContext<'_>, arn: &str, _live: &Props) -> Result<(), AwsError> {
    let family = family_of(arn);
    let active = active_revisions(context, family).await?;
    deregister(context, active.iter(), true).await?;
    let inactive = revisions(context, family, TaskDefinitionStatus::Inactive).await?;
    delete_revisions(context, &inactive).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_ecs_did_not_delete_fail_the_step() {
        let failure = |arn: &str, reason: &str| Failure::builder().arn(arn).reason(reason).build();
        assert!(revisions_left_behind("task_definition task-movie", &[]).is_ok());
        let refused = revisions_left_behind(
            "task_definition task-movie",
            &[failure(
                "arn:aws:ecs:us-east-1:123:task-definition/s-movie:3",
                "The specified task definition is still in ACTIVE status.",
            )],
        )
        .expect_err("a revision left behind");
        let message = refused.to_string();
        assert!(message.contains("s-movie:3") && message.contains("run destroy again"), "{message}");
        // Gone already: a repeated call.
        assert!(revisions_left_behind(
            "task_definition task-movie",
            &[failure("arn:aws:ecs:us-east-1:123:task-definition/s-movie:2", "DELETE_IN_PROGRESS")]
        )
        .is_ok());
        // Deleted by a first call whose answer was lost; the SDK's retry finds it gone (seen in
        // a fault-injection run).
        assert!(revisions_left_behind(
            "task_definition task-movie",
            &[failure(
                "arn:aws:ecs:us-east-1:123:task-definition/s-movie:1",
                "The specified task definition does not exist. Specify a valid account, family, revision and try again."
            )]
        )
        .is_ok());
    }

    #[test]
    fn families_and_secret_references_round_trip() {
        assert_eq!(family_of("arn:aws:ecs:us-east-1:123:task-definition/watchlist-dev-movie:7"), "watchlist-dev-movie");
        let secret = "arn:aws:secretsmanager:us-east-1:123:secret:watchlist-dev/movies/master-AbCdEf";
        assert_eq!(split_value_from(&value_from(secret, "password")), (secret.to_string(), "password".to_string()));
        assert_eq!(split_value_from(&value_from(secret, "")), (secret.to_string(), String::new()));
    }
}
