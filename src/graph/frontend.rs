//! The frontend edge of a stack: the private bucket, the CloudFront distribution that reads it
//! through origin access control and sends `/api/*` to the load balancer, the bucket policy that
//! lets only that distribution in, one object per file of `[frontend] source_dir`, and the
//! invalidation of what changed. Pure, like the rest of the graph.

use super::policy::normalise_policy;
use super::properties::edge::{
    BucketPolicyFields, CacheInvalidationFields, DistributionFields, FrontendObjectFields, OriginAccessControlFields,
    S3BucketFields,
};
use super::{bucket_name, physical_name, AccountFacts, Builder, Value};
use crate::stack::Stack;

/// A file of the built frontend, read at the edge: its object key and the MD5 of its content
/// (what S3 reports as the ETag of an object uploaded in one part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontendFile {
    pub key: String,
    pub md5: String,
    /// Where the file is on this machine, for the upload.
    pub path: String,
}

/// CloudFront's managed policies (fixed ids, the same in every account).
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
pub const ALL_VIEWER_EXCEPT_HOST_HEADER: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
pub const SECURITY_HEADERS: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";

/// The name of the stack's origin access control: CloudFront is global, so it carries the region
/// (at most 64 characters).
pub fn access_control_name(stack: &str, region: &str) -> String {
    super::bounded_name(&format!("{stack}-{region}-frontend"), 64)
}

/// The comment the stack's distribution carries, which discovery looks for first.
pub fn distribution_comment(stack: &str, region: &str) -> String {
    format!("frontend of stack {stack} in {region}")
}

/// The logical id of a frontend file's object.
pub fn object_id(key: &str) -> String {
    format!("file:{key}")
}

/// The `Content-Type` a file is served with, from its extension.
pub fn content_type(key: &str) -> &'static str {
    let extension = key.rsplit_once('.').map_or("", |(_, extension)| extension).to_ascii_lowercase();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// `Cache-Control` for a file: pages are revalidated on every load; fingerprinted assets (a hash
/// in the name, as the bundler writes them under `assets/`) are cached for a year; the rest briefly.
pub fn cache_control(key: &str) -> &'static str {
    if is_page(key) {
        "no-cache"
    } else if is_fingerprinted(key) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    }
}

/// Whether a file is a page (served fresh on every load and uploaded after the assets it names).
fn is_page(key: &str) -> bool {
    key.ends_with(".html") || key.ends_with(".htm")
}

/// Whether a file name carries a content hash (`index-B7x2kQ9a.js`): a dash or dot followed by
/// at least eight letters and digits right before the extension.
fn is_fingerprinted(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    let Some((stem, _extension)) = name.rsplit_once('.') else { return false };
    let hash = stem.rsplit(['-', '.']).next().unwrap_or("");
    hash.len() >= 8 && hash != stem && hash.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The bucket policy: only this distribution (by its ARN) may read objects. The distribution's ARN
/// is known after apply, so the canonical document is split around it into a `Join`.
fn bucket_policy(bucket: &str, partition: &str) -> Value {
    const PLACEHOLDER: &str = "WL_DISTRIBUTION_ARN";
    let document = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CloudFrontReadsObjects",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": format!("arn:{partition}:s3:::{bucket}/*"),
            "Condition": {"StringEquals": {"AWS:SourceArn": PLACEHOLDER}},
        }],
    });
    let canonical = normalise_policy(&document.to_string());
    let (before, after) = canonical.split_once(PLACEHOLDER).unwrap_or((&canonical, ""));
    Value::Join(vec![
        Value::string(before),
        Value::Ref { id: "distribution".into(), attribute: "arn".into() },
        Value::string(after),
    ])
}

