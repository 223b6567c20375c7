//! Stack files: TOML text in, a validated [`Stack`] or every [`Diagnostic`] out. Pure: no IO.
//!
//! Parsing walks the spanned TOML tree by hand so that unknown keys, wrong types and rule
//! violations are all collected in one pass, each with the exact span it concerns.

mod diagnostic;
pub mod facts;
mod model;
mod reader;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

pub use diagnostic::{line_and_column, Diagnostic, Diagnostics, SourceSpan};
pub use model::*;
use reader::{Fields, Reader, Spanned};

/// Parses and validates a stack file; `file_name` is only used in diagnostics.
pub fn parse(file_name: &str, source: &str) -> Result<Stack, Diagnostics> {
    let mut reader = Reader::default();
    let stack = match toml_span::parse(source) {
        Ok(root) => read_stack(&mut reader, root),
        Err(error) => {
            let message = format!("this is not valid TOML: {error}");
            reader.error(match error.kind {
                toml_span::ErrorKind::DuplicateKey { first, .. } => {
                    Diagnostic::new(error.span, message, "expected each key once in a table")
                        .with_related(first, "first defined here")
                }
                toml_span::ErrorKind::DuplicateTable { first, .. } => {
                    Diagnostic::new(error.span, message, "expected each table once; merge the two")
                        .with_related(first, "first defined here")
                }
                _ => Diagnostic::new(error.span, message, "expected TOML syntax (see https://toml.io)"),
            });
            None
        }
    };
    reader.diagnostics.sort_by_key(|diagnostic| diagnostic.span);
    match stack {
        Some(stack) if reader.diagnostics.is_empty() => Ok(stack),
        _ => Err(Diagnostics {
            file_name: file_name.to_string(),
            source: source.to_string(),
            diagnostics: reader.diagnostics,
        }),
    }
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "stack",
    "network",
    "databases",
    "cache",
    "load_balancer",
    "registry",
    "services",
    "frontend",
    "alarms",
    "dashboard",
];

fn read_stack(reader: &mut Reader, root: toml_span::Value<'_>) -> Option<Stack> {
    let mut root = reader.table(root, "")?;
    let stack_section = root.require_section(reader, "stack", "name and region");
    let network_section = root.require_section(reader, "network", "cidr and availability_zones");
    let databases_section = root.take("databases");
    let cache_section = root.take("cache");
    let load_balancer_section = root.take("load_balancer");
    let registry_section = root.take("registry");
    let services_section = root.take("services");
    let frontend_section = root.take("frontend");
    let alarms_section = root.take("alarms");
    let dashboard_section = root.take("dashboard");
    root.finish(reader, TOP_LEVEL_KEYS);

    let identity = stack_section.and_then(|value| read_identity(reader, value));
    let network = network_section.and_then(|value| read_network(reader, value));
    let databases = match databases_section {
        Some(value) => read_named(reader, value, "databases", read_database),
        None => Some(BTreeMap::new()),
    };
    let cache = cache_section.map(|value| read_cache(reader, value));
    let load_balancer = match load_balancer_section {
        Some(value) => read_load_balancer(reader, value),
        None => Some(LoadBalancer::default()),
    };
    let registry = match registry_section {
        Some(value) => read_registry(reader, value),
        None => Some(Registry::default()),
    };
    let services = match services_section {
        Some(value) => read_named(reader, value, "services", read_service),
        None => Some(BTreeMap::new()),
    };
    let frontend_span = frontend_section.as_ref().map(|value| value.span);
    let frontend = frontend_section.map(|value| read_frontend(reader, value));
    let alarms = match alarms_section {
        Some(value) => read_alarms(reader, value, identity.as_ref().map(|identity| identity.region.as_str())),
        None => Some(Alarms::default()),
    };
    let dashboard = dashboard_section.map(|value| read_dashboard(reader, value));

    if let Some(databases) = &databases {
        check_database_names(reader, databases);
    }
    let region = identity.as_ref().map(|identity| identity.region.as_str());
    let services = services.map(|services| check_services(reader, services, &databases, cache.is_some(), region));
    let cache = cache.flatten();
    if let Some((network, spans)) = &network {
        let has_services = services.as_ref().and_then(Option::as_ref).is_some_and(|services| !services.is_empty());
        let has_databases = databases.as_ref().is_some_and(|databases| !databases.is_empty());
        check_network_fits(reader, network, spans, has_databases, has_services, cache.as_ref());
    }
    if let (Some(identity), Some(span)) = (&identity, frontend_span) {
        if facts::partition(&identity.region) != "aws" {
            reader.error(Diagnostic::new(
                span,
                format!("[frontend] needs CloudFront, which is not available in {}", identity.region),
                "expected no [frontend] section in this region",
            ));
        }
    }
    let identity = identity?;
    Some(Stack {
        name: identity.name,
        region: identity.region,
        allow_data_loss: identity.allow_data_loss,
        network: network?.0,
        databases: databases?.into_iter().map(|(name, database)| (name.value, database)).collect(),
        cache: cache.map(|draft| draft.cache),
        load_balancer: load_balancer?,
        registry: registry?,
        services: services??,
        frontend: frontend.flatten(),
        alarms: alarms?,
        dashboard: dashboard.flatten(),
    })
}

