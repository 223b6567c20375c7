//! Driver for ECR repositories: scan on push, tag mutability and a keep-the-last-N lifecycle policy.

use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability, Tag};

use super::{error::from_sdk, flag, integer, tag_pairs, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

/// The lifecycle policy that keeps the `count` most recent images.
pub fn lifecycle_policy(count: i64) -> String {
    serde_json::json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("keep the last {count} images"),
            "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": count },
            "action": { "type": "expire" }
        }]
    })
    .to_string()
}

/// The image count of a policy in the shape wl-infra writes; anything else reads as a custom policy.
pub fn keep_images_of(policy: Option<&str>) -> Value {
    let Some(policy) = policy else { return Value::string("(no lifecycle policy)") };
    let parsed: Option<i64> = serde_json::from_str::<serde_json::Value>(policy).ok().and_then(|document| {
        let rules = document.get("rules")?.as_array()?;
        let [rule] = rules.as_slice() else { return None };
        let selection = rule.get("selection")?;
        let is_ours = selection.get("tagStatus")?.as_str()? == "any"
            && selection.get("countType")?.as_str()? == "imageCountMoreThan"
            && rule.get("action")?.get("type")?.as_str()? == "expire";
        if is_ours {
            selection.get("countNumber")?.as_i64()
        } else {
            None
        }
    });
    parsed.map_or_else(|| Value::string("(custom lifecycle policy)"), Value::Integer)
}

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = format!("{}-", clients.stack);
    let mut repositories = Vec::new();
    let mut pages = clients.ecr.describe_repositories().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("DescribeRepositories", "the stack's ecr repositories", e))?;
        repositories.extend(
            page.repositories()
                .iter()
                .filter(|repository| repository.repository_name().is_some_and(|name| name.starts_with(&prefix)))
                .cloned(),
        );
    }
    // ECR cannot filter by tag, so each candidate's tags and policy are read, all at once.
    let reads = repositories.iter().map(|repository| async move {
        let name = repository.repository_name().unwrap_or_default();
        let arn = repository.repository_arn().unwrap_or_default();
        let (tags, policy) = tokio::join!(
            clients.ecr.list_tags_for_resource().resource_arn(arn).send(),
            clients.ecr.get_lifecycle_policy().repository_name(name).send()
        );
        let tags = match tags {
            Ok(tags) => tags,
            Err(e) => {
                let error = from_sdk("ListTagsForResource", name, e);
                // Deleted between the listing and this read (by another stack, say): not ours now.
                if error.is_not_found() {
                    return Ok(None);
                } else {
                    return Err(error);
                }
            }
        };
        let policy = match policy {
            Ok(output) => output.lifecycle_policy_text().map(str::to_string),
            Err(e) => {
                let error = from_sdk("GetLifecyclePolicy", name, e);
                if error.is_not_found() {
                    None
                } else {
                    return Err(error);
                }
            }
        };
        let pairs: Vec<(&str, &str)> = tags.tags().iter().map(|tag| (tag.key(), tag.value())).collect();
        let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
        let mut props = Props::new();
        props.insert("name".into(), Value::string(name));
        props.insert(
            "scan_on_push".into(),
            Value::Bool(repository.image_scanning_configuration().is_some_and(|config| config.scan_on_push())),
        );
        props.insert(
            "image_tag_mutability".into(),
            Value::string(repository.image_tag_mutability().map_or("MUTABLE", |m| m.as_str())),
        );
        props.insert("keep_images".into(), keep_images_of(policy.as_deref()));
        props.insert("tags".into(), super::tags_value(pairs));
        Ok(Some(LiveResource {
            state: crate::plan::LiveState::Ready,
            id,
            kind: Kind::EcrRepository,
            physical_id: name.to_string(),
            props,
            attributes: Attributes::from([
                ("id".to_string(), name.to_string()),
                ("arn".to_string(), arn.to_string()),
                ("uri".to_string(), repository.repository_uri().unwrap_or_default().to_string()),
            ]),
        }))
    });
    Ok(futures_util::future::try_join_all(reads).await?.into_iter().flatten().collect())
}

