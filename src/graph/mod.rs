//! The desired resources of a stack: logical ids, physical names, properties and dependencies. Pure.
//!
//! `desired(stack, facts)` is a function of the validated stack and a few facts read from the
//! account (availability zones, account id), so it is unit tested with plain data.

mod compute;
mod frontend;
mod kind;
mod monitoring;
pub mod policy;
pub mod properties;
mod value;

use std::collections::BTreeMap;

pub use compute::{
    bounded_name, execution_managed_policy, format_threshold, image, legacy_role_path, log_group_name,
    origin_secret_name, role_path, rule_priorities, short_name, DEFAULT_IMAGE_TAG, FORBIDDEN_BODY, ORIGIN_SECRET_ID,
    ORIGIN_VERIFY_CONTENT, SECRET_CONTENT_TAG, SIGNING_KEY_CONTENT,
};
pub use frontend::{
    access_control_name, cache_control, content_type, distribution_comment, object_id, FrontendFile,
    ALL_VIEWER_EXCEPT_HOST_HEADER, CACHING_DISABLED, CACHING_OPTIMIZED, INVALIDATION_ID, SECURITY_HEADERS,
};
pub use kind::{AssociateBeforeMove, Kind, KindSpec, Repeat, SafetyRule};
pub use monitoring::{
    alert_key_alias, alert_subscription_id, alert_topic_name, canonical_dashboard_body, dashboard_console_url,
    dashboard_name,
};
pub use value::{Props, Value};

use properties::data::{
    CacheReplicationGroupFields, CacheSubnetGroupFields, DbInstanceFields, DbSubnetGroupFields, EcrRepositoryFields,
    SecretFields, SubnetGroupFields,
};
use properties::network::{
    ElasticIpFields, IngressRuleFields, InternetGatewayFields, NatGatewayFields, RouteFields, RouteTableFields,
    SecurityGroupFields, SubnetFields, VpcFields,
};
use properties::DesiredFields;

use crate::stack::{NatGateways, Stack};

/// Tag keys every owned resource carries from the moment it is created.
pub const STACK_TAG: &str = "wl:stack";
pub const ID_TAG: &str = "wl:id";
/// The region of a resource in a global service (CloudFront), where one stack name may have one
/// per region.
pub const REGION_TAG: &str = "wl:region";

/// One resource the stack wants to exist.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The logical id, unique in the stack, stored in the `wl:id` tag.
    pub id: String,
    pub kind: Kind,
    /// Properties the planner compares with the live resource; `tags` included.
    pub props: Props,
    /// Logical ids this resource needs to exist first (from `Ref` values and ordering needs).
    pub depends_on: Vec<String>,
    /// What the plan says about this resource besides its changes (a service whose task count
    /// Application Auto Scaling owns).
    pub note: Option<String>,
}

/// What `desired` needs to know about the account and region, read at the edge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountFacts {
    pub account_id: String,
    /// The names of the region's zones that can take new subnets (available, and running Fargate),
    /// ordered by zone id, which names the same physical zone in every account.
    pub availability_zones: Vec<String>,
    /// The zone of each of the stack's live subnets, by logical id: a subnet stays in its zone even
    /// when that zone stops being offered for new ones.
    pub subnet_zones: BTreeMap<String, String>,
    /// The image tag each service deploys: from `--image-tag`, else the tag it runs now; a
    /// service missing here deploys `latest`.
    pub image_tags: BTreeMap<String, String>,
    /// The files of `[frontend] source_dir`, with their content hashes.
    pub frontend_files: Vec<FrontendFile>,
    /// The id of the region's AWS-managed prefix list of CloudFront's origin-facing servers
    /// (`com.amazonaws.global.cloudfront.origin-facing`), looked up by name, never hard-coded.
    pub cloudfront_prefix_list: Option<String>,
}

/// The AWS-managed prefix list of the addresses CloudFront reaches origins from.
pub const CLOUDFRONT_PREFIX_LIST_NAME: &str = "com.amazonaws.global.cloudfront.origin-facing";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GraphError {
    #[error("region {region} has no AWS-managed prefix list {CLOUDFRONT_PREFIX_LIST_NAME}, which the load balancer admits CloudFront by; deploy the stack in a region CloudFront serves, or leave out [frontend]")]
    NoCloudFrontPrefixList { region: String },
    #[error("region {region} has {available} availability zones that can take the stack's subnets (available and running Fargate) but the stack asks for {wanted}; lower `network.availability_zones`")]
    NotEnoughAvailabilityZones { region: String, available: usize, wanted: usize },
}