/// Checks that the network can hold what the other sections ask of it: two zones where AWS needs
/// them, and a way to the internet for the services' tasks.
fn check_network_fits(
    reader: &mut Reader,
    network: &Network,
    spans: &NetworkSpans,
    has_databases: bool,
    has_services: bool,
    cache: Option<&CacheDraft>,
) {
    if network.availability_zones < 2 {
        // DB subnet groups: "must contain at least one subnet in at least two Availability Zones"
        // (CreateDBSubnetGroup, DBSubnetGroupDoesNotCoverEnoughAZs); load balancers: "at least two
        // subnets in two different Availability Zones" (CreateLoadBalancer).
        let mut needs = Vec::new();
        if has_databases {
            needs.push("the databases' subnet group");
        }
        if has_services {
            needs.push("the load balancer");
        }
        if !needs.is_empty() {
            reader.error(Diagnostic::new(
                spans.zones,
                format!("`network.availability_zones` is 1, but {} need subnets in two zones", needs.join(" and ")),
                "expected availability_zones = 2 or more",
            ));
        }
        if let Some(cache) = cache.filter(|cache| cache.cache.replicas > 0) {
            reader.error(Diagnostic::new(
                cache.replicas_span,
                format!("`cache.replicas` is {}, but the network has one availability zone", cache.cache.replicas),
                "expected replicas = 0, or availability_zones = 2 or more (replicas fail over across zones)",
            ));
        }
    }
    // "The subnets for your load balancer must have a CIDR block with at least a /27 bitmask and
    // at least 8 free IP addresses" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#subnets-load-balancer).
    if has_services && network.subnet_prefix_length > 27 {
        reader.error(
            Diagnostic::new(
                spans.subnet_prefix_length.unwrap_or(spans.cidr),
                format!(
                    "the subnets are /{}, too small for the load balancer, which needs subnets of /27 or larger",
                    network.subnet_prefix_length
                ),
                "expected subnets of /27 or larger",
            )
            .with_help(if spans.subnet_prefix_length.is_some() {
                "set `network.subnet_prefix_length` to 27 or less (16 subnets of /27 need a VPC of /23)"
            } else {
                "the subnets are the VPC's /N + 4: widen `network.cidr` to /23 or larger, which holds 16 subnets of /27"
            }),
        );
    }
    if network.nat_gateways == NatGateways::None && has_services {
        reader.error(
            Diagnostic::new(
                spans.nat_gateways,
                "`network.nat_gateways` is 0, but the services' tasks run in private subnets",
                "expected nat_gateways = 1 (shared) or one per availability zone",
            )
            .with_help(
                "without a NAT gateway the tasks cannot pull their images, read their secrets or write their logs",
            ),
        );
    }
}

/// What `[stack]` holds.
struct Identity {
    name: String,
    region: String,
    allow_data_loss: BTreeSet<String>,
}

fn read_identity(reader: &mut Reader, value: toml_span::Value<'_>) -> Option<Identity> {
    let mut fields = reader.table(value, "stack")?;
    let name = fields.require(reader, "name", "\"watchlist-dev\"").and_then(|v| reader.string(v, "stack.name"));
    let region = fields.require(reader, "region", "\"us-east-1\"").and_then(|v| reader.string(v, "stack.region"));
    let allow_data_loss = match fields.take("allow_data_loss") {
        None => Some(Vec::new()),
        Some(value) => reader.string_list(value, "stack.allow_data_loss"),
    };
    fields.finish(reader, &["name", "region", "allow_data_loss"]);
    let name = name.and_then(|name| check_stack_name(reader, name));
    let region = region.and_then(|region| {
        if facts::REGIONS.contains(&region.value.as_str()) {
            Some(region.value)
        } else {
            let mut diagnostic = Diagnostic::new(
                region.span,
                format!("`stack.region` is \"{}\", which is not an AWS region", region.value),
                "expected a region code such as \"us-east-1\" or \"eu-west-1\"",
            );
            if let Some(suggestion) = diagnostic::closest(&region.value, facts::REGIONS) {
                diagnostic = diagnostic.with_help(format!("did you mean \"{suggestion}\"?"));
            }
            reader.error(diagnostic);
            None
        }
    });
    // The databases a plan may lose: named here, outside their own tables, so that removing a
    // `[databases.NAME]` table cannot lose its data by accident.
    let allow_data_loss = allow_data_loss.and_then(|names| {
        let mut set = BTreeSet::new();
        let mut ok = true;
        for name in names {
            let what = "an entry of `stack.allow_data_loss`";
            ok &= check_resource_name(reader, name.clone(), what, 20).is_some();
            set.insert(name.value);
        }
        ok.then_some(set)
    });
    Some(Identity { name: name?, region: region?, allow_data_loss: allow_data_loss? })
}

/// The stack name: a valid name part that does not make a physical name AWS refuses.
fn check_stack_name(reader: &mut Reader, name: Spanned<String>) -> Option<String> {
    let span = name.span;
    let text = check_resource_name(reader, name, "`stack.name`", 20)?;
    // Every physical name starts with `<stack>-`.
    let start = format!("{text}-");
    if let Some((prefix, what)) = facts::REFUSED_NAME_PREFIXES.iter().find(|(prefix, _)| start.starts_with(prefix)) {
        reader.error(Diagnostic::new(
            span,
            format!("`stack.name` \"{text}\" would make {what} that start with \"{prefix}\", which AWS refuses"),
            format!("expected a stack name that does not start with \"{}\"", prefix.trim_end_matches('-')),
        ));
        return None;
    }
    Some(text)
}

/// Checks a name used inside physical names: `[a-z][a-z0-9-]*`, no `--`, no trailing `-`.
fn check_resource_name(reader: &mut Reader, name: Spanned<String>, what: &str, max_length: usize) -> Option<String> {
    let text = &name.value;
    let well_formed = text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !text.ends_with('-')
        && !text.contains("--");
    if !well_formed {
        reader.error(Diagnostic::new(
            name.span,
            format!("{what} is \"{text}\", which cannot be part of AWS resource names"),
            "expected lowercase letters, digits and single hyphens, starting with a letter",
        ));
        return None;
    }
    if text.len() > max_length {
        reader.error(Diagnostic::new(
            name.span,
            format!("{what} is {} characters long", text.len()),
            format!("expected at most {max_length} characters, so that physical names fit AWS limits"),
        ));
        return None;
    }
    Some(name.value)
}

fn parse_cidr(text: &str) -> Option<Ipv4Cidr> {
    let (address, prefix) = text.split_once('/')?;
    let address: Ipv4Addr = address.parse().ok()?;
    if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let prefix_length: u8 = prefix.parse().ok().filter(|length| *length <= 32)?;
    Some(Ipv4Cidr { address, prefix_length })
}

/// Where `[network]`'s counts are, for the checks against other sections.
struct NetworkSpans {
    zones: toml_span::Span,
    /// The `nat_gateways` value, or the table when the key is left at its default.
    nat_gateways: toml_span::Span,
    /// The `cidr` value, which the subnets' prefix length follows from unless it is set.
    cidr: toml_span::Span,
    /// The `subnet_prefix_length` value, when it is set.
    subnet_prefix_length: Option<toml_span::Span>,
}

