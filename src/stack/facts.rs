//! Facts about AWS that validation checks stack files against: regions, Fargate sizes, instance families.

/// Commercial and GovCloud regions as of 2026; a region missing here is reported as unknown.
pub const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// Whether Fargate accepts this CPU (units) and memory (MiB) pair for a Linux task.
pub fn fargate_accepts(cpu: u32, memory: u32) -> bool {
    match cpu {
        256 => matches!(memory, 512 | 1024 | 2048),
        512 => (1024..=4096).contains(&memory) && memory.is_multiple_of(1024),
        1024 => (2048..=8192).contains(&memory) && memory.is_multiple_of(1024),
        2048 => (4096..=16384).contains(&memory) && memory.is_multiple_of(1024),
        4096 => (8192..=30720).contains(&memory) && memory.is_multiple_of(1024),
        8192 => (16384..=61440).contains(&memory) && memory.is_multiple_of(4096),
        16384 => (32768..=122880).contains(&memory) && memory.is_multiple_of(8192),
        _ => false,
    }
}

/// A human description of the memory sizes Fargate accepts with `cpu`, or of the valid CPU values.
pub fn fargate_memory_hint(cpu: u32) -> String {
    match cpu {
        256 => "with cpu 256, memory must be 512, 1024 or 2048".into(),
        512 => "with cpu 512, memory must be 1024 to 4096 in steps of 1024".into(),
        1024 => "with cpu 1024, memory must be 2048 to 8192 in steps of 1024".into(),
        2048 => "with cpu 2048, memory must be 4096 to 16384 in steps of 1024".into(),
        4096 => "with cpu 4096, memory must be 8192 to 30720 in steps of 1024".into(),
        8192 => "with cpu 8192, memory must be 16384 to 61440 in steps of 4096".into(),
        16384 => "with cpu 16384, memory must be 32768 to 122880 in steps of 8192".into(),
        _ => "cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384".into(),
    }
}

