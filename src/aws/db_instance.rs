//! Driver for the RDS PostgreSQL instances: created with the password from their secret, changed
//! in place with ApplyImmediately, waited on until `available` with nothing pending, and deleted
//! with or without a final snapshot as the stack says.

use aws_sdk_rds::types::{CloudwatchLogsExportConfiguration, DbInstance};

use super::driver::driver;
use super::props::{tags_of, Tags};
use super::{
    live_resource, secret, tags, wait_for, wait_until, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update,
};
use crate::graph::properties::data::DbInstanceProps;
use crate::graph::{AccountFacts, Kind, Props, DELETE_AUTOMATED_BACKUPS_TAG, FINAL_SNAPSHOT_TAG, MASTER_SECRET_TAG};
use crate::plan::{LiveResource, LiveState};

// Its create makes itself safe to repeat (`Repeat::InDriver`): a lost answer is found by its
// identifier and tags before the secret is filled in.
driver!(DbInstanceDriver, DbInstanceProps, wait_ready = wait_ready);

/// The major version of an engine version (`16.4` → `16`), which is what a stack file names.
pub fn major_version(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

fn strings(values: &[String]) -> Vec<String> {
    let mut items = values.to_vec();
    items.sort();
    items
}

/// RDS allows the next storage change six hours after the last one at the earliest ("You can't
/// make further storage modifications for either six (6) hours or until storage optimization has
/// completed on the instance, whichever is longer", USER_PIOPS.ModifyingExisting).
const STORAGE_CHANGE_PAUSE_SECONDS: i64 = 6 * 3600;

/// The messages of the RDS events (RDS-EVENT-0017, -0218) that a storage change finished.
const STORAGE_CHANGE_FINISHED: &[&str] = &[
    "Finished applying modification to allocated storage",
    "Finished applying autoscaling-initiated modification to allocated storage",
];

/// When each instance's last storage change finished within the last six hours, by identifier,
/// from one DescribeEvents read (its events carry no id, so the message tells them apart).
async fn recent_storage_changes(clients: &Clients) -> Result<std::collections::HashMap<String, i64>, AwsError> {
    let mut finished = std::collections::HashMap::new();
    let mut pages = clients
        .rds
        .describe_events()
        .source_type(aws_sdk_rds::types::SourceType::DbInstance)
        .duration(360)
        .event_categories("configuration change")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeEvents", "the stack's databases")?;
        for event in page.events() {
            let (Some(source), Some(message), Some(date)) = (event.source_identifier(), event.message(), event.date())
            else {
                continue;
            };
            if STORAGE_CHANGE_FINISHED.iter().any(|text| message.starts_with(text)) {
                let latest = finished.entry(source.to_string()).or_insert(date.secs());
                *latest = (*latest).max(date.secs());
            }
        }
    }
    Ok(finished)
}

/// Why an instance cannot change its storage now, if it cannot: RDS is still optimizing the last
/// change, or that change finished less than six hours before `now` (unix seconds).
pub fn storage_change_blocked(status: Option<&str>, last_change: Option<i64>, now: i64) -> Option<String> {
    if status == Some("storage-optimization") {
        return Some(
            "RDS is still optimizing its last storage change, and allows the next one six hours after that change at the earliest"
                .to_string(),
        );
    }
    let finished = last_change?;
    let allowed = finished + STORAGE_CHANGE_PAUSE_SECONDS;
    (now < allowed).then(|| {
        let minutes = (allowed - now + 59) / 60;
        format!(
            "its last storage change finished {} minutes ago, and RDS allows the next one six hours after it, in {}h{:02}",
            (now - finished) / 60,
            minutes / 60,
            minutes % 60
        )
    })
}

