//! Driver for the RDS subnet group that places the databases in the private subnets.

use aws_sdk_rds::types::Tag;

use super::{error::from_sdk, tag_pairs, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

pub fn rds_tags(props: &Props) -> Vec<Tag> {
    tag_pairs(props).into_iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

/// The `tags` value and owner id of an RDS resource, read with one ListTagsForResource.
pub async fn read_tags(clients: &super::Clients, arn: &str) -> Result<(Value, Option<String>), AwsError> {
    let output = clients
        .rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| from_sdk("ListTagsForResource", arn, e));
    let output = match output {
        Ok(output) => output,
        // Deleted between the listing and this read (by another stack, say): owned by no one.
        Err(error) if error.is_not_found() => return Ok((Value::Map(Default::default()), None)),
        Err(error) => return Err(error),
    };
    let pairs: Vec<(&str, &str)> =
        output.tag_list().iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default())).collect();
    Ok((super::tags_value(pairs.iter().copied()), super::owned_id(&clients.stack, pairs.iter().copied())))
}

/// Makes an RDS resource's tags equal to the desired ones.
pub async fn update_tags(context: &StepContext<'_>, arn: &str, update: &Update<'_>) -> Result<(), AwsError> {
    if !update.changed("tags") {
        return Ok(());
    }
    let stale = super::stale_tag_keys(update);
    let rds = &context.clients.rds;
    if !stale.is_empty() {
        rds.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| from_sdk("RemoveTagsFromResource", arn, e))?;
    }
    rds.add_tags_to_resource()
        .resource_name(arn)
        .set_tags(Some(rds_tags(update.props)))
        .send()
        .await
        .map_err(|e| from_sdk("AddTagsToResource", arn, e))?;
    Ok(())
}

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = format!("{}-", clients.stack);
    let mut groups = Vec::new();
    let mut pages = clients.rds.describe_db_subnet_groups().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("DescribeDBSubnetGroups", "the stack's db subnet groups", e))?;
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
        let name = group.db_subnet_group_name().unwrap_or_default().to_string();
        let mut subnets: Vec<Value> =
            group.subnets().iter().filter_map(|s| s.subnet_identifier().map(Value::string)).collect();
        subnets.sort();
        let mut props = Props::new();
        props.insert("name".into(), Value::string(&name));
        props.insert("description".into(), Value::string(group.db_subnet_group_description().unwrap_or_default()));
        props.insert("subnet_ids".into(), Value::List(subnets));
        props.insert("tags".into(), tags);
        Ok::<_, AwsError>(Some(LiveResource {
            state: crate::plan::LiveState::Ready,
            id,
            kind: Kind::DbSubnetGroup,
            physical_id: name.clone(),
            props,
            attributes: Attributes::from([("id".to_string(), name), ("arn".to_string(), arn.to_string())]),
        }))
    });
    Ok(futures_util::future::try_join_all(reads).await?.into_iter().flatten().collect())
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let name = text(props, "name");
    let output = context
        .clients
        .rds
        .create_db_subnet_group()
        .db_subnet_group_name(name)
        .db_subnet_group_description(text(props, "description"))
        .set_subnet_ids(Some(super::texts(props, "subnet_ids")))
        .set_tags(Some(rds_tags(props)))
        .send()
        .await
        .map_err(|e| from_sdk("CreateDBSubnetGroup", &context.resource(Kind::DbSubnetGroup), e))?;
    let arn = output.db_subnet_group().and_then(|g| g.db_subnet_group_arn()).unwrap_or_default();
    Ok(Attributes::from([("id".to_string(), name.to_string()), ("arn".to_string(), arn.to_string())]))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let resource = context.resource(Kind::DbSubnetGroup);
    let output = context
        .clients
        .rds
        .modify_db_subnet_group()
        .db_subnet_group_name(update.physical_id)
        .db_subnet_group_description(text(update.props, "description"))
        .set_subnet_ids(Some(super::texts(update.props, "subnet_ids")))
        .send()
        .await
        .map_err(|e| from_sdk("ModifyDBSubnetGroup", &resource, e))?;
    let arn = output.db_subnet_group().and_then(|g| g.db_subnet_group_arn()).unwrap_or_default().to_string();
    update_tags(context, &arn, update).await?;
    Ok(Attributes::from([("id".to_string(), update.physical_id.to_string()), ("arn".to_string(), arn)]))
}

pub async fn delete(context: &StepContext<'_>, name: &str) -> Result<(), AwsError> {
    context
        .clients
        .rds
        .delete_db_subnet_group()
        .db_subnet_group_name(name)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteDBSubnetGroup", &context.resource(Kind::DbSubnetGroup), e))?;
    Ok(())
}