fn read_network(reader: &mut Reader, value: toml_span::Value<'_>) -> Option<(Network, NetworkSpans)> {
    let mut fields = reader.table(value, "network")?;
    let table_span = fields.span;
    let cidr = fields.require(reader, "cidr", "\"10.0.0.0/16\"").and_then(|v| reader.string(v, "network.cidr"));
    let zones = fields
        .require(reader, "availability_zones", "2")
        .and_then(|v| reader.integer_in(v, "network.availability_zones", 1..=6));
    let nat_value = fields.take("nat_gateways");
    let nat_span = nat_value.as_ref().map_or(table_span, |value| value.span);
    let nat = nat_value.map(|v| reader.integer(v, "network.nat_gateways"));
    let subnet_prefix =
        fields.take("subnet_prefix_length").map(|v| reader.integer_in(v, "network.subnet_prefix_length", 16..=28));
    fields.finish(reader, &["cidr", "availability_zones", "nat_gateways", "subnet_prefix_length"]);

    let cidr = cidr.and_then(|cidr| match parse_cidr(&cidr.value) {
        None => {
            reader.error(Diagnostic::new(
                cidr.span,
                format!("`network.cidr` is \"{}\", which is not an IPv4 CIDR block", cidr.value),
                "expected an address and prefix length such as \"10.0.0.0/16\"",
            ));
            None
        }
        Some(block) if !(16..=24).contains(&block.prefix_length) => {
            reader.error(Diagnostic::new(
                cidr.span,
                format!("`network.cidr` has prefix length /{}", block.prefix_length),
                "expected a prefix length from /16 to /24 (a VPC allows /16 to /28 and needs room for 16 subnets)",
            ));
            None
        }
        Some(block) => {
            let mask = u32::MAX << (32 - u32::from(block.prefix_length));
            if u32::from(block.address) & !mask != 0 {
                let network = Ipv4Addr::from(u32::from(block.address) & mask);
                reader.error(
                    Diagnostic::new(
                        cidr.span,
                        format!("`network.cidr` \"{}\" has host bits set", cidr.value),
                        "expected the first address of the block",
                    )
                    .with_help(format!("did you mean \"{network}/{}\"?", block.prefix_length)),
                );
                None
            } else {
                Some((block, cidr.span))
            }
        }
    });
    let zones = zones.map(|zones| (zones.value as u8, zones.span));
    let nat_gateways = match (nat, zones) {
        (None, _) => Some(NatGateways::Shared),
        (Some(None), _) => None,
        (Some(Some(count)), zones) => match (count.value, zones) {
            (0, _) => Some(NatGateways::None),
            (1, _) => Some(NatGateways::Shared),
            (n, Some((zones, _))) if n == i64::from(zones) => Some(NatGateways::PerAvailabilityZone),
            (n, zones) => {
                let expected = match zones {
                    Some((zones, _)) => format!("expected 0 (none), 1 (shared) or {zones} (one per availability zone)"),
                    None => "expected 0 (none), 1 (shared) or one per availability zone".to_string(),
                };
                reader.error(Diagnostic::new(count.span, format!("`network.nat_gateways` is {n}"), expected));
                None
            }
        },
    };
    let (cidr, cidr_span) = cidr?;
    let (availability_zones, zones_span) = zones?;
    let default_prefix = (cidr.prefix_length + 4).min(28);
    let (subnet_prefix_length, subnet_prefix_span) = match subnet_prefix {
        None => (default_prefix, None),
        Some(None) => return None,
        Some(Some(length)) => {
            let length_span = length.span;
            let length = length.value as u8;
            if length < cidr.prefix_length + 4 {
                reader.error(Diagnostic::new(
                    length_span,
                    format!("16 subnets of /{length} do not fit the VPC CIDR {cidr}"),
                    format!("expected a subnet prefix length of at least /{}", cidr.prefix_length + 4),
                ));
                return None;
            }
            (length, Some(length_span))
        }
    };
    Some((
        Network { cidr, availability_zones, nat_gateways: nat_gateways?, subnet_prefix_length },
        NetworkSpans {
            zones: zones_span,
            nat_gateways: nat_span,
            cidr: cidr_span,
            subnet_prefix_length: subnet_prefix_span,
        },
    ))
}

/// Reads a table of user-named entries such as `[databases.users]`, checking each name.
fn read_named<'de, T>(
    reader: &mut Reader,
    value: toml_span::Value<'de>,
    section: &str,
    read_entry: fn(&mut Reader, toml_span::Value<'de>, &str) -> Option<T>,
) -> Option<BTreeMap<Spanned<String>, T>> {
    let fields = reader.table(value, section)?;
    let mut entries = BTreeMap::new();
    let mut complete = true;
    for (key, value) in fields.into_entries() {
        let path = format!("{section}.{}", key.name);
        let name = Spanned { value: key.name.to_string(), span: key.span };
        let what = format!("the name of [{path}]");
        let checked_name = check_resource_name(reader, name.clone(), &what, 20);
        let entry = read_entry(reader, value, &path);
        match (checked_name, entry) {
            (Some(_), Some(entry)) => {
                entries.insert(name, entry);
            }
            _ => complete = false,
        }
    }
    complete.then_some(entries)
}

impl PartialOrd for Spanned<String> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Spanned<String> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl Eq for Spanned<String> {}