/// The physical name of a resource: `<stack>-<id>`.
pub fn physical_name(stack: &str, id: &str) -> String {
    format!("{stack}-{id}")
}

/// The name of the frontend bucket: bucket names are global, so it carries the account id and the
/// region (the same stack name may run in two regions).
pub fn bucket_name(stack: &str, account_id: &str, region: &str) -> String {
    format!("{stack}-frontend-{account_id}-{region}")
}

/// The frontend bucket's name before it carried the region; a bucket of that name in the stack's
/// region is the stack's own and is replaced by one with the new name.
pub fn legacy_bucket_name(stack: &str, account_id: &str) -> String {
    format!("{stack}-frontend-{account_id}")
}

/// The ECR repository name of a service, as the design fixes it: `<stack>-<service>`.
pub fn repository_name(stack: &str, service: &str) -> String {
    format!("{stack}-{service}")
}

fn tags(stack: &str, id: &str, name: &str) -> Value {
    let mut map = BTreeMap::new();
    map.insert("Name".to_string(), Value::string(name));
    map.insert(STACK_TAG.to_string(), Value::string(stack));
    map.insert(ID_TAG.to_string(), Value::string(id));
    Value::Map(map)
}

/// Accumulates resources and derives `depends_on` from the references in their properties.
struct Builder<'a> {
    stack: &'a str,
    resources: Vec<Resource>,
}

impl Builder<'_> {
    /// Adds a resource of the kind its typed fields belong to, named after its logical id.
    fn add_fields<F: DesiredFields>(&mut self, id: &str, fields: F) {
        self.add_fields_named(id, &physical_name(self.stack, id), fields);
    }

    /// Adds a resource of the kind its typed fields belong to, tagged (if its kind can be) with
    /// `name` and the stack's ownership tags; its dependencies are the resources it refers to.
    fn add_fields_named<F: DesiredFields>(&mut self, id: &str, name: &str, fields: F) {
        let kind = F::KIND;
        let mut props: Props =
            fields.into_fields().into_iter().map(|(field, value)| (field.to_string(), value)).collect();
        if F::TAGGED {
            props.insert("tags".to_string(), tags(self.stack, id, name));
        }
        let mut depends_on = Vec::new();
        props.values().for_each(|value| value.references(&mut depends_on));
        depends_on.sort();
        depends_on.dedup();
        self.resources.push(Resource { id: id.to_string(), kind, props, depends_on, note: None });
    }
}

impl Builder<'_> {
    fn depends(&mut self, id: &str, on: &str) {
        if let Some(resource) = self.resources.iter_mut().find(|resource| resource.id == id) {
            resource.depends_on.push(on.to_string());
            resource.depends_on.sort();
            resource.depends_on.dedup();
        }
    }
}

fn rule(protocol: &str, port: u16, source: Value, description: &str) -> Value {
    Value::from(IngressRuleFields {
        description: Value::string(description),
        from_port: Value::Integer(i64::from(port)),
        protocol: Value::string(protocol),
        source,
        to_port: Value::Integer(i64::from(port)),
    })
}

/// A route to the internet: through the internet gateway, or through a NAT gateway.
fn default_route(internet_gateway: Option<Value>, nat_gateway: Option<Value>) -> Value {
    Value::from(RouteFields {
        destination: Value::string("0.0.0.0/0"),
        gateway_id: internet_gateway,
        nat_gateway_id: nat_gateway,
    })
}

