//! Driver for the stack's customer managed KMS key that encrypts its alert topic, found by its
//! alias (`alias/<stack>-alerts`).
//!
//! A KMS key is never deleted at once: ScheduleKeyDeletion's window "must be between 7 and 30"
//! days (API_ScheduleKeyDeletion); the delete removes the alias and schedules the key's deletion
//! after 7 days, during which CancelKeyDeletion can bring it back. A key pending deletion has no
//! alias, so it is not the stack's any more; a new apply makes a new key. The key policy must let
//! the caller put it again (KMS's lockout safety check, API_CreateKey `Policy`): the account's root
//! principal administers it.

use aws_sdk_kms::types::KeyState;

use super::driver::driver;
use super::props::tags_of;
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::policy::normalise_policy;
use crate::graph::properties::monitoring::KmsKeyProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

/// The shortest wait KMS allows before it deletes a key.
pub const DELETION_WINDOW_DAYS: i32 = 7;

driver!(KmsKeyDriver, KmsKeyProps);

fn attributes(key_id: &str, arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), key_id.to_string()), ("arn".to_string(), arn.to_string())])
}

/// The key the stack's alias points at, with its tags and policy, unless it is on its way out.
/// DescribeKey takes the alias itself ("alias/<name>", API_DescribeKey `KeyId`) and answers
/// NotFoundException when no key has it: one read instead of paging every alias of the account.
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let alias = crate::graph::alert_key_alias(&clients.stack);
    let described = clients.kms.describe_key().key_id(&alias).send().await;
    let Some(described) = described.aws_or_gone("DescribeKey", &alias)? else { return Ok(Vec::new()) };
    let Some(metadata) = described.key_metadata() else { return Ok(Vec::new()) };
    let key_id = metadata.key_id().to_string();
    if matches!(metadata.key_state(), Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)) {
        return Ok(Vec::new());
    }
    let tagged = clients.kms.list_resource_tags().key_id(&key_id).send().await;
    let Some(tagged) = tagged.aws_or_gone("ListResourceTags", &alias)? else { return Ok(Vec::new()) };
    let pairs: Vec<(&str, &str)> = tagged.tags().iter().map(|tag| (tag.tag_key(), tag.tag_value())).collect();
    let Some(owner) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(Vec::new()) };
    let policy = clients.kms.get_key_policy().key_id(&key_id).policy_name("default").send().await;
    let Some(policy) = policy.aws_or_gone("GetKeyPolicy", &alias)? else { return Ok(Vec::new()) };
    let props = KmsKeyProps {
        alias: alias.clone(),
        description: metadata.description().unwrap_or_default().to_string(),
        policy: normalise_policy(policy.policy().unwrap_or_default()),
        tags: tags_of(pairs),
    };
    let arn = metadata.arn().unwrap_or_default();
    Ok(vec![live_resource(Kind::KmsKey, owner, &key_id, &props, attributes(&key_id, arn))])
}

/// Creates the key (tagged, with its policy) and points the alias at it.
///
/// CreateKey has neither a client token nor a unique name, and discovery finds the key by its
/// alias: a key whose CreateKey answer was lost, or whose run stopped before CreateAlias, would be
/// found by nothing and never deleted. So the SDK does not repeat CreateKey (the executor's retry
/// does, after this looks first), and a key of this resource without an alias is taken up
/// instead of making a second one.
pub async fn create(context: &StepContext<'_>, resolved: &Props) -> Result<Attributes, AwsError> {
    let props: KmsKeyProps = context.decode(resolved)?;
    let resource = context.resource();
    let kms = &context.clients.kms;
    let (key_id, arn) = match own_key_without_alias(context).await? {
        Some(found) => found,
        None => {
            let created = kms
                .create_key()
                .description(&props.description)
                .policy(&props.policy)
                .set_tags(Some(tags::kms_list(&props.tags)))
                .customize()
                .config_override(
                    aws_sdk_kms::config::Builder::default().retry_config(aws_config::retry::RetryConfig::disabled()),
                )
                .send()
                .await
                .aws("CreateKey", &resource)?;
            let metadata = created.key_metadata();
            let key_id = metadata.map(|m| m.key_id().to_string()).unwrap_or_default();
            (key_id, metadata.and_then(|m| m.arn()).unwrap_or_default().to_string())
        }
    };
    let aliased = kms.create_alias().alias_name(&props.alias).target_key_id(&key_id).send().await;
    match aliased.aws("CreateAlias", &resource) {
        // The SDK's second request after a lost answer: the alias is there, on this key.
        Err(error) if error.code() == Some("AlreadyExistsException") => {
            let described = kms.describe_key().key_id(&props.alias).send().await.aws("DescribeKey", &resource)?;
            if described.key_metadata().map(|m| m.key_id()) != Some(key_id.as_str()) {
                return Err(error);
            }
        }
        other => {
            other?;
        }
    }
    Ok(attributes(&key_id, &arn))
}