/// RDS instance classes that run PostgreSQL, by family, with the sizes each family really has
/// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html):
/// `db.t3.8xlarge` does not exist, so it is refused here instead of by CreateDBInstance.
pub const DATABASE_INSTANCE_CLASSES: &[(&str, &[&str])] = &[
    ("t3", &["micro", "small", "medium", "large", "xlarge", "2xlarge"]),
    ("t4g", &["micro", "small", "medium", "large", "xlarge", "2xlarge"]),
    ("m5", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"]),
    ("m5d", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"]),
    ("m6g", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("m6gd", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("m6i", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"]),
    ("m6id", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"]),
    ("m7g", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("m7i", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"]),
    ("m8g", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"]),
    ("r5", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"]),
    ("r5b", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"]),
    ("r5d", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"]),
    ("r6g", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("r6gd", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("r6i", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"]),
    ("r6id", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"]),
    ("r7g", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("r7i", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"]),
    ("r8g", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"]),
    ("x2g", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("x2idn", &["16xlarge", "24xlarge", "32xlarge"]),
    ("x2iedn", &["xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge", "24xlarge", "32xlarge"]),
];

/// The memory of an RDS instance class, in GiB, by its family and size (the instance types' pages:
/// burstable `t` classes go micro 1, small 2, medium 4, large 8, xlarge 16, 2xlarge 32; the others
/// have 2 vCPUs at `large` and twice as many per size step, with the family's GiB per vCPU).
/// `None` for a class [`DATABASE_INSTANCE_CLASSES`] does not list.
pub fn database_memory_gib(class: &str) -> Option<u32> {
    check_instance_class(class, "db", DATABASE_INSTANCE_CLASSES).ok()?;
    let mut parts = class.split('.').skip(1);
    let (family, size) = (parts.next()?, parts.next()?);
    if family.starts_with('t') {
        let index = ["micro", "small", "medium", "large", "xlarge", "2xlarge"].iter().position(|s| *s == size)?;
        return Some(1 << index);
    }
    let vcpus = match size {
        "large" => 2,
        "xlarge" => 4,
        multiple => multiple.strip_suffix("xlarge")?.parse::<u32>().ok()? * 4,
    };
    let gib_per_vcpu = match family.chars().next()? {
        'm' => 4,
        'r' => 8,
        'x' if family == "x2iedn" => 32,
        'x' => 16,
        _ => return None,
    };
    Some(vcpus * gib_per_vcpu)
}

/// PostgreSQL's default `max_connections` on RDS: `LEAST({DBInstanceClassMemory/9531392}, 5000)`
/// (RDS User Guide, "Maximum number of database connections"). `DBInstanceClassMemory` is the
/// class's memory less what the operating system and RDS keep, so the real limit is a little lower
/// than this figure from the class's nominal memory.
pub fn postgres_default_max_connections(class: &str) -> Option<u32> {
    let bytes = u64::from(database_memory_gib(class)?) << 30;
    Some((bytes / 9_531_392).min(5000) as u32)
}

/// Whether `text` is an e-mail address SNS can subscribe: one `@`, a local part of 1 to 64
/// printable characters without spaces, a domain of dot-separated labels of letters, digits and
/// hyphens with at least one dot, 254 characters at most (RFC 5321's limits).
pub fn is_email_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    let local_ok = (1..=64).contains(&local.len())
        && local.chars().all(|c| {
            c.is_ascii_graphic() && !matches!(c, '@' | '"' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | '\\' | ']')
        });
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    text.len() <= 254 && local_ok && domain_ok
}

/// The parts of an SNS topic ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicArn<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub name: &'a str,
}

/// An SNS topic ARN, `arn:<partition>:sns:<region>:<12 digits>:<name>`, the name 1 to 256 letters,
/// digits, hyphens and underscores (API_CreateTopic; a FIFO topic's ends in `.fifo`).
pub fn parse_topic_arn(arn: &str) -> Option<TopicArn<'_>> {
    let parts: Vec<&str> = arn.split(':').collect();
    let [prefix, partition, service, region, account, name] = parts.as_slice() else { return None };
    let name_body = name.strip_suffix(".fifo").unwrap_or(name);
    let valid = *prefix == "arn"
        && partition.starts_with("aws")
        && *service == "sns"
        && !region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && (1..=256).contains(&name.len())
        && !name_body.is_empty()
        && name_body.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    valid.then_some(TopicArn { partition, region, account, name })
}

/// ElastiCache node types that run Redis OSS, by family, with the sizes each family really has
/// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html):
/// `cache.m7g.micro` does not exist.
pub const CACHE_NODE_TYPES: &[(&str, &[&str])] = &[
    ("t3", &["micro", "small", "medium"]),
    ("t4g", &["micro", "small", "medium"]),
    ("m5", &["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"]),
    ("m6g", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("m7g", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("r5", &["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"]),
    ("r6g", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("r6gd", &["xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("r7g", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
    ("c7gn", &["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]),
];

/// PostgreSQL major versions RDS offers under standard support (as of 2026-12), oldest first.
/// 13 left standard support on 2026-02-28: an instance of it is billed for RDS Extended Support.
pub const POSTGRES_MAJOR_VERSIONS: &[&str] = &["14", "15", "16", "17", "18"];

/// Major versions RDS still runs, but only under paid Extended Support, with the date standard
/// support ended.
pub const POSTGRES_EXTENDED_SUPPORT_ONLY: &[(&str, &str)] =
    &[("11", "2024-02-29"), ("12", "2025-02-28"), ("13", "2026-02-28")];

/// Names RDS refuses as a PostgreSQL database name (`DBName`): the words PostgreSQL reserves
/// (https://www.postgresql.org/docs/17/sql-keywords-appendix.html, "reserved" and "reserved (can be
/// function or type)"), the databases PostgreSQL and RDS keep for themselves, and `admin`
/// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html, DBName:
/// "Can't be a word reserved by the database engine").
pub const RESERVED_DATABASE_NAMES: &[&str] = &[
    "admin",
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "postgres",
    "primary",
    "rdsadmin",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "template0",
    "template1",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// Prefixes AWS refuses at the start of a physical name, with the names they would start: the
/// stack name is the first part of every name, so a stack name that makes one of them is refused.
/// Security groups: "cannot start with sg-" (CreateSecurityGroup GroupName); load balancers: "must
/// not begin with internal-" (CreateLoadBalancer Name); buckets: "must not start with the prefix
/// xn--, sthree- or amzn-s3-demo-" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
pub const REFUSED_NAME_PREFIXES: &[(&str, &str)] = &[
    ("sg-", "security group names"),
    ("internal-", "load balancer names"),
    ("sthree-", "bucket names"),
    ("amzn-s3-demo-", "bucket names"),
    ("xn--", "bucket names"),
];

/// Regions where AWS Fargate runs in some zones only, with those zone ids: no subnet of the stack
/// goes in another zone there ("us-west-1 (usw1-az1 & usw1-az3 only)",
/// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AWS_Fargate-Regions.html).
pub const FARGATE_ZONES_BY_REGION: &[(&str, &[&str])] = &[
    ("us-west-1", &["usw1-az1", "usw1-az3"]),
    ("ap-northeast-1", &["apne1-az1", "apne1-az2", "apne1-az4"]),
    ("cn-north-1", &["cnn1-az1", "cnn1-az2"]),
];

/// Whether Fargate runs in the zone with this id in `region`.
pub fn fargate_runs_in(region: &str, zone_id: &str) -> bool {
    FARGATE_ZONES_BY_REGION.iter().find(|(name, _)| *name == region).is_none_or(|(_, zones)| zones.contains(&zone_id))
}

/// The partition every ARN of a region names (`arn:<partition>:...`).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else {
        "aws"
    }
}

/// CloudFront price classes.
pub const PRICE_CLASSES: &[&str] = &["PriceClass_100", "PriceClass_200", "PriceClass_All"];

/// Environment variables wl-infra injects into containers; a stack may not set them itself.
pub const RESERVED_ENVIRONMENT: &[&str] = &[
    "DATABASE_URL",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "REDIS_URL",
    "PORT",
    "JWT_SECRET",
    "TRUSTED_PROXY_HOPS",
];

/// Whether `class` is `<prefix>.<family>.<size>` with a size that family has; otherwise the sizes
/// of the family when the family exists, for the hint.
pub fn check_instance_class<'a>(
    class: &str,
    prefix: &str,
    classes: &'a [(&'a str, &'a [&'a str])],
) -> Result<(), Option<&'a [&'a str]>> {
    let mut parts = class.split('.');
    let (Some(first), Some(family), Some(size), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(None);
    };
    let Some((_, sizes)) = classes.iter().find(|(name, _)| *name == family) else { return Err(None) };
    if first == prefix && sizes.contains(&size) {
        Ok(())
    } else if first == prefix {
        Err(Some(sizes))
    } else {
        Err(None)
    }
}

/// Whether `pattern` is a path pattern an ALB rule accepts: starts with `/`, at most 128 characters.
pub fn is_path_pattern(pattern: &str) -> bool {
    pattern.starts_with('/')
        && pattern.len() <= 128
        && pattern.chars().all(|c| c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(c))
}

/// Whether some path matches both glob patterns (`*` any run of characters, `?` one character).
pub fn path_patterns_overlap(left: &str, right: &str) -> bool {
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    let mut memo = vec![vec![None; right.len() + 1]; left.len() + 1];
    globs_intersect(&left, &right, 0, 0, &mut memo)
}

fn globs_intersect(left: &[char], right: &[char], i: usize, j: usize, memo: &mut Vec<Vec<Option<bool>>>) -> bool {
    if let Some(known) = memo[i][j] {
        return known;
    }
    let answer = match (left.get(i), right.get(j)) {
        (None, None) => true,
        (Some('*'), _) => {
            globs_intersect(left, right, i + 1, j, memo)
                || (j < right.len() && globs_intersect(left, right, i, j + 1, memo))
        }
        (_, Some('*')) => {
            globs_intersect(left, right, i, j + 1, memo)
                || (i < left.len() && globs_intersect(left, right, i + 1, j, memo))
        }
        (Some(a), Some(b)) => (*a == '?' || *b == '?' || a == b) && globs_intersect(left, right, i + 1, j + 1, memo),
        _ => false,
    };
    memo[i][j] = Some(answer);
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_and_topic_arns() {
        assert!(is_email_address("ops@example.com"));
        assert!(is_email_address("first.last+alerts@mail.example.co.uk"));
        for bad in ["ops", "ops@", "@example.com", "ops@example", "ops @example.com", "a@b@example.com", "ops@-x.com"] {
            assert!(!is_email_address(bad), "{bad}");
        }
        let topic = parse_topic_arn("arn:aws:sns:eu-west-1:123456789012:pager").expect("a topic ARN");
        assert_eq!((topic.region, topic.name), ("eu-west-1", "pager"));
        assert!(parse_topic_arn("arn:aws:sqs:eu-west-1:123456789012:pager").is_none());
        assert!(parse_topic_arn("arn:aws:sns:eu-west-1:1234:pager").is_none());
        assert!(parse_topic_arn("arn:aws:sns:eu-west-1:123456789012:pa ger").is_none());
    }

    #[test]
    fn postgres_default_connections_follow_the_class_memory() {
        assert_eq!(database_memory_gib("db.t4g.micro"), Some(1));
        assert_eq!(database_memory_gib("db.t3.2xlarge"), Some(32));
        assert_eq!(database_memory_gib("db.m6g.large"), Some(8));
        assert_eq!(database_memory_gib("db.r6g.4xlarge"), Some(128));
        assert_eq!(database_memory_gib("db.x2iedn.xlarge"), Some(128));
        assert_eq!(database_memory_gib("db.t3.8xlarge"), None);
        assert_eq!(postgres_default_max_connections("db.t4g.micro"), Some(112));
        assert_eq!(postgres_default_max_connections("db.t4g.medium"), Some(450));
        assert_eq!(postgres_default_max_connections("db.r6g.4xlarge"), Some(5000));
    }

    #[test]
    fn fargate_pairs() {
        assert!(fargate_accepts(256, 512));
        assert!(!fargate_accepts(256, 4096));
        assert!(fargate_accepts(1024, 3072));
        assert!(!fargate_accepts(300, 512));
    }

    #[test]
    fn glob_overlap() {
        assert!(path_patterns_overlap("/api/movies/*", "/api/movies/12"));
        assert!(path_patterns_overlap("/api/*", "/api/movies"));
        assert!(!path_patterns_overlap("/api/movies", "/api/users"));
        assert!(!path_patterns_overlap("/api/movies/*", "/api/movies"));
        assert!(path_patterns_overlap("/a?c", "/ab*"));
    }

    #[test]
    fn instance_classes_have_only_their_family_s_sizes() {
        assert_eq!(check_instance_class("db.t3.micro", "db", DATABASE_INSTANCE_CLASSES), Ok(()));
        assert!(check_instance_class("db.t3.8xlarge", "db", DATABASE_INSTANCE_CLASSES).is_err_and(|s| s.is_some()));
        assert_eq!(check_instance_class("db.z9.micro", "db", DATABASE_INSTANCE_CLASSES), Err(None));
        assert_eq!(check_instance_class("cache.t3.micro", "db", DATABASE_INSTANCE_CLASSES), Err(None));
        assert!(check_instance_class("cache.m7g.micro", "cache", CACHE_NODE_TYPES).is_err_and(|s| s.is_some()));
        assert_eq!(check_instance_class("cache.m7g.large", "cache", CACHE_NODE_TYPES), Ok(()));
    }
}
