//! The generic machinery over the drivers: discovery of every kind at once, create-or-adopt,
//! update, delete and the wait for readiness, each through the kind's driver and its facts.

use super::driver::driver;
use super::{Attributes, AwsError, Clients, StepContext, Update};
use crate::graph::{AccountFacts, Kind, Props, Repeat, STACK_TAG};
use crate::plan::{FieldChange, LiveResource, LiveState};

/// Reads every live resource owned by the stack: one filtered read per kind, all kinds at once.
/// Kinds found with another (listeners through their load balancer, the bucket's policy and
/// objects through the bucket) come with their owner's discovery.
pub async fn discover(clients: &Clients, facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let kinds = Kind::ALL
        .iter()
        .filter(|kind| kind.spec().discovered_with.is_none())
        .map(|kind| read_again_while_transient(|| driver(*kind).discover(clients, facts)));
    Ok(futures_util::future::try_join_all(kinds).await?.into_iter().flatten().collect())
}

/// How often one kind's discovery is read again after a transient error the SDK's own retries
/// did not get past (its retry quota is spent when many reads are throttled at once).
const DISCOVERY_ATTEMPTS: u32 = 4;

/// Runs a read again, after a backoff, while it fails with a transient error: reads are safe to
/// repeat, and one throttled listing must not end a plan of the whole stack.
async fn read_again_while_transient<T, F, Fut>(mut read: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let mut attempt = 1;
    loop {
        match read().await {
            Err(error) if error.class() == super::ErrorClass::Transient && attempt < DISCOVERY_ATTEMPTS => {
                tracing::debug!(%error, attempt, "reading again after a transient error");
                tokio::time::sleep(super::retry_delay(std::time::Duration::from_secs(1), attempt)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// The desired resources of kinds whose listing lags behind creates that discovery did not list,
/// read by their deterministic names and added to `live` when they are the stack's own: a plan
/// right after an apply would otherwise create them again, and every task definition naming a
/// secret or role would change.
pub async fn find_listed_late(
    clients: &Clients,
    desired: &[crate::graph::Resource],
    live: &mut Vec<LiveResource>,
) -> Result<(), AwsError> {
    let missing: Vec<(&crate::graph::Resource, &str)> = desired
        .iter()
        .filter(|resource| resource.kind.spec().listing_lags)
        .filter(|resource| !live.iter().any(|found| found.id == resource.id && found.kind == resource.kind))
        .filter_map(|resource| Some((resource, aws_name(resource.kind, &resource.props)?)))
        .collect();
    let reads =
        missing.iter().filter_map(|(resource, name)| driver(resource.kind).find_by_name(clients, name)).collect();
    let found = super::bounded(reads).await?;
    for resource in found.into_iter().flatten() {
        let wanted = missing.iter().any(|(desired, _)| desired.id == resource.id && desired.kind == resource.kind);
        if wanted && !live.iter().any(|known| known.kind == resource.kind && known.physical_id == resource.physical_id)
        {
            live.push(resource);
        }
    }
    Ok(())
}

/// The resource's name in AWS, from the field its kind's row names (`KindSpec::name_field`).
fn aws_name(kind: Kind, props: &Props) -> Option<&str> {
    props.get(kind.spec().name_field?)?.as_str()
}

/// Every live resource of one kind (the adoption path needs only the kind it creates).
async fn discover_kind(clients: &Clients, kind: Kind) -> Result<Vec<LiveResource>, AwsError> {
    let owner = kind.spec().discovered_with.unwrap_or(kind);
    // Only the bucket's discovery reads the account, and a bucket is found by name instead.
    let found = driver(owner).discover(clients, &AccountFacts::default()).await?;
    Ok(found.into_iter().filter(|resource| resource.kind == kind).collect())
}

/// Creates a resource from resolved properties, safe to repeat after a failed attempt: the retry
/// first looks for what that attempt may have made (tag-on-create makes it findable), and a name
/// conflict with the stack's own resource adopts it.
pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let kind = context.kind;
    if context.retry && kind.spec().repeat == Repeat::FindFirst {
        if let Some(live) = find_own(context, props).await? {
            return bring_to(context, props, live).await;
        }
    }
    match driver(kind).create(context, props).await {
        Err(error) if error.code().is_some_and(|code| kind.spec().conflict_codes.contains(&code)) => {
            adopt(context, props, error).await
        }
        other => other,
    }
}

/// The stack's own resource of this step, if it exists already: by name where the kind's listing
/// can lag behind a create, otherwise through its discovery.
async fn find_own(context: &StepContext<'_>, props: &Props) -> Result<Option<LiveResource>, AwsError> {
    let clients = context.clients;
    let by_name = aws_name(context.kind, props).and_then(|name| driver(context.kind).find_by_name(clients, name));
    let found = match by_name {
        Some(found) => found.await?,
        None => discover_kind(clients, context.kind).await?,
    };
    Ok(found.into_iter().find(|resource| resource.id == context.id && resource.state != LiveState::Deleting))
}

/// After a name conflict on create: when the existing resource carries this stack's tags (an
/// earlier attempt created it, and its answer was lost), it is adopted and brought to the desired
/// properties; otherwise it belongs to someone else and is never touched.
async fn adopt(context: &StepContext<'_>, props: &Props, conflict: AwsError) -> Result<Attributes, AwsError> {
    let found = find_own(context, props).await?;
    adopt_or_refuse(context, props, found, &conflict.to_string()).await
}

/// The stack's own resource found where a create was about to make one (`own`) is adopted and
/// brought to the desired properties; without it, what holds the name is someone else's and the
/// create is refused, saying why (`cause`). For drivers whose create call would silently return
/// an existing resource (ECS CreateCluster) and so must look first.
pub async fn adopt_or_refuse(
    context: &StepContext<'_>,
    props: &Props,
    own: Option<LiveResource>,
    cause: &str,
) -> Result<Attributes, AwsError> {
    let Some(live) = own else {
        let name = aws_name(context.kind, props).unwrap_or(context.id);
        return Err(AwsError::refused(
            context.resource(),
            format!(
                "{name} exists but is not tagged {STACK_TAG}={}; wl-infra never touches resources it does not own: rename the stack, delete it, or tag it to adopt it ({cause})",
                context.clients.stack
            ),
        ));
    };
    bring_to(context, props, live).await
}

/// Brings an adopted resource to the desired properties, then waits for it to be ready, as its
/// create would have (an adopted service may still be rolling out, or rolling back). This is the
/// one decision the executor's side takes: the fields to change are those the found resource lacks
/// (ARCHITECTURE.md, invariants).
async fn bring_to(context: &StepContext<'_>, props: &Props, live: LiveResource) -> Result<Attributes, AwsError> {
    let outcome = bring_once(context, props, &live).await;
    again_while_busy(context, &live.physical_id, props, outcome).await
}

/// Brings the changed fields of a resource to their desired (resolved) values.
pub async fn update(
    context: &StepContext<'_>,
    physical_id: &str,
    props: &Props,
    live: &Props,
    changes: &[FieldChange],
) -> Result<Attributes, AwsError> {
    let outcome = driver(context.kind).update(context, &Update { physical_id, props, live, changes }).await;
    again_while_busy(context, physical_id, props, outcome).await
}

/// Changes the fields `now` lacks, or only waits for it to be ready when it lacks none.
async fn bring_once(context: &StepContext<'_>, props: &Props, now: &LiveResource) -> Result<Attributes, AwsError> {
    let changes = crate::plan::field_changes(context.kind, &now.props, props);
    if changes.is_empty() {
        return wait_ready(context, &now.physical_id, &now.attributes).await;
    }
    let change = Update { physical_id: &now.physical_id, props, live: &now.props, changes: &changes };
    driver(context.kind).update(context, &change).await
}

/// When AWS refused an update because the resource is busy (the kind's `busy_codes`): waits for
/// the resource, reads it again and changes only what still differs. The SDK sends a request
/// again when its answer is lost, and that second request finds the resource busy with the first,
/// which has made the change already; an update of several calls (a cache's replicas, then its
/// failover) may meet that once per call, hence a few rounds (ARCHITECTURE.md, invariants).
async fn again_while_busy(
    context: &StepContext<'_>,
    physical_id: &str,
    props: &Props,
    mut outcome: Result<Attributes, AwsError>,
) -> Result<Attributes, AwsError> {
    const BUSY_ROUNDS: usize = 4;
    let busy = |error: &AwsError| error.code().is_some_and(|code| context.kind.spec().busy_codes.contains(&code));
    for _ in 0..BUSY_ROUNDS {
        let error = match outcome {
            Err(error) if busy(&error) => error,
            other => return other,
        };
        tracing::debug!(%error, "{} is busy: waiting for it, then changing what still differs", context.resource());
        wait_ready(context, physical_id, &Attributes::new()).await?;
        let Some(now) = find_own(context, props).await? else { return Err(error) };
        outcome = bring_once(context, props, &now).await;
    }
    outcome
}

/// Deletes a resource; a resource that is already gone counts as deleted.
pub async fn delete(context: &StepContext<'_>, physical_id: &str, live: &Props) -> Result<(), AwsError> {
    match driver(context.kind).delete(context, physical_id, live).await {
        Err(error) if error.is_not_found() => Ok(()),
        other => other,
    }
}

/// Waits until a resource is ready for what refers to it (an earlier run left it pending, or a
/// create was adopted), and returns its attributes then.
pub async fn wait_ready(
    context: &StepContext<'_>,
    physical_id: &str,
    known: &Attributes,
) -> Result<Attributes, AwsError> {
    driver(context.kind).wait_ready(context, physical_id, known).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_read_is_repeated_after_transient_errors_and_not_after_permanent_ones() {
        let calls = std::sync::atomic::AtomicU32::new(0);
        let transient = || AwsError::Transport {
            operation: "DescribeSubnets",
            resource: "the stack's subnets".into(),
            detail: "connection closed".into(),
        };
        let outcome = read_again_while_transient(|| async {
            match calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 | 1 => Err(transient()),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!(outcome.expect("the third read answers"), 7);
        calls.store(0, std::sync::atomic::Ordering::SeqCst);
        let outcome: Result<u8, AwsError> = read_again_while_transient(|| async {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Err(transient())
        })
        .await;
        assert!(outcome.is_err());
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), DISCOVERY_ATTEMPTS, "gives up after its attempts");
        calls.store(0, std::sync::atomic::Ordering::SeqCst);
        let outcome: Result<u8, AwsError> = read_again_while_transient(|| async {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Err(AwsError::refused("vpc vpc", "not allowed"))
        })
        .await;
        assert!(outcome.is_err());
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1, "a permanent error is not read again");
    }
}
