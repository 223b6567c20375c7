//! Applying a plan: the pure dependency [`queue`] and the tokio [`execute`] loop that runs steps.

pub mod queue;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::aws::{self, Attributes, AwsError, Clients, ErrorClass, Progress, StepContext, Timeouts};
use crate::graph::{Props, Value};
use crate::plan::{Action, LiveResource, Operation, Plan, Step};
use queue::Queue;

/// What the executor reports while it runs, for the progress printer.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Started {
        step: String,
    },
    Waiting {
        step: String,
        what: String,
        elapsed: Duration,
    },
    /// Something AWS reported while the step waited (an ECS service event).
    Note {
        step: String,
        message: String,
    },
    Retrying {
        step: String,
        error: String,
        attempt: u32,
        delay: Duration,
    },
    Succeeded {
        step: String,
        elapsed: Duration,
    },
    Failed {
        step: String,
        error: String,
    },
    Skipped {
        step: String,
        because: String,
    },
    Interrupting {
        running: usize,
    },
}

/// Receives executor events (the terminal printer, or a collector in tests).
pub trait EventSink: Send + Sync {
    fn event(&self, event: Event);
}

#[derive(Debug, Clone)]
pub struct ExecuteOptions {
    /// How many steps may run at once.
    pub concurrency: usize,
    /// How many times a step is tried when AWS answers with a transient error.
    pub max_attempts: u32,
    pub timeouts: Timeouts,
    /// The first retry waits this long; each later one twice as long, up to 30 s.
    pub first_retry_delay: Duration,
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        ExecuteOptions {
            concurrency: 8,
            max_attempts: 10,
            timeouts: Timeouts::default(),
            first_retry_delay: Duration::from_secs(1),
        }
    }
}

/// The outcome of a run: what failed with why, what was skipped, and whether it was interrupted.
#[derive(Debug, Default)]
pub struct Report {
    /// The attributes of every resource the run kept or made, by logical id (`outputs`).
    pub attributes: HashMap<String, Attributes>,
    pub succeeded: usize,
    pub failed: Vec<(String, String)>,
    pub skipped: Vec<String>,
    pub interrupted: bool,
}

impl Report {
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.interrupted
    }
}

struct StepProgress {
    step: String,
    sink: Arc<dyn EventSink>,
}

impl Progress for StepProgress {
    fn waiting(&self, what: &str, elapsed: Duration) {
        self.sink.event(Event::Waiting { step: self.step.clone(), what: what.to_string(), elapsed });
    }

    fn note(&self, message: &str) {
        self.sink.event(Event::Note { step: self.step.clone(), message: message.to_string() });
    }
}

/// Runs the plan's steps in dependency order with bounded concurrency. Decides nothing: the plan
/// says what to do; only transient errors are retried. After `interrupt` is set, no new step starts
/// and the steps in flight finish.
pub async fn execute(
    clients: Arc<Clients>,
    plan: &Plan,
    live: &[LiveResource],
    options: &ExecuteOptions,
    sink: Arc<dyn EventSink>,
    interrupt: Arc<AtomicBool>,
) -> Report {
    let mut outputs = known_attributes(plan, live);
    let after: Vec<Vec<usize>> = plan.steps.iter().map(|step| step.after.clone()).collect();
    let mut queue = Queue::new(&after);
    let mut ready: VecDeque<usize> = VecDeque::new();
    let mut tasks: JoinSet<(usize, Result<Option<Attributes>, AwsError>, Duration)> = JoinSet::new();
    let mut report = Report::default();
    let options = Arc::new(options.clone());

    loop {
        if interrupt.load(Ordering::SeqCst) && !report.interrupted {
            report.interrupted = true;
            ready.clear();
            sink.event(Event::Interrupting { running: tasks.len() });
            for step in queue.skip_waiting() {
                report.skipped.push(plan.steps[step].label());
            }
        }
        if !report.interrupted {
            ready.extend(queue.take_ready());
        }
        while tasks.len() < options.concurrency.max(1) {
            let Some(index) = ready.pop_front() else { break };
            let step = plan.steps[index].clone();
            let resolved = resolve_step(&step, &outputs);
            let known = outputs.get(&step.id).cloned().unwrap_or_default();
            let clients = Arc::clone(&clients);
            let sink = Arc::clone(&sink);
            let options = Arc::clone(&options);
            sink.event(Event::Started { step: step.label() });
            tasks.spawn(async move {
                let started = Instant::now();
                let result = match resolved {
                    Ok(step) => run_with_retries(&clients, &step, &known, &options, &sink).await,
                    Err(error) => Err(error),
                };
                (index, result, started.elapsed())
            });
        }
        if tasks.is_empty() {
            // Nothing runs and nothing can start: every step finished, failed or was skipped.
            for step in queue.skip_waiting() {
                report.skipped.push(plan.steps[step].label());
            }
            break;
        }
        let joined = tokio::select! {
            joined = tasks.join_next() => joined,
            _ = tokio::time::sleep(Duration::from_millis(200)), if !report.interrupted => continue,
        };
        let Some(joined) = joined else { continue };
        let (index, result, elapsed) = match joined {
            Ok(outcome) => outcome,
            Err(panic) => {
                // A panicking step is a bug; its dependents cannot run.
                report.failed.push(("a step".to_string(), format!("internal error: {panic}")));
                continue;
            }
        };
        let step = &plan.steps[index];
        match result {
            Ok(attributes) => {
                if let Some(attributes) = attributes {
                    outputs.insert(step.id.clone(), attributes);
                }
                queue.succeed(index);
                report.succeeded += 1;
                sink.event(Event::Succeeded { step: step.label(), elapsed });
            }
            Err(error) => {
                sink.event(Event::Failed { step: step.label(), error: error.to_string() });
                report.failed.push((step.label(), error.to_string()));
                for skipped in queue.fail(index) {
                    let label = plan.steps[skipped].label();
                    sink.event(Event::Skipped { step: label.clone(), because: step.label() });
                    report.skipped.push(label);
                }
            }
        }
    }
    report.attributes = outputs;
    report
}

