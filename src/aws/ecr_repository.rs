//! Driver for ECR repositories: scan on push, tag mutability and a keep-the-last-N lifecycle policy.

use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability};

use super::driver::driver;
use super::props::tags_of;
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::data::{EcrRepositoryProps, KeepImages};
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(EcrRepositoryDriver, EcrRepositoryProps);

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
pub fn keep_images_of(policy: Option<&str>) -> KeepImages {
    let Some(policy) = policy else { return KeepImages::Other("(no lifecycle policy)".to_string()) };
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
    parsed.map_or_else(|| KeepImages::Other("(custom lifecycle policy)".to_string()), KeepImages::Count)
}

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = format!("{}-", clients.stack);
    let mut repositories = Vec::new();
    let mut pages = clients.ecr.describe_repositories().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeRepositories", "the stack's ecr repositories")?;
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
        // Deleted between the listing and this read (by another stack, say): not ours now.
        let Some(tags) = tags.aws_or_gone("ListTagsForResource", name)? else { return Ok(None) };
        let policy = policy.aws_or_gone("GetLifecyclePolicy", name)?;
        let policy = policy.as_ref().and_then(|output| output.lifecycle_policy_text());
        let pairs: Vec<(&str, &str)> = tags.tags().iter().map(|tag| (tag.key(), tag.value())).collect();
        let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
        let props = EcrRepositoryProps {
            name: name.to_string(),
            scan_on_push: repository.image_scanning_configuration().is_some_and(|config| config.scan_on_push()),
            image_tag_mutability: repository.image_tag_mutability().map_or("MUTABLE", |m| m.as_str()).to_string(),
            keep_images: keep_images_of(policy),
            tags: tags_of(pairs),
        };
        let attributes = Attributes::from([
            ("id".to_string(), name.to_string()),
            ("arn".to_string(), arn.to_string()),
            ("uri".to_string(), repository.repository_uri().unwrap_or_default().to_string()),
        ]);
        Ok::<_, AwsError>(Some(live_resource(Kind::EcrRepository, id, name, &props, attributes)))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

fn scanning(props: &EcrRepositoryProps) -> ImageScanningConfiguration {
    ImageScanningConfiguration::builder().scan_on_push(props.scan_on_push).build()
}

fn mutability(props: &EcrRepositoryProps) -> ImageTagMutability {
    ImageTagMutability::from(props.image_tag_mutability.as_str())
}

async fn put_policy(context: &StepContext<'_>, name: &str, props: &EcrRepositoryProps) -> Result<(), AwsError> {
    let KeepImages::Count(count) = props.keep_images else {
        return Err(AwsError::refused(
            context.resource(),
            "its keep_images is not a number of images; this is a bug in wl-infra",
        ));
    };
    context
        .clients
        .ecr
        .put_lifecycle_policy()
        .repository_name(name)
        .lifecycle_policy_text(lifecycle_policy(count))
        .send()
        .await
        .aws("PutLifecyclePolicy", &context.resource())?;
    Ok(())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: EcrRepositoryProps = context.decode(props)?;
    let name = props.name.as_str();
    let resource = context.resource();
    let output = context
        .clients
        .ecr
        .create_repository()
        .repository_name(name)
        .image_scanning_configuration(scanning(&props))
        .image_tag_mutability(mutability(&props))
        .set_tags(Some(tags::ecr_list(&props.tags)))
        .send()
        .await
        .aws("CreateRepository", &resource)?;
    put_policy(context, name, &props).await?;
    let repository = output.repository();
    Ok(Attributes::from([
        ("id".to_string(), name.to_string()),
        ("arn".to_string(), repository.and_then(|r| r.repository_arn()).unwrap_or_default().to_string()),
        ("uri".to_string(), repository.and_then(|r| r.repository_uri()).unwrap_or_default().to_string()),
    ]))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (EcrRepositoryProps, EcrRepositoryProps) = update.decode(context)?;
    let name = update.physical_id;
    let resource = context.resource();
    let ecr = &context.clients.ecr;
    if update.changed(EcrRepositoryProps::NAMES.scan_on_push) {
        ecr.put_image_scanning_configuration()
            .repository_name(name)
            .image_scanning_configuration(scanning(&desired))
            .send()
            .await
            .aws("PutImageScanningConfiguration", &resource)?;
    }
    if update.changed(EcrRepositoryProps::NAMES.image_tag_mutability) {
        ecr.put_image_tag_mutability()
            .repository_name(name)
            .image_tag_mutability(mutability(&desired))
            .send()
            .await
            .aws("PutImageTagMutability", &resource)?;
    }
    if update.changed(EcrRepositoryProps::NAMES.keep_images) {
        put_policy(context, name, &desired).await?;
    }
    if update.changed("tags") {
        let arn = ecr
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
            .aws("DescribeRepositories", &resource)?
            .repositories()
            .first()
            .and_then(|r| r.repository_arn())
            .unwrap_or_default()
            .to_string();
        tags::replace(context, tags::Style::Ecr, &arn, &desired.tags, &live.tags).await?;
    }
    Ok(Attributes::from([("id".to_string(), name.to_string())]))
}

/// Deletes the repository with its images (`force`), as destroy promises.
pub async fn delete(context: &StepContext<'_>, name: &str, _live: &Props) -> Result<(), AwsError> {
    context
        .clients
        .ecr
        .delete_repository()
        .repository_name(name)
        .force(true)
        .send()
        .await
        .aws("DeleteRepository", &context.resource())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_policy_round_trips() {
        assert_eq!(keep_images_of(Some(&lifecycle_policy(15))), KeepImages::Count(15));
        assert_eq!(keep_images_of(None), KeepImages::Other("(no lifecycle policy)".to_string()));
        assert_eq!(keep_images_of(Some("{\"rules\":[]}")), KeepImages::Other("(custom lifecycle policy)".to_string()));
    }

    /// The graph's count decodes as a count; each side encodes as the old property did.
    #[test]
    fn keep_images_is_a_number_or_a_text() {
        use crate::aws::props::encode;
        use crate::graph::Value;
        let mut props = Props::new();
        props.insert("name".into(), Value::string("shop-web"));
        props.insert("scan_on_push".into(), Value::Bool(true));
        props.insert("image_tag_mutability".into(), Value::string("MUTABLE"));
        props.insert("keep_images".into(), Value::Integer(15));
        props.insert("tags".into(), Value::Map(Default::default()));
        let decoded: EcrRepositoryProps = crate::aws::props::decode("ecr", &props).expect("decodes");
        assert_eq!(decoded.keep_images, KeepImages::Count(15));
        assert_eq!(encode(&decoded), props);
        let custom = EcrRepositoryProps { keep_images: keep_images_of(Some("{}")), ..decoded };
        assert_eq!(encode(&custom).get("keep_images"), Some(&Value::string("(custom lifecycle policy)")));
    }
}
