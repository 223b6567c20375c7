//! Library operations behind the commands: load a stack file, read the live stack and plan.

use std::collections::BTreeMap;
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

/// Reads the account facts and every owned resource, then plans. `image_tags` are the
/// `--image-tag` choices; a service without one keeps the tag its live task definition runs.
pub async fn read_and_plan(
    clients: &Clients,
    stack: &Stack,
    goal: Goal,
    image_tags: &BTreeMap<String, String>,
) -> Result<(Plan, Vec<LiveResource>), PlanError> {
    let mut facts = aws::account_facts(clients).await?;
    let live = aws::discover(clients, &facts).await?;
    facts.image_tags = deployed_image_tags(&live);
    facts.image_tags.extend(image_tags.iter().map(|(service, tag)| (service.clone(), tag.clone())));
    let desired = match goal {
        Goal::Apply => graph::desired(stack, &facts)?,
        Goal::Destroy => Vec::new(),
    };
    let plan = plan::plan(&stack.name, &stack.region, &desired, &live);
    Ok((plan, live))
}

/// The image tag each service's live task definition runs, by service name.
pub fn deployed_image_tags(live: &[LiveResource]) -> BTreeMap<String, String> {
    live.iter()
        .filter(|resource| resource.kind == graph::Kind::TaskDefinition)
        .filter_map(|resource| {
            let service = resource.id.strip_prefix("task-")?;
            let image = resource.props.get("image")?.as_str()?;
            // The tag follows the last ':' after the last '/' (a registry host may have a port).
            let (_, tag) = image.rsplit_once('/')?.1.rsplit_once(':')?;
            Some((service.to_string(), tag.to_string()))
        })
        .collect()
}