fn live_props(instance: &DbInstance, tags: Tags, storage_blocked: Option<String>) -> DbInstanceProps {
    let groups: Vec<String> =
        instance.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id().map(str::to_string)).collect();
    // Read, never compared: where the instance's nodes are (a subnet there cannot go), and why
    // its storage cannot change now.
    let zones: Vec<String> = [instance.availability_zone(), instance.secondary_availability_zone()]
        .into_iter()
        .flatten()
        .map(str::to_string)
        .collect();
    DbInstanceProps {
        identifier: instance.db_instance_identifier().unwrap_or_default().to_string(),
        engine: instance.engine().unwrap_or_default().to_string(),
        engine_version: major_version(instance.engine_version().unwrap_or_default()).to_string(),
        instance_class: instance.db_instance_class().unwrap_or_default().to_string(),
        allocated_storage: instance.allocated_storage().unwrap_or_default(),
        storage_encrypted: instance.storage_encrypted().unwrap_or(false),
        multi_az: instance.multi_az().unwrap_or(false),
        backup_retention_days: instance.backup_retention_period().unwrap_or_default(),
        deletion_protection: instance.deletion_protection().unwrap_or(false),
        publicly_accessible: instance.publicly_accessible().unwrap_or(false),
        db_name: instance.db_name().unwrap_or_default().to_string(),
        master_username: instance.master_username().unwrap_or_default().to_string(),
        subnet_group: instance.db_subnet_group().and_then(|g| g.db_subnet_group_name()).unwrap_or_default().to_string(),
        security_group_ids: strings(&groups),
        log_exports: strings(instance.enabled_cloudwatch_logs_exports()),
        tags,
        availability_zones: Some(strings(&zones)),
        storage_change_blocked: storage_blocked,
    }
}

/// Where an instance in `status` stands for the plan: on its way out, not ready yet (a run that
/// was interrupted left it `creating`, say), or ready. Failed and stopped instances are "ready":
/// nothing comes of waiting, and `ready` says what to do when something needs them.
pub fn live_state(status: Option<&str>, pending: bool) -> LiveState {
    match status {
        Some("deleting") => LiveState::Deleting,
        Some("available" | "storage-optimization") if pending => LiveState::Pending("modifying".to_string()),
        Some("available" | "storage-optimization") => LiveState::Ready,
        Some(
            "failed"
            | "incompatible-parameters"
            | "incompatible-network"
            | "incompatible-option-group"
            | "incompatible-restore"
            | "incompatible-credentials"
            | "storage-full"
            | "inaccessible-encryption-credentials"
            | "inaccessible-encryption-credentials-recoverable"
            | "restore-error"
            | "stopped"
            | "stopping",
        ) => LiveState::Ready,
        Some(other) => LiveState::Pending(other.to_string()),
        None => LiveState::Pending("creating".to_string()),
    }
}

fn attributes(instance: &DbInstance) -> Attributes {
    let endpoint = instance.endpoint();
    Attributes::from([
        ("id".to_string(), instance.db_instance_identifier().unwrap_or_default().to_string()),
        ("arn".to_string(), instance.db_instance_arn().unwrap_or_default().to_string()),
        ("address".to_string(), endpoint.and_then(|e| e.address()).unwrap_or_default().to_string()),
        ("port".to_string(), endpoint.and_then(|e| e.port()).unwrap_or(5432).to_string()),
    ])
}

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = format!("{}-", clients.stack);
    let mut instances = Vec::new();
    let mut pages = clients.rds.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeDBInstances", "the stack's databases")?;
        instances.extend(
            page.db_instances()
                .iter()
                .filter(|i| i.db_instance_identifier().is_some_and(|id| id.starts_with(&prefix)))
                .cloned(),
        );
    }
    let changes = if instances.is_empty() { Default::default() } else { recent_storage_changes(clients).await? };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    let mut live = Vec::new();
    for instance in &instances {
        // DescribeDBInstances carries the tags, so no further call is needed.
        let pairs: Vec<(&str, &str)> = instance
            .tag_list()
            .iter()
            .map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default()))
            .collect();
        let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { continue };
        let props = live_props(
            instance,
            tags_of(pairs),
            storage_change_blocked(
                instance.db_instance_status(),
                instance.db_instance_identifier().and_then(|id| changes.get(id)).copied(),
                now,
            ),
        );
        let physical_id = instance.db_instance_identifier().unwrap_or_default();
        let found = live_resource(Kind::DbInstance, id, physical_id, &props, attributes(instance));
        live.push(LiveResource {
            // An instance on its way out is reported as such, so a destroy run again waits for it
            // before deleting its subnet group, instead of failing on it.
            state: live_state(instance.db_instance_status(), has_pending_modifications(instance)),
            ..found
        });
    }
    Ok(live)
}

