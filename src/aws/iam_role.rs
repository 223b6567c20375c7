//! Driver for IAM roles: the task execution role and one task role per service, with their trust
//! policy, managed policy attachments and inline policies, all compared in canonical form.

use aws_sdk_iam::types::Tag;

use super::{error::from_sdk, tag_pairs, text, Attributes, AwsError, StepContext, Update};
use crate::graph::policy::{normalise_policy, percent_decode};
use crate::graph::{legacy_role_path, role_path, Kind, Props, Value};
use crate::plan::LiveResource;

fn role_tags(props: &Props) -> Vec<Tag> {
    tag_pairs(props).into_iter().filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok()).collect()
}

fn inline_policies(props: &Props) -> Vec<(String, String)> {
    props
        .get("inline_policies")
        .and_then(Value::as_map)
        .map(|map| map.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect())
        .unwrap_or_default()
}

fn attributes(name: &str, arn: &str) -> Attributes {
    Attributes::from([
        ("id".to_string(), name.to_string()),
        ("arn".to_string(), arn.to_string()),
        ("name".to_string(), name.to_string()),
    ])
}

/// Lists the roles under the stack's paths (this region's, and the one roles had before paths
/// carried the region), then reads each one's tags and policies (concurrently). Other regions'
/// roles of the same stack name are under the same prefix and are left out.
pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let ours = role_path(&clients.stack, &clients.region);
    let legacy = legacy_role_path(&clients.stack);
    let mut roles = Vec::new();
    let mut pages = clients.iam.list_roles().path_prefix(&legacy).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| from_sdk("ListRoles", "the stack's roles", e))?;
        roles.extend(
            page.roles()
                .iter()
                .filter(|role| role.path() == ours || role.path() == legacy)
                .map(|role| role.role_name().to_string()),
        );
    }
    let reads = roles.iter().map(|name| read_role(clients, name));
    Ok(futures_util::future::try_join_all(reads).await?.into_iter().flatten().collect())
}

/// The stack's role of this name, read by name: ListRoles can lag behind a create (IAM is
/// eventually consistent), GetRole answers for the role itself.
pub async fn discover_by_name(clients: &super::Clients, name: &str) -> Result<Vec<LiveResource>, AwsError> {
    Ok(read_role(clients, name).await?.into_iter().collect())
}

async fn read_role(clients: &super::Clients, name: &str) -> Result<Option<LiveResource>, AwsError> {
    let iam = &clients.iam;
    let (role, inline, attached) = tokio::join!(
        iam.get_role().role_name(name).send(),
        iam.list_role_policies().role_name(name).send(),
        iam.list_attached_role_policies().role_name(name).send(),
    );
    let gone = |error: &AwsError| error.is_not_found();
    let role = match role.map_err(|e| from_sdk("GetRole", name, e)) {
        Err(error) if gone(&error) => return Ok(None),
        other => other?,
    };
    let Some(role) = role.role() else { return Ok(None) };
    let arn = role.arn();
    let pairs: Vec<(&str, &str)> = role.tags().iter().map(|tag| (tag.key(), tag.value())).collect();
    let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
    let inline = inline.map_err(|e| from_sdk("ListRolePolicies", name, e))?;
    let attached = attached.map_err(|e| from_sdk("ListAttachedRolePolicies", name, e))?;
    let documents = inline.policy_names().iter().map(|policy| async move {
        let output = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| from_sdk("GetRolePolicy", name, e))?;
        Ok::<_, AwsError>((policy.clone(), Value::string(normalise_policy(&percent_decode(output.policy_document())))))
    });
    let documents = futures_util::future::try_join_all(documents).await?;
    let mut managed: Vec<Value> =
        attached.attached_policies().iter().filter_map(|p| p.policy_arn().map(Value::string)).collect();
    managed.sort();
    let mut props = Props::new();
    props.insert("name".into(), Value::string(name));
    props.insert("path".into(), Value::string(role.path()));
    props.insert("description".into(), Value::string(role.description().unwrap_or_default()));
    props.insert(
        "assume_role_policy".into(),
        Value::string(normalise_policy(&percent_decode(role.assume_role_policy_document().unwrap_or_default()))),
    );
    props.insert("managed_policy_arns".into(), Value::List(managed));
    props.insert("inline_policies".into(), Value::Map(documents.into_iter().collect()));
    props.insert("tags".into(), super::tags_value(pairs));
    Ok(Some(LiveResource {
        state: crate::plan::LiveState::Ready,
        id,
        kind: Kind::IamRole,
        physical_id: name.to_string(),
        props,
        attributes: attributes(name, arn),
    }))
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let name = text(props, "name");
    let resource = context.resource(Kind::IamRole);
    let output = context
        .clients
        .iam
        .create_role()
        .role_name(name)
        .path(text(props, "path"))
        .description(text(props, "description"))
        .assume_role_policy_document(text(props, "assume_role_policy"))
        .set_tags(Some(role_tags(props)))
        .send()
        .await
        .map_err(|e| from_sdk("CreateRole", &resource, e))?;
    let arn = output.role().map(|role| role.arn().to_string()).unwrap_or_default();
    for (policy, document) in inline_policies(props) {
        put_inline(context, name, &policy, &document).await?;
    }
    for policy_arn in super::texts(props, "managed_policy_arns") {
        attach(context, name, &policy_arn).await?;
    }
    Ok(attributes(name, &arn))
}

