//! Driver for the RDS PostgreSQL instances: created with the password from their secret, changed
//! in place with ApplyImmediately, waited on until `available` with nothing pending, and deleted
//! with or without a final snapshot as the stack says.

use aws_sdk_rds::types::{CloudwatchLogsExportConfiguration, DbInstance};

use super::db_subnet_group::{rds_tags, update_tags};
use super::{
    error::from_sdk, flag, integer, secret, tag_pairs, text, wait_for, wait_until, Attributes, AwsError, StepContext,
    Update,
};
use crate::graph::{Kind, Props, Value, DELETE_AUTOMATED_BACKUPS_TAG, FINAL_SNAPSHOT_TAG, MASTER_SECRET_TAG};
use crate::plan::{LiveResource, LiveState};

/// The major version of an engine version (`16.4` → `16`), which is what a stack file names.
pub fn major_version(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

fn strings(values: &[String]) -> Value {
    let mut items: Vec<Value> = values.iter().map(Value::string).collect();
    items.sort();
    Value::List(items)
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
async fn recent_storage_changes(clients: &super::Clients) -> Result<std::collections::HashMap<String, i64>, AwsError> {
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
        let page = page.map_err(|e| from_sdk("DescribeEvents", "the stack's databases", e))?;
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

fn live_props(instance: &DbInstance, tags: Value, storage_blocked: Option<String>) -> Props {
    let mut props = Props::new();
    let mut put = |key: &str, value: Value| {
        props.insert(key.to_string(), value);
    };
    put("identifier", Value::string(instance.db_instance_identifier().unwrap_or_default()));
    put("engine", Value::string(instance.engine().unwrap_or_default()));
    put("engine_version", Value::string(major_version(instance.engine_version().unwrap_or_default())));
    put("instance_class", Value::string(instance.db_instance_class().unwrap_or_default()));
    put("allocated_storage", Value::Integer(i64::from(instance.allocated_storage().unwrap_or_default())));
    put("storage_encrypted", Value::Bool(instance.storage_encrypted().unwrap_or(false)));
    put("multi_az", Value::Bool(instance.multi_az().unwrap_or(false)));
    put("backup_retention_days", Value::Integer(i64::from(instance.backup_retention_period().unwrap_or_default())));
    put("deletion_protection", Value::Bool(instance.deletion_protection().unwrap_or(false)));
    put("publicly_accessible", Value::Bool(instance.publicly_accessible().unwrap_or(false)));
    put("db_name", Value::string(instance.db_name().unwrap_or_default()));
    put("master_username", Value::string(instance.master_username().unwrap_or_default()));
    put(
        "subnet_group",
        Value::string(instance.db_subnet_group().and_then(|g| g.db_subnet_group_name()).unwrap_or_default()),
    );
    let groups: Vec<String> =
        instance.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id().map(str::to_string)).collect();
    put("security_group_ids", strings(&groups));
    put("log_exports", strings(instance.enabled_cloudwatch_logs_exports()));
    put("tags", tags);
    // Read, never compared: where the instance's nodes are (a subnet there cannot go), and why
    // its storage cannot change now.
    let zones: Vec<String> = [instance.availability_zone(), instance.secondary_availability_zone()]
        .into_iter()
        .flatten()
        .map(str::to_string)
        .collect();
    put("availability_zones", strings(&zones));
    if let Some(reason) = storage_blocked {
        put("storage_change_blocked", Value::string(reason));
    }
    props
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

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = format!("{}-", clients.stack);
    let mut instances = Vec::new();
    let mut pages = clients.rds.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("DescribeDBInstances", "the stack's databases", e))?;
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
        live.push(LiveResource {
            // An instance on its way out is reported as such, so a destroy run again waits for it
            // before deleting its subnet group, instead of failing on it.
            state: live_state(instance.db_instance_status(), has_pending_modifications(instance)),
            id,
            kind: Kind::DbInstance,
            physical_id: instance.db_instance_identifier().unwrap_or_default().to_string(),
            props: live_props(
                instance,
                super::tags_value(pairs),
                storage_change_blocked(
                    instance.db_instance_status(),
                    instance.db_instance_identifier().and_then(|id| changes.get(id)).copied(),
                    now,
                ),
            ),
            attributes: attributes(instance),
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
    match context.clients.rds.describe_db_instances().db_instance_identifier(identifier).send().await {
        Ok(output) => Ok(output.db_instances().first().cloned()),
        Err(e) => {
            let error = from_sdk("DescribeDBInstances", &context.resource(Kind::DbInstance), e);
            if error.is_not_found() {
                Ok(None)
            } else {
                Err(error)
            }
        }
    }
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
    let resource = context.resource(Kind::DbInstance);
    wait_for(context, Kind::DbInstance, "available", || async {
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
pub async fn wait_ready(context: &StepContext<'_>, identifier: &str) -> Result<Attributes, AwsError> {
    Ok(attributes(&wait_available(context, identifier, false).await?))
}

fn log_exports(props: &Props) -> Vec<String> {
    super::texts(props, "log_exports")
}

fn master_secret(props: &Props) -> Option<String> {
    tag_pairs(props).into_iter().find(|(key, _)| key == MASTER_SECRET_TAG).map(|(_, value)| value)
}

/// Creates the instance with the password from its secret, waits until it is available, then
/// writes its endpoint into the secret.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::DbInstance);
    let secret = master_secret(props)
        .ok_or_else(|| AwsError::refused(&resource, "the instance names no master secret; this is a bug"))?;
    let document = secret::read_document(context, &secret).await?;
    let password = document["password"].as_str().unwrap_or_default().to_string();
    let identifier = text(props, "identifier");
    let created = context
        .clients
        .rds
        .create_db_instance()
        .db_instance_identifier(identifier)
        .engine(text(props, "engine"))
        .engine_version(text(props, "engine_version"))
        .db_instance_class(text(props, "instance_class"))
        .allocated_storage(integer(props, "allocated_storage") as i32)
        .storage_type("gp3")
        .storage_encrypted(flag(props, "storage_encrypted"))
        .multi_az(flag(props, "multi_az"))
        .backup_retention_period(integer(props, "backup_retention_days") as i32)
        .deletion_protection(flag(props, "deletion_protection"))
        .publicly_accessible(flag(props, "publicly_accessible"))
        .db_name(text(props, "db_name"))
        .master_username(text(props, "master_username"))
        .master_user_password(password.clone())
        .db_subnet_group_name(text(props, "subnet_group"))
        .set_vpc_security_group_ids(Some(super::texts(props, "security_group_ids")))
        .set_enable_cloudwatch_logs_exports(Some(log_exports(props)))
        .copy_tags_to_snapshot(true)
        .auto_minor_version_upgrade(true)
        // Never enrolled in paid Extended Support without being asked: RDS upgrades the instance
        // when its major version leaves standard support instead (API_CreateDBInstance).
        .engine_lifecycle_support("open-source-rds-extended-support-disabled")
        .set_tags(Some(rds_tags(props)))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| from_sdk("CreateDBInstance", &resource, e));
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
        text(props, "master_username"),
        &password,
        text(props, "db_name"),
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
        .map_err(|e| from_sdk("PutSecretValue", &resource, e))?;
    Ok(attributes)
}

/// Applies the changed in-place fields at once and waits until nothing is pending; a change of
/// tags alone neither modifies the instance nor waits for it.
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::DbInstance);
    let props = update.props;
    let mut request =
        context.clients.rds.modify_db_instance().db_instance_identifier(update.physical_id).apply_immediately(true);
    let mut modifies = false;
    for change in update.changes.iter().filter(|change| change.field != "tags") {
        modifies = true;
        request = match change.field.as_str() {
            "instance_class" => request.db_instance_class(text(props, "instance_class")),
            "allocated_storage" => request.allocated_storage(integer(props, "allocated_storage") as i32),
            "multi_az" => request.multi_az(flag(props, "multi_az")),
            "backup_retention_days" => request.backup_retention_period(integer(props, "backup_retention_days") as i32),
            "deletion_protection" => request.deletion_protection(flag(props, "deletion_protection")),
            "publicly_accessible" => request.publicly_accessible(flag(props, "publicly_accessible")),
            "security_group_ids" => request.set_vpc_security_group_ids(Some(super::texts(props, "security_group_ids"))),
            // A new major version upgrades the instance in place (the plan refuses downgrades);
            // RDS wants the upgrade allowed explicitly (API_ModifyDBInstance).
            "engine_version" => request.engine_version(text(props, "engine_version")).allow_major_version_upgrade(true),
            "log_exports" => {
                let desired = log_exports(props);
                let live = log_exports(update.live);
                let enable: Vec<String> = desired.iter().filter(|log| !live.contains(log)).cloned().collect();
                let disable: Vec<String> = live.iter().filter(|log| !desired.contains(log)).cloned().collect();
                request.cloudwatch_logs_export_configuration(
                    CloudwatchLogsExportConfiguration::builder()
                        .set_enable_log_types(Some(enable))
                        .set_disable_log_types(Some(disable))
                        .build(),
                )
            }
            _ => request,
        };
    }
    let instance = if modifies {
        request.send().await.map_err(|e| from_sdk("ModifyDBInstance", &resource, e))?;
        wait_available(context, update.physical_id, update.changed("allocated_storage")).await?
    } else {
        describe(context, update.physical_id).await?.ok_or_else(|| {
            AwsError::refused(&resource, "the database disappeared while wl-infra worked on it; run apply again")
        })?
    };
    let attributes = attributes(&instance);
    update_tags(context, attributes.get("arn").map_or("", String::as_str), update).await?;
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
pub async fn delete(context: &StepContext<'_>, identifier: &str, live: &Props) -> Result<(), AwsError> {
    let resource = context.resource(Kind::DbInstance);
    if flag(live, "deletion_protection") {
        // The plan refuses this already; AWS would too.
        return Err(AwsError::refused(
            resource,
            "deletion protection is on; set `deletion_protection = false`, apply, then destroy",
        ));
    }
    let tagged = |tag: &str| tag_pairs(live).into_iter().any(|(key, value)| key == tag && value == "true");
    let snapshot = tagged(FINAL_SNAPSHOT_TAG);
    // Automated backups are kept for their retention period unless the stack says otherwise
    // (DeleteAutomatedBackups defaults to true on AWS, so it is always sent).
    let mut request = context
        .clients
        .rds
        .delete_db_instance()
        .db_instance_identifier(identifier)
        .delete_automated_backups(tagged(DELETE_AUTOMATED_BACKUPS_TAG));
    request = if snapshot {
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
        request.skip_final_snapshot(false).final_db_snapshot_identifier(final_snapshot_name(identifier, now))
    } else {
        request.skip_final_snapshot(true)
    };
    if let Err(e) = request.send().await {
        let error = from_sdk("DeleteDBInstance", &resource, e);
        if !already_being_deleted(&error) {
            return Err(error);
        }
    }
    wait_until(context, Kind::DbInstance, "deleted", || async { Ok(describe(context, identifier).await?.is_none()) })
        .await?;
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