/// Whether an instance in `status` with `pending` modifications is ready for what comes next.
/// `growing_storage`: the step just asked for more storage, which is what a `storage-full`
/// instance needs, so that state is waited out rather than fatal.
pub fn ready(resource: &str, status: Option<&str>, pending: bool, growing_storage: bool) -> Result<bool, AwsError> {
    match status {
        // Terraform counts storage optimization as available too: the instance serves while RDS
        // reorganises the new storage.
        Some("available" | "storage-optimization") => Ok(!pending),
        Some("storage-full") if growing_storage => Ok(false),
        Some("storage-full") => Err(AwsError::refused(
            resource,
            "the database's storage is full; raise `storage_gb` (by 10% at least) in its [databases.NAME] table and apply again",
        )),
        Some("stopped" | "stopping") => Err(AwsError::refused(
            resource,
            "the database is stopped; start it (aws rds start-db-instance --db-instance-identifier <identifier>) and apply again",
        )),
        Some(
            failed @ ("failed"
            | "incompatible-parameters"
            | "incompatible-network"
            | "incompatible-option-group"
            | "incompatible-restore"
            | "incompatible-credentials"
            | "inaccessible-encryption-credentials"
            | "inaccessible-encryption-credentials-recoverable"
            | "restore-error"),
        ) => Err(AwsError::refused(
            resource,
            format!("the database is {failed}; see its events in the RDS console, fix the cause and apply again"),
        )),
        Some("deleting") => {
            Err(AwsError::refused(resource, "the database is being deleted; wait for it to go, then apply again"))
        }
        _ => Ok(false),
    }
}

async fn describe(context: &StepContext<'_>, identifier: &str) -> Result<Option<DbInstance>, AwsError> {
    let output = context.clients.rds.describe_db_instances().db_instance_identifier(identifier).send().await;
    Ok(output.aws_or_gone("DescribeDBInstances", &context.resource())?.and_then(|o| o.db_instances().first().cloned()))
}

fn has_pending_modifications(instance: &DbInstance) -> bool {
    instance.pending_modified_values().is_some_and(|pending| {
        pending.db_instance_class().is_some()
            || pending.allocated_storage().is_some()
            || pending.multi_az().is_some()
            || pending.backup_retention_period().is_some()
            || pending.engine_version().is_some()
            || pending.storage_type().is_some()
    })
}

/// Waits until the instance is `available` with no pending modifications; returns it.
async fn wait_available(
    context: &StepContext<'_>,
    identifier: &str,
    growing_storage: bool,
) -> Result<DbInstance, AwsError> {
    let resource = context.resource();
    wait_for(context, "available", || async {
        match describe(context, identifier).await? {
            Some(instance) => {
                let done = ready(
                    &resource,
                    instance.db_instance_status(),
                    has_pending_modifications(&instance),
                    growing_storage,
                )?;
                Ok(done.then_some(instance))
            }
            None => Ok(None),
        }
    })
    .await
}

/// Waits for an instance an earlier run left pending, and returns its attributes (the endpoint).
pub async fn wait_ready(
    context: &StepContext<'_>,
    identifier: &str,
    _known: &Attributes,
) -> Result<Attributes, AwsError> {
    Ok(attributes(&wait_available(context, identifier, false).await?))
}

