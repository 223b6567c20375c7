//! Driver for the frontend's S3 bucket: private, public access blocked, encrypted, unversioned.

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, ObjectIdentifier,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};

use super::driver::driver;
use super::props::{tags_of, Tags};
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::edge::S3BucketProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(S3BucketDriver, S3BucketProps, find_by_name = find_by_name);

/// The names the stack's bucket may have: its name today, and the one it had before bucket names
/// carried the region (such a bucket, in the stack's region, is replaced by one with the new name).
pub fn stack_bucket_names(clients: &Clients, account_id: &str) -> Vec<String> {
    vec![
        crate::graph::bucket_name(&clients.stack, account_id, &clients.region),
        crate::graph::legacy_bucket_name(&clients.stack, account_id),
    ]
}

/// The stack's bucket(s), by the names it may have in this account, with their policies and
/// objects. Without the account (the adoption path reads kinds found with the bucket without its
/// facts) there is nothing to read: a bucket is found by name there ([`find_by_name`]), and its
/// policy and objects are put whole, never looked for.
pub async fn discover(clients: &Clients, facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    if facts.account_id.is_empty() {
        return Ok(Vec::new());
    }
    discover_frontend(clients, &stack_bucket_names(clients, &facts.account_id)).await
}

/// The stack's bucket with this name, if it has it (the bucket only, not its contents).
pub async fn find_by_name(clients: &Clients, name: &str) -> Result<Vec<LiveResource>, AwsError> {
    discover_named(clients, &[name.to_string()]).await
}

