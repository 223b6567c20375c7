//! The resource kinds wl-infra manages and the static facts the planner needs about each.

use std::fmt;

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
        }
    }

    /// List fields whose order carries no meaning; the planner compares them sorted.
    pub fn unordered_fields(self) -> &'static [&'static str] {
        match self {
            Kind::RouteTable => &["routes", "subnet_ids"],
            Kind::SecurityGroup => &["ingress"],
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
            Kind::Subnet => &[Kind::NatGateway],
            Kind::InternetGateway => &[Kind::NatGateway, Kind::ElasticIp],
            Kind::ElasticIp => &[Kind::NatGateway],
            _ => &[],
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}