fn master_secret(props: &DbInstanceProps) -> Option<String> {
    props.tags.get(MASTER_SECRET_TAG).cloned()
}

/// Creates the instance with the password from its secret, waits until it is available, then
/// writes its endpoint into the secret.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: DbInstanceProps = context.decode(props)?;
    let resource = context.resource();
    let secret = master_secret(&props)
        .ok_or_else(|| AwsError::refused(&resource, "the instance names no master secret; this is a bug"))?;
    let document = secret::read_document(context, &secret).await?;
    let password = document["password"].as_str().unwrap_or_default().to_string();
    let identifier = props.identifier.as_str();
    let created = context
        .clients
        .rds
        .create_db_instance()
        .db_instance_identifier(identifier)
        .engine(&props.engine)
        .engine_version(&props.engine_version)
        .db_instance_class(&props.instance_class)
        .allocated_storage(props.allocated_storage)
        .storage_type("gp3")
        .storage_encrypted(props.storage_encrypted)
        .multi_az(props.multi_az)
        .backup_retention_period(props.backup_retention_days)
        .deletion_protection(props.deletion_protection)
        .publicly_accessible(props.publicly_accessible)
        .db_name(&props.db_name)
        .master_username(&props.master_username)
        .master_user_password(password.clone())
        .db_subnet_group_name(&props.subnet_group)
        .set_vpc_security_group_ids(Some(props.security_group_ids.clone()))
        .set_enable_cloudwatch_logs_exports(Some(props.log_exports.clone()))
        .copy_tags_to_snapshot(true)
        .auto_minor_version_upgrade(true)
        // Never enrolled in paid Extended Support without being asked: RDS upgrades the instance
        // when its major version leaves standard support instead (API_CreateDBInstance).
        .engine_lifecycle_support("open-source-rds-extended-support-disabled")
        .set_tags(Some(tags::rds_list(&props.tags)))
        .send()
        .await
        .map(|_| ())
        .aws("CreateDBInstance", &resource);
    if let Err(error) = created {
        // An earlier attempt whose answer was lost may have created it: carry on with that one.
        let ours = describe(context, identifier).await?.is_some_and(|instance| {
            let pairs =
                instance.tag_list().iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default()));
            super::owned_id(&context.clients.stack, pairs).as_deref() == Some(context.id)
        });
        if !ours {
            return Err(error);
        }
    }
    let instance = wait_available(context, identifier, false).await?;
    let attributes = attributes(&instance);
    let port = attributes.get("port").and_then(|p| p.parse().ok()).unwrap_or(5432);
    let filled = secret::secret_document(
        &props.master_username,
        &password,
        &props.db_name,
        attributes.get("address").map(String::as_str),
        port,
    );
    context
        .clients
        .secrets
        .put_secret_value()
        .secret_id(&secret)
        .secret_string(filled)
        .send()
        .await
        .aws("PutSecretValue", &resource)?;
    Ok(attributes)
}