fn read_database(reader: &mut Reader, value: toml_span::Value<'_>, path: &str) -> Option<Database> {
    let mut fields = reader.table(value, path)?;
    let class = fields
        .require(reader, "instance_class", "\"db.t3.micro\"")
        .and_then(|v| reader.string(v, &format!("{path}.instance_class")));
    let storage = fields
        .require(reader, "storage_gb", "20")
        .and_then(|v| reader.integer_in(v, &format!("{path}.storage_gb"), 20..=65536));
    let version = fields
        .require(reader, "engine_version", "\"16\"")
        .and_then(|v| reader.string(v, &format!("{path}.engine_version")));
    let multi_az = optional_bool(reader, &mut fields, "multi_az", false);
    let retention = fields
        .take("backup_retention_days")
        .map(|v| reader.integer_in(v, &format!("{path}.backup_retention_days"), 0..=35));
    let deletion_protection = optional_bool(reader, &mut fields, "deletion_protection", false);
    // A database is never deleted without a snapshot, nor its automated backups, unless the stack says so.
    let final_snapshot = optional_bool(reader, &mut fields, "final_snapshot", true);
    let delete_automated_backups = optional_bool(reader, &mut fields, "delete_automated_backups", false);
    let recovery = fields
        .take("secret_recovery_days")
        .map(|v| reader.integer_in(v, &format!("{path}.secret_recovery_days"), 0..=30));
    fields.finish(
        reader,
        &[
            "instance_class",
            "storage_gb",
            "engine_version",
            "multi_az",
            "backup_retention_days",
            "deletion_protection",
            "final_snapshot",
            "delete_automated_backups",
            "secret_recovery_days",
        ],
    );
    let class = class.and_then(|class| {
        match facts::check_instance_class(&class.value, "db", facts::DATABASE_INSTANCE_CLASSES) {
            Ok(()) => Some(class.value),
            Err(sizes) => {
                let expected = match sizes {
                    Some(sizes) => format!("expected a size this family has: {}", sizes.join(", ")),
                    None => "expected db.<family>.<size> such as \"db.t3.micro\" or \"db.r6g.large\"".to_string(),
                };
                reader.error(Diagnostic::new(
                    class.span,
                    format!(
                        "`{path}.instance_class` is \"{}\", which is not an RDS PostgreSQL instance class",
                        class.value
                    ),
                    expected,
                ));
                None
            }
        }
    });
    let version = version.and_then(|version| {
        let value = version.value.as_str();
        if facts::POSTGRES_MAJOR_VERSIONS.contains(&value) {
            return Some(version.value);
        }
        let supported = format!("expected a PostgreSQL major version: {}", facts::POSTGRES_MAJOR_VERSIONS.join(", "));
        let diagnostic = match facts::POSTGRES_EXTENDED_SUPPORT_ONLY.iter().find(|(old, _)| *old == value) {
            Some((_, ended)) => Diagnostic::new(
                version.span,
                format!("`{path}.engine_version` is \"{value}\", whose RDS standard support ended on {ended}"),
                supported,
            )
            .with_help("RDS bills Extended Support for such a version; choose a supported one"),
            None if value.contains('.') => Diagnostic::new(
                version.span,
                format!("`{path}.engine_version` is \"{value}\", a minor version"),
                supported,
            )
            .with_help("RDS applies minor versions itself; write the major version only"),
            None => Diagnostic::new(
                version.span,
                format!("`{path}.engine_version` is \"{value}\", which RDS does not offer"),
                supported,
            ),
        };
        reader.error(diagnostic);
        None
    });
    let backup_retention_days = match retention {
        None => 7,
        Some(days) => days?.value as u8,
    };
    let secret_recovery_days = match recovery {
        None => 7,
        Some(None) => return None,
        Some(Some(days)) if (1..7).contains(&days.value) => {
            reader.error(Diagnostic::new(
                days.span,
                format!("`{path}.secret_recovery_days` is {}", days.value),
                "expected 0 (delete the secret at once) or 7 to 30 days, as Secrets Manager allows",
            ));
            return None;
        }
        Some(Some(days)) => days.value as u8,
    };
    Some(Database {
        instance_class: class?,
        storage_gb: storage?.value as u32,
        engine_version: version?,
        multi_az: multi_az?,
        backup_retention_days,
        deletion_protection: deletion_protection?,
        final_snapshot: final_snapshot?,
        delete_automated_backups: delete_automated_backups?,
        secret_recovery_days,
    })
}

fn check_database_names(reader: &mut Reader, databases: &BTreeMap<Spanned<String>, Database>) {
    for name in databases.keys() {
        let database_name = name.value.replace('-', "_");
        if facts::RESERVED_DATABASE_NAMES.contains(&database_name.as_str()) {
            reader.error(
                Diagnostic::new(
                    name.span,
                    format!("database name \"{}\" is reserved by PostgreSQL or RDS", name.value),
                    "expected a name that is not a PostgreSQL reserved word",
                )
                .with_help(format!("the entry's name becomes the database's name; try \"{}_db\"", name.value)),
            );
        }
    }
}

fn optional_bool(reader: &mut Reader, fields: &mut Fields<'_>, key: &str, default: bool) -> Option<bool> {
    let path = format!("{}.{key}", fields.path);
    match fields.take(key) {
        None => Some(default),
        Some(value) => reader.boolean(value, &path).map(|flag| flag.value),
    }
}

/// `[cache]` as read, with where its replica count is for the checks against `[network]`.
struct CacheDraft {
    cache: Cache,
    replicas_span: toml_span::Span,
}

fn read_cache(reader: &mut Reader, value: toml_span::Value<'_>) -> Option<CacheDraft> {
    let mut fields = reader.table(value, "cache")?;
    let table_span = fields.span;
    let node_type =
        fields.require(reader, "node_type", "\"cache.t3.micro\"").and_then(|v| reader.string(v, "cache.node_type"));
    let replicas_value = fields.take("replicas");
    let replicas_span = replicas_value.as_ref().map_or(table_span, |value| value.span);
    let replicas = match replicas_value {
        None => Some(0),
        Some(value) => reader.integer_in(value, "cache.replicas", 0..=5).map(|n| n.value as u8),
    };
    fields.finish(reader, &["node_type", "replicas"]);
    let node_type = node_type.and_then(|node_type| {
        match facts::check_instance_class(&node_type.value, "cache", facts::CACHE_NODE_TYPES) {
            // "When using r6gd nodes, you must set DataTieringEnabled to true" and a group cannot
            // move between tiered and untiered node types
            // (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/data-tiering.html):
            // wl-infra does not manage data tiering.
            Ok(()) if node_type.value.starts_with("cache.r6gd.") => {
                reader.error(
                    Diagnostic::new(
                        node_type.span,
                        format!("`cache.node_type` is \"{}\", which needs data tiering", node_type.value),
                        "expected a node type without data tiering, such as \"cache.r6g.xlarge\"",
                    )
                    .with_help("r6gd nodes keep data on SSD (DataTieringEnabled), which wl-infra does not manage"),
                );
                None
            }
            Ok(()) => Some(node_type.value),
            Err(sizes) => {
                let expected = match sizes {
                    Some(sizes) => format!("expected a size this family has: {}", sizes.join(", ")),
                    None => "expected cache.<family>.<size> such as \"cache.t3.micro\"".to_string(),
                };
                reader.error(Diagnostic::new(
                    node_type.span,
                    format!("`cache.node_type` is \"{}\", which is not an ElastiCache node type", node_type.value),
                    expected,
                ));
                None
            }
        }
    });
    Some(CacheDraft { cache: Cache { node_type: node_type?, replicas: replicas? }, replicas_span })
}

