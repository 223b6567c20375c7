//! Driver for the stack's Cloud Map HTTP namespace, in which ECS Service Connect names the
//! services so they call each other inside the VPC (`http://user:8001`).
//!
//! Cloud Map's namespace calls are asynchronous: CreateHttpNamespace and DeleteNamespace answer an
//! operation id, and the namespace exists (or is gone) once GetOperation reads SUCCESS
//! (API_CreateHttpNamespace, API_GetOperation). ECS creates one Cloud Map service in the namespace
//! per Service Connect service and removes it some time after the ECS service is deleted; until
//! then DeleteNamespace answers ResourceInUse ("Namespace has associated services"), so the delete
//! waits for that within the kind's limit.

use aws_sdk_servicediscovery::types::{
    FilterCondition, NamespaceFilter, NamespaceFilterName, OperationStatus, OperationTargetType,
};

use super::driver::driver;
use super::props::tags_of;
use super::token::{client_token, TokenApi};
use super::{live_resource, tags, wait_for, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::properties::compute::ServiceNamespaceProps;
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(ServiceNamespaceDriver, ServiceNamespaceProps);

fn attributes(id: &str, arn: &str) -> Attributes {
    Attributes::from([("id".to_string(), id.to_string()), ("arn".to_string(), arn.to_string())])
}

/// The HTTP namespaces named like the stack (ListNamespaces filters after paging, so every page is
/// read), then each one's tags.
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let http_only = NamespaceFilter::builder()
        .name(NamespaceFilterName::Type)
        .values("HTTP")
        .condition(FilterCondition::Eq)
        .build()
        .map_err(|error| AwsError::refused("the stack's service namespace", format!("{error}; this is a bug")))?;
    let mut namespaces = Vec::new();
    let mut pages = clients.cloud_map.list_namespaces().filters(http_only).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("ListNamespaces", "the stack's service namespace")?;
        namespaces
            .extend(page.namespaces().iter().filter(|namespace| namespace.name() == Some(&clients.stack)).cloned());
    }
    let reads = namespaces.iter().map(|namespace| async move {
        let id = namespace.id().unwrap_or_default();
        let arn = namespace.arn().unwrap_or_default();
        let output = clients.cloud_map.list_tags_for_resource().resource_arn(arn).send().await;
        let Some(output) = output.aws_or_gone("ListTagsForResource", id)? else { return Ok(None) };
        let tags = output.tags().to_vec();
        let pairs: Vec<(&str, &str)> = tags.iter().map(|tag| (tag.key(), tag.value())).collect();
        let Some(owner) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
        let props = ServiceNamespaceProps {
            name: namespace.name().unwrap_or_default().to_string(),
            description: namespace.description().unwrap_or_default().to_string(),
            tags: tags_of(pairs),
        };
        Ok::<_, AwsError>(Some(live_resource(Kind::ServiceNamespace, owner, id, &props, attributes(id, arn))))
    });
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

/// Waits for a namespace operation to succeed; answers its namespace id.
async fn operation_done(context: &StepContext<'_>, operation_id: &str, state: &str) -> Result<String, AwsError> {
    let resource = context.resource();
    wait_for(context, state, || async {
        let output = context
            .clients
            .cloud_map
            .get_operation()
            .operation_id(operation_id)
            .send()
            .await
            .aws("GetOperation", &resource)?;
        let Some(operation) = output.operation() else { return Ok(None) };
        match operation.status() {
            Some(OperationStatus::Success) => {
                let targets = operation.targets();
                Ok(Some(targets.and_then(|t| t.get(&OperationTargetType::Namespace)).cloned().unwrap_or_default()))
            }
            Some(OperationStatus::Fail) => Err(AwsError::Service {
                operation: "GetOperation",
                resource: resource.clone(),
                code: operation.error_code().unwrap_or("OperationFailed").to_string(),
                message: operation.error_message().unwrap_or("the namespace operation failed").to_string(),
                request_id: None,
                // A delete that found the namespace still in use is tried again.
                class: if operation.error_code() == Some("RESOURCE_IN_USE") {
                    super::ErrorClass::Transient
                } else {
                    super::ErrorClass::Permanent
                },
            }),
            _ => Ok(None),
        }
    })
    .await
}

