//! How a deployed stack is doing (`wl-infra status`), ecspresso's `status` and Copilot's
//! `svc status` for the whole stack: per service its task counts, deployments, target health,
//! last events and why tasks stopped; the databases', the cache's and the distribution's states;
//! the alarms that fire. Pure: the model, and the judgement of what is unhealthy. The AWS reads
//! are `aws::status`.

use serde::Serialize;

/// The version of `status --json`; a change that removes or renames a field raises it.
pub const STATUS_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackStatus {
    pub format_version: u32,
    pub stack: String,
    pub region: String,
    pub services: Vec<ServiceStatus>,
    pub databases: Vec<ResourceState>,
    pub cache: Option<ResourceState>,
    pub distribution: Option<ResourceState>,
    /// Names of the stack's alarms in ALARM, with the reason CloudWatch gives.
    pub alarms_firing: Vec<FiringAlarm>,
    /// What is unhealthy, one sentence each (`problems`); empty when all is well.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceStatus {
    pub name: String,
    /// ECS's status of the service (`ACTIVE`, `DRAINING`), or `MISSING` when the stack has none.
    pub status: String,
    pub running: i32,
    pub desired: i32,
    pub pending: i32,
    pub deployments: Vec<DeploymentStatus>,
    pub targets: Vec<TargetHealth>,
    /// The newest events first, at most five.
    pub events: Vec<String>,
    /// Tasks that stopped lately, with why.
    pub stopped_tasks: Vec<StoppedTask>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentStatus {
    /// `PRIMARY` or `ACTIVE` (the one being replaced).
    pub status: String,
    /// `COMPLETED`, `IN_PROGRESS` or `FAILED`.
    pub rollout_state: String,
    pub rollout_reason: String,
    /// The task definition's `family:revision`.
    pub task_definition: String,
    pub running: i32,
    pub desired: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetHealth {
    /// The task's address and port.
    pub target: String,
    /// `healthy`, `unhealthy`, `initial`, `draining`, ...
    pub state: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoppedTask {
    pub task: String,
    pub stopped_reason: String,
    /// Each container's exit code and reason, when ECS gives one.
    pub containers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceState {
    pub name: String,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FiringAlarm {
    pub name: String,
    pub reason: String,
}

/// The target states a load balancer does not send traffic to for a reason that is a fault
/// (`initial` and `draining` are part of a deployment).
const UNHEALTHY_TARGET_STATES: &[&str] = &["unhealthy", "unavailable"];

/// What is unhealthy: a service below its desired count or missing, a failed rollout, an
/// unhealthy target, a database or cache not `available`, a distribution not `Deployed`, an alarm
/// in ALARM. A deployment in progress with enough running tasks is not a problem.
pub fn problems(status: &StackStatus) -> Vec<String> {
    let mut found = Vec::new();
    for service in &status.services {
        let name = &service.name;
        if service.status != "ACTIVE" {
            found.push(format!("service {name} is {}", service.status));
            continue;
        }
        if service.running < service.desired {
            found.push(format!("service {name} runs {} of {} tasks", service.running, service.desired));
        }
        for deployment in service.deployments.iter().filter(|d| d.rollout_state == "FAILED") {
            found.push(format!(
                "service {name}: the deployment of {} failed: {}",
                deployment.task_definition, deployment.rollout_reason
            ));
        }
        for target in service.targets.iter().filter(|t| UNHEALTHY_TARGET_STATES.contains(&t.state.as_str())) {
            found.push(format!("service {name}: target {} is {} ({})", target.target, target.state, target.reason));
        }
    }
    for database in &status.databases {
        if database.state != "available" {
            found.push(format!("database {} is {}", database.name, database.state));
        }
    }
    if let Some(cache) = status.cache.as_ref().filter(|cache| cache.state != "available") {
        found.push(format!("cache {} is {}", cache.name, cache.state));
    }
    if let Some(distribution) = status.distribution.as_ref().filter(|d| d.state != "Deployed") {
        found.push(format!("distribution {} is {}", distribution.name, distribution.state));
    }
    for alarm in &status.alarms_firing {
        found.push(format!("alarm {} fires: {}", alarm.name, alarm.reason));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(running: i32, desired: i32) -> ServiceStatus {
        ServiceStatus {
            name: "movie".into(),
            status: "ACTIVE".into(),
            running,
            desired,
            pending: 0,
            deployments: vec![DeploymentStatus {
                status: "PRIMARY".into(),
                rollout_state: "COMPLETED".into(),
                rollout_reason: String::new(),
                task_definition: "shop-movie:3".into(),
                running,
                desired,
            }],
            targets: vec![TargetHealth {
                target: "10.0.8.4:8002".into(),
                state: "healthy".into(),
                reason: String::new(),
            }],
            events: Vec::new(),
            stopped_tasks: Vec::new(),
        }
    }

    fn stack(services: Vec<ServiceStatus>) -> StackStatus {
        StackStatus {
            format_version: STATUS_FORMAT_VERSION,
            stack: "shop".into(),
            region: "us-east-1".into(),
            services,
            databases: vec![ResourceState { name: "shop-main".into(), state: "available".into() }],
            cache: Some(ResourceState { name: "shop-cache".into(), state: "available".into() }),
            distribution: Some(ResourceState { name: "E123".into(), state: "Deployed".into() }),
            alarms_firing: Vec::new(),
            problems: Vec::new(),
        }
    }

    #[test]
    fn a_healthy_stack_has_no_problem() {
        assert_eq!(problems(&stack(vec![service(2, 2)])), Vec::<String>::new());
    }

    #[test]
    fn missing_tasks_failed_rollouts_unhealthy_targets_states_and_alarms_are_problems() {
        let mut failing = service(1, 2);
        failing.deployments[0].rollout_state = "FAILED".into();
        failing.deployments[0].rollout_reason = "ECS deployment circuit breaker: tasks failed to start".into();
        failing.targets[0].state = "unhealthy".into();
        failing.targets[0].reason = "Target.ResponseCodeMismatch".into();
        let mut status = stack(vec![failing]);
        status.databases[0].state = "storage-full".into();
        status.distribution = Some(ResourceState { name: "E123".into(), state: "InProgress".into() });
        status
            .alarms_firing
            .push(FiringAlarm { name: "shop-alarm-movie-5xx".into(), reason: "Threshold Crossed".into() });
        assert_eq!(
            problems(&status),
            vec![
                "service movie runs 1 of 2 tasks",
                "service movie: the deployment of shop-movie:3 failed: ECS deployment circuit breaker: tasks failed to start",
                "service movie: target 10.0.8.4:8002 is unhealthy (Target.ResponseCodeMismatch)",
                "database shop-main is storage-full",
                "distribution E123 is InProgress",
                "alarm shop-alarm-movie-5xx fires: Threshold Crossed",
            ]
        );
        let mut draining = service(2, 2);
        draining.targets[0].state = "draining".into();
        assert_eq!(
            problems(&stack(vec![draining])),
            Vec::<String>::new(),
            "a deployment's draining target is not a fault"
        );
    }
}