fn read_load_balancer(reader: &mut Reader, value: toml_span::Value<'_>) -> Option<LoadBalancer> {
    let mut fields = reader.table(value, "load_balancer")?;
    let certificate = fields.take("certificate_arn").map(|v| reader.string(v, "load_balancer.certificate_arn"));
    fields.finish(reader, &["certificate_arn"]);
    match certificate {
        None => Some(LoadBalancer::default()),
        Some(None) => None,
        Some(Some(arn)) if arn.value.is_empty() => Some(LoadBalancer::default()),
        // CloudFront reaches the load balancer by its AWS name, which no certificate of the user's
        // covers, and the services call each other over plain HTTP: with a certificate on the load
        // balancer every `/api` call through CloudFront would break. HTTPS end to end needs a custom
        // domain that names both, which wl-infra does not manage yet.
        Some(Some(arn)) => {
            reader.error(
                Diagnostic::new(
                    arn.span,
                    "`load_balancer.certificate_arn` is set, but HTTPS to the load balancer needs a custom domain, which wl-infra does not manage yet",
                    "expected \"\" (viewers reach the site over HTTPS through CloudFront)",
                )
                .with_help("CloudFront would call the load balancer by a name the certificate does not cover, and every /api call would fail"),
            );
            None
        }
    }
}

fn read_registry(reader: &mut Reader, value: toml_span::Value<'_>) -> Option<Registry> {
    let mut fields = reader.table(value, "registry")?;
    let keep_images = match fields.take("keep_images") {
        None => Some(Registry::default().keep_images),
        Some(value) => reader.integer_in(value, "registry.keep_images", 1..=1000).map(|n| n.value as u32),
    };
    let scan_on_push = optional_bool(reader, &mut fields, "scan_on_push", true);
    fields.finish(reader, &["keep_images", "scan_on_push"]);
    Some(Registry { keep_images: keep_images?, scan_on_push: scan_on_push? })
}

/// A service as read, before the checks that need the other sections.
struct ServiceDraft {
    service: Service,
    path_spans: Vec<Spanned<String>>,
    database_span: Option<Spanned<String>>,
    cache_span: Option<toml_span::Span>,
    calls_spans: Vec<Spanned<String>>,
}

fn read_service(reader: &mut Reader, value: toml_span::Value<'_>, path: &str) -> Option<ServiceDraft> {
    let mut fields = reader.table(value, path)?;
    let at = |key: &str| format!("{path}.{key}");
    let port = fields.require(reader, "port", "8000").and_then(|v| reader.integer_in(v, &at("port"), 1..=65535));
    let cpu = fields.require(reader, "cpu", "256").and_then(|v| reader.integer(v, &at("cpu")));
    let memory = fields.require(reader, "memory", "512").and_then(|v| reader.integer(v, &at("memory")));
    let desired_count = match fields.take("desired_count") {
        None => Some(1),
        Some(value) => reader.integer_in(value, &at("desired_count"), 0..=100).map(|n| n.value as u32),
    };
    let paths_value = fields.require(reader, "paths", "[\"/api/NAME\", \"/api/NAME/*\"]");
    let paths_span = paths_value.as_ref().map_or(fields.span, |value| value.span);
    let paths = paths_value.and_then(|v| reader.string_list(v, &at("paths")));
    let health = match fields.take("health_check_path") {
        None => Some(Spanned { value: "/health".to_string(), span: fields.span }),
        Some(value) => reader.string(value, &at("health_check_path")),
    };
    let database = fields.take("database").map(|v| reader.string(v, &at("database")));
    let cache_value = fields.take("cache");
    let cache_span = cache_value.as_ref().map(|value| value.span);
    let cache = match cache_value {
        None => Some(false),
        Some(value) => reader.boolean(value, &at("cache")).map(|flag| flag.value),
    };
    let calls = match fields.take("calls") {
        None => Some(Vec::new()),
        Some(value) => reader.string_list(value, &at("calls")),
    };
    let environment = match fields.take("environment") {
        None => Some(Vec::new()),
        Some(value) => reader.string_map(value, &at("environment")),
    };
    let deployment = match fields.take("deployment") {
        None => Some(Deployment::default()),
        Some(value) => read_deployment(reader, value, &at("deployment")),
    };
    let scaling = match fields.take("scaling") {
        None => Some(None),
        Some(value) => read_scaling(reader, value, &at("scaling")).map(Some),
    };
    let architecture = match fields.take("architecture") {
        None => Some(CpuArchitecture::X86_64),
        Some(value) => reader.string(value, &at("architecture")).and_then(|text| match text.value.as_str() {
            "x86_64" => Some(CpuArchitecture::X86_64),
            "arm64" => Some(CpuArchitecture::Arm64),
            other => {
                reader.error(Diagnostic::new(
                    text.span,
                    format!("`{}` is \"{other}\", which Fargate does not run", at("architecture")),
                    "expected \"x86_64\" or \"arm64\" (the architecture the service's image is built for)",
                ));
                None
            }
        }),
    };
    fields.finish(
        reader,
        &[
            "port",
            "cpu",
            "memory",
            "desired_count",
            "paths",
            "health_check_path",
            "database",
            "cache",
            "calls",
            "environment",
            "deployment",
            "architecture",
            "scaling",
        ],
    );

    let size = match (cpu, memory) {
        (Some(cpu), Some(memory)) => {
            let (cpu_value, memory_value) =
                (u32::try_from(cpu.value).unwrap_or(0), u32::try_from(memory.value).unwrap_or(0));
            if facts::fargate_accepts(cpu_value, memory_value) {
                Some((cpu_value, memory_value))
            } else {
                let valid_cpu = facts::fargate_accepts(cpu_value, 2048)
                    || (cpu_value >= 512 && facts::fargate_accepts(cpu_value, cpu_value * 2));
                let (span, other) = if valid_cpu { (memory.span, cpu.span) } else { (cpu.span, memory.span) };
                reader.error(
                    Diagnostic::new(
                        span,
                        format!("Fargate does not accept cpu {} with memory {} in [{path}]", cpu.value, memory.value),
                        facts::fargate_memory_hint(cpu_value),
                    )
                    .with_related(other, "in combination with this"),
                );
                None
            }
        }
        _ => None,
    };
    let paths = paths.and_then(|paths| {
        let mut ok = !paths.is_empty();
        if paths.is_empty() {
            reader.error(Diagnostic::new(paths_span, format!("`{path}.paths` is empty"), "expected at least one path pattern"));
        }
        // "You can specify up to three match evaluations per condition and up to five match
        // evaluations per rule" (ALB listener rules).
        if paths.len() > 3 {
            reader.error(Diagnostic::new(
                paths[3].span,
                format!("`{path}.paths` has {} patterns", paths.len()),
                "expected at most 3 (an ALB rule's path condition matches at most 3 patterns)",
            ));
            ok = false;
        }
        for pattern in &paths {
            if !facts::is_path_pattern(&pattern.value) {
                reader.error(Diagnostic::new(
                    pattern.span,
                    format!("\"{}\" is not a valid ALB path pattern", pattern.value),
                    "expected a path starting with `/`, at most 128 characters of A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + & * ?",
                ));
                ok = false;
            }
        }
        ok.then_some(paths)
    });
    let health = health.and_then(|health| {
        if health.value.starts_with('/') && facts::is_path_pattern(&health.value) && !health.value.contains(['*', '?'])
        {
            Some(health.value)
        } else {
            reader.error(Diagnostic::new(
                health.span,
                format!("`{path}.health_check_path` is \"{}\"", health.value),
                "expected a plain path starting with `/`, such as \"/health\"",
            ));
            None
        }
    });
    let environment = environment.and_then(|pairs| {
        let mut ok = true;
        let mut map = BTreeMap::new();
        for (key, value) in pairs {
            let well_formed = key.value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && key.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !well_formed {
                reader.error(Diagnostic::new(
                    key.span,
                    format!("`{}` is not a valid environment variable name", key.value),
                    "expected letters, digits and underscores, not starting with a digit",
                ));
                ok = false;
            } else if facts::RESERVED_ENVIRONMENT.contains(&key.value.as_str()) || key.value.ends_with("_SERVICE_URL") {
                reader.error(
                    Diagnostic::new(
                        key.span,
                        format!("`{}` is set by wl-infra and cannot be set in [{path}]", key.value),
                        "expected a variable wl-infra does not inject",
                    )
                    .with_help("wl-infra derives it from `database`, `cache` and `calls`"),
                );
                ok = false;
            } else if value.value.is_empty() {
                // ECS drops environment entries with empty values from the task definition it
                // stores, so an empty value would show as a change, and redeploy, on every apply.
                reader.error(
                    Diagnostic::new(
                        value.span,
                        format!("`{}` is empty in [{path}]", key.value),
                        "expected a value (ECS drops variables with empty values)",
                    )
                    .with_help(format!("remove `{}` if the service should not see it", key.value)),
                );
                ok = false;
            } else {
                map.insert(key.value, value.value);
            }
        }
        ok.then_some(map)
    });
    let database_span = database.clone().flatten();
    let calls_spans = calls.clone().unwrap_or_default();
    let path_spans = paths.clone().unwrap_or_default();
    let (cpu, memory) = size?;
    Some(ServiceDraft {
        service: Service {
            port: port?.value as u16,
            cpu,
            memory,
            desired_count: desired_count?,
            paths: paths?.into_iter().map(|p| p.value).collect(),
            health_check_path: health?,
            database: match database {
                None => None,
                Some(name) => Some(name?.value),
            },
            cache: cache?,
            calls: calls?.into_iter().map(|c| c.value).collect(),
            environment: environment?,
            deployment: deployment?,
            architecture: architecture?,
            scaling: scaling?,
        },
        path_spans,
        database_span,
        cache_span,
        calls_spans,
    })
}

