//! Driver for the RDS subnet group that places the databases in the private subnets.

use aws_sdk_rds::types::DbSubnetGroup;
use serde::{Deserialize, Serialize};

use super::driver::driver;
use super::props::{tags_of, Tags};
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

/// The DB subnet group's properties, as the graph builds them and discovery reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbSubnetGroupProps {
    pub name: String,
    pub description: String,
    pub subnet_ids: Vec<String>,
    pub tags: Tags,
}

driver!(DbSubnetGroupDriver, DbSubnetGroupProps);

/// The tags and owner id of an RDS resource, read with one ListTagsForResource.
pub async fn read_tags(clients: &Clients, arn: &str) -> Result<(Tags, Option<String>), AwsError> {
    let output = clients.rds.list_tags_for_resource().resource_name(arn).send().await.aws("ListTagsForResource", arn);
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
    let mut pages = clients.rds.describe_db_subnet_groups().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("DescribeDBSubnetGroups", "the stack's db subnet groups")?;
        groups.extend(
            page.db_subnet_groups()
                .iter()
                .filter(|g| g.db_subnet_group_name().is_some_and(|n| n.starts_with(&prefix)))
                .cloned(),
        );
    }
    let reads = groups.iter().map(|group| async move {
        let arn = group.db_subnet_group_arn().unwrap_or_default();
        let (tags, owner) = read_tags(clients, arn).await?;
        let Some(id) = owner else { return Ok(None) };
        let props = props_of(group, tags);
        let name = props.name.clone();
        Ok::<_, AwsError>(Some(live_resource(Kind::DbSubnetGroup, id, &name, &props, attributes(&name, arn))))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

fn props_of(group: &DbSubnetGroup, tags: Tags) -> DbSubnetGroupProps {
    let mut subnet_ids: Vec<String> =
        group.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect();
    subnet_ids.sort();
    DbSubnetGroupProps {
        name: group.db_subnet_group_name().unwrap_or_default().to_string(),
        description: group.db_subnet_group_description().unwrap_or_default().to_string(),
        subnet_ids,
        tags,
    }
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: DbSubnetGroupProps = context.decode(props)?;
    let output = context
        .clients
        .rds
        .create_db_subnet_group()
        .db_subnet_group_name(&props.name)
        .db_subnet_group_description(&props.description)
        .set_subnet_ids(Some(props.subnet_ids.clone()))
        .set_tags(Some(tags::rds_list(&props.tags)))
        .send()
        .await
        .aws("CreateDBSubnetGroup", &context.resource())?;
    let arn = output.db_subnet_group().and_then(|g| g.db_subnet_group_arn()).unwrap_or_default();
    Ok(attributes(&props.name, arn))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (DbSubnetGroupProps, DbSubnetGroupProps) = update.decode(context)?;
    let output = context
        .clients
        .rds
        .modify_db_subnet_group()
        .db_subnet_group_name(update.physical_id)
        .db_subnet_group_description(&desired.description)
        .set_subnet_ids(Some(desired.subnet_ids.clone()))
        .send()
        .await
        .aws("ModifyDBSubnetGroup", &context.resource())?;
    let arn = output.db_subnet_group().and_then(|g| g.db_subnet_group_arn()).unwrap_or_default().to_string();
    tags::replace(context, tags::Style::Rds, &arn, &desired.tags, &live.tags).await?;
    Ok(attributes(update.physical_id, &arn))
}

pub async fn delete(context: &StepContext<'_>, name: &str, _live: &Props) -> Result<(), AwsError> {
    context
        .clients
        .rds
        .delete_db_subnet_group()
        .db_subnet_group_name(name)
        .send()
        .await
        .aws("DeleteDBSubnetGroup", &context.resource())?;
    Ok(())
}
