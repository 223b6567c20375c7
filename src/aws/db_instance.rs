//! Driver for the RDS PostgreSQL instances: created with the password from their secret, changed
//! in place with ApplyImmediately, waited on until `available` with nothing pending, and deleted
//! with or without a final snapshot as the stack says.

use aws_sdk_rds::types::{CloudwatchLogsExportConfiguration, DbInstance};

use super::db_subnet_group::{rds_tags, update_tags};
use super::{
    error::from_sdk, flag, integer, secret, tag_pairs, text, wait_for, wait_until, Attributes, AwsError, StepContext,
    Update,
};
use crate::graph::{Kind, Props, Value, FINAL_SNAPSHOT_TAG, MASTER_SECRET_TAG};
use crate::plan::LiveResource;

/// The major version of an engine version (`16.4` → `16`), which is what a stack file names.
pub fn major_version(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

fn strings(values: &[String]) -> Value {
    let mut items: Vec<Value> = values.iter().map(Value::string).collect();
    items.sort();
    Value::List(items)
}

fn live_props(instance: &DbInstance, tags: Value) -> Props {
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
    props
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
                // An instance on its way out is gone for planning purposes.
                .filter(|i| i.db_instance_status() != Some("deleting"))
                .cloned(),
        );
    }
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
            id,
            kind: Kind::DbInstance,
            physical_id: instance.db_instance_identifier().unwrap_or_default().to_string(),
            props: live_props(instance, super::tags_value(pairs)),
            attributes: attributes(instance),
        });
    }
    Ok(live)
}

/// Whether an instance in `status` with `pending` modifications is ready for what comes next.
pub fn ready(resource: &str, status: Option<&str>, pending: bool) -> Result<bool, AwsError> {
    match status {
        Some("available") => Ok(!pending),
        Some(
            failed @ ("failed"
            | "incompatible-parameters"
            | "incompatible-network"
            | "incompatible-restore"
            | "storage-full"
            | "inaccessible-encryption-credentials"
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
async fn wait_available(context: &StepContext<'_>, identifier: &str) -> Result<DbInstance, AwsError> {
    let resource = context.resource(Kind::DbInstance);
    wait_for(context, Kind::DbInstance, "available", || async {
        match describe(context, identifier).await? {
            Some(instance) => {
                let done = ready(&resource, instance.db_instance_status(), has_pending_modifications(&instance))?;
                Ok(done.then_some(instance))
            }
            None => Ok(None),
        }
    })
    .await
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
    let instance = wait_available(context, identifier).await?;
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

/// Applies the changed in-place fields at once and waits until nothing is pending.
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
    if modifies {
        request.send().await.map_err(|e| from_sdk("ModifyDBInstance", &resource, e))?;
    }
    let instance = wait_available(context, update.physical_id).await?;
    let attributes = attributes(&instance);
    update_tags(context, attributes.get("arn").map_or("", String::as_str), update).await?;
    Ok(attributes)
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
    let snapshot = tag_pairs(live).into_iter().any(|(key, value)| key == FINAL_SNAPSHOT_TAG && value == "true");
    let mut request =
        context.clients.rds.delete_db_instance().db_instance_identifier(identifier).delete_automated_backups(!snapshot);
    request = if snapshot {
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
        request.skip_final_snapshot(false).final_db_snapshot_identifier(final_snapshot_name(identifier, now))
    } else {
        request.skip_final_snapshot(true)
    };
    match request.send().await {
        Ok(_) => {}
        Err(e) => {
            let error = from_sdk("DeleteDBInstance", &resource, e);
            // Already on its way out (an interrupted destroy): keep waiting below.
            if !(error.code() == Some("InvalidDBInstanceState") && error.to_string().contains("deleting")) {
                return Err(error);
            }
        }
    }
    wait_until(context, Kind::DbInstance, "deleted", || async { Ok(describe(context, identifier).await?.is_none()) })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creating_and_backing_up_are_not_ready_and_available_is() {
        for status in ["creating", "backing-up", "modifying", "configuring-enhanced-monitoring", "rebooting"] {
            assert!(!ready("db", Some(status), false).unwrap_or(true), "{status}");
        }
        assert!(ready("db", Some("available"), false).unwrap_or(false));
    }

    #[test]
    fn pending_modifications_keep_an_available_instance_waiting() {
        assert!(!ready("db", Some("available"), true).unwrap_or(true));
    }

    #[test]
    fn failed_states_are_permanent_errors_that_say_what_to_do() {
        let error = ready("database db-users", Some("storage-full"), false).expect_err("a failure");
        assert!(error.to_string().contains("storage-full") && error.to_string().contains("apply again"));
        assert!(ready("db", Some("deleting"), false).is_err());
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
        let readiness =
            |instance: &DbInstance| ready("db", instance.db_instance_status(), has_pending_modifications(instance));
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
    fn versions_and_snapshot_names() {
        assert_eq!(major_version("16.4"), "16");
        assert_eq!(major_version("16"), "16");
        assert_eq!(final_snapshot_name("watchlist-prod-users", 1_790_000_000), "watchlist-prod-users-final-1790000000");
    }
}