/// The attributes of the resources the plan keeps (no-ops and updates), by logical id: what steps
/// that refer to them resolve against. A live resource is matched by logical id, kind and physical
/// id together: physical ids are only unique within a kind (the cache and its subnet group are
/// both named `<stack>-cache`).
pub fn known_attributes(plan: &Plan, live: &[LiveResource]) -> HashMap<String, Attributes> {
    plan.changes
        .iter()
        .filter(|change| matches!(change.action, Action::NoOp | Action::Update))
        .filter_map(|change| {
            live.iter().find(|resource| {
                resource.id == change.id
                    && resource.kind == change.kind
                    && Some(&resource.physical_id) == change.physical_id.as_ref()
            })
        })
        .map(|resource| (resource.id.clone(), resource.attributes.clone()))
        .collect()
}

/// Replaces references in a step's properties by the attributes of resources that now exist.
fn resolve_step(step: &Step, outputs: &HashMap<String, Attributes>) -> Result<Step, AwsError> {
    let resolve_all = |props: &Props| -> Result<Props, AwsError> {
        props.iter().map(|(key, value)| Ok((key.clone(), resolve(value, outputs, &step.label())?))).collect()
    };
    let operation = match &step.operation {
        Operation::Create { props } => Operation::Create { props: resolve_all(props)? },
        Operation::Update { physical_id, props, live, changes } => Operation::Update {
            physical_id: physical_id.clone(),
            props: resolve_all(props)?,
            live: live.clone(),
            changes: changes.clone(),
        },
        delete @ Operation::Delete { .. } => delete.clone(),
        // A wait after its own create learns the new resource's id from the create.
        Operation::Wait { physical_id } if physical_id.is_empty() => Operation::Wait {
            physical_id: outputs.get(&step.id).and_then(|attributes| attributes.get("id")).cloned().ok_or_else(
                || {
                    AwsError::refused(
                        step.label(),
                        "the id is not known; this is a bug in wl-infra's plan ordering, please report it",
                    )
                },
            )?,
        },
        wait @ Operation::Wait { .. } => wait.clone(),
    };
    Ok(Step { operation, ..step.clone() })
}

fn resolve(value: &Value, outputs: &HashMap<String, Attributes>, step: &str) -> Result<Value, AwsError> {
    Ok(match value {
        Value::Ref { id, attribute } => match outputs.get(id).and_then(|attributes| attributes.get(attribute)) {
            Some(known) => Value::String(known.clone()),
            None => {
                return Err(AwsError::refused(
                    step,
                    format!(
                        "{attribute} of {id} is not known; this is a bug in wl-infra's plan ordering, please report it"
                    ),
                ))
            }
        },
        Value::List(items) => {
            Value::List(items.iter().map(|item| resolve(item, outputs, step)).collect::<Result<_, _>>()?)
        }
        Value::Join(parts) => {
            Value::joined(parts.iter().map(|part| resolve(part, outputs, step)).collect::<Result<_, _>>()?)
        }
        Value::Map(map) => Value::Map(
            map.iter().map(|(k, v)| Ok((k.clone(), resolve(v, outputs, step)?))).collect::<Result<_, AwsError>>()?,
        ),
        other => other.clone(),
    })
}

