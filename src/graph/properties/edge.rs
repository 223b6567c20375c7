//! The frontend edge's typed properties: the bucket, its policy and objects, the origin access
//! control, the distribution and its invalidation.

use super::properties;

properties! {
    /// The bucket's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    S3Bucket: S3BucketProps, S3BucketFields, tagged {
        name: String,
        block_public_access: bool,
        /// The default encryption's algorithm (`AES256`), `none` without one.
        encryption: String,
        versioning: bool,
    }
}

properties! {
    /// The origin access control's properties, as the graph builds them and discovery reads them.
    /// Origin access controls have no tags; their deterministic name is what makes them the
    /// stack's.
    #[derive(Debug, Clone, PartialEq)]
    OriginAccessControl: OriginAccessControlProps, OriginAccessControlFields, untagged {
        name: String,
        description: String,
        origin_type: String,
        signing_behavior: String,
        signing_protocol: String,
    }
}

properties! {
    /// The distribution's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    Distribution: DistributionProps, DistributionFields, tagged {
        comment: String,
        enabled: bool,
        price_class: String,
        default_root_object: String,
        http_version: String,
        ipv6: bool,
        s3_origin_domain: String,
        /// Read, never compared: the bucket by name, so that a bucket being replaced is deleted
        /// only after the distribution has moved to its successor.
        s3_origin_bucket [optional]: Option<String>,
        s3_origin_access_control: String,
        cache_policy: String,
        response_headers_policy: String,
        /// The load balancer's domain and the path it serves, when the stack has services.
        api_origin_domain [optional]: Option<String>,
        api_path [optional]: Option<String>,
        /// The origin secret CloudFront sends to the load balancer (`aws::origin_verify`): its
        /// ARN, never its value.
        api_origin_verify_secret [optional]: Option<String>,
    }
}

properties! {
    /// The bucket policy's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    BucketPolicy: BucketPolicyProps, BucketPolicyFields, untagged {
        bucket: String,
        /// The policy document in canonical form.
        policy: String,
    }
}

properties! {
    /// An object's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    FrontendObject: FrontendObjectProps, FrontendObjectFields, untagged {
        bucket: String,
        key: String,
        /// The MD5 of the content (S3's ETag of a single-part upload).
        md5: String,
        /// Set on upload; a listing does not read them back (`create_only_fields`).
        content_type [optional]: Option<String>,
        cache_control [optional]: Option<String>,
        /// Where the file is on this machine.
        source [optional]: Option<String>,
    }
}

properties! {
    /// The invalidation's properties, as the graph builds them (the planner fills `paths` in).
    #[derive(Debug, Clone, PartialEq)]
    CacheInvalidation: CacheInvalidationProps, CacheInvalidationFields, untagged {
        distribution_id: String,
        /// The keys of the changed objects, as paths (`/index.html`).
        paths: Vec<String>,
    }
}