/// Reads the stack's bucket under each of `names` (the first is today's name); a bucket without the
/// stack's tags is not ours, nor is a bucket of an older name in another region.
pub async fn discover_named(clients: &Clients, names: &[String]) -> Result<Vec<LiveResource>, AwsError> {
    let reads = names.iter().enumerate().map(|(index, name)| async move {
        if index > 0 {
            // An older name carries no region: the bucket is this stack's only if it is in its
            // region, which is asked first. A bucket of another region answers every other call
            // from this region with 301 PermanentRedirect, which the SDK does not follow;
            // GetBucketLocation answers from any region.
            let location =
                match clients.s3.get_bucket_location().bucket(name).send().await.aws("GetBucketLocation", name) {
                    Ok(location) => location,
                    // Gone, or someone else's bucket: not the stack's either way.
                    Err(error) if error.is_not_found() || error.code() == Some("AccessDenied") => return Ok(None),
                    Err(error) => return Err(error),
                };
            if bucket_region(location.location_constraint().map(|c| c.as_str())) != clients.region {
                return Ok(None);
            }
        }
        discover_one(clients, name).await
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

/// The stack's bucket(s) under `names`, then each one's policy and objects (which have no tags:
/// they are the stack's because its bucket is).
pub async fn discover_frontend(clients: &Clients, names: &[String]) -> Result<Vec<LiveResource>, AwsError> {
    let buckets = discover_named(clients, names).await?;
    let reads = buckets.iter().map(|bucket| async move {
        let (policy, objects) = tokio::join!(
            super::bucket_policy::discover_named(clients, &bucket.physical_id),
            super::frontend_object::discover_named(clients, &bucket.physical_id)
        );
        Ok::<_, AwsError>(policy?.into_iter().chain(objects?).collect::<Vec<_>>())
    });
    let contents: Vec<LiveResource> = super::bounded(reads.collect()).await?.into_iter().flatten().collect();
    Ok(buckets.into_iter().chain(contents).collect())
}

/// The region of a GetBucketLocation answer: us-east-1 has no location constraint (and `EU` is
/// eu-west-1's old name).
pub fn bucket_region(constraint: Option<&str>) -> &str {
    match constraint {
        None | Some("") => "us-east-1",
        Some("EU") => "eu-west-1",
        Some(region) => region,
    }
}

async fn discover_one(clients: &Clients, name: &str) -> Result<Option<LiveResource>, AwsError> {
    let name = name.to_string();
    let s3 = &clients.s3;
    let tags = match s3.get_bucket_tagging().bucket(&name).send().await.aws("GetBucketTagging", &name) {
        Ok(output) => output.tag_set().to_vec(),
        Err(error) => match error.code() {
            Some("NoSuchBucket") => return Ok(None),
            // Someone else's bucket (403), or ours without tags: not owned either way.
            Some("AccessDenied" | "NoSuchTagSet" | "NoSuchTagSetError") => return Ok(None),
            _ => return Err(error),
        },
    };
    let pairs: Vec<(&str, &str)> = tags.iter().map(|tag| (tag.key(), tag.value())).collect();
    let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
    let (block, encryption, versioning) = tokio::join!(
        s3.get_public_access_block().bucket(&name).send(),
        s3.get_bucket_encryption().bucket(&name).send(),
        s3.get_bucket_versioning().bucket(&name).send(),
    );
    let block_public_access = match block.aws("GetPublicAccessBlock", &name) {
        Ok(output) => output.public_access_block_configuration().is_some_and(|config| {
            config.block_public_acls() == Some(true)
                && config.ignore_public_acls() == Some(true)
                && config.block_public_policy() == Some(true)
                && config.restrict_public_buckets() == Some(true)
        }),
        Err(error) if error.code() == Some("NoSuchPublicAccessBlockConfiguration") => false,
        Err(error) => return Err(error),
    };
    let encryption = match encryption.aws("GetBucketEncryption", &name) {
        Ok(output) => output
            .server_side_encryption_configuration()
            .and_then(|config| config.rules().first())
            .and_then(|rule| rule.apply_server_side_encryption_by_default())
            .map_or("none".to_string(), |default| default.sse_algorithm().as_str().to_string()),
        Err(error) if error.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => "none".to_string(),
        Err(error) => return Err(error),
    };
    let versioning = versioning.aws("GetBucketVersioning", &name)?;
    let props = S3BucketProps {
        name: name.clone(),
        block_public_access,
        encryption,
        versioning: versioning.status() == Some(&BucketVersioningStatus::Enabled),
        tags: tags_of(pairs),
    };
    Ok(Some(live_resource(Kind::S3Bucket, id, name.clone(), &props, attributes(clients, &name))))
}

fn attributes(clients: &Clients, name: &str) -> Attributes {
    Attributes::from([
        ("id".to_string(), name.to_string()),
        ("arn".to_string(), format!("arn:{}:s3:::{name}", clients.partition)),
        // How CloudFront names it as an origin: a distribution reading it holds this.
        ("regional_domain_name".to_string(), format!("{name}.s3.{}.amazonaws.com", clients.region)),
    ])
}

/// Puts the settings a new bucket needs (all but versioning, which a new bucket has off), or on an
/// update those that changed. Tags are not among them: a new bucket gets them in its create call,
/// an update replaces them first.
async fn put_settings(
    context: &StepContext<'_>,
    name: &str,
    props: &S3BucketProps,
    update: Option<&Update<'_>>,
) -> Result<(), AwsError> {
    let resource = context.resource();
    let s3 = &context.clients.s3;
    let changed = |field: &str| update.is_none_or(|update| update.changed(field));
    if changed(S3BucketProps::NAMES.block_public_access) {
        let blocked = props.block_public_access;
        let config = PublicAccessBlockConfiguration::builder()
            .block_public_acls(blocked)
            .ignore_public_acls(blocked)
            .block_public_policy(blocked)
            .restrict_public_buckets(blocked)
            .build();
        s3.put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(config)
            .send()
            .await
            .aws("PutPublicAccessBlock", &resource)?;
    }
    if changed(S3BucketProps::NAMES.encryption) {
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(props.encryption.as_str()))
            .build()
            .map_err(|e| AwsError::refused(&resource, e.to_string()))?;
        let config = ServerSideEncryptionConfiguration::builder()
            .rules(ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(default).build())
            .build()
            .map_err(|e| AwsError::refused(&resource, e.to_string()))?;
        s3.put_bucket_encryption()
            .bucket(name)
            .server_side_encryption_configuration(config)
            .send()
            .await
            .aws("PutBucketEncryption", &resource)?;
    }
    // A new bucket is unversioned; versioning is only ever suspended, never "disabled", once on.
    if update.is_some() && changed(S3BucketProps::NAMES.versioning) {
        let status = if props.versioning { BucketVersioningStatus::Enabled } else { BucketVersioningStatus::Suspended };
        s3.put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .send()
            .await
            .aws("PutBucketVersioning", &resource)?;
    }
    Ok(())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: S3BucketProps = context.decode(props)?;
    let name = props.name.as_str();
    let resource = context.resource();
    let s3 = &context.clients.s3;
    // us-east-1 answers 200 to CreateBucket on a bucket the account already has, so an unowned
    // bucket with this name must be caught before creating, never adopted. On a retry the bucket
    // may be this step's own, made by the attempt that failed later on, so the check is skipped.
    if !context.retry && s3.head_bucket().bucket(name).send().await.is_ok() {
        return Err(AwsError::refused(
            resource,
            format!("bucket {name} exists but is not tagged {}={}; wl-infra never touches resources it does not own: delete it, or tag it to adopt it", crate::graph::STACK_TAG, context.clients.stack),
        ));
    }
    // Tagged in the create call itself (CreateBucketConfiguration.Tags, for general purpose buckets
    // too since 2025), so a run killed right after the create leaves a bucket the next one finds.
    let create = |with_tags: bool| {
        let mut configuration = CreateBucketConfiguration::builder();
        if with_tags {
            configuration = configuration.set_tags(Some(tags::s3_list(&props.tags)));
        }
        if context.clients.region != "us-east-1" {
            configuration =
                configuration.location_constraint(BucketLocationConstraint::from(context.clients.region.as_str()));
        }
        s3.create_bucket().bucket(name).create_bucket_configuration(configuration.build()).send()
    };
    let mut created = create(true).await.map(|_| ()).aws("CreateBucket", &resource);
    // Tags in CreateBucket need s3:TagResource besides s3:CreateBucket (API_CreateBucket): a
    // principal without it is answered AccessDenied, so the bucket is made untagged and tagged
    // right after (PutBucketTagging, s3:PutBucketTagging), as before S3 took tags on create.
    let tag_after = created.as_ref().is_err_and(|error| error.code() == Some("AccessDenied"));
    if tag_after {
        created = create(false).await.map(|_| ()).aws("CreateBucket", &resource);
    }
    if context.retry {
        super::done_if(created, &["BucketAlreadyOwnedByYou"])?
    } else {
        created?
    };
    if tag_after {
        tags::replace(context, tags::Style::S3, name, &props.tags, &Tags::new()).await?;
    }
    put_settings(context, name, &props, None).await?;
    Ok(attributes(context.clients, name))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (S3BucketProps, S3BucketProps) = update.decode(context)?;
    tags::replace(context, tags::Style::S3, update.physical_id, &desired.tags, &live.tags).await?;
    put_settings(context, update.physical_id, &desired, Some(update)).await?;
    Ok(attributes(context.clients, update.physical_id))
}

/// Deletes every object version and delete marker, 1000 at a time, then the bucket. A key S3
/// refuses to delete fails the step with the keys and S3's reasons (looping on it would never
/// end); the whole emptying is bounded by the kind's time limit.
pub async fn delete(context: &StepContext<'_>, name: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource();
    let s3 = &context.clients.s3;
    let deadline = std::time::Instant::now() + context.timeouts.for_kind(Kind::S3Bucket);
    loop {
        if std::time::Instant::now() > deadline {
            return Err(AwsError::Timeout {
                resource,
                state: "empty".to_string(),
                seconds: context.timeouts.for_kind(Kind::S3Bucket).as_secs(),
            });
        }
        let listing = s3.list_object_versions().bucket(name).send().await.aws("ListObjectVersions", &resource)?;
        let mut objects: Vec<ObjectIdentifier> = Vec::new();
        let versions = listing.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = listing.delete_markers().iter().map(|m| (m.key(), m.version_id()));
        for (key, version) in versions.chain(markers) {
            if let Some(key) = key {
                objects.extend(
                    ObjectIdentifier::builder().key(key).set_version_id(version.map(str::to_string)).build().ok(),
                );
            }
        }
        if objects.is_empty() {
            break;
        }
        for chunk in objects.chunks(1000) {
            let batch = Delete::builder()
                .set_objects(Some(chunk.to_vec()))
                .quiet(true)
                .build()
                .map_err(|e| AwsError::refused(&resource, e.to_string()))?;
            let output = s3.delete_objects().bucket(name).delete(batch).send().await.aws("DeleteObjects", &resource)?;
            let refused = refused_keys(output.errors());
            if !refused.is_empty() {
                return Err(AwsError::refused(
                    &resource,
                    format!(
                        "S3 refused to delete {} object(s) while emptying bucket {name}: {}; fix their permissions or object lock, then destroy again",
                        refused.len(),
                        refused.join("; ")
                    ),
                ));
            }
        }
    }
    s3.delete_bucket().bucket(name).send().await.aws("DeleteBucket", &resource)?;
    Ok(())
}

/// The per-key failures of a DeleteObjects answer, as `key (code: message)`, at most ten.
pub fn refused_keys(errors: &[aws_sdk_s3::types::Error]) -> Vec<String> {
    errors
        .iter()
        .take(10)
        .map(|error| {
            format!(
                "{} ({}: {})",
                error.key().unwrap_or("?"),
                error.code().unwrap_or("error"),
                error.message().unwrap_or("no message")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_location_names_its_region() {
        assert_eq!(bucket_region(None), "us-east-1");
        assert_eq!(bucket_region(Some("")), "us-east-1");
        assert_eq!(bucket_region(Some("EU")), "eu-west-1");
        assert_eq!(bucket_region(Some("us-west-2")), "us-west-2");
    }

    #[test]
    fn keys_s3_refuses_to_delete_are_named_with_the_reason() {
        // A DeleteObjects answer with one key under object lock, as S3 gives it.
        let error = aws_sdk_s3::types::Error::builder()
            .key("assets/app.js")
            .version_id("3HL4kqtJ")
            .code("AccessDenied")
            .message("Access Denied because object protected by object lock.")
            .build();
        assert_eq!(
            refused_keys(&[error]),
            vec!["assets/app.js (AccessDenied: Access Denied because object protected by object lock.)".to_string()]
        );
        assert!(refused_keys(&[]).is_empty());
    }
}
