//! Library operations behind the commands: load a stack file, read the live stack and plan.

use std::path::Path;

use crate::aws::{self, AwsError, Clients};
use crate::graph::{self, GraphError};
use crate::plan::{self, LiveResource, Plan};
use crate::stack::{self, Diagnostics, Stack};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read stack file {path}: {source}; check the --stack path")]
    Read { path: String, source: std::io::Error },
    #[error("{0}")]
    Invalid(Box<Diagnostics>),
}

/// Reads and validates a stack file. No AWS call is made, whatever the file holds.
pub fn load_stack(path: &Path) -> Result<Stack, LoadError> {
    let display = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|source| LoadError::Read { path: display.clone(), source })?;
    stack::parse(&display, &source).map_err(|diagnostics| LoadError::Invalid(Box::new(diagnostics)))
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// Whether the plan should converge on the stack file or remove everything the stack owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    Apply,
    Destroy,
}

/// Reads the account facts and every owned resource (concurrently), then plans.
pub async fn read_and_plan(
    clients: &Clients,
    stack: &Stack,
    goal: Goal,
) -> Result<(Plan, Vec<LiveResource>), PlanError> {
    let facts = aws::account_facts(clients).await?;
    let desired = match goal {
        Goal::Apply => graph::desired(stack, &facts)?,
        Goal::Destroy => Vec::new(),
    };
    let live = aws::discover(clients, &facts).await?;
    let plan = plan::plan(&stack.name, &stack.region, &desired, &live);
    Ok((plan, live))
}
