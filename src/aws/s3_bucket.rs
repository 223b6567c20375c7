//! Driver for the frontend's S3 bucket: private, public access blocked, encrypted, unversioned.

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, ObjectIdentifier,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration,
};

use super::{error::from_sdk, flag, tag_pairs, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

/// Reads the stack's bucket by its deterministic name; a bucket without the stack's tags is not ours.
pub async fn discover_named(clients: &super::Clients, name: &str) -> Result<Vec<LiveResource>, AwsError> {
    let name = name.to_string();
    let s3 = &clients.s3;
    let tags = match s3.get_bucket_tagging().bucket(&name).send().await {
        Ok(output) => output.tag_set().to_vec(),
        Err(e) => {
            let error = from_sdk("GetBucketTagging", &name, e);
            match error.code() {
                Some("NoSuchBucket") => return Ok(Vec::new()),
                // Someone else's bucket (403), or ours without tags: not owned either way.
                Some("AccessDenied" | "NoSuchTagSet" | "NoSuchTagSetError") => return Ok(Vec::new()),
                _ => return Err(error),
            }
        }
    };
    let pairs: Vec<(&str, &str)> = tags.iter().map(|tag| (tag.key(), tag.value())).collect();
    let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(Vec::new()) };
    let (block, encryption, versioning) = tokio::join!(
        s3.get_public_access_block().bucket(&name).send(),
        s3.get_bucket_encryption().bucket(&name).send(),
        s3.get_bucket_versioning().bucket(&name).send(),
    );
    let block_public_access = match block {
        Ok(output) => output.public_access_block_configuration().is_some_and(|config| {
            config.block_public_acls() == Some(true)
                && config.ignore_public_acls() == Some(true)
                && config.block_public_policy() == Some(true)
                && config.restrict_public_buckets() == Some(true)
        }),
        Err(e) => {
            let error = from_sdk("GetPublicAccessBlock", &name, e);
            if error.code() == Some("NoSuchPublicAccessBlockConfiguration") {
                false
            } else {
                return Err(error);
            }
        }
    };
    let encryption = match encryption {
        Ok(output) => output
            .server_side_encryption_configuration()
            .and_then(|config| config.rules().first())
            .and_then(|rule| rule.apply_server_side_encryption_by_default())
            .map_or("none".to_string(), |default| default.sse_algorithm().as_str().to_string()),
        Err(e) => {
            let error = from_sdk("GetBucketEncryption", &name, e);
            if error.code() == Some("ServerSideEncryptionConfigurationNotFoundError") {
                "none".to_string()
            } else {
                return Err(error);
            }
        }
    };
    let versioning = versioning.map_err(|e| from_sdk("GetBucketVersioning", &name, e))?;
    let mut props = Props::new();
    props.insert("name".into(), Value::string(&name));
    props.insert("block_public_access".into(), Value::Bool(block_public_access));
    props.insert("encryption".into(), Value::string(encryption));
    props.insert("versioning".into(), Value::Bool(versioning.status() == Some(&BucketVersioningStatus::Enabled)));
    props.insert("tags".into(), super::tags_value(pairs));
    Ok(vec![LiveResource {
        id,
        kind: Kind::S3Bucket,
        physical_id: name.clone(),
        props,
        attributes: Attributes::from([
            ("id".to_string(), name.clone()),
            ("arn".to_string(), format!("arn:aws:s3:::{name}")),
        ]),
    }])
}

async fn put_settings(
    context: &StepContext<'_>,
    name: &str,
    props: &Props,
    update: Option<&Update<'_>>,
) -> Result<(), AwsError> {
    let resource = context.resource(Kind::S3Bucket);
    let s3 = &context.clients.s3;
    let changed = |field: &str| update.is_none_or(|update| update.changed(field));
    if changed("tags") {
        let tags: Vec<Tag> = tag_pairs(props)
            .into_iter()
            .filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok())
            .collect();
        let tagging = Tagging::builder()
            .set_tag_set(Some(tags))
            .build()
            .map_err(|e| AwsError::refused(&resource, e.to_string()))?;
        s3.put_bucket_tagging()
            .bucket(name)
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| from_sdk("PutBucketTagging", &resource, e))?;
    }
    if changed("block_public_access") {
        let blocked = flag(props, "block_public_access");
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
            .map_err(|e| from_sdk("PutPublicAccessBlock", &resource, e))?;
    }
    if changed("encryption") {
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(text(props, "encryption")))
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
            .map_err(|e| from_sdk("PutBucketEncryption", &resource, e))?;
    }
    // A new bucket is unversioned; versioning is only ever suspended, never "disabled", once on.
    if update.is_some() && changed("versioning") {
        let status =
            if flag(props, "versioning") { BucketVersioningStatus::Enabled } else { BucketVersioningStatus::Suspended };
        s3.put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .send()
            .await
            .map_err(|e| from_sdk("PutBucketVersioning", &resource, e))?;
    }
    Ok(())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let name = text(props, "name");
    let resource = context.resource(Kind::S3Bucket);
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
    let mut request = s3.create_bucket().bucket(name);
    if context.clients.region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(context.clients.region.as_str()))
                .build(),
        );
    }
    let created = request.send().await.map(|_| ()).map_err(|e| from_sdk("CreateBucket", &resource, e));
    if context.retry {
        super::done_if(created, &["BucketAlreadyOwnedByYou"])?
    } else {
        created?
    };
    put_settings(context, name, props, None).await?;
    Ok(Attributes::from([("id".to_string(), name.to_string()), ("arn".to_string(), format!("arn:aws:s3:::{name}"))]))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    put_settings(context, update.physical_id, update.props, Some(update)).await?;
    let name = update.physical_id;
    Ok(Attributes::from([("id".to_string(), name.to_string()), ("arn".to_string(), format!("arn:aws:s3:::{name}"))]))
}

/// Deletes every object version and delete marker, 1000 at a time, then the bucket.
pub async fn delete(context: &StepContext<'_>, name: &str) -> Result<(), AwsError> {
    let resource = context.resource(Kind::S3Bucket);
    let s3 = &context.clients.s3;
    loop {
        let listing = s3
            .list_object_versions()
            .bucket(name)
            .send()
            .await
            .map_err(|e| from_sdk("ListObjectVersions", &resource, e))?;
        let mut objects: Vec<ObjectIdentifier> = Vec::new();
        for version in listing.versions() {
            if let Some(key) = version.key() {
                objects.extend(
                    ObjectIdentifier::builder()
                        .key(key)
                        .set_version_id(version.version_id().map(str::to_string))
                        .build()
                        .ok(),
                );
            }
        }
        for marker in listing.delete_markers() {
            if let Some(key) = marker.key() {
                objects.extend(
                    ObjectIdentifier::builder()
                        .key(key)
                        .set_version_id(marker.version_id().map(str::to_string))
                        .build()
                        .ok(),
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
            s3.delete_objects()
                .bucket(name)
                .delete(batch)
                .send()
                .await
                .map_err(|e| from_sdk("DeleteObjects", &resource, e))?;
        }
    }
    s3.delete_bucket().bucket(name).send().await.map_err(|e| from_sdk("DeleteBucket", &resource, e))?;
    Ok(())
}
