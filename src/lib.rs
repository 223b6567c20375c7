//! wl-infra: declarative infrastructure for the Movie Watchlist application on AWS ECS Fargate.
pub mod apply;
pub mod aws;
pub mod cli;
pub mod graph;
pub mod ops;
pub mod plan;
pub mod render;
pub mod stack;