/// The resources `stack` wants, in dependency order (each after everything it refers to).
pub fn desired(stack: &Stack, facts: &AccountFacts) -> Result<Vec<Resource>, GraphError> {
    let zones = usize::from(stack.network.availability_zones);
    let zone_names = zone_layout(stack, facts)?;
    let mut builder = Builder { stack: &stack.name, resources: Vec::new() };
    let network = &stack.network;

    builder.add_fields(
        "vpc",
        VpcFields {
            cidr_block: Value::string(network.cidr.to_string()),
            enable_dns_support: Value::Bool(true),
            enable_dns_hostnames: Value::Bool(true),
        },
    );
    builder.add_fields("internet-gateway", InternetGatewayFields { vpc_id: Value::id_of("vpc") });

    for (index, zone) in zone_names.iter().enumerate() {
        let number = index + 1;
        for (tier, block, public) in [("public", index as u32, true), ("private", 8 + index as u32, false)] {
            builder.add_fields(
                &format!("{tier}-{number}"),
                SubnetFields {
                    vpc_id: Value::id_of("vpc"),
                    cidr_block: Value::string(network.cidr.subnet(network.subnet_prefix_length, block).to_string()),
                    availability_zone: Value::string(zone),
                    map_public_ip_on_launch: Value::Bool(public),
                },
            );
        }
    }

    let nat_count = match network.nat_gateways {
        NatGateways::None => 0,
        NatGateways::Shared => 1,
        NatGateways::PerAvailabilityZone => zones,
    };
    for number in 1..=nat_count {
        builder.add_fields(&format!("nat-ip-{number}"), ElasticIpFields { domain: Value::string("vpc") });
        builder.add_fields(
            &format!("nat-{number}"),
            NatGatewayFields {
                subnet_id: Value::id_of(&format!("public-{number}")),
                allocation_id: Value::id_of(&format!("nat-ip-{number}")),
            },
        );
        // A public NAT gateway only works once the internet gateway is attached to the VPC.
        builder.depends(&format!("nat-{number}"), "internet-gateway");
    }

    let public_subnets: Vec<Value> = (1..=zones).map(|n| Value::id_of(&format!("public-{n}"))).collect();
    builder.add_fields(
        "public-routes",
        RouteTableFields {
            vpc_id: Value::id_of("vpc"),
            routes: Value::List(vec![default_route(Some(Value::id_of("internet-gateway")), None)]),
            subnet_ids: Value::List(public_subnets),
        },
    );
    for number in 1..=zones {
        let routes = match nat_count {
            0 => vec![],
            1 => vec![default_route(None, Some(Value::id_of("nat-1")))],
            _ => vec![default_route(None, Some(Value::id_of(&format!("nat-{number}"))))],
        };
        builder.add_fields(
            &format!("private-routes-{number}"),
            RouteTableFields {
                vpc_id: Value::id_of("vpc"),
                routes: Value::List(routes),
                subnet_ids: Value::List(vec![Value::id_of(&format!("private-{number}"))]),
            },
        );
    }

    let security_group = |builder: &mut Builder<'_>, id: &str, description: &str, ingress: Vec<Value>| {
        let name = physical_name(&stack.name, id);
        builder.add_fields(
            id,
            SecurityGroupFields {
                name: Value::string(&name),
                description: Value::string(description),
                vpc_id: Value::id_of("vpc"),
                ingress: Value::List(ingress),
            },
        );
    };
    // Behind CloudFront the load balancer admits CloudFront's origin-facing servers only, on the
    // port CloudFront's origin uses (HTTP): the prefix list weighs 55 rules against the group's
    // quota of 60 (VPC user guide, "AWS-managed prefix list weights"), so it is admitted once.
    // Without a frontend there is no CloudFront, and the load balancer serves the internet.
    let behind_cloudfront = compute::behind_cloudfront(stack);
    let alb_ingress = if behind_cloudfront {
        let prefix_list = facts
            .cloudfront_prefix_list
            .clone()
            .ok_or_else(|| GraphError::NoCloudFrontPrefixList { region: stack.region.clone() })?;
        vec![rule("tcp", 80, Value::string(prefix_list), "http from CloudFront's origin-facing servers")]
    } else {
        let mut ingress = vec![rule("tcp", 80, Value::string("0.0.0.0/0"), "http from anywhere")];
        if stack.load_balancer.certificate_arn.is_some() {
            ingress.push(rule("tcp", 443, Value::string("0.0.0.0/0"), "https from anywhere"));
        }
        ingress
    };
    security_group(&mut builder, "sg-alb", "load balancer: http(s) from the internet", alb_ingress);
    let mut service_ports: Vec<u16> = stack.services.values().map(|service| service.port).collect();
    service_ports.sort_unstable();
    service_ports.dedup();
    let mut app_ingress: Vec<Value> = service_ports
        .iter()
        .map(|port| rule("tcp", *port, Value::id_of("sg-alb"), "service port from the load balancer"))
        .collect();
    // The services call each other inside the VPC (ECS Service Connect): each service port from
    // the services' own group, where Service Connect's proxy listens (service-connect-concepts-deploy).
    let called_ports: std::collections::BTreeSet<u16> = stack
        .services
        .values()
        .flat_map(|service| service.calls.iter())
        .filter_map(|called| stack.services.get(called).map(|service| service.port))
        .collect();
    app_ingress.extend(
        called_ports
            .iter()
            .map(|port| rule("tcp", *port, Value::string(OWN_SECURITY_GROUP), "service port from the services")),
    );
    security_group(&mut builder, "sg-app", "services: their ports from the load balancer only", app_ingress);
    if !stack.databases.is_empty() {
        security_group(
            &mut builder,
            "sg-database",
            "databases: postgresql from the services only",
            vec![rule("tcp", 5432, Value::id_of("sg-app"), "postgresql from the services")],
        );
    }
    if stack.cache.is_some() {
        security_group(
            &mut builder,
            "sg-cache",
            "cache: redis from the services only",
            vec![rule("tcp", 6379, Value::id_of("sg-app"), "redis from the services")],
        );
    }

    add_databases(&mut builder, stack, zones);
    add_cache(&mut builder, stack, zones);

    for service in stack.services.keys() {
        let name = repository_name(&stack.name, service);
        builder.add_fields_named(
            &format!("ecr-{service}"),
            &name,
            EcrRepositoryFields {
                name: Value::string(&name),
                scan_on_push: Value::Bool(stack.registry.scan_on_push),
                image_tag_mutability: Value::string("MUTABLE"),
                keep_images: Value::Integer(i64::from(stack.registry.keep_images)),
            },
        );
    }

    monitoring::add_alerts(&mut builder, stack, facts);
    compute::add_compute(&mut builder, stack, facts, zones);
    monitoring::add_data_and_edge_alarms(&mut builder, stack);
    monitoring::add_dashboard(&mut builder, stack);

    frontend::add_frontend(&mut builder, stack, facts);

    Ok(builder.resources)
}