fn read_deployment(reader: &mut Reader, value: toml_span::Value<'_>, path: &str) -> Option<Deployment> {
    let mut fields = reader.table(value, path)?;
    let defaults = Deployment::default();
    let strategy = match fields.take("strategy") {
        None => Some(DeploymentStrategy::Rolling),
        Some(value) => reader.string(value, &format!("{path}.strategy")).and_then(|strategy| {
            if strategy.value == "rolling" {
                Some(DeploymentStrategy::Rolling)
            } else {
                reader.error(Diagnostic::new(
                    strategy.span,
                    format!("`{path}.strategy` is \"{}\", which wl-infra does not support", strategy.value),
                    "expected \"rolling\"",
                ));
                None
            }
        }),
    };
    let circuit_breaker = optional_bool(reader, &mut fields, "circuit_breaker", true);
    let minimum = match fields.take("minimum_healthy_percent") {
        None => Some(defaults.minimum_healthy_percent),
        Some(value) => {
            reader.integer_in(value, &format!("{path}.minimum_healthy_percent"), 0..=100).map(|n| n.value as u16)
        }
    };
    let maximum = match fields.take("maximum_percent") {
        None => Some(defaults.maximum_percent),
        Some(value) => reader.integer_in(value, &format!("{path}.maximum_percent"), 100..=200).map(|n| n.value as u16),
    };
    fields.finish(reader, &["strategy", "circuit_breaker", "minimum_healthy_percent", "maximum_percent"]);
    Some(Deployment {
        strategy: strategy?,
        circuit_breaker: circuit_breaker?,
        minimum_healthy_percent: minimum?,
        maximum_percent: maximum?,
    })
}

fn read_frontend(reader: &mut Reader, value: toml_span::Value<'_>) -> Option<Frontend> {
    let mut fields = reader.table(value, "frontend")?;
    let source_dir = fields
        .require(reader, "source_dir", "\"../frontend/dist\"")
        .and_then(|v| reader.string(v, "frontend.source_dir"));
    let price_class = match fields.take("price_class") {
        None => Some("PriceClass_100".to_string()),
        Some(value) => reader.string(value, "frontend.price_class").and_then(|class| {
            if facts::PRICE_CLASSES.contains(&class.value.as_str()) {
                Some(class.value)
            } else {
                reader.error(Diagnostic::new(
                    class.span,
                    format!("`frontend.price_class` is \"{}\"", class.value),
                    format!("expected one of: {}", facts::PRICE_CLASSES.join(", ")),
                ));
                None
            }
        }),
    };
    fields.finish(reader, &["source_dir", "price_class"]);
    let source_dir = source_dir.and_then(|dir| {
        if dir.value.trim().is_empty() {
            reader.error(Diagnostic::new(dir.span, "`frontend.source_dir` is empty", "expected a directory path"));
            None
        } else {
            Some(dir.value)
        }
    });
    Some(Frontend { source_dir: source_dir?, price_class: price_class? })
}

