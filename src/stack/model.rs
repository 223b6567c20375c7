//! The validated stack model: every value here has passed validation, so later stages never re-check.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;

/// A validated stack: the desired shape of one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    /// Prefix of every physical name, `[a-z][a-z0-9-]*`, at most 20 characters.
    pub name: String,
    /// An AWS region code such as `us-east-1`.
    pub region: String,
    /// Databases (by `[databases.NAME]` name) whose data a plan may lose: deleted or replaced
    /// without a final snapshot. Any other such plan is refused.
    pub allow_data_loss: BTreeSet<String>,
    pub network: Network,
    pub databases: BTreeMap<String, Database>,
    pub cache: Option<Cache>,
    pub load_balancer: LoadBalancer,
    pub registry: Registry,
    pub services: BTreeMap<String, Service>,
    pub frontend: Option<Frontend>,
    pub dashboard: Option<Dashboard>,
    pub alarms: Alarms,
}

/// An IPv4 CIDR block whose host bits are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Cidr {
    pub address: Ipv4Addr,
    pub prefix_length: u8,
}

impl Ipv4Cidr {
    /// The `index`-th block of `prefix_length` inside this block.
    pub fn subnet(&self, prefix_length: u8, index: u32) -> Ipv4Cidr {
        let base = u32::from(self.address);
        let size = 1u64 << (32 - u32::from(prefix_length));
        let address = (u64::from(base) + size * u64::from(index)) as u32;
        Ipv4Cidr { address: Ipv4Addr::from(address), prefix_length }
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.address, self.prefix_length)
    }
}

/// How many NAT gateways the private subnets share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatGateways {
    /// Private subnets have no route to the internet.
    None,
    /// One NAT gateway in the first availability zone serves every private subnet.
    Shared,
    /// One NAT gateway per availability zone.
    PerAvailabilityZone,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    pub cidr: Ipv4Cidr,
    /// Between 1 and 6; one public and one private subnet in each.
    pub availability_zones: u8,
    pub nat_gateways: NatGateways,
    /// Size of every subnet; public subnet `i` is block `i`, private subnet `i` is block `8 + i`.
    pub subnet_prefix_length: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Database {
    pub instance_class: String,
    pub storage_gb: u32,
    /// PostgreSQL major version, e.g. `16`.
    pub engine_version: String,
    pub multi_az: bool,
    pub backup_retention_days: u8,
    pub deletion_protection: bool,
    /// Whether deleting the database takes a final snapshot first (the default).
    pub final_snapshot: bool,
    /// Whether deleting the database also deletes its automated backups (by default they are kept
    /// for their retention period).
    pub delete_automated_backups: bool,
    /// Days Secrets Manager keeps the master secret after destroy: 0 (delete at once) or 7 to 30.
    pub secret_recovery_days: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cache {
    pub node_type: String,
    pub replicas: u8,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadBalancer {
    /// When set, the load balancer gets an HTTPS listener and redirects HTTP to it. Validation
    /// refuses a certificate until wl-infra manages a custom domain, so this is `None` today.
    pub certificate_arn: Option<String>,
}

/// Settings shared by every service's ECR repository.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    /// The lifecycle policy keeps this many most recent images.
    pub keep_images: u32,
    pub scan_on_push: bool,
}

impl Default for Registry {
    fn default() -> Self {
        Registry { keep_images: 20, scan_on_push: true }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentStrategy {
    Rolling,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub strategy: DeploymentStrategy,
    pub circuit_breaker: bool,
    pub minimum_healthy_percent: u16,
    pub maximum_percent: u16,
}

impl Default for Deployment {
    fn default() -> Self {
        Deployment {
            strategy: DeploymentStrategy::Rolling,
            circuit_breaker: true,
            minimum_healthy_percent: 100,
            maximum_percent: 200,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// `[services.NAME.scaling]`: Application Auto Scaling owns the task count between its bounds.
    pub scaling: Option<Scaling>,
    pub port: u16,
    /// Fargate CPU units; with `memory`, one of the pairs Fargate accepts.
    pub cpu: u32,
    /// Fargate memory in MiB.
    pub memory: u32,
    pub desired_count: u32,
    /// ALB path patterns, each starting with `/`; no two services' patterns overlap.
    pub paths: Vec<String>,
    pub health_check_path: String,
    /// The `[databases.NAME]` entry this service connects to.
    pub database: Option<String>,
    pub cache: bool,
    /// Other services this one calls; each is defined and none is the service itself.
    pub calls: Vec<String>,
    /// Plain environment variables; no value is empty.
    pub environment: BTreeMap<String, String>,
    pub deployment: Deployment,
    /// The CPU architecture the service's image is built for.
    pub architecture: CpuArchitecture,
}

/// The CPU architecture of a service's tasks (Fargate's `runtimePlatform.cpuArchitecture`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuArchitecture {
    X86_64,
    Arm64,
}

impl CpuArchitecture {
    /// The name ECS uses.
    pub fn as_ecs(self) -> &'static str {
        match self {
            CpuArchitecture::X86_64 => "X86_64",
            CpuArchitecture::Arm64 => "ARM64",
        }
    }
}

/// How a service scales: target tracking on its average CPU, and optionally on the requests each
/// task serves, between `min` and `max` tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaling {
    pub min: u32,
    pub max: u32,
    pub cpu_percent: u8,
    pub requests_per_target: Option<u32>,
}

/// `[dashboard]`: one CloudWatch dashboard of the stack's metrics and error logs.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// The period of every graph, in seconds.
    pub period_seconds: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Frontend {
    /// As written in the stack file: relative paths are relative to the stack file.
    pub source_dir: String,
    pub price_class: String,
}

/// The thresholds of the stack's alarms (`[alarms]`); each has a default, stated in the README.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarms {
    /// A service's average CPU, in percent.
    pub cpu_percent: u8,
    /// 5xx answers a minute from a service's targets.
    pub http_5xx_per_minute: u32,
    pub target_response_time_seconds: f64,
    /// Unhealthy targets a service's target group may have before the alarm fires.
    pub unhealthy_targets: u32,
    /// 5xx answers a minute the load balancer itself gives (no target, a target that failed).
    pub load_balancer_5xx_per_minute: u32,
    /// A database's average CPU, in percent.
    pub database_cpu_percent: u8,
    /// The alarm fires when a database's free storage falls below this share of its storage.
    pub database_free_storage_percent: u8,
    /// The share of PostgreSQL's default `max_connections` for the instance class.
    pub database_connections_percent: u8,
    /// A cache node's used share of its `maxmemory`.
    pub cache_memory_percent: u8,
    /// Keys a cache node evicts a minute for want of memory.
    pub cache_evictions_per_minute: u32,
    /// E-mail addresses subscribed to the stack's alert topic, which every alarm notifies.
    pub notify: Vec<String>,
    /// A topic of the user's (in the stack's region) every alarm notifies too.
    pub topic_arn: Option<String>,
}

impl Default for Alarms {
    fn default() -> Self {
        Alarms {
            cpu_percent: 80,
            http_5xx_per_minute: 10,
            target_response_time_seconds: 2.0,
            unhealthy_targets: 0,
            load_balancer_5xx_per_minute: 10,
            database_cpu_percent: 80,
            database_free_storage_percent: 10,
            database_connections_percent: 80,
            cache_memory_percent: 80,
            cache_evictions_per_minute: 10,
            notify: Vec::new(),
            topic_arn: None,
        }
    }
}
