//! Driver for the ElastiCache subnet group that places the cache in the private subnets.

use aws_sdk_elasticache::types::CacheSubnetGroup;
use serde::{Deserialize, Serialize};

use super::driver::driver;
use super::props::{tags_of, Tags};
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

/// The cache subnet group's properties, as the graph builds them and discovery reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSubnetGroupProps {
    pub name: String,
    pub description: String,
    pub subnet_ids: Vec<String>,
    pub tags: Tags,
}

driver!(CacheSubnetGroupDriver, CacheSubnetGroupProps);

/// The tags and owner id of an ElastiCache resource, read with one ListTagsForResource.
pub async fn read_tags(clients: &Clients, arn: &str) -> Result<(Tags, Option<String>), AwsError> {
    let output =
        clients.elasticache.list_tags_for_resource().resource_name(arn).send().await.aws("ListTagsForResource", arn);
    let output = match output {
        Ok(output) => output,
        // Deleted between the listing and this read (by another stack, say): owned by no one.
        Err(error) if error.is_not_found() => return Ok((Tags::new(), None)),
        Err(error) => return Err(error),
    };
    let pairs: Vec<(&str, &str)> =
        output.tag_list().iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())).collect();
    Ok((tags_of(pairs.iter().copied()), super::owned_id(&clients.stack, pairs.iter().copied())))
}

fn attributes(name: &str, arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), name.to_string()), ("arn".to_string(), arn.to_string())])
}

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = format!("{}-", clients.stack);
    let mut groups = Vec::new();
    let mut pages = clients.elasticache.describe_cache_subnet_groups().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeCacheSubnetGroups", "the stack's cache subnet groups")?;
        groups.extend(
            page.cache_subnet_groups()
                .iter()
                .filter(|g| g.cache_subnet_group_name().is_some_and(|n| n.starts_with(&prefix)))
                .cloned(),
        );
    }
    let reads = groups.iter().map(|group| async move {
        let arn = group.arn().unwrap_or_default();
        let (tags, owner) = read_tags(clients, arn).await?;
        let Some(id) = owner else { return Ok(None) };
        let props = props_of(group, tags);
        let name = props.name.clone();
        Ok::<_, AwsError>(Some(live_resource(Kind::CacheSubnetGroup, id, &name, &props, attributes(&name, arn))))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

fn props_of(group: &CacheSubnetGroup, tags: Tags) -> CacheSubnetGroupProps {
    let mut subnet_ids: Vec<String> =
        group.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect();
    subnet_ids.sort();
    CacheSubnetGroupProps {
        name: group.cache_subnet_group_name().unwrap_or_default().to_string(),
        description: group.cache_subnet_group_description().unwrap_or_default().to_string(),
        subnet_ids,
        tags,
    }
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: CacheSubnetGroupProps = context.decode(props)?;
    let output = context
        .clients
        .elasticache
        .create_cache_subnet_group()
        .cache_subnet_group_name(&props.name)
        .cache_subnet_group_description(&props.description)
        .set_subnet_ids(Some(props.subnet_ids.clone()))
        .set_tags(Some(tags::elasticache_list(&props.tags)))
        .send()
        .await
        .aws("CreateCacheSubnetGroup", &context.resource())?;
    let arn = output.cache_subnet_group().and_then(|g| g.arn()).unwrap_or_default();
    Ok(attributes(&props.name, arn))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (CacheSubnetGroupProps, CacheSubnetGroupProps) = update.decode(context)?;
    let output = context
        .clients
        .elasticache
        .modify_cache_subnet_group()
        .cache_subnet_group_name(update.physical_id)
        .cache_subnet_group_description(&desired.description)
        .set_subnet_ids(Some(desired.subnet_ids.clone()))
        .send()
        .await
        .aws("ModifyCacheSubnetGroup", &context.resource())?;
    let arn = output.cache_subnet_group().and_then(|g| g.arn()).unwrap_or_default().to_string();
    tags::replace(context, tags::Style::Elasticache, &arn, &desired.tags, &live.tags).await?;
    Ok(attributes(update.physical_id, &arn))
}

pub async fn delete(context: &StepContext<'_>, name: &str, _live: &Props) -> Result<(), AwsError> {
    context
        .clients
        .elasticache
        .delete_cache_subnet_group()
        .cache_subnet_group_name(name)
        .send()
        .await
        .aws("DeleteCacheSubnetGroup", &context.resource())?;
    Ok(())
}
