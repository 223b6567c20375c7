//! What the RDS and ElastiCache subnet groups share: the same properties, the same discovery by
//! name prefix and tags, and the same create, modify and delete, each sent to its own service's
//! API. The two driver files (`db_subnet_group`, `cache_subnet_group`) name their service.

use super::props::{tags_of, Tags};
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::data::SubnetGroupProps;
use crate::graph::{Kind, Props};
use crate::plan::LiveResource;

/// The service a subnet group belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Rds,
    Elasticache,
}

impl Service {
    fn kind(self) -> Kind {
        match self {
            Service::Rds => Kind::DbSubnetGroup,
            Service::Elasticache => Kind::CacheSubnetGroup,
        }
    }
}

/// A subnet group as either service answers it: name, description, subnets, ARN.
struct Listed {
    name: String,
    description: String,
    subnet_ids: Vec<String>,
    arn: String,
}

fn attributes(name: &str, arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), name.to_string()), ("arn".to_string(), arn.to_string())])
}

/// The tags and owner id of an RDS or ElastiCache resource, read with one ListTagsForResource.
pub async fn read_tags(clients: &Clients, service: Service, arn: &str) -> Result<(Tags, Option<String>), AwsError> {
    // Both services answer a `TagList` of `Tag { Key, Value }`, each in its own SDK type.
    macro_rules! tag_pairs {
        ($client:expr) => {
            $client.list_tags_for_resource().resource_name(arn).send().await.aws("ListTagsForResource", arn).map(
                |output| {
                    output
                        .tag_list()
                        .iter()
                        .map(|tag| {
                            (tag.key().unwrap_or_default().to_string(), tag.value().unwrap_or_default().to_string())
                        })
                        .collect::<Vec<(String, String)>>()
                },
            )
        };
    }
    let read = match service {
        Service::Rds => tag_pairs!(clients.rds),
        Service::Elasticache => tag_pairs!(clients.elasticache),
    };
    let pairs = match read {
        Ok(pairs) => pairs,
        // Deleted between the listing and this read (by another stack, say): no one's.
        Err(error) if error.is_not_found() => return Ok((Tags::new(), None)),
        Err(error) => return Err(error),
    };
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect();
    Ok((tags_of(pairs.iter().copied()), super::owned_id(&clients.stack, pairs.iter().copied())))
}

async fn list(clients: &Clients, service: Service) -> Result<Vec<Listed>, AwsError> {
    let mut groups = Vec::new();
    let sorted = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };
    match service {
        Service::Rds => {
            let mut pages = clients.rds.describe_db_subnet_groups().into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.aws("DescribeDBSubnetGroups", "the stack's db subnet groups")?;
                groups.extend(page.db_subnet_groups().iter().map(|group| Listed {
                    name: group.db_subnet_group_name().unwrap_or_default().to_string(),
                    description: group.db_subnet_group_description().unwrap_or_default().to_string(),
                    subnet_ids: sorted(
                        group.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect(),
                    ),
                    arn: group.db_subnet_group_arn().unwrap_or_default().to_string(),
                }));
            }
        }
        Service::Elasticache => {
            let mut pages = clients.elasticache.describe_cache_subnet_groups().into_paginator().send();
            while let Some(page) = pages.next().await {
                let page = page.aws("DescribeCacheSubnetGroups", "the stack's cache subnet groups")?;
                groups.extend(page.cache_subnet_groups().iter().map(|group| Listed {
                    name: group.cache_subnet_group_name().unwrap_or_default().to_string(),
                    description: group.cache_subnet_group_description().unwrap_or_default().to_string(),
                    subnet_ids: sorted(
                        group.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect(),
                    ),
                    arn: group.arn().unwrap_or_default().to_string(),
                }));
            }
        }
    }
    Ok(groups)
}

