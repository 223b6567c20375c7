//! The resource kinds wl-infra manages and the static facts the planner needs about each.

use std::fmt;

use super::{Props, Value};

/// A kind of AWS resource. Adding one means: a variant here, its facts below, a driver, graph entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Vpc,
    Subnet,
    InternetGateway,
    ElasticIp,
    NatGateway,
    RouteTable,
    SecurityGroup,
    EcrRepository,
    S3Bucket,
    DbSubnetGroup,
    DatabaseSecret,
    DbInstance,
    CacheSubnetGroup,
    CacheReplicationGroup,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::Vpc,
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::ElasticIp,
        Kind::NatGateway,
        Kind::RouteTable,
        Kind::SecurityGroup,
        Kind::EcrRepository,
        Kind::S3Bucket,
        Kind::DbSubnetGroup,
        Kind::DatabaseSecret,
        Kind::DbInstance,
        Kind::CacheSubnetGroup,
        Kind::CacheReplicationGroup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Vpc => "vpc",
            Kind::Subnet => "subnet",
            Kind::InternetGateway => "internet_gateway",
            Kind::ElasticIp => "elastic_ip",
            Kind::NatGateway => "nat_gateway",
            Kind::RouteTable => "route_table",
            Kind::SecurityGroup => "security_group",
            Kind::EcrRepository => "ecr_repository",
            Kind::S3Bucket => "s3_bucket",
            Kind::DbSubnetGroup => "db_subnet_group",
            Kind::DatabaseSecret => "database_secret",
            Kind::DbInstance => "db_instance",
            Kind::CacheSubnetGroup => "cache_subnet_group",
            Kind::CacheReplicationGroup => "cache_replication_group",
        }
    }

    /// Fields AWS cannot change in place: a change to any of them replaces the resource.
    pub fn replace_fields(self) -> &'static [&'static str] {
        match self {
            Kind::Vpc => &["cidr_block"],
            Kind::Subnet => &["vpc_id", "cidr_block", "availability_zone"],
            Kind::InternetGateway => &[],
            Kind::ElasticIp => &["domain"],
            Kind::NatGateway => &["subnet_id", "allocation_id"],
            Kind::RouteTable => &["vpc_id"],
            Kind::SecurityGroup => &["name", "description", "vpc_id"],
            Kind::EcrRepository => &["name"],
            Kind::S3Bucket => &["name"],
            Kind::DbSubnetGroup => &["name"],
            Kind::DatabaseSecret => &["name"],
            Kind::DbInstance => &[
                "identifier",
                "engine",
                "engine_version",
                "db_name",
                "master_username",
                "storage_encrypted",
                "subnet_group",
            ],
            Kind::CacheSubnetGroup => &["name"],
            Kind::CacheReplicationGroup => {
                &["id", "engine", "at_rest_encryption", "transit_encryption", "subnet_group", "security_group_ids"]
            }
        }
    }

    /// Fields a create call needs but the kind's one discovery read does not return; they are not
    /// compared (a cache's subnet group and security groups live on its member clusters).
    pub fn create_only_fields(self) -> &'static [&'static str] {
        match self {
            Kind::CacheReplicationGroup => &["subnet_group", "security_group_ids"],
            _ => &[],
        }
    }

    /// List fields whose order carries no meaning; the planner compares them sorted.
    pub fn unordered_fields(self) -> &'static [&'static str] {
        match self {
            Kind::RouteTable => &["routes", "subnet_ids"],
            Kind::SecurityGroup => &["ingress"],
            Kind::DbSubnetGroup | Kind::CacheSubnetGroup => &["subnet_ids"],
            Kind::DbInstance => &["security_group_ids", "log_exports"],
            _ => &[],
        }
    }

    /// Kinds whose resources must be gone before one of this kind can be deleted, beyond the
    /// references visible in properties (AWS blockers such as mapped public addresses).
    pub fn deleted_after(self) -> &'static [Kind] {
        match self {
            Kind::Vpc => {
                &[Kind::Subnet, Kind::InternetGateway, Kind::RouteTable, Kind::SecurityGroup, Kind::NatGateway]
            }
            Kind::InternetGateway => &[Kind::NatGateway, Kind::ElasticIp],
            Kind::ElasticIp => &[Kind::NatGateway],
            // A database's network interfaces hold its subnets and security group until it is gone.
            Kind::Subnet | Kind::SecurityGroup => &[Kind::NatGateway, Kind::DbInstance, Kind::CacheReplicationGroup],
            // Destroy removes the databases first, then their subnet group and secrets.
            Kind::DbSubnetGroup | Kind::DatabaseSecret => &[Kind::DbInstance],
            Kind::CacheSubnetGroup => &[Kind::CacheReplicationGroup],
            _ => &[],
        }
    }

    /// Why AWS (or data safety) forbids this change, checked at plan time so nothing starts.
    pub fn refusal(self, id: &str, before: Option<&Props>, after: Option<&Props>) -> Option<String> {
        match self {
            Kind::DbInstance => {
                let before = before?;
                let protected = before.get("deletion_protection") == Some(&Value::Bool(true));
                let database = id.strip_prefix("db-").unwrap_or(id);
                match after {
                    None if protected => Some(format!(
                        "database {database} has deletion protection on; set `deletion_protection = false` in [databases.{database}], apply, then remove or destroy it"
                    )),
                    Some(after) => {
                        let old = before.get("allocated_storage").and_then(Value::as_i64)?;
                        let new = after.get("allocated_storage").and_then(Value::as_i64)?;
                        (new < old).then(|| {
                            format!("database {database} has {old} GiB of storage and RDS cannot shrink it; set `storage_gb` to {old} or more in [databases.{database}]")
                        })
                    }
                    None => None,
                }
            }
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}
