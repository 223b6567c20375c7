//! Waiting on AWS: polling with backoff until something is ready or gone, repeating a call while
//! AWS still holds a dependency, and how long each kind may take.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use super::{AwsError, SdkResultExt, StepContext};
use crate::graph::Kind;

/// How long to wait for each kind to become ready or gone: the kind's own limit
/// (`KindSpec::wait_minutes`) unless `--timeout KIND=DURATION` says otherwise.
#[derive(Debug, Clone, Default)]
pub struct Timeouts {
    pub overrides: BTreeMap<Kind, Duration>,
}

impl Timeouts {
    pub fn for_kind(&self, kind: Kind) -> Duration {
        self.overrides.get(&kind).copied().unwrap_or(Duration::from_secs(kind.spec().wait_minutes * 60))
    }
}

/// Polls `check` with backoff (0.5 s growing to 15 s), reporting what it waits for, until it
/// returns a value or the kind's timeout passes.
pub async fn wait_for<T, F, Fut>(context: &StepContext<'_>, state: &str, mut check: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, AwsError>>,
{
    let started = Instant::now();
    let timeout = context.timeouts.for_kind(context.kind);
    let mut delay = Duration::from_millis(500);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            return Err(AwsError::Timeout {
                resource: context.resource(),
                state: state.to_string(),
                seconds: timeout.as_secs(),
            });
        }
        context.progress.waiting(&format!("{} to become {state}", context.resource()), elapsed);
        tokio::time::sleep(delay).await;
        delay = (delay.mul_f32(1.5)).min(Duration::from_secs(15));
    }
}

/// `wait_for` a condition that carries no value.
pub async fn wait_until<F, Fut>(context: &StepContext<'_>, state: &str, mut check: F) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, AwsError>>,
{
    wait_for(context, state, || {
        let done = check();
        async move { Ok(done.await?.then_some(())) }
    })
    .await
}

/// How many per-item reads of one kind run at once: shared accounts are throttled per API, and the
/// SDK's retries take care of the odd throttled call.
pub const PER_ITEM_READS_AT_ONCE: usize = 8;

/// Runs `reads` at most [`PER_ITEM_READS_AT_ONCE`] at a time, in order, stopping at the first error.
/// (A `Vec`, not an iterator: a lazy iterator's closures inside the stream defeat the compiler's
/// proof that the future is `Send`.)
pub async fn bounded<T, Fut>(reads: Vec<Fut>) -> Result<Vec<T>, AwsError>
where
    Fut: Future<Output = Result<T, AwsError>>,
{
    use futures_util::{StreamExt, TryStreamExt};
    futures_util::stream::iter(reads).buffered(PER_ITEM_READS_AT_ONCE).try_collect().await
}

/// Repeats `call` while AWS answers with one of `codes` (a dependency it has not let go of yet:
/// network interfaces of a deleted load balancer, an address still mapped to a deleting NAT
/// gateway), with the same backoff and per-kind limit as every other wait.
pub async fn retry_while<T, F, Fut>(
    context: &StepContext<'_>,
    state: &str,
    codes: &[&str],
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let last = std::sync::Mutex::new(None);
    let outcome = wait_for(context, state, || {
        let attempt = call();
        let last = &last;
        async move {
            match attempt.await {
                Ok(value) => Ok(Some(value)),
                Err(error) if error.code().is_some_and(|code| codes.contains(&code)) => {
                    *last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error.to_string());
                    Ok(None)
                }
                Err(error) => Err(error),
            }
        }
    })
    .await;
    match outcome {
        // Say what AWS kept answering, not only that time ran out.
        Err(AwsError::Timeout { resource, state, seconds }) => {
            let answer = last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
            Err(AwsError::refused(
                resource,
                format!(
                    "timed out after {seconds} s waiting to be {state}{}; run the same command again to keep waiting",
                    answer.map(|answer| format!(" (AWS still answers: {answer})")).unwrap_or_default()
                ),
            ))
        }
        other => other,
    }
}

/// Waits until no network interface matches `filter` (`subnet-id`, `group-id`): AWS releases those
/// of stopped tasks, deleted load balancers, databases and caches minutes after their owner goes.
pub async fn wait_for_network_interfaces_to_go(
    context: &StepContext<'_>,
    filter: &str,
    value: &str,
) -> Result<(), AwsError> {
    let resource = context.resource();
    wait_until(context, "free of network interfaces", || async {
        let output = context
            .clients
            .ec2
            .describe_network_interfaces()
            .filters(aws_sdk_ec2::types::Filter::builder().name(filter).values(value).build())
            .send()
            .await
            .aws("DescribeNetworkInterfaces", &resource)?;
        Ok(output.network_interfaces().is_empty())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn per_item_reads_run_at_most_eight_at_a_time_and_keep_their_order() {
        let in_flight = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let reads: Vec<_> = (0..40)
            .map(|n| {
                let (in_flight, most) = (&in_flight, &most);
                async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    Ok::<_, AwsError>(n)
                }
            })
            .collect();
        let read = bounded(reads).await.expect("every read");
        assert_eq!(read, (0..40).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), PER_ITEM_READS_AT_ONCE);
    }

    /// Every per-item read of a driver goes through `bounded`: an unbounded `try_join_all` over an
    /// account's roles, log groups, alarms or task definitions sends hundreds of requests at once
    /// and is throttled. (The one exception is the fan-out over the kinds in `lifecycle.rs`: one
    /// listing per kind.)
    #[test]
    fn no_driver_fans_out_without_the_bound() {
        let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("aws");
        let mut unbounded = Vec::new();
        for entry in std::fs::read_dir(&directory).expect("src/aws") {
            let path = entry.expect("an entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            if name == "lifecycle.rs" || name == "wait.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            if text.contains(concat!("try_join", "_all")) || text.contains(concat!("join", "_all(")) {
                unbounded.push(name);
            }
        }
        assert_eq!(unbounded, Vec::<String>::new(), "use aws::bounded for per-item reads");
    }
}