fn scanning(props: &Props) -> ImageScanningConfiguration {
    ImageScanningConfiguration::builder().scan_on_push(flag(props, "scan_on_push")).build()
}

fn mutability(props: &Props) -> ImageTagMutability {
    ImageTagMutability::from(text(props, "image_tag_mutability"))
}

fn ecr_tags(props: &Props) -> Vec<Tag> {
    tag_pairs(props).into_iter().filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok()).collect()
}

async fn put_policy(context: &StepContext<'_>, name: &str, props: &Props) -> Result<(), AwsError> {
    context
        .clients
        .ecr
        .put_lifecycle_policy()
        .repository_name(name)
        .lifecycle_policy_text(lifecycle_policy(integer(props, "keep_images")))
        .send()
        .await
        .map_err(|e| from_sdk("PutLifecyclePolicy", &context.resource(Kind::EcrRepository), e))?;
    Ok(())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let name = text(props, "name");
    let resource = context.resource(Kind::EcrRepository);
    let output = context
        .clients
        .ecr
        .create_repository()
        .repository_name(name)
        .image_scanning_configuration(scanning(props))
        .image_tag_mutability(mutability(props))
        .set_tags(Some(ecr_tags(props)))
        .send()
        .await
        .map_err(|e| from_sdk("CreateRepository", &resource, e))?;
    put_policy(context, name, props).await?;
    let repository = output.repository();
    Ok(Attributes::from([
        ("id".to_string(), name.to_string()),
        ("arn".to_string(), repository.and_then(|r| r.repository_arn()).unwrap_or_default().to_string()),
        ("uri".to_string(), repository.and_then(|r| r.repository_uri()).unwrap_or_default().to_string()),
    ]))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let name = update.physical_id;
    let resource = context.resource(Kind::EcrRepository);
    let ecr = &context.clients.ecr;
    if update.changed("scan_on_push") {
        ecr.put_image_scanning_configuration()
            .repository_name(name)
            .image_scanning_configuration(scanning(update.props))
            .send()
            .await
            .map_err(|e| from_sdk("PutImageScanningConfiguration", &resource, e))?;
    }
    if update.changed("image_tag_mutability") {
        ecr.put_image_tag_mutability()
            .repository_name(name)
            .image_tag_mutability(mutability(update.props))
            .send()
            .await
            .map_err(|e| from_sdk("PutImageTagMutability", &resource, e))?;
    }
    if update.changed("keep_images") {
        put_policy(context, name, update.props).await?;
    }
    if update.changed("tags") {
        let arn = ecr
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
            .map_err(|e| from_sdk("DescribeRepositories", &resource, e))?
            .repositories()
            .first()
            .and_then(|r| r.repository_arn())
            .unwrap_or_default()
            .to_string();
        let stale = super::stale_tag_keys(update);
        if !stale.is_empty() {
            ecr.untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(stale))
                .send()
                .await
                .map_err(|e| from_sdk("UntagResource", &resource, e))?;
        }
        ecr.tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(ecr_tags(update.props)))
            .send()
            .await
            .map_err(|e| from_sdk("TagResource", &resource, e))?;
    }
    Ok(Attributes::from([("id".to_string(), name.to_string())]))
}

/// Deletes the repository with its images (`force`), as destroy promises.
pub async fn delete(context: &StepContext<'_>, name: &str) -> Result<(), AwsError> {
    context
        .clients
        .ecr
        .delete_repository()
        .repository_name(name)
        .force(true)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteRepository", &context.resource(Kind::EcrRepository), e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_policy_round_trips() {
        assert_eq!(keep_images_of(Some(&lifecycle_policy(15))), Value::Integer(15));
        assert_eq!(keep_images_of(None), Value::string("(no lifecycle policy)"));
        assert_eq!(keep_images_of(Some("{\"rules\":[]}")), Value::string("(custom lifecycle policy)"));
    }
}
