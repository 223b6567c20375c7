//! Driver for a database's master secret in Secrets Manager: a generated password that wl-infra
//! never prints, and the connection details the instance fills in once its endpoint is known.

use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, Tag};

use super::{error::from_sdk, tag_pairs, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value, RECOVERY_WINDOW_TAG};
use crate::plan::LiveResource;

/// A strong, URL-safe password: 32 characters of A–Z, a–z, 0–9 (about 190 bits), none of the
/// characters RDS refuses (`/`, `@`, `"`, space).
pub fn generate_password() -> Result<String, AwsError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut password = String::with_capacity(32);
    while password.len() < 32 {
        let mut bytes = [0u8; 64];
        getrandom::getrandom(&mut bytes).map_err(|error| {
            AwsError::refused("the master password", format!("no randomness from the operating system: {error}"))
        })?;
        // Rejection sampling keeps every character equally likely (248 = 4 * 62).
        password.extend(bytes.iter().filter(|byte| **byte < 248).map(|byte| ALPHABET[usize::from(*byte % 62)] as char));
    }
    password.truncate(32);
    Ok(password)
}

/// The secret's JSON document, in the shape RDS-managed secrets use.
pub fn secret_document(username: &str, password: &str, dbname: &str, host: Option<&str>, port: i64) -> String {
    let mut document = serde_json::json!({
        "engine": "postgres", "username": username, "password": password, "dbname": dbname, "port": port,
    });
    if let Some(host) = host {
        document["host"] = serde_json::Value::String(host.to_string());
    }
    document.to_string()
}

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let mut live = Vec::new();
    let mut pages = clients
        .secrets
        .list_secrets()
        .filters(Filter::builder().key(FilterNameStringType::TagKey).values(crate::graph::STACK_TAG).build())
        .filters(Filter::builder().key(FilterNameStringType::TagValue).values(&clients.stack).build())
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("ListSecrets", "the stack's secrets", e))?;
        for secret in page.secret_list() {
            // Secrets scheduled for deletion are gone as far as the stack is concerned.
            if secret.deleted_date().is_some() {
                continue;
            }
            let pairs: Vec<(&str, &str)> = secret
                .tags()
                .iter()
                .map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default()))
                .collect();
            let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { continue };
            let (Some(arn), Some(name)) = (secret.arn(), secret.name()) else { continue };
            let mut props = Props::new();
            props.insert("name".into(), Value::string(name));
            props.insert("description".into(), Value::string(secret.description().unwrap_or_default()));
            props.insert("tags".into(), super::tags_value(pairs));
            live.push(LiveResource {
                id,
                kind: Kind::DatabaseSecret,
                physical_id: arn.to_string(),
                props,
                attributes: Attributes::from([
                    ("id".to_string(), arn.to_string()),
                    ("arn".to_string(), arn.to_string()),
                    ("name".to_string(), name.to_string()),
                ]),
            });
        }
    }
    Ok(live)
}

fn secret_tags(props: &Props) -> Vec<Tag> {
    tag_pairs(props).into_iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

/// Creates the secret with a fresh password. The database name, user and port are known now; the
/// host is added by the instance once it exists. A secret of that name scheduled for deletion (by
/// an earlier destroy) is restored and given a new password instead.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let name = text(props, "name");
    let resource = context.resource(Kind::DatabaseSecret);
    let database = context.id.trim_start_matches("db-").trim_end_matches("-secret");
    let document = secret_document(
        crate::graph::DATABASE_MASTER_USER,
        &generate_password()?,
        &crate::graph::database_name(database),
        None,
        5432,
    );
    let secrets = &context.clients.secrets;
    let created = secrets
        .create_secret()
        .name(name)
        .description(text(props, "description"))
        .secret_string(&document)
        .set_tags(Some(secret_tags(props)))
        .client_request_token(super::client_token(&context.clients.run_id, context.id, props))
        .send()
        .await;
    let arn = match created {
        Ok(output) => output.arn().unwrap_or_default().to_string(),
        Err(e) => {
            let error = from_sdk("CreateSecret", &resource, e);
            // A secret of this name that an earlier destroy scheduled for deletion (AWS answers
            // InvalidRequestException, moto ResourceExistsException) is restored if it is ours.
            let existing = secrets.describe_secret().secret_id(name).send().await.ok();
            let ours_and_deleted = existing.is_some_and(|secret| {
                let pairs =
                    secret.tags().iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default()));
                secret.deleted_date().is_some()
                    && super::owned_id(&context.clients.stack, pairs).as_deref() == Some(context.id)
            });
            if !ours_and_deleted {
                return Err(error);
            }
            let restored = secrets
                .restore_secret()
                .secret_id(name)
                .send()
                .await
                .map_err(|e| from_sdk("RestoreSecret", &resource, e))?;
            let arn = restored.arn().unwrap_or_default().to_string();
            secrets
                .put_secret_value()
                .secret_id(&arn)
                .secret_string(&document)
                .send()
                .await
                .map_err(|e| from_sdk("PutSecretValue", &resource, e))?;
            secrets
                .tag_resource()
                .secret_id(&arn)
                .set_tags(Some(secret_tags(props)))
                .send()
                .await
                .map_err(|e| from_sdk("TagResource", &resource, e))?;
            arn
        }
    };
    Ok(Attributes::from([
        ("id".to_string(), arn.clone()),
        ("arn".to_string(), arn),
        ("name".to_string(), name.to_string()),
    ]))
}

