//! Driver for IAM roles: the task execution role and one task role per service, with their trust
//! policy, managed policy attachments and inline policies, all compared in canonical form.

use super::driver::driver;
use super::{live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update};
use crate::graph::policy::{normalise_policy, percent_decode};
use crate::graph::properties::compute::IamRoleProps;
use crate::graph::{legacy_role_path, role_path, AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(IamRoleDriver, IamRoleProps, find_by_name = find_by_name);

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
pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let ours = role_path(&clients.stack, &clients.region);
    let legacy = legacy_role_path(&clients.stack);
    let mut roles = Vec::new();
    let mut pages = clients.iam.list_roles().path_prefix(&legacy).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.aws("ListRoles", "the stack's roles")?;
        roles.extend(
            page.roles()
                .iter()
                .filter(|role| role.path() == ours || role.path() == legacy)
                .map(|role| role.role_name().to_string()),
        );
    }
    let reads = roles.iter().map(|name| read_role(clients, name));
    Ok(super::bounded(reads.collect()).await?.into_iter().flatten().collect())
}

/// The stack's role of this name, read by name: ListRoles can lag behind a create (IAM is
/// eventually consistent), GetRole answers for the role itself.
pub async fn find_by_name(clients: &Clients, name: &str) -> Result<Vec<LiveResource>, AwsError> {
    Ok(read_role(clients, name).await?.into_iter().collect())
}

async fn read_role(clients: &Clients, name: &str) -> Result<Option<LiveResource>, AwsError> {
    let iam = &clients.iam;
    let (role, inline, attached) = tokio::join!(
        iam.get_role().role_name(name).send(),
        iam.list_role_policies().role_name(name).send(),
        iam.list_attached_role_policies().role_name(name).send(),
    );
    let gone = |error: &AwsError| error.is_not_found();
    let role = match role.aws("GetRole", name) {
        Err(error) if gone(&error) => return Ok(None),
        other => other?,
    };
    let Some(role) = role.role() else { return Ok(None) };
    let arn = role.arn();
    let pairs: Vec<(&str, &str)> = role.tags().iter().map(|tag| (tag.key(), tag.value())).collect();
    let Some(id) = super::owned_id(&clients.stack, pairs.iter().copied()) else { return Ok(None) };
    let inline = inline.aws("ListRolePolicies", name)?;
    let attached = attached.aws("ListAttachedRolePolicies", name)?;
    let documents = inline.policy_names().iter().map(|policy| async move {
        let output =
            iam.get_role_policy().role_name(name).policy_name(policy).send().await.aws("GetRolePolicy", name)?;
        Ok::<_, AwsError>((policy.clone(), normalise_policy(&percent_decode(output.policy_document()))))
    });
    let documents = super::bounded(documents.collect()).await?;
    let mut managed: Vec<String> =
        attached.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)).collect();
    managed.sort();
    let props = IamRoleProps {
        name: name.to_string(),
        path: role.path().to_string(),
        description: role.description().unwrap_or_default().to_string(),
        assume_role_policy: normalise_policy(&percent_decode(role.assume_role_policy_document().unwrap_or_default())),
        managed_policy_arns: managed,
        inline_policies: documents.into_iter().collect(),
        tags: super::props::tags_of(pairs),
    };
    Ok(Some(live_resource(Kind::IamRole, id, name, &props, attributes(name, arn))))
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let props: IamRoleProps = context.decode(props)?;
    let name = &props.name;
    let resource = context.resource();
    let output = context
        .clients
        .iam
        .create_role()
        .role_name(name)
        .path(&props.path)
        .description(&props.description)
        .assume_role_policy_document(&props.assume_role_policy)
        .set_tags(Some(tags::iam_list(&props.tags)))
        .send()
        .await
        .aws("CreateRole", &resource)?;
    let arn = output.role().map(|role| role.arn().to_string()).unwrap_or_default();
    for (policy, document) in &props.inline_policies {
        put_inline(context, name, policy, document).await?;
    }
    for policy_arn in &props.managed_policy_arns {
        attach(context, name, policy_arn).await?;
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
        .aws("PutRolePolicy", &context.resource())?;
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
        .aws("AttachRolePolicy", &context.resource())?;
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
        .aws("DetachRolePolicy", &context.resource());
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
        .aws("DeleteRolePolicy", &context.resource());
    match result {
        Err(error) if error.is_not_found() => Ok(()),
        other => other.map(|_| ()),
    }
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (IamRoleProps, IamRoleProps) = update.decode(context)?;
    let name = update.physical_id;
    let resource = context.resource();
    let iam = &context.clients.iam;
    if update.changed(IamRoleProps::NAMES.description) {
        iam.update_role()
            .role_name(name)
            .description(&desired.description)
            .send()
            .await
            .aws("UpdateRole", &resource)?;
    }
    if update.changed(IamRoleProps::NAMES.assume_role_policy) {
        iam.update_assume_role_policy()
            .role_name(name)
            .policy_document(&desired.assume_role_policy)
            .send()
            .await
            .aws("UpdateAssumeRolePolicy", &resource)?;
    }
    if update.changed(IamRoleProps::NAMES.managed_policy_arns) {
        let (desired, live) = (&desired.managed_policy_arns, &live.managed_policy_arns);
        for policy_arn in desired.iter().filter(|arn| !live.contains(arn)) {
            attach(context, name, policy_arn).await?;
        }
        for policy_arn in live.iter().filter(|arn| !desired.contains(arn)) {
            detach(context, name, policy_arn).await?;
        }
    }
    if update.changed(IamRoleProps::NAMES.inline_policies) {
        let (desired, live) = (&desired.inline_policies, &live.inline_policies);
        for (policy, document) in desired.iter().filter(|(policy, document)| live.get(*policy) != Some(document)) {
            put_inline(context, name, policy, document).await?;
        }
        for policy in live.keys().filter(|policy| !desired.contains_key(*policy)) {
            delete_inline(context, name, policy).await?;
        }
    }
    if update.changed("tags") {
        tags::replace(context, tags::Style::IamRole, name, &desired.tags, &live.tags).await?;
    }
    let role = iam.get_role().role_name(name).send().await.aws("GetRole", &resource)?;
    Ok(attributes(name, role.role().map(|role| role.arn()).unwrap_or_default()))
}