async fn put_inline(context: &StepContext<'_>, role: &str, policy: &str, document: &str) -> Result<(), AwsError> {
    context
        .clients
        .iam
        .put_role_policy()
        .role_name(role)
        .policy_name(policy)
        .policy_document(document)
        .send()
        .await
        .map_err(|e| from_sdk("PutRolePolicy", &context.resource(Kind::IamRole), e))?;
    Ok(())
}

async fn attach(context: &StepContext<'_>, role: &str, policy_arn: &str) -> Result<(), AwsError> {
    context
        .clients
        .iam
        .attach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send()
        .await
        .map_err(|e| from_sdk("AttachRolePolicy", &context.resource(Kind::IamRole), e))?;
    Ok(())
}

async fn detach(context: &StepContext<'_>, role: &str, policy_arn: &str) -> Result<(), AwsError> {
    let result = context
        .clients
        .iam
        .detach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send()
        .await
        .map_err(|e| from_sdk("DetachRolePolicy", &context.resource(Kind::IamRole), e));
    match result {
        Err(error) if error.is_not_found() => Ok(()),
        other => other.map(|_| ()),
    }
}

async fn delete_inline(context: &StepContext<'_>, role: &str, policy: &str) -> Result<(), AwsError> {
    let result = context
        .clients
        .iam
        .delete_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteRolePolicy", &context.resource(Kind::IamRole), e));
    match result {
        Err(error) if error.is_not_found() => Ok(()),
        other => other.map(|_| ()),
    }
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let name = update.physical_id;
    let resource = context.resource(Kind::IamRole);
    let iam = &context.clients.iam;
    if update.changed("description") {
        iam.update_role()
            .role_name(name)
            .description(text(update.props, "description"))
            .send()
            .await
            .map_err(|e| from_sdk("UpdateRole", &resource, e))?;
    }
    if update.changed("assume_role_policy") {
        iam.update_assume_role_policy()
            .role_name(name)
            .policy_document(text(update.props, "assume_role_policy"))
            .send()
            .await
            .map_err(|e| from_sdk("UpdateAssumeRolePolicy", &resource, e))?;
    }
    if update.changed("managed_policy_arns") {
        let desired = super::texts(update.props, "managed_policy_arns");
        let live = super::texts(update.live, "managed_policy_arns");
        for policy_arn in desired.iter().filter(|arn| !live.contains(arn)) {
            attach(context, name, policy_arn).await?;
        }
        for policy_arn in live.iter().filter(|arn| !desired.contains(arn)) {
            detach(context, name, policy_arn).await?;
        }
    }
    if update.changed("inline_policies") {
        let desired = inline_policies(update.props);
        let live = inline_policies(update.live);
        for (policy, document) in desired.iter().filter(|entry| !live.contains(entry)) {
            put_inline(context, name, policy, document).await?;
        }
        for (policy, _) in live.iter().filter(|(policy, _)| !desired.iter().any(|(p, _)| p == policy)) {
            delete_inline(context, name, policy).await?;
        }
    }
    if update.changed("tags") {
        let resource = resource.as_str();
        super::replace_tags(
            update,
            |stale| async move {
                iam.untag_role()
                    .role_name(name)
                    .set_tag_keys(Some(stale))
                    .send()
                    .await
                    .map_err(|e| from_sdk("UntagRole", resource, e))?;
                Ok(())
            },
            || async move {
                iam.tag_role()
                    .role_name(name)
                    .set_tags(Some(role_tags(update.props)))
                    .send()
                    .await
                    .map_err(|e| from_sdk("TagRole", resource, e))?;
                Ok(())
            },
        )
        .await?;
    }
    let role = iam.get_role().role_name(name).send().await.map_err(|e| from_sdk("GetRole", &resource, e))?;
    Ok(attributes(name, role.role().map(|role| role.arn()).unwrap_or_default()))
}

/// Detaches and deletes the role's policies (IAM refuses to delete a role that has any), then the role.
pub async fn delete(context: &StepContext<'_>, name: &str, live: &Props) -> Result<(), AwsError> {
    for policy_arn in super::texts(live, "managed_policy_arns") {
        detach(context, name, &policy_arn).await?;
    }
    for (policy, _) in inline_policies(live) {
        delete_inline(context, name, &policy).await?;
    }
    context
        .clients
        .iam
        .delete_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteRole", &context.resource(Kind::IamRole), e))?;
    Ok(())
}