/// Applies the changed in-place fields at once and waits until nothing is pending; a change of
/// tags alone neither modifies the instance nor waits for it.
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (DbInstanceProps, DbInstanceProps) = update.decode(context)?;
    let resource = context.resource();
    let mut request =
        context.clients.rds.modify_db_instance().db_instance_identifier(update.physical_id).apply_immediately(true);
    let mut modifies = false;
    // The tags change below; every other field the plan may change in place is one parameter of
    // ModifyDBInstance (the rest replace the instance), and a field without one is a bug, not a
    // change left out in silence.
    for field in update.changes.iter().map(|change| change.field.as_str()).filter(|field| *field != "tags") {
        modifies = true;
        let names = DbInstanceProps::NAMES;
        request = if field == names.instance_class {
            request.db_instance_class(&desired.instance_class)
        } else if field == names.allocated_storage {
            request.allocated_storage(desired.allocated_storage)
        } else if field == names.multi_az {
            request.multi_az(desired.multi_az)
        } else if field == names.backup_retention_days {
            request.backup_retention_period(desired.backup_retention_days)
        } else if field == names.deletion_protection {
            request.deletion_protection(desired.deletion_protection)
        } else if field == names.publicly_accessible {
            request.publicly_accessible(desired.publicly_accessible)
        } else if field == names.security_group_ids {
            request.set_vpc_security_group_ids(Some(desired.security_group_ids.clone()))
        } else if field == names.engine_version {
            // A new major version upgrades the instance in place (the plan refuses downgrades);
            // RDS wants the upgrade allowed explicitly (API_ModifyDBInstance).
            request.engine_version(&desired.engine_version).allow_major_version_upgrade(true)
        } else if field == names.log_exports {
            let (desired, live) = (&desired.log_exports, &live.log_exports);
            let enable: Vec<String> = desired.iter().filter(|log| !live.contains(log)).cloned().collect();
            let disable: Vec<String> = live.iter().filter(|log| !desired.contains(log)).cloned().collect();
            request.cloudwatch_logs_export_configuration(
                CloudwatchLogsExportConfiguration::builder()
                    .set_enable_log_types(Some(enable))
                    .set_disable_log_types(Some(disable))
                    .build(),
            )
        } else {
            return Err(AwsError::refused(
                &resource,
                format!("wl-infra cannot change `{field}` of a database in place; this is a bug in wl-infra"),
            ));
        };
    }
    let instance = if modifies {
        request.send().await.aws("ModifyDBInstance", &resource)?;
        wait_available(context, update.physical_id, update.changed(DbInstanceProps::NAMES.allocated_storage)).await?
    } else {
        describe(context, update.physical_id).await?.ok_or_else(|| {
            AwsError::refused(&resource, "the database disappeared while wl-infra worked on it; run apply again")
        })?
    };
    let attributes = attributes(&instance);
    let arn = attributes.get("arn").map_or("", String::as_str);
    tags::replace(context, tags::Style::Rds, arn, &desired.tags, &live.tags).await?;
    Ok(attributes)
}

/// Whether a DeleteDBInstance error says the instance is on its way out already (an interrupted
/// destroy): RDS answers InvalidDBInstanceState "Instance <id> is already being deleted.".
pub fn already_being_deleted(error: &AwsError) -> bool {
    let message = error.to_string();
    error.code().is_some_and(|code| code.starts_with("InvalidDBInstanceState"))
        && (message.contains("already being deleted") || message.contains("is deleting"))
}

/// The name of the final snapshot taken when destroy deletes `identifier` at `unix_seconds`.
pub fn final_snapshot_name(identifier: &str, unix_seconds: u64) -> String {
    format!("{identifier}-final-{unix_seconds}")
}

/// Deletes the instance (with a final snapshot when its tag says so) and waits until it is gone.
/// The codes a delete answers while the instance's state does not allow it yet.
const DELETE_WAITS_FOR: &[&str] = &["InvalidDBInstanceState", "InvalidDBInstanceStateFault"];