/// This resource's key (tagged with the stack and its logical id, not pending deletion) that no
/// alias points at: what an attempt whose answer was lost made. Keys with an alias (the AWS
/// managed ones, `alias/aws/...`, among them) are not read; a key whose tags the caller may not
/// read is someone else's.
async fn own_key_without_alias(context: &StepContext<'_>) -> Result<Option<(String, String)>, AwsError> {
    let kms = &context.clients.kms;
    let resource = context.resource();
    let mut aliased = std::collections::HashSet::new();
    let mut pages = kms.list_aliases().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("ListAliases", &resource)?;
        aliased.extend(page.aliases().iter().filter_map(|alias| alias.target_key_id().map(str::to_string)));
    }
    let mut pages = kms.list_keys().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("ListKeys", &resource)?;
        for key in page.keys() {
            let Some(key_id) = key.key_id().filter(|id| !aliased.contains(*id)) else { continue };
            let tagged = match kms.list_resource_tags().key_id(key_id).send().await.aws("ListResourceTags", &resource) {
                Ok(tagged) => tagged,
                Err(error) if error.is_not_found() || error.code() == Some("AccessDeniedException") => continue,
                Err(error) => return Err(error),
            };
            let pairs = tagged.tags().iter().map(|tag| (tag.tag_key(), tag.tag_value()));
            if super::owned_id(&context.clients.stack, pairs).as_deref() != Some(context.id) {
                continue;
            }
            let described = kms.describe_key().key_id(key_id).send().await.aws("DescribeKey", &resource)?;
            let Some(metadata) = described.key_metadata() else { continue };
            if matches!(metadata.key_state(), Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)) {
                continue;
            }
            return Ok(Some((key_id.to_string(), metadata.arn().unwrap_or_default().to_string())));
        }
    }
    Ok(None)
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (KmsKeyProps, KmsKeyProps) = update.decode(context)?;
    let key_id = update.physical_id;
    let resource = context.resource();
    let kms = &context.clients.kms;
    if update.changed(KmsKeyProps::NAMES.description) {
        let call = kms.update_key_description().key_id(key_id).description(&desired.description);
        call.send().await.aws("UpdateKeyDescription", &resource)?;
    }
    if update.changed(KmsKeyProps::NAMES.policy) {
        let call = kms.put_key_policy().key_id(key_id).policy_name("default").policy(&desired.policy);
        call.send().await.aws("PutKeyPolicy", &resource)?;
    }
    tags::replace(context, tags::Style::Kms, key_id, &desired.tags, &live.tags).await?;
    let described = kms.describe_key().key_id(key_id).send().await.aws("DescribeKey", &resource)?;
    let arn = described.key_metadata().and_then(|m| m.arn()).unwrap_or_default().to_string();
    Ok(attributes(key_id, &arn))
}

/// Removes the alias and schedules the key's deletion after the shortest window.
pub async fn delete(context: &StepContext<'_>, key_id: &str, live: &Props) -> Result<(), AwsError> {
    let props: KmsKeyProps = context.decode(live)?;
    let resource = context.resource();
    let kms = &context.clients.kms;
    kms.delete_alias().alias_name(&props.alias).send().await.aws_or_gone("DeleteAlias", &resource)?;
    let scheduled =
        kms.schedule_key_deletion().key_id(key_id).pending_window_in_days(DELETION_WINDOW_DAYS).send().await;
    match scheduled.aws_or_gone("ScheduleKeyDeletion", &resource) {
        // A key already pending deletion (an interrupted destroy) is on its way out.
        Err(error) if error.code() == Some("KMSInvalidStateException") => Ok(()),
        other => other.map(|_| ()),
    }
}