pub async fn create(context: &StepContext<'_>, resolved: &Props) -> Result<Attributes, AwsError> {
    let props: ServiceNamespaceProps = context.decode(resolved)?;
    let resource = context.resource();
    // The same request id makes a repeated create (its answer lost) answer the same operation.
    let token = client_token(TokenApi::CloudMap, &context.clients.run_id, context.id, resolved);
    let output = context
        .clients
        .cloud_map
        .create_http_namespace()
        .name(&props.name)
        .description(&props.description)
        .creator_request_id(token)
        .set_tags(Some(tags::cloud_map_list(&props.tags)))
        .send()
        .await
        .aws("CreateHttpNamespace", &resource)?;
    let namespace_id = operation_done(context, output.operation_id().unwrap_or_default(), "created").await?;
    let namespace =
        context.clients.cloud_map.get_namespace().id(&namespace_id).send().await.aws("GetNamespace", &resource)?;
    let arn = namespace.namespace().and_then(|namespace| namespace.arn()).unwrap_or_default();
    Ok(attributes(&namespace_id, arn))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (ServiceNamespaceProps, ServiceNamespaceProps) = update.decode(context)?;
    let resource = context.resource();
    let namespace_id = update.physical_id;
    let namespace =
        context.clients.cloud_map.get_namespace().id(namespace_id).send().await.aws("GetNamespace", &resource)?;
    let arn = namespace.namespace().and_then(|namespace| namespace.arn()).unwrap_or_default().to_string();
    if update.changed(ServiceNamespaceProps::NAMES.description) {
        let change = aws_sdk_servicediscovery::types::HttpNamespaceChange::builder()
            .description(&desired.description)
            .build()
            .map_err(|error| AwsError::refused(&resource, format!("{error}; this is a bug")))?;
        let output = context
            .clients
            .cloud_map
            .update_http_namespace()
            .id(namespace_id)
            .namespace(change)
            .send()
            .await
            .aws("UpdateHttpNamespace", &resource)?;
        operation_done(context, output.operation_id().unwrap_or_default(), "updated").await?;
    }
    tags::replace(context, tags::Style::CloudMap, &arn, &desired.tags, &live.tags).await?;
    Ok(attributes(namespace_id, &arn))
}

/// What a DeleteNamespace answer says of the namespace.
#[derive(Debug, PartialEq)]
pub enum Deletion {
    /// This call started the deletion: its operation id.
    Started(String),
    /// A deletion is under way already: DuplicateRequest "The operation is already in progress."
    /// (API_DeleteNamespace, Errors), what the SDK's second request hears when the answer to the
    /// first was lost.
    UnderWay,
    Gone,
}

/// Reads a DeleteNamespace answer. Pure.
pub fn deletion_of(answer: Result<Option<String>, AwsError>) -> Result<Deletion, AwsError> {
    match answer {
        Ok(Some(operation_id)) => Ok(Deletion::Started(operation_id)),
        Ok(None) => Ok(Deletion::UnderWay),
        Err(error) if error.is_not_found() => Ok(Deletion::Gone),
        Err(error) if error.code() == Some("DuplicateRequest") => Ok(Deletion::UnderWay),
        Err(error) => Err(error),
    }
}

/// Deletes the namespace once ECS has removed the Cloud Map services Service Connect made in it.
pub async fn delete(context: &StepContext<'_>, namespace_id: &str, _live: &Props) -> Result<(), AwsError> {
    let resource = context.resource();
    let cloud_map = &context.clients.cloud_map;
    let deletion = super::retry_while(context, "free of the services ECS made in it", &["ResourceInUse"], || async {
        let deleted = cloud_map.delete_namespace().id(namespace_id).send().await.aws("DeleteNamespace", &resource);
        deletion_of(deleted.map(|output| output.operation_id().map(str::to_string)))
    })
    .await?;
    match deletion {
        Deletion::Started(operation_id) => operation_done(context, &operation_id, "deleted").await.map(|_| ()),
        Deletion::UnderWay => {
            wait_for(context, "deleted", || async {
                let read = cloud_map.get_namespace().id(namespace_id).send().await;
                Ok(read.aws_or_gone("GetNamespace", &resource)?.is_none().then_some(()))
            })
            .await
        }
        Deletion::Gone => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::ErrorClass;
    use super::*;

    fn refusal(code: &str) -> AwsError {
        answer(code, ErrorClass::Permanent)
    }

    fn answer(code: &str, class: ErrorClass) -> AwsError {
        AwsError::Service {
            operation: "DeleteNamespace",
            resource: "service_namespace namespace".into(),
            code: code.into(),
            message: "The operation is already in progress.".into(),
            request_id: None,
            class,
        }
    }

    #[test]
    fn a_delete_already_under_way_is_waited_for_and_other_refusals_fail() {
        assert_eq!(deletion_of(Ok(Some("op-1".into()))).ok(), Some(Deletion::Started("op-1".into())));
        assert_eq!(deletion_of(Err(refusal("DuplicateRequest"))).ok(), Some(Deletion::UnderWay));
        assert_eq!(deletion_of(Err(answer("NamespaceNotFound", ErrorClass::NotFound))).ok(), Some(Deletion::Gone));
        assert!(deletion_of(Err(refusal("InvalidInput"))).is_err());
    }
}
