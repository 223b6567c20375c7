//! wl-infra: declarative infrastructure for the Movie Watchlist application on AWS ECS Fargate.
//!
//! A run is a pipeline, pure in the middle and IO at the ends (ARCHITECTURE.md has the details):
//!
//! - [`stack`] parses and validates a stack file into a model that cannot be wrong, reporting
//!   every error with file:line:column before any AWS call.
//! - [`graph`] turns the stack (and facts read at the edge: account, zones, image tags, frontend
//!   files) into the desired resources, their properties and dependencies.
//! - [`aws`] reads the live resources (one listing per kind, all kinds at once) and holds one
//!   driver per kind for create, update and delete.
//! - [`plan`] diffs desired against live into a plan: what changes, and the ordered steps.
//! - [`apply`] executes the steps with bounded concurrency and retries; it decides nothing.
//! - [`render`] is the one printer (human plan, `plan --json`, progress on stderr).
//! - [`outputs`] is what a deployed stack offers (URLs, endpoints), from its live attributes.
//! - [`status`] judges how a deployed stack is doing from what `aws::status` reads.
//! - [`verify`] runs the deployment guide's checks against a running application.
//! - [`ops`] holds the operations the commands share; [`cli`] is the thin command line over them.
pub mod apply;
pub mod aws;
pub mod cli;
pub mod graph;
pub mod ops;
pub mod outputs;
pub mod plan;
pub mod render;
pub mod stack;
pub mod status;
pub mod verify;