/// Changes only the description and tags; the secret value is never regenerated by an update.
pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::DatabaseSecret);
    let secrets = &context.clients.secrets;
    if update.changed("description") {
        secrets
            .update_secret()
            .secret_id(update.physical_id)
            .description(text(update.props, "description"))
            .send()
            .await
            .map_err(|e| from_sdk("UpdateSecret", &resource, e))?;
    }
    if update.changed("tags") {
        let stale = super::stale_tag_keys(update);
        if !stale.is_empty() {
            secrets
                .untag_resource()
                .secret_id(update.physical_id)
                .set_tag_keys(Some(stale))
                .send()
                .await
                .map_err(|e| from_sdk("UntagResource", &resource, e))?;
        }
        secrets
            .tag_resource()
            .secret_id(update.physical_id)
            .set_tags(Some(secret_tags(update.props)))
            .send()
            .await
            .map_err(|e| from_sdk("TagResource", &resource, e))?;
    }
    Ok(Attributes::from([
        ("id".to_string(), update.physical_id.to_string()),
        ("arn".to_string(), update.physical_id.to_string()),
    ]))
}

/// The recovery window recorded on the secret: 0 deletes it at once, otherwise 7 to 30 days.
pub fn recovery_window_days(live: &Props) -> i64 {
    tag_pairs(live)
        .into_iter()
        .find(|(key, _)| key == RECOVERY_WINDOW_TAG)
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(7)
}

pub async fn delete(context: &StepContext<'_>, arn: &str, live: &Props) -> Result<(), AwsError> {
    let days = recovery_window_days(live);
    let request = context.clients.secrets.delete_secret().secret_id(arn);
    let request = if days == 0 {
        request.force_delete_without_recovery(true)
    } else {
        request.recovery_window_in_days(days.clamp(7, 30))
    };
    match request.send().await.map_err(|e| from_sdk("DeleteSecret", &context.resource(Kind::DatabaseSecret), e)) {
        // An earlier attempt whose answer was lost already scheduled it for deletion.
        Err(error)
            if error.code() == Some("InvalidRequestException")
                && (error.to_string().contains("deletion") || error.to_string().contains("marked deleted")) =>
        {
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

/// Reads the secret's JSON document (for the instance that uses it); never logged.
pub async fn read_document(context: &StepContext<'_>, secret: &str) -> Result<serde_json::Value, AwsError> {
    let resource = context.resource(Kind::DbInstance);
    let output = context
        .clients
        .secrets
        .get_secret_value()
        .secret_id(secret)
        .send()
        .await
        .map_err(|e| from_sdk("GetSecretValue", &resource, e))?;
    serde_json::from_str(output.secret_string().unwrap_or_default()).map_err(|_| {
        AwsError::refused(
            resource,
            format!("secret {secret} does not hold the JSON document wl-infra writes; delete it and apply again"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_random_and_safe_for_rds() {
        let first = generate_password().expect("randomness");
        let second = generate_password().expect("randomness");
        assert_eq!(first.len(), 32);
        assert_ne!(first, second);
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn the_document_has_the_connection_fields() {
        let document: serde_json::Value =
            serde_json::from_str(&secret_document("admin", "pw", "movies", Some("db.example"), 5432)).expect("json");
        assert_eq!(document["host"], "db.example");
        assert_eq!(document["port"], 5432);
        assert_eq!(document["dbname"], "movies");
    }
}