/// Detaches and deletes the role's policies (IAM refuses to delete a role that has any), then the role.
/// Detaches and deletes the role's policies as they are now (listed at delete time, not taken
/// from the plan's read: one attached in between would make DeleteRole fail), then deletes the
/// role. IAM answers DeleteConflict ("Cannot delete entity, must detach all policies first")
/// for a while after the last detach, as the change propagates: repeated within the kind's limit.
pub async fn delete(context: &StepContext<'_>, name: &str, _live: &Props) -> Result<(), AwsError> {
    let iam = &context.clients.iam;
    let resource = context.resource();
    let mut attached = Vec::new();
    let mut pages = iam.list_attached_role_policies().role_name(name).into_paginator().send();
    while let Some(page) = pages.next().await {
        let Some(page) = page.aws_or_gone("ListAttachedRolePolicies", &resource)? else { return Ok(()) };
        attached.extend(page.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)));
    }
    let mut inline = Vec::new();
    let mut pages = iam.list_role_policies().role_name(name).into_paginator().send();
    while let Some(page) = pages.next().await {
        let Some(page) = page.aws_or_gone("ListRolePolicies", &resource)? else { return Ok(()) };
        inline.extend(page.policy_names().iter().cloned());
    }
    for policy_arn in &attached {
        detach(context, name, policy_arn).await?;
    }
    for policy in &inline {
        delete_inline(context, name, policy).await?;
    }
    super::retry_while(context, "free of its policies", &["DeleteConflict"], || async {
        iam.delete_role().role_name(name).send().await.aws("DeleteRole", &resource).map(|_| ())
    })
    .await
}