/// The zone of each zone index: a zone's subnets stay where they are; new ones take the first
/// usable zones no subnet of the stack is in yet.
fn zone_layout(stack: &Stack, facts: &AccountFacts) -> Result<Vec<String>, GraphError> {
    let zones = usize::from(stack.network.availability_zones);
    let mut layout: Vec<Option<String>> = (1..=zones)
        .map(|number| {
            let existing = |tier: &str| facts.subnet_zones.get(&format!("{tier}-{number}")).cloned();
            existing("public").or_else(|| existing("private"))
        })
        .collect();
    let taken: Vec<String> = layout.iter().flatten().cloned().collect();
    let mut free = facts.availability_zones.iter().filter(|zone| !taken.contains(zone));
    let mut missing = 0;
    for slot in layout.iter_mut().filter(|slot| slot.is_none()) {
        *slot = free.next().cloned();
        missing += usize::from(slot.is_none());
    }
    if missing > 0 {
        return Err(GraphError::NotEnoughAvailabilityZones {
            region: stack.region.clone(),
            available: zones - missing,
            wanted: zones,
        });
    }
    Ok(layout.into_iter().flatten().collect())
}

/// The source of a security group rule that admits the group's own members (the services calling
/// each other); the driver writes the group's own id.
pub const OWN_SECURITY_GROUP: &str = "self";

/// The user name of every database's master account.
pub const DATABASE_MASTER_USER: &str = "watchlist_admin";

/// The tag that records whether destroy takes a final snapshot of a database (AWS has no field).
pub const FINAL_SNAPSHOT_TAG: &str = "wl:final-snapshot";

/// The tag that records whether deleting a database also deletes its automated backups.
pub const DELETE_AUTOMATED_BACKUPS_TAG: &str = "wl:delete-automated-backups";

/// The tag that names a database's master secret.
pub const MASTER_SECRET_TAG: &str = "wl:master-secret";

/// The tag that records how many days a deleted master secret can be recovered.
pub const RECOVERY_WINDOW_TAG: &str = "wl:recovery-window-days";

/// The PostgreSQL database name of a `[databases.NAME]` entry.
pub fn database_name(key: &str) -> String {
    key.replace('-', "_")
}

