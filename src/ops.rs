//! Library operations behind the commands: load a stack file, read the live stack and plan.

use std::collections::BTreeMap;
use std::path::Path;

use crate::aws::{self, AwsError, Clients};
use crate::graph::{self, GraphError};
use crate::plan::{self, LiveResource, Plan, SavedPlan, SavedPlanError};
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
    let mut stack = stack::parse(&display, &source).map_err(|diagnostics| LoadError::Invalid(Box::new(diagnostics)))?;
    // Paths in a stack file are relative to the stack file.
    if let Some(frontend) = &mut stack.frontend {
        let base = path.parent().unwrap_or(Path::new(""));
        frontend.source_dir = base.join(&frontend.source_dir).display().to_string();
    }
    Ok(stack)
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("cannot read the frontend files in {directory}: {detail}; build the frontend first (cd frontend && npm install --no-save && npx vite build) or fix `source_dir` in [frontend]")]
    FrontendFiles { directory: String, detail: String },
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
    // Local input first: a missing frontend build fails before any AWS request.
    let files = match (goal, &stack.frontend) {
        (Goal::Apply, Some(frontend)) => frontend_files(Path::new(&frontend.source_dir))?,
        _ => Vec::new(),
    };
    let (mut facts, mut live) = read_live(clients).await?;
    facts.image_tags = deployed_image_tags(&live);
    facts.image_tags.extend(image_tags.iter().map(|(service, tag)| (service.clone(), tag.clone())));
    facts.frontend_files = files;
    facts.subnet_zones = subnet_zones(&live);
    let wanted = match goal {
        Goal::Apply => graph::desired(stack, &facts)?,
        // Destroy wants nothing, but still looks for what the stack names (below).
        Goal::Destroy => graph::desired(stack, &facts).unwrap_or_default(),
    };
    // Secrets and roles made in the last minutes may be missing from their listings.
    aws::find_listed_late(clients, &wanted, &mut live).await?;
    let desired = match goal {
        Goal::Apply => wanted,
        Goal::Destroy => Vec::new(),
    };
    let safety = plan::Safety { allow_data_loss: stack.allow_data_loss.clone() };
    let plan = plan::plan(&stack.name, &stack.region, &desired, &live, &safety);
    Ok((plan, live))
}

/// Reads the account facts and every resource the stack owns.
pub async fn read_live(clients: &Clients) -> Result<(graph::AccountFacts, Vec<LiveResource>), AwsError> {
    let facts = aws::account_facts(clients).await?;
    let live = aws::discover(clients, &facts).await?;
    Ok((facts, live))
}

#[derive(Debug, thiserror::Error)]
pub enum SavedPlanFileError {
    #[error("cannot write the plan to {path}: {source}; check the --out path")]
    Write { path: String, source: std::io::Error },
    #[error("cannot read the plan file {path}: {source}; check the path, or make one with `wl-infra plan --stack FILE --out {path}`")]
    Read { path: String, source: std::io::Error },
    #[error(transparent)]
    Saved(#[from] SavedPlanError),
}

/// Saves a reviewed plan with the live state it was made from (`plan --out FILE`).
pub fn save_plan(path: &Path, plan: Plan, live: Vec<LiveResource>) -> Result<(), SavedPlanFileError> {
    let text = SavedPlan::new(plan, live).to_json();
    std::fs::write(path, text + "\n")
        .map_err(|source| SavedPlanFileError::Write { path: path.display().to_string(), source })
}

/// Reads a plan saved by `plan --out`.
pub fn load_saved_plan(path: &Path) -> Result<SavedPlan, SavedPlanFileError> {
    let display = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|source| SavedPlanFileError::Read { path: display.clone(), source })?;
    Ok(SavedPlan::from_json(&display, &text)?)
}

/// The zone of each of the stack's live subnets, by logical id: subnets stay in their zones.
pub fn subnet_zones(live: &[LiveResource]) -> BTreeMap<String, String> {
    live.iter()
        .filter(|resource| resource.kind == graph::Kind::Subnet && resource.state != plan::LiveState::Deleting)
        .filter_map(|resource| {
            let zone = resource.props.get("availability_zone")?.as_str()?;
            Some((resource.id.clone(), zone.to_string()))
        })
        .collect()
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

/// Every file under `directory` with its object key (`/`-separated, relative) and content MD5,
/// sorted by key. Hidden files (a leading `.`) are left out.
pub fn frontend_files(directory: &Path) -> Result<Vec<graph::FrontendFile>, PlanError> {
    use md5::{Digest, Md5};
    let failure = |detail: String| PlanError::FrontendFiles { directory: directory.display().to_string(), detail };
    let mut files = Vec::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|error| failure(error.to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|error| failure(error.to_string()))?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let content = std::fs::read(&path).map_err(|error| failure(format!("{}: {error}", path.display())))?;
            let relative = path.strip_prefix(directory).map_err(|error| failure(error.to_string()))?;
            let key =
                relative.components().map(|part| part.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            let md5 = Md5::digest(&content).iter().map(|byte| format!("{byte:02x}")).collect();
            files.push(graph::FrontendFile { key, md5, path: path.display().to_string() });
        }
    }
    if files.is_empty() {
        return Err(failure("it holds no file".to_string()));
    }
    files.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(files)
}
