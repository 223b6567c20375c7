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
        512 => (1024..=4096).contains(&memory) && memory % 1024 == 0,
        1024 => (2048..=8192).contains(&memory) && memory % 1024 == 0,
        2048 => (4096..=16384).contains(&memory) && memory % 1024 == 0,
        4096 => (8192..=30720).contains(&memory) && memory % 1024 == 0,
        8192 => (16384..=61440).contains(&memory) && memory % 4096 == 0,
        16384 => (32768..=122880).contains(&memory) && memory % 8192 == 0,
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

/// RDS instance class families that run PostgreSQL.
pub const DATABASE_INSTANCE_FAMILIES: &[&str] = &[
    "t3", "t4g", "m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m7g", "m7i", "m8g", "r5", "r5b", "r5d", "r6g", "r6gd",
    "r6i", "r6id", "r7g", "r7i", "r8g", "x2g", "x2idn", "x2iedn",
];

/// Instance sizes shared by the RDS and ElastiCache families.
pub const INSTANCE_SIZES: &[&str] = &[
    "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
    "32xlarge", "48xlarge",
];

/// ElastiCache node type families that run Redis OSS.
pub const CACHE_NODE_FAMILIES: &[&str] = &["t3", "t4g", "m5", "m6g", "m7g", "r5", "r6g", "r6gd", "r7g", "c7gn"];

/// PostgreSQL major versions RDS offers.
pub const POSTGRES_MAJOR_VERSIONS: &[&str] = &["13", "14", "15", "16", "17"];

/// CloudFront price classes.
pub const PRICE_CLASSES: &[&str] = &["PriceClass_100", "PriceClass_200", "PriceClass_All"];

/// Environment variables wl-infra injects into containers; a stack may not set them itself.
pub const RESERVED_ENVIRONMENT: &[&str] =
    &["DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "REDIS_URL", "PORT"];

/// Whether `class` is `<prefix>.<family>.<size>` with a known family and size.
pub fn is_instance_class(class: &str, prefix: &str, families: &[&str]) -> bool {
    let mut parts = class.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(first), Some(family), Some(size), None) => {
            first == prefix && families.contains(&family) && INSTANCE_SIZES.contains(&size)
        }
        _ => false,
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
    fn instance_classes() {
        assert!(is_instance_class("db.t3.micro", "db", DATABASE_INSTANCE_FAMILIES));
        assert!(!is_instance_class("db.z9.micro", "db", DATABASE_INSTANCE_FAMILIES));
        assert!(!is_instance_class("cache.t3.micro", "db", DATABASE_INSTANCE_FAMILIES));
    }
}