/// `[services.NAME.scaling]`: `min` and `max` tasks (min at most max), the CPU target
/// (`cpu_percent`, default 60) and optionally `requests_per_target`.
fn read_scaling(reader: &mut Reader, value: toml_span::Value<'_>, path: &str) -> Option<Scaling> {
    let mut fields = reader.table(value, path)?;
    let at = |key: &str| format!("{path}.{key}");
    // ECS services scale to 0 at the least (API_RegisterScalableTarget, MinCapacity); 5,000 tasks
    // is ECS's quota of tasks per service.
    let min = fields.require(reader, "min", "2").and_then(|v| reader.integer_in(v, &at("min"), 0..=5000));
    let max = fields.require(reader, "max", "10").and_then(|v| reader.integer_in(v, &at("max"), 1..=5000));
    let cpu_percent = match fields.take("cpu_percent") {
        None => Some(60),
        Some(value) => reader.integer_in(value, &at("cpu_percent"), 1..=100).map(|n| n.value as u8),
    };
    let requests = match fields.take("requests_per_target") {
        None => Some(None),
        Some(value) => {
            reader.integer_in(value, &at("requests_per_target"), 1..=1_000_000).map(|n| Some(n.value as u32))
        }
    };
    fields.finish(reader, &["min", "max", "cpu_percent", "requests_per_target"]);
    let (min, max) = (min?, max?);
    if min.value > max.value {
        reader.error(
            Diagnostic::new(
                min.span,
                format!("`{}` is {}, above `max` {}", at("min"), min.value, max.value),
                format!("expected at most {}", max.value),
            )
            .with_related(max.span, "the maximum")
            .with_help("Application Auto Scaling refuses a minimum above the maximum: lower `min` or raise `max`"),
        );
        return None;
    }
    Some(Scaling {
        min: min.value as u32,
        max: max.value as u32,
        cpu_percent: cpu_percent?,
        requests_per_target: requests?,
    })
}

fn read_dashboard(reader: &mut Reader, value: toml_span::Value<'_>) -> Option<Dashboard> {
    let mut fields = reader.table(value, "dashboard")?;
    let period_seconds = match fields.take("period_seconds") {
        None => Some(300),
        Some(value) => reader.integer_in(value, "dashboard.period_seconds", 60..=86_400).and_then(|period| {
            // A graph's period: "1, 5, 10, 30, or any multiple of 60" seconds (Dashboard Body
            // Structure, metric widget `period`); minutes are what the stack offers.
            if period.value % 60 == 0 {
                Some(period.value as u32)
            } else {
                reader.error(Diagnostic::new(
                    period.span,
                    format!("`dashboard.period_seconds` is {}, not a whole number of minutes", period.value),
                    "expected a multiple of 60 such as 60 or 300",
                ));
                None
            }
        }),
    };
    fields.finish(reader, &["period_seconds"]);
    Some(Dashboard { period_seconds: period_seconds? })
}

fn read_alarms(reader: &mut Reader, value: toml_span::Value<'_>, region: Option<&str>) -> Option<Alarms> {
    let mut fields = reader.table(value, "alarms")?;
    let defaults = Alarms::default();
    let mut whole = |key: &str, range: std::ops::RangeInclusive<i64>, default: u32| match fields.take(key) {
        None => Some(default),
        Some(value) => reader.integer_in(value, &format!("alarms.{key}"), range).map(|n| n.value as u32),
    };
    let percent = |value: Option<u32>| value.map(|n| n as u8);
    let cpu = percent(whole("cpu_percent", 1..=100, defaults.cpu_percent.into()));
    let errors = whole("http_5xx_per_minute", 1..=100_000, defaults.http_5xx_per_minute);
    let unhealthy = whole("unhealthy_targets", 0..=1000, defaults.unhealthy_targets);
    let balancer_errors = whole("load_balancer_5xx_per_minute", 1..=100_000, defaults.load_balancer_5xx_per_minute);
    let database_cpu = percent(whole("database_cpu_percent", 1..=100, defaults.database_cpu_percent.into()));
    let free_storage =
        percent(whole("database_free_storage_percent", 1..=99, defaults.database_free_storage_percent.into()));
    let connections =
        percent(whole("database_connections_percent", 1..=100, defaults.database_connections_percent.into()));
    let cache_memory = percent(whole("cache_memory_percent", 1..=100, defaults.cache_memory_percent.into()));
    let evictions = whole("cache_evictions_per_minute", 0..=1_000_000, defaults.cache_evictions_per_minute);
    let response_time = match fields.take("target_response_time_seconds") {
        None => Some(defaults.target_response_time_seconds),
        Some(value) => reader.float(value, "alarms.target_response_time_seconds").and_then(|seconds| {
            if seconds.value > 0.0 && seconds.value <= 60.0 {
                Some(seconds.value)
            } else {
                reader.error(Diagnostic::new(
                    seconds.span,
                    format!("`alarms.target_response_time_seconds` is {}", seconds.value),
                    "expected a number of seconds above 0 and at most 60",
                ));
                None
            }
        }),
    };
    let notify = match fields.take("notify") {
        None => Some(Vec::new()),
        Some(value) => read_addresses(reader, value),
    };
    let topic_arn = match fields.take("topic_arn") {
        None => Some(None),
        Some(value) => reader.string(value, "alarms.topic_arn").and_then(|arn| check_topic_arn(reader, &arn, region)),
    };
    fields.finish(reader, ALARM_FIELDS);
    Some(Alarms {
        cpu_percent: cpu?,
        http_5xx_per_minute: errors?,
        target_response_time_seconds: response_time?,
        unhealthy_targets: unhealthy?,
        load_balancer_5xx_per_minute: balancer_errors?,
        database_cpu_percent: database_cpu?,
        database_free_storage_percent: free_storage?,
        database_connections_percent: connections?,
        cache_memory_percent: cache_memory?,
        cache_evictions_per_minute: evictions?,
        notify: notify?,
        topic_arn: topic_arn?,
    })
}

/// The addresses of `[alarms] notify`: each an e-mail address, none twice.
fn read_addresses(reader: &mut Reader, value: toml_span::Value<'_>) -> Option<Vec<String>> {
    let addresses = reader.string_list(value, "alarms.notify")?;
    let mut valid = true;
    let mut seen = BTreeMap::new();
    for (index, address) in addresses.iter().enumerate() {
        if !facts::is_email_address(&address.value) {
            valid = false;
            reader.error(Diagnostic::new(
                address.span,
                format!("`alarms.notify[{index}]` is not an e-mail address: {:?}", address.value),
                "expected an address such as \"ops@example.com\"",
            ));
        } else if let Some(first) = seen.get(&address.value.to_ascii_lowercase()).copied() {
            valid = false;
            reader.error(
                Diagnostic::new(
                    address.span,
                    format!("`alarms.notify` names {} twice", address.value),
                    "expected each address once",
                )
                .with_related(first, "first named here"),
            );
        } else {
            seen.insert(address.value.to_ascii_lowercase(), address.span);
        }
    }
    valid.then(|| addresses.into_iter().map(|address| address.value).collect())
}