/// The service's subnet groups named like the stack's, then each one's tags.
pub async fn discover(clients: &Clients, service: Service) -> Result<Vec<LiveResource>, AwsError> {
    let prefix = format!("{}-", clients.stack);
    let groups: Vec<Listed> =
        list(clients, service).await?.into_iter().filter(|g| g.name.starts_with(&prefix)).collect();
    let reads = groups.into_iter().map(|group| async move {
        let (tags, owner) = read_tags(clients, service, &group.arn).await?;
        let Some(id) = owner else { return Ok(None) };
        let props = SubnetGroupProps {
            name: group.name.clone(),
            description: group.description,
            subnet_ids: group.subnet_ids,
            tags,
        };
        Ok::<_, AwsError>(Some(live_resource(
            service.kind(),
            id,
            &group.name,
            &props,
            attributes(&group.name, &group.arn),
        )))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

pub async fn create(context: &StepContext<'_>, service: Service, props: &Props) -> Result<Attributes, AwsError> {
    let props: SubnetGroupProps = context.decode(props)?;
    let resource = context.resource();
    let clients = context.clients;
    let arn = match service {
        Service::Rds => {
            let output = clients
                .rds
                .create_db_subnet_group()
                .db_subnet_group_name(&props.name)
                .db_subnet_group_description(&props.description)
                .set_subnet_ids(Some(props.subnet_ids.clone()))
                .set_tags(Some(tags::rds_list(&props.tags)))
                .send()
                .await
                .aws("CreateDBSubnetGroup", &resource)?;
            output.db_subnet_group().and_then(|g| g.db_subnet_group_arn()).unwrap_or_default().to_string()
        }
        Service::Elasticache => {
            let output = clients
                .elasticache
                .create_cache_subnet_group()
                .cache_subnet_group_name(&props.name)
                .cache_subnet_group_description(&props.description)
                .set_subnet_ids(Some(props.subnet_ids.clone()))
                .set_tags(Some(tags::elasticache_list(&props.tags)))
                .send()
                .await
                .aws("CreateCacheSubnetGroup", &resource)?;
            output.cache_subnet_group().and_then(|g| g.arn()).unwrap_or_default().to_string()
        }
    };
    Ok(attributes(&props.name, &arn))
}

pub async fn update(context: &StepContext<'_>, service: Service, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (SubnetGroupProps, SubnetGroupProps) = update.decode(context)?;
    let resource = context.resource();
    let clients = context.clients;
    let (arn, style) = match service {
        Service::Rds => {
            let output = clients
                .rds
                .modify_db_subnet_group()
                .db_subnet_group_name(update.physical_id)
                .db_subnet_group_description(&desired.description)
                .set_subnet_ids(Some(desired.subnet_ids.clone()))
                .send()
                .await
                .aws("ModifyDBSubnetGroup", &resource)?;
            let arn = output.db_subnet_group().and_then(|g| g.db_subnet_group_arn()).unwrap_or_default().to_string();
            (arn, tags::Style::Rds)
        }
        Service::Elasticache => {
            let output = clients
                .elasticache
                .modify_cache_subnet_group()
                .cache_subnet_group_name(update.physical_id)
                .cache_subnet_group_description(&desired.description)
                .set_subnet_ids(Some(desired.subnet_ids.clone()))
                .send()
                .await
                .aws("ModifyCacheSubnetGroup", &resource)?;
            let arn = output.cache_subnet_group().and_then(|g| g.arn()).unwrap_or_default().to_string();
            (arn, tags::Style::Elasticache)
        }
    };
    tags::replace(context, style, &arn, &desired.tags, &live.tags).await?;
    Ok(attributes(update.physical_id, &arn))
}

pub async fn delete(context: &StepContext<'_>, service: Service, name: &str) -> Result<(), AwsError> {
    let resource = context.resource();
    let clients = context.clients;
    match service {
        Service::Rds => {
            let call = clients.rds.delete_db_subnet_group().db_subnet_group_name(name);
            call.send().await.aws("DeleteDBSubnetGroup", &resource)?;
        }
        Service::Elasticache => {
            let call = clients.elasticache.delete_cache_subnet_group().cache_subnet_group_name(name);
            call.send().await.aws("DeleteCacheSubnetGroup", &resource)?;
        }
    }
    Ok(())
}