pub async fn delete(context: &StepContext<'_>, identifier: &str, live: &Props) -> Result<(), AwsError> {
    let live: DbInstanceProps = context.decode(live)?;
    let resource = context.resource();
    if live.deletion_protection {
        // The plan refuses this already; AWS would too.
        return Err(AwsError::refused(
            resource,
            "deletion protection is on; set `deletion_protection = false`, apply, then destroy",
        ));
    }
    let tagged = |tag: &str| live.tags.get(tag).is_some_and(|value| value == "true");
    let snapshot = tagged(FINAL_SNAPSHOT_TAG);
    // An instance still `creating` (or modifying, backing up) answers InvalidDBInstanceState
    // ("Instance <id> is currently creating - a final snapshot cannot be taken."): the delete is
    // repeated until its state allows it, within the database kind's limit.
    super::retry_while(context, "in a state that lets it be deleted", DELETE_WAITS_FOR, || async {
        // Automated backups are kept for their retention period unless the stack says otherwise
        // (DeleteAutomatedBackups defaults to true on AWS, so it is always sent).
        let mut request = context
            .clients
            .rds
            .delete_db_instance()
            .db_instance_identifier(identifier)
            .delete_automated_backups(tagged(DELETE_AUTOMATED_BACKUPS_TAG));
        request = if snapshot {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs());
            request.skip_final_snapshot(false).final_db_snapshot_identifier(final_snapshot_name(identifier, now))
        } else {
            request.skip_final_snapshot(true)
        };
        match request.send().await.aws("DeleteDBInstance", &resource) {
            Err(error) if already_being_deleted(&error) => Ok(()),
            other => other.map(|_| ()),
        }
    })
    .await?;
    wait_until(context, "deleted", || async { Ok(describe(context, identifier).await?.is_none()) }).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ErrorClass;

    fn is_ready(status: &str, pending: bool) -> bool {
        ready("db", Some(status), pending, false).unwrap_or(false)
    }

    #[test]
    fn creating_and_backing_up_are_not_ready_and_available_is() {
        for status in
            ["creating", "backing-up", "modifying", "configuring-enhanced-monitoring", "rebooting", "upgrading"]
        {
            assert!(!ready("db", Some(status), false, false).unwrap_or(true), "{status}");
        }
        assert!(is_ready("available", false));
    }

    #[test]
    fn storage_optimization_serves_like_available() {
        // Terraform's waiters count it as available; the instance serves while RDS optimizes.
        assert!(is_ready("storage-optimization", false));
        assert!(!is_ready("storage-optimization", true));
    }

    #[test]
    fn pending_modifications_keep_an_available_instance_waiting() {
        assert!(!ready("db", Some("available"), true, false).unwrap_or(true));
    }

    #[test]
    fn a_full_instance_is_waited_out_while_its_storage_grows_and_fails_otherwise() {
        assert_eq!(ready("db", Some("storage-full"), false, true).ok(), Some(false));
        let error = ready("database db-users", Some("storage-full"), false, false).expect_err("a failure");
        assert!(error.to_string().contains("raise `storage_gb`"), "{error}");
    }

    #[test]
    fn a_stopped_instance_fails_at_once_and_says_how_to_start_it() {
        let error = ready("database db-users", Some("stopped"), false, false).expect_err("a failure");
        assert!(
            error.to_string().contains("start-db-instance") && error.to_string().contains("apply again"),
            "{error}"
        );
    }

    #[test]
    fn failed_states_are_permanent_errors_that_say_what_to_do() {
        let error = ready("database db-users", Some("incompatible-parameters"), false, false).expect_err("a failure");
        assert!(error.to_string().contains("incompatible-parameters") && error.to_string().contains("apply again"));
        assert!(ready("db", Some("deleting"), false, false).is_err());
    }

    #[test]
    fn discovery_reports_instances_on_their_way_out_and_not_yet_ready() {
        assert_eq!(live_state(Some("deleting"), false), LiveState::Deleting);
        assert_eq!(live_state(Some("creating"), false), LiveState::Pending("creating".into()));
        assert_eq!(live_state(Some("backing-up"), false), LiveState::Pending("backing-up".into()));
        assert_eq!(live_state(Some("available"), true), LiveState::Pending("modifying".into()));
        assert_eq!(live_state(Some("available"), false), LiveState::Ready);
        assert_eq!(live_state(Some("storage-optimization"), false), LiveState::Ready);
        // Nothing comes of waiting for these; `ready` says what to do when something needs them.
        assert_eq!(live_state(Some("stopped"), false), LiveState::Ready);
    }

    #[test]
    fn the_already_deleting_answer_rds_gives_counts_as_deleting() {
        // DeleteDBInstance on an instance an interrupted destroy started deleting.
        let error = AwsError::Service {
            operation: "DeleteDBInstance",
            resource: "db_instance db-users".into(),
            code: "InvalidDBInstanceState".into(),
            message: "Instance watchlist-dev-users is already being deleted.".into(),
            request_id: Some("5d3e".into()),
            class: ErrorClass::Transient,
        };
        assert!(already_being_deleted(&error));
        let modifying = AwsError::Service {
            operation: "DeleteDBInstance",
            resource: "db_instance db-users".into(),
            code: "InvalidDBInstanceState".into(),
            message: "Instance watchlist-dev-users is currently modifying.".into(),
            request_id: None,
            class: ErrorClass::Transient,
        };
        assert!(!already_being_deleted(&modifying));
    }

    /// Instances as DescribeDBInstances answers them, by hand: the states real AWS goes through.
    fn instance(status: &str, pending_class: Option<&str>) -> DbInstance {
        let mut builder = DbInstance::builder().db_instance_identifier("stack-users").db_instance_status(status);
        if let Some(class) = pending_class {
            builder = builder.pending_modified_values(
                aws_sdk_rds::types::PendingModifiedValues::builder().db_instance_class(class).build(),
            );
        }
        builder.build()
    }

    #[test]
    fn a_create_then_a_modification_walk_through_the_real_states() {
        let readiness = |instance: &DbInstance| {
            ready("db", instance.db_instance_status(), has_pending_modifications(instance), false)
        };
        let creation = [instance("creating", None), instance("backing-up", None), instance("available", None)];
        let seen: Vec<bool> = creation.iter().map(|i| readiness(i).unwrap_or(false)).collect();
        assert_eq!(seen, vec![false, false, true]);
        // ModifyDBInstance with ApplyImmediately: `available` with the class still pending, then
        // `modifying`, then `available` with nothing pending.
        let modification = [
            instance("available", Some("db.t3.small")),
            instance("modifying", Some("db.t3.small")),
            instance("available", None),
        ];
        let seen: Vec<bool> = modification.iter().map(|i| readiness(i).unwrap_or(false)).collect();
        assert_eq!(seen, vec![false, false, true]);
        assert!(readiness(&instance("deleting", None)).is_err());
    }

    #[test]
    fn a_major_upgrade_is_waited_out_until_nothing_is_pending() {
        let upgrade = |status: &str, pending_version: Option<&str>| {
            let mut builder = DbInstance::builder().db_instance_identifier("stack-users").db_instance_status(status);
            if let Some(version) = pending_version {
                builder = builder.pending_modified_values(
                    aws_sdk_rds::types::PendingModifiedValues::builder().engine_version(version).build(),
                );
            }
            builder.build()
        };
        let walk = [upgrade("available", Some("17")), upgrade("upgrading", Some("17")), upgrade("available", None)];
        let seen: Vec<bool> = walk
            .iter()
            .map(|i| ready("db", i.db_instance_status(), has_pending_modifications(i), false).unwrap_or(false))
            .collect();
        assert_eq!(seen, vec![false, false, true]);
    }

    #[test]
    fn storage_changes_wait_six_hours_and_for_the_optimization() {
        let hour = 3600;
        let blocked = storage_change_blocked(Some("available"), Some(10 * hour), 12 * hour).expect("blocked");
        assert!(blocked.contains("finished 120 minutes ago") && blocked.contains("in 4h00"), "{blocked}");
        assert_eq!(storage_change_blocked(Some("available"), Some(10 * hour), 16 * hour), None);
        assert_eq!(storage_change_blocked(Some("available"), None, 16 * hour), None);
        assert!(storage_change_blocked(Some("storage-optimization"), None, 0).is_some_and(|r| r.contains("optimizing")));
    }

    #[test]
    fn versions_and_snapshot_names() {
        assert_eq!(major_version("16.4"), "16");
        assert_eq!(major_version("16"), "16");
        assert_eq!(final_snapshot_name("watchlist-prod-users", 1_790_000_000), "watchlist-prod-users-final-1790000000");
    }
}