/// The subnet group over the private subnets, and per database a master secret and an instance.
fn add_databases(builder: &mut Builder<'_>, stack: &Stack, zones: usize) {
    if stack.databases.is_empty() {
        return;
    }
    let private_subnets: Vec<Value> = (1..=zones).map(|n| Value::id_of(&format!("private-{n}"))).collect();
    let group_name = physical_name(&stack.name, "databases");
    builder.add_fields_named(
        "database-subnets",
        &group_name,
        DbSubnetGroupFields(SubnetGroupFields {
            name: Value::string(&group_name),
            description: Value::string(format!("private subnets of stack {}", stack.name)),
            subnet_ids: Value::List(private_subnets),
        }),
    );
    for (key, database) in &stack.databases {
        let secret_id = format!("db-{key}-secret");
        let secret_name = format!("{}/{key}/master", stack.name);
        builder.add_fields_named(
            &secret_id,
            &secret_name,
            SecretFields {
                name: Value::string(&secret_name),
                description: Value::string(format!("master credentials of database {key} of stack {}", stack.name)),
            },
        );
        builder.tag(&secret_id, RECOVERY_WINDOW_TAG, &database.secret_recovery_days.to_string());
        let instance_id = format!("db-{key}");
        let identifier = physical_name(&stack.name, key);
        builder.add_fields_named(
            &instance_id,
            &identifier,
            DbInstanceFields {
                identifier: Value::string(&identifier),
                engine: Value::string("postgres"),
                engine_version: Value::string(&database.engine_version),
                instance_class: Value::string(&database.instance_class),
                allocated_storage: Value::Integer(i64::from(database.storage_gb)),
                storage_encrypted: Value::Bool(true),
                multi_az: Value::Bool(database.multi_az),
                backup_retention_days: Value::Integer(i64::from(database.backup_retention_days)),
                deletion_protection: Value::Bool(database.deletion_protection),
                publicly_accessible: Value::Bool(false),
                db_name: Value::string(database_name(key)),
                master_username: Value::string(DATABASE_MASTER_USER),
                subnet_group: Value::id_of("database-subnets"),
                security_group_ids: Value::List(vec![Value::id_of("sg-database")]),
                log_exports: Value::List(vec![Value::string("postgresql")]),
                // Read from AWS only.
                availability_zones: None,
                storage_change_blocked: None,
            },
        );
        // The instance reads its master password from the secret when it is created, and writes
        // its endpoint back into it; the secret's name is kept on the instance as a tag.
        builder.depends(&instance_id, &secret_id);
        builder.tag(&instance_id, MASTER_SECRET_TAG, &secret_name);
        builder.tag(&instance_id, FINAL_SNAPSHOT_TAG, if database.final_snapshot { "true" } else { "false" });
        builder.tag(
            &instance_id,
            DELETE_AUTOMATED_BACKUPS_TAG,
            if database.delete_automated_backups { "true" } else { "false" },
        );
    }
}

/// The cache subnet group over the private subnets and one Redis replication group.
fn add_cache(builder: &mut Builder<'_>, stack: &Stack, zones: usize) {
    let Some(cache) = &stack.cache else { return };
    let private_subnets: Vec<Value> = (1..=zones).map(|n| Value::id_of(&format!("private-{n}"))).collect();
    let group_name = physical_name(&stack.name, "cache");
    builder.add_fields_named(
        "cache-subnets",
        &group_name,
        CacheSubnetGroupFields(SubnetGroupFields {
            name: Value::string(&group_name),
            description: Value::string(format!("private subnets of stack {}", stack.name)),
            subnet_ids: Value::List(private_subnets),
        }),
    );
    builder.add_fields_named(
        "cache",
        &group_name,
        CacheReplicationGroupFields {
            id: Value::string(&group_name),
            description: Value::string(format!("redis cache of stack {}", stack.name)),
            engine: Value::string("redis"),
            node_type: Value::string(&cache.node_type),
            replicas: Value::Integer(i64::from(cache.replicas)),
            at_rest_encryption: Value::Bool(true),
            transit_encryption: Value::Bool(true),
            // Failover and Multi-AZ need a replica, and are on whenever there is one.
            automatic_failover: Value::Bool(cache.replicas > 0),
            multi_az: Value::Bool(cache.replicas > 0),
            subnet_group: Some(Value::id_of("cache-subnets")),
            security_group_ids: Some(Value::List(vec![Value::id_of("sg-cache")])),
            // Read from AWS only.
            availability_zones: None,
        },
    );
}

impl Builder<'_> {
    /// Sets what the plan says about a resource besides its changes.
    fn note(&mut self, id: &str, note: String) {
        if let Some(resource) = self.resources.iter_mut().find(|r| r.id == id) {
            resource.note = Some(note);
        }
    }

    /// Adds a tag to a resource's `tags`, for settings AWS itself does not store.
    fn tag(&mut self, id: &str, key: &str, value: &str) {
        if let Some(Value::Map(tags)) =
            self.resources.iter_mut().find(|r| r.id == id).and_then(|r| r.props.get_mut("tags"))
        {
            tags.insert(key.to_string(), Value::string(value));
        }
    }
}

#[cfg(test)]
mod tests;