pub(super) fn add_frontend(builder: &mut Builder<'_>, stack: &Stack, facts: &AccountFacts) {
    let Some(frontend) = &stack.frontend else { return };
    let bucket = bucket_name(&stack.name, &facts.account_id, &stack.region);
    let partition = crate::stack::facts::partition(&stack.region);
    builder.add_fields_named(
        "frontend-bucket",
        &bucket,
        S3BucketFields {
            name: Value::string(&bucket),
            block_public_access: Value::Bool(true),
            encryption: Value::string("AES256"),
            versioning: Value::Bool(false),
        },
    );
    let access_control = access_control_name(&stack.name, &stack.region);
    // Origin access controls have no tags; their deterministic name is what makes them the stack's.
    builder.add_fields_named(
        "frontend-oac",
        &access_control,
        OriginAccessControlFields {
            name: Value::string(&access_control),
            description: Value::string(format!("CloudFront reads the frontend bucket of stack {}", stack.name)),
            origin_type: Value::string("s3"),
            signing_behavior: Value::string("always"),
            signing_protocol: Value::string("sigv4"),
        },
    );

    let has_api = !stack.services.is_empty();
    builder.add_fields_named(
        "distribution",
        &physical_name(&stack.name, "frontend"),
        DistributionFields {
            comment: Value::string(distribution_comment(&stack.name, &stack.region)),
            enabled: Value::Bool(true),
            price_class: Value::string(&frontend.price_class),
            default_root_object: Value::string("index.html"),
            http_version: Value::string("http2and3"),
            ipv6: Value::Bool(true),
            s3_origin_domain: Value::string(format!("{bucket}.s3.{}.amazonaws.com", stack.region)),
            // Read from AWS only.
            s3_origin_bucket: None,
            s3_origin_access_control: Value::id_of("frontend-oac"),
            cache_policy: Value::string(CACHING_OPTIMIZED),
            response_headers_policy: Value::string(SECURITY_HEADERS),
            api_origin_domain: has_api.then(|| Value::Ref { id: "alb".into(), attribute: "dns_name".into() }),
            api_path: has_api.then(|| Value::string("/api/*")),
            api_origin_verify_secret: has_api
                .then(|| Value::Ref { id: super::compute::ORIGIN_SECRET_ID.into(), attribute: "arn".into() }),
        },
    );
    // The rules accept a new origin secret before CloudFront sends it.
    for service in stack.services.keys() {
        builder.depends("distribution", &format!("rule-{service}"));
    }
    // CloudFront is global: the region tells one region's distribution of a stack name from another's.
    builder.tag("distribution", super::REGION_TAG, &stack.region);
    // The origin names the bucket by its domain, not by a reference: the bucket comes first.
    builder.depends("distribution", "frontend-bucket");

    builder.add_fields_named(
        "frontend-bucket-policy",
        &bucket,
        BucketPolicyFields { bucket: Value::id_of("frontend-bucket"), policy: bucket_policy(&bucket, partition) },
    );

    for file in &facts.frontend_files {
        let id = object_id(&file.key);
        builder.add_fields_named(
            &id,
            &file.key,
            FrontendObjectFields {
                bucket: Value::id_of("frontend-bucket"),
                key: Value::string(&file.key),
                md5: Value::string(&file.md5),
                content_type: Some(Value::string(content_type(&file.key))),
                cache_control: Some(Value::string(cache_control(&file.key))),
                source: Some(Value::string(&file.path)),
            },
        );
    }
    // Pages go up after every other file, so a new page never names an asset that is not there
    // yet (removed files go last of all: `Kind::deleted_after_applies_of`).
    let assets: Vec<String> =
        facts.frontend_files.iter().filter(|file| !is_page(&file.key)).map(|file| object_id(&file.key)).collect();
    for page in facts.frontend_files.iter().filter(|file| is_page(&file.key)) {
        for asset in &assets {
            builder.depends(&object_id(&page.key), asset);
        }
    }

    // Which paths to invalidate is only known once the plan knows which objects change; the
    // planner fills `paths` in, or leaves the invalidation out when nothing changes.
    builder.add_fields_named(
        INVALIDATION_ID,
        INVALIDATION_ID,
        CacheInvalidationFields { distribution_id: Value::id_of("distribution"), paths: Value::List(Vec::new()) },
    );
}

/// The logical id of the frontend's invalidation.
pub const INVALIDATION_ID: &str = "frontend-invalidation";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_revalidated_and_fingerprinted_assets_cached_for_a_year() {
        assert_eq!(cache_control("index.html"), "no-cache");
        assert_eq!(cache_control("assets/index-B7x2kQ9a.js"), "public, max-age=31536000, immutable");
        assert_eq!(cache_control("assets/style-Dk3l_9aZ.css"), "public, max-age=31536000, immutable");
        assert_eq!(cache_control("favicon.ico"), "public, max-age=300");
        assert_eq!(cache_control("robots.txt"), "public, max-age=300");
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("assets/app-abc12345.JS"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("assets/logo.svg"), "image/svg+xml");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }

    #[test]
    fn the_bucket_policy_names_the_distribution_once_known() {
        let Value::Join(parts) = bucket_policy("site-frontend-123", "aws") else { panic!("a join") };
        let resolved = format!(
            "{}arn:aws:cloudfront::123:distribution/E1{}",
            parts[0].as_str().expect("text"),
            parts[2].as_str().expect("text")
        );
        assert_eq!(normalise_policy(&resolved), resolved, "the joined document is canonical");
        let document: serde_json::Value = serde_json::from_str(&resolved).expect("JSON");
        let statement = &document["Statement"][0];
        assert_eq!(statement["Condition"]["StringEquals"]["AWS:SourceArn"], "arn:aws:cloudfront::123:distribution/E1");
        assert_eq!(statement["Principal"]["Service"][0], "cloudfront.amazonaws.com");
    }
}