/// A topic ARN alarms can notify: an SNS topic's, in the stack's partition and region (a
/// CloudWatch alarm's actions are in its own region).
fn check_topic_arn(reader: &mut Reader, arn: &Spanned<String>, region: Option<&str>) -> Option<Option<String>> {
    let Some(topic) = facts::parse_topic_arn(&arn.value) else {
        reader.error(Diagnostic::new(
            arn.span,
            format!("`alarms.topic_arn` is not an SNS topic ARN: {:?}", arn.value),
            "expected arn:<partition>:sns:<region>:<account id>:<topic name>",
        ));
        return None;
    };
    if let Some(region) = region {
        if topic.region != region || topic.partition != facts::partition(region) {
            reader.error(
                Diagnostic::new(
                    arn.span,
                    format!("`alarms.topic_arn` is a topic in {}, the stack is in {region}", topic.region),
                    format!("expected a topic in {region}"),
                )
                .with_help(
                    "a CloudWatch alarm notifies topics in its own region only: make a topic in the stack's region",
                ),
            );
            return None;
        }
    }
    Some(Some(arn.value.clone()))
}

const ALARM_FIELDS: &[&str] = &[
    "cpu_percent",
    "http_5xx_per_minute",
    "target_response_time_seconds",
    "unhealthy_targets",
    "load_balancer_5xx_per_minute",
    "database_cpu_percent",
    "database_free_storage_percent",
    "database_connections_percent",
    "cache_memory_percent",
    "cache_evictions_per_minute",
    "notify",
    "topic_arn",
];

/// The checks across sections: databases and calls exist, the cache exists, paths do not overlap.
fn check_services(
    reader: &mut Reader,
    drafts: BTreeMap<Spanned<String>, ServiceDraft>,
    databases: &Option<BTreeMap<Spanned<String>, Database>>,
    has_cache: bool,
    region: Option<&str>,
) -> Option<BTreeMap<String, Service>> {
    let mut ok = true;
    let service_names: Vec<&str> = drafts.keys().map(|name| name.value.as_str()).collect();
    for (name, draft) in &drafts {
        // The services verify the database's certificate against the RDS certificate authorities
        // the image ships: the commercial bundle only (GovCloud and China have their own).
        if let (Some(database), Some(region)) = (&draft.database_span, region) {
            if facts::partition(region) != "aws" {
                reader.error(Diagnostic::new(
                    database.span,
                    format!(
                        "service `{}` uses a database in {region}, whose certificates the services' image cannot verify (it ships the commercial RDS certificate bundle only)",
                        name.value
                    ),
                    "expected a region of the commercial `aws` partition for services with a database",
                ));
                ok = false;
            }
        }
        if let (Some(database), Some(databases)) = (&draft.database_span, databases) {
            if !databases.keys().any(|known| known.value == database.value) {
                let known: Vec<&str> = databases.keys().map(|k| k.value.as_str()).collect();
                let mut diagnostic = Diagnostic::new(
                    database.span,
                    format!(
                        "service `{}` uses database \"{}\", which the stack does not define",
                        name.value, database.value
                    ),
                    if known.is_empty() {
                        "expected a [databases.NAME] section".to_string()
                    } else {
                        format!("expected one of: {}", known.join(", "))
                    },
                );
                if let Some(suggestion) = diagnostic::closest(&database.value, &known) {
                    diagnostic = diagnostic.with_help(format!("did you mean \"{suggestion}\"?"));
                }
                reader.error(diagnostic);
                ok = false;
            }
        }
        // A [cache] section that is present but invalid has its own diagnostics already.
        if draft.service.cache && !has_cache {
            reader.error(Diagnostic::new(
                draft.cache_span.unwrap_or(name.span),
                format!("service `{}` sets `cache = true` but the stack has no [cache] section", name.value),
                "expected a [cache] section, or `cache = false`",
            ));
            ok = false;
        }
        for call in &draft.calls_spans {
            if call.value == name.value {
                reader.error(Diagnostic::new(
                    call.span,
                    format!("service `{}` calls itself", name.value),
                    "expected the names of other services",
                ));
                ok = false;
            } else if !service_names.contains(&call.value.as_str()) {
                let mut diagnostic = Diagnostic::new(
                    call.span,
                    format!("service `{}` calls \"{}\", which the stack does not define", name.value, call.value),
                    format!("expected one of: {}", service_names.join(", ")),
                );
                if let Some(suggestion) = diagnostic::closest(&call.value, &service_names) {
                    diagnostic = diagnostic.with_help(format!("did you mean \"{suggestion}\"?"));
                }
                reader.error(diagnostic);
                ok = false;
            }
        }
    }
    // Every pair of patterns across all services, and within one service, must not overlap.
    let all_patterns: Vec<(&str, &Spanned<String>)> = drafts
        .iter()
        .flat_map(|(name, draft)| draft.path_spans.iter().map(move |pattern| (name.value.as_str(), pattern)))
        .collect();
    for (index, (owner, pattern)) in all_patterns.iter().enumerate() {
        for (other_owner, earlier) in &all_patterns[..index] {
            if owner == other_owner && pattern.value != earlier.value {
                continue;
            }
            if pattern.value == earlier.value {
                reader.error(
                    Diagnostic::new(
                        pattern.span,
                        format!(
                            "path \"{}\" of service `{owner}` is also a path of service `{other_owner}`",
                            pattern.value
                        ),
                        "expected each path pattern in one service only",
                    )
                    .with_related(earlier.span, format!("also a path of `{other_owner}`")),
                );
                ok = false;
            } else if facts::path_patterns_overlap(&pattern.value, &earlier.value) {
                reader.error(
                    Diagnostic::new(
                        pattern.span,
                        format!(
                            "path \"{}\" of service `{owner}` overlaps \"{}\" of service `{other_owner}`",
                            pattern.value, earlier.value
                        ),
                        "expected patterns no request path matches twice, so routing does not depend on rule order",
                    )
                    .with_related(earlier.span, format!("overlapping this path of `{other_owner}`")),
                );
                ok = false;
            }
        }
    }
    if !ok || databases.is_none() {
        return None;
    }
    Some(drafts.into_iter().map(|(name, draft)| (name.value, draft.service)).collect())
}