/// Runs one step, retrying transient errors (and, for creates and updates, not-yet-visible
/// dependencies) with exponential backoff.
async fn run_with_retries(
    clients: &Clients,
    step: &Step,
    known: &Attributes,
    options: &ExecuteOptions,
    sink: &Arc<dyn EventSink>,
) -> Result<Option<Attributes>, AwsError> {
    let progress: Arc<dyn Progress> = Arc::new(StepProgress { step: step.label(), sink: Arc::clone(sink) });
    let mut attempt = 1;
    loop {
        let context = StepContext {
            clients,
            kind: step.kind,
            id: &step.id,
            progress: Arc::clone(&progress),
            timeouts: &options.timeouts,
            retry: attempt > 1,
        };
        let result = match &step.operation {
            Operation::Create { props } => aws::create(&context, props).await.map(Some),
            Operation::Update { physical_id, props, live, changes } => {
                aws::update(&context, physical_id, props, live, changes).await.map(Some)
            }
            Operation::Delete { physical_id, live } => aws::delete(&context, physical_id, live).await.map(|()| None),
            Operation::Wait { physical_id } => aws::wait_ready(&context, physical_id, known).await.map(Some),
        };
        let retryable = |error: &AwsError| match error.class() {
            ErrorClass::Transient => true,
            // Just-created resources can take a moment to be visible to other calls.
            ErrorClass::NotFound => !matches!(step.operation, Operation::Delete { .. }),
            ErrorClass::Permanent => false,
        };
        match result {
            Err(error) if retryable(&error) && attempt < options.max_attempts => {
                let delay = aws::retry_delay(options.first_retry_delay, attempt);
                sink.event(Event::Retrying { step: step.label(), error: error.to_string(), attempt, delay });
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Kind;
    use crate::plan::{LiveState, ResourceChange};

    fn live(id: &str, kind: Kind, physical_id: &str, address: &str) -> LiveResource {
        LiveResource {
            id: id.into(),
            kind,
            physical_id: physical_id.into(),
            props: Props::new(),
            attributes: [("id".to_string(), physical_id.to_string()), ("address".to_string(), address.to_string())]
                .into(),
            state: LiveState::Ready,
        }
    }

    fn no_op(id: &str, kind: Kind, physical_id: &str) -> ResourceChange {
        ResourceChange {
            id: id.into(),
            kind,
            action: Action::NoOp,
            physical_id: Some(physical_id.into()),
            before: None,
            after: None,
            changes: Vec::new(),
            waits_for: None,
            create_before_delete: false,
            notice: None,
        }
    }

    /// The cache and its subnet group share the name `<stack>-cache`; whichever discovery listed
    /// first used to stand in for both, and a new movie image failed with "address of cache is not
    /// known".
    #[test]
    fn resources_kept_by_the_plan_are_known_by_id_and_kind_not_by_name_alone() {
        let plan = Plan {
            stack: "s".into(),
            region: "us-east-1".into(),
            refusals: Vec::new(),
            data_loss: Vec::new(),
            kept: Vec::new(),
            changes: vec![
                no_op("cache-subnets", Kind::CacheSubnetGroup, "s-cache"),
                no_op("cache", Kind::CacheReplicationGroup, "s-cache"),
            ],
            steps: Vec::new(),
        };
        for live in [
            vec![
                live("cache-subnets", Kind::CacheSubnetGroup, "s-cache", ""),
                live("cache", Kind::CacheReplicationGroup, "s-cache", "s-cache.abc.cache.amazonaws.com"),
            ],
            vec![
                live("cache", Kind::CacheReplicationGroup, "s-cache", "s-cache.abc.cache.amazonaws.com"),
                live("cache-subnets", Kind::CacheSubnetGroup, "s-cache", ""),
            ],
        ] {
            let known = known_attributes(&plan, &live);
            assert_eq!(known["cache"]["address"], "s-cache.abc.cache.amazonaws.com");
            assert!(known.contains_key("cache-subnets"));
            let reference = Value::Ref { id: "cache".into(), attribute: "address".into() };
            assert_eq!(
                resolve(&reference, &known, "update task_definition task-movie").expect("known"),
                Value::String("s-cache.abc.cache.amazonaws.com".into())
            );
        }
    }
}
