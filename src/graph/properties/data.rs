//! The data tier's typed properties: subnet groups, secrets, database instances, the cache's
//! replication group and the image repositories.

use super::properties;

properties! {
    /// A subnet group's properties (a database's or the cache's), as the graph builds them and
    /// discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    shared [DbSubnetGroup => DbSubnetGroupFields, CacheSubnetGroup => CacheSubnetGroupFields]:
    SubnetGroupProps, SubnetGroupFields, tagged {
        name: String,
        description: String,
        subnet_ids: Vec<String>,
    }
}

properties! {
    /// The secret's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    Secret: SecretProps, SecretFields, tagged {
        name: String,
        description: String,
    }
}

properties! {
    /// The database instance's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    DbInstance: DbInstanceProps, DbInstanceFields, tagged {
        identifier: String,
        engine: String,
        engine_version: String,
        instance_class: String,
        allocated_storage: i32,
        storage_encrypted: bool,
        multi_az: bool,
        backup_retention_days: i32,
        deletion_protection: bool,
        publicly_accessible: bool,
        db_name: String,
        master_username: String,
        subnet_group: String,
        security_group_ids: Vec<String>,
        log_exports: Vec<String>,
        /// Read, never compared: where the instance's nodes are (a subnet there cannot go).
        availability_zones [optional]: Option<Vec<String>>,
        /// Read, never compared: why its storage cannot change now.
        storage_change_blocked [optional]: Option<String>,
    }
}

properties! {
    /// The replication group's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    CacheReplicationGroup: CacheReplicationGroupProps, CacheReplicationGroupFields, tagged {
        id: String,
        description: String,
        engine: String,
        node_type: String,
        replicas: i64,
        at_rest_encryption: bool,
        transit_encryption: bool,
        /// Automatic failover and Multi-AZ, on exactly when the group has a replica: read back, so
        /// a change an interrupted apply left half done (replicas added, failover not yet on) shows
        /// in the next plan.
        automatic_failover: bool,
        multi_az: bool,
        /// Set on create and not compared (`create_only_fields`): the subnet group and security
        /// groups live on the member clusters, which the one discovery read does not return.
        subnet_group [optional]: Option<String>,
        security_group_ids [optional]: Option<Vec<String>>,
        /// Read, never compared: the zones the cache's nodes are in (a subnet there cannot go).
        availability_zones [optional]: Option<Vec<String>>,
    }
}

properties! {
    /// The repository's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    EcrRepository: EcrRepositoryProps, EcrRepositoryFields, tagged {
        name: String,
        scan_on_push: bool,
        image_tag_mutability: String,
        keep_images: KeepImages,
    }
}

/// The number of images the lifecycle policy keeps. The graph always gives a count; a live
/// repository without a policy, or with one wl-infra did not write, reads as a text saying so,
/// which differs from every count (so the plan shows it and apply writes the policy).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum KeepImages {
    Count(i64),
    Other(String),
}
