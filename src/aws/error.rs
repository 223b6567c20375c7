//! Typed AWS errors: which operation on which resource failed, AWS's code and request id, and
//! whether trying again can help.

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::operation::RequestId;

/// How the executor should treat an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Throttling, a 5xx, a dropped connection, or a dependency AWS has not released yet.
    Transient,
    /// The resource addressed does not exist (already deleted, or not yet visible).
    NotFound,
    /// Retrying will not help: the request or the account state must change.
    Permanent,
}

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("{operation} for {resource} failed: {code}: {message}{}", request_id_suffix(.request_id))]
    Service {
        operation: &'static str,
        resource: String,
        code: String,
        message: String,
        request_id: Option<String>,
        class: ErrorClass,
    },
    #[error(
        "{operation} for {resource} could not reach AWS: {detail}; check the network, the endpoint and the credentials"
    )]
    Transport { operation: &'static str, resource: String, detail: String },
    #[error("timed out after {seconds} s waiting for {resource} to become {state}; run apply again to keep waiting")]
    Timeout { resource: String, state: String, seconds: u64 },
    #[error("{resource}: {message}")]
    Refused { resource: String, message: String },
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    request_id.as_ref().map(|id| format!(" (request id {id})")).unwrap_or_default()
}

impl AwsError {
    pub fn class(&self) -> ErrorClass {
        match self {
            AwsError::Service { class, .. } => *class,
            AwsError::Transport { .. } => ErrorClass::Transient,
            AwsError::Timeout { .. } | AwsError::Refused { .. } => ErrorClass::Permanent,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.class() == ErrorClass::NotFound
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn refused(resource: impl Into<String>, message: impl Into<String>) -> AwsError {
        AwsError::Refused { resource: resource.into(), message: message.into() }
    }
}

/// Treats the listed AWS codes as success: each means that an earlier attempt of the same call,
/// whose answer was lost on the way back, already did the work.
pub fn done_if<T: Default>(result: Result<T, AwsError>, codes: &[&str]) -> Result<T, AwsError> {
    match result {
        Err(error) if error.code().is_some_and(|code| codes.contains(&code)) => Ok(T::default()),
        other => other,
    }
}

const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "Unavailable",
    "DependencyViolation",
    "IncorrectState",
    "OperationAborted",
    "PriorRequestNotComplete",
    "RequestTimeout",
    "RequestTimeoutException",
    "EC2ThrottledException",
    "InvalidDBInstanceState",
    "InvalidDBInstanceStateFault",
    // A target group or load balancer still held by something being deleted; ECS clusters with
    // services or tasks draining; concurrent IAM and ECS changes.
    "ResourceInUse",
    "ClusterContainsServicesException",
    "ClusterContainsTasksException",
    "ConcurrentModification",
    "ConcurrentModificationException",
    "ServerException",
    "UpdateInProgressException",
    // A CloudFront If-Match that went stale between the read and the write: read again.
    "PreconditionFailed",
    // Over CloudFront's in-progress invalidation limits (3,000 files or 15 wildcard paths per
    // distribution): they complete within minutes (the driver waits for them first).
    "TooManyInvalidationsInProgress",
];

/// Classifies an AWS error code. `...NotFound` codes and the S3/ECR equivalents are `NotFound`.
pub fn classify(code: &str, http_status: Option<u16>) -> ErrorClass {
    if TRANSIENT_CODES.contains(&code) || http_status.is_some_and(|status| status >= 500 || status == 429) {
        ErrorClass::Transient
    } else if code.ends_with(".NotFound")
        || code.ends_with("NotFoundException")
        || code.ends_with("NotFoundFault")
        || code == "DBInstanceNotFound"
        || code.starts_with("NoSuch")
        || matches!(
            code,
            "NoSuchEntity"
                | "LoadBalancerNotFound"
                | "TargetGroupNotFound"
                | "ListenerNotFound"
                | "RuleNotFound"
                | "ResourceNotFound"
                | "ServiceNotActiveException"
                // EC2's code for a NAT gateway it does not know, yet (right after
                // CreateNatGateway) or any more (purged after deletion).
                | "NatGatewayNotFound"
                // Cloud Map's namespace that does not exist (any more).
                | "NamespaceNotFound"
        )
        || matches!(code, "NoSuchBucket" | "NotFound" | "InvalidAllocationID.NotFound" | "NoSuchTagSet" | "NoSuchKey")
    {
        ErrorClass::NotFound
    } else {
        ErrorClass::Permanent
    }
}

/// Messages of InvalidParameterException answers that are eventual consistency, not a bad
/// request, each worth a retry (Terraform retries the same ones):
const NOT_YET_CONSISTENT: &[&str] = &[
    // A role created moments ago that ECS cannot assume yet (IAM is eventually consistent).
    "unable to assume the role",
    "unable to assume role",
    // The first service of a new account: ECS creates its service-linked role on the first
    // CreateCluster, which "does not complete before the initial API call finishes".
    "unable to assume the service linked role",
    // CreateService right after the rule that forwards to its target group.
    "does not have an associated load balancer",
    "verify that the ecs service role being passed has the proper permissions",
];

/// Refines a classification by the message, for answers whose code alone says too little.
pub fn classify_message(class: ErrorClass, message: &str) -> ErrorClass {
    let lower = message.to_ascii_lowercase();
    if class == ErrorClass::Permanent && NOT_YET_CONSISTENT.iter().any(|pattern| lower.contains(pattern)) {
        ErrorClass::Transient
    } else {
        class
    }
}

/// Converts any SDK error (all AWS SDK crates share these types) into an [`AwsError`].
pub fn from_sdk<E>(
    operation: &'static str,
    resource: &str,
    error: SdkError<E, aws_sdk_ec2::config::http::HttpResponse>,
) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &error {
        SdkError::ServiceError(service_error) => {
            let status = service_error.raw().status().as_u16();
            let inner = service_error.err();
            let code = inner.code().map(str::to_string).unwrap_or_else(|| format!("HTTP {status}"));
            let message = inner.message().unwrap_or("no message").to_string();
            AwsError::Service {
                operation,
                resource: resource.to_string(),
                class: classify_message(classify(&code, Some(status)), &message),
                code,
                message,
                request_id: error.request_id().map(str::to_string),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            AwsError::Transport { operation, resource: resource.to_string(), detail: error_chain(&error) }
        }
        _ => AwsError::Service {
            operation,
            resource: resource.to_string(),
            code: "ClientError".to_string(),
            message: error_chain(&error),
            request_id: None,
            class: ErrorClass::Permanent,
        },
    }
}

/// SDK results as results with an [`AwsError`] naming the operation and the resource: one way for
/// every driver to say what failed.
pub trait SdkResultExt<T> {
    fn aws(self, operation: &'static str, resource: &str) -> Result<T, AwsError>;

    /// The same, with a resource that does not exist (any more, or yet) as `None`.
    fn aws_or_gone(self, operation: &'static str, resource: &str) -> Result<Option<T>, AwsError>
    where
        Self: Sized,
    {
        match self.aws(operation, resource) {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }
}

impl<T, E> SdkResultExt<T> for Result<T, SdkError<E, aws_sdk_ec2::config::http::HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn aws(self, operation: &'static str, resource: &str) -> Result<T, AwsError> {
        self.map_err(|error| from_sdk(operation, resource, error))
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// How long to wait before attempt `attempt + 1` after `attempt` failed with a transient error:
/// `first`, doubled per attempt, at most 30 s. The executor's step retries and discovery's reads
/// share it.
pub fn retry_delay(first: std::time::Duration, attempt: u32) -> std::time::Duration {
    first.saturating_mul(1 << attempt.saturating_sub(1).min(5)).min(std::time::Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_from_the_first_up_to_thirty_seconds() {
        let second = std::time::Duration::from_secs(1);
        let delays: Vec<u64> = (1..=8).map(|attempt| retry_delay(second, attempt).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn classification() {
        assert_eq!(classify("RequestLimitExceeded", Some(503)), ErrorClass::Transient);
        assert_eq!(classify("ThrottlingException", Some(400)), ErrorClass::Transient);
        assert_eq!(classify("DependencyViolation", Some(400)), ErrorClass::Transient);
        assert_eq!(classify("InvalidVpcID.NotFound", Some(400)), ErrorClass::NotFound);
        assert_eq!(classify("RepositoryNotFoundException", Some(400)), ErrorClass::NotFound);
        assert_eq!(classify("NoSuchBucket", Some(404)), ErrorClass::NotFound);
        assert_eq!(classify("DBInstanceNotFound", Some(404)), ErrorClass::NotFound);
        assert_eq!(classify("DBSubnetGroupNotFoundFault", Some(404)), ErrorClass::NotFound);
        assert_eq!(classify("ResourceNotFoundException", Some(400)), ErrorClass::NotFound);
        assert_eq!(classify("InvalidDBInstanceState", Some(400)), ErrorClass::Transient);
        assert_eq!(classify("InvalidParameterValue", Some(400)), ErrorClass::Permanent);
        // CloudFront: a stale If-Match is read again and retried; an enabled distribution is not
        // deleted by retrying (the driver disables it first); gone is gone.
        assert_eq!(classify("PreconditionFailed", Some(412)), ErrorClass::Transient);
        assert_eq!(classify("TooManyInvalidationsInProgress", Some(400)), ErrorClass::Transient);
        assert_eq!(classify("NatGatewayNotFound", Some(400)), ErrorClass::NotFound);
        assert_eq!(classify("DistributionNotDisabled", Some(409)), ErrorClass::Permanent);
        assert_eq!(classify("NoSuchDistribution", Some(404)), ErrorClass::NotFound);
        assert_eq!(classify("NoSuchOriginAccessControl", Some(404)), ErrorClass::NotFound);
        // IAM, ELB and ECS answers for missing resources and for resources still in use.
        assert_eq!(classify("NoSuchEntity", Some(404)), ErrorClass::NotFound);
        assert_eq!(classify("TargetGroupNotFound", Some(400)), ErrorClass::NotFound);
        assert_eq!(classify("ResourceInUse", Some(400)), ErrorClass::Transient);
        assert_eq!(classify("ServiceNotActiveException", Some(400)), ErrorClass::NotFound);
        // A new role that ECS cannot assume yet: IAM has not propagated it, so retry.
        let not_yet =
            "ECS was unable to assume the role 'arn:aws:iam::1:role/wl/s/s-task-execution-role' that was provided";
        assert_eq!(classify_message(classify("InvalidParameterException", Some(400)), not_yet), ErrorClass::Transient);
        assert_eq!(
            classify_message(classify("InvalidParameterException", Some(400)), "cpu value is not valid"),
            ErrorClass::Permanent
        );
        // The first service of a new account, and a service created right after its rule.
        let no_linked_role =
            "Unable to assume the service linked role. Please verify that the ECS service linked role exists.";
        assert_eq!(
            classify_message(classify("InvalidParameterException", Some(400)), no_linked_role),
            ErrorClass::Transient
        );
        let not_associated = "The target group with targetGroupArn arn:aws:elasticloadbalancing:us-east-1:123:targetgroup/s-tg-movie-8002/0123 does not have an associated load balancer.";
        assert_eq!(
            classify_message(classify("InvalidParameterException", Some(400)), not_associated),
            ErrorClass::Transient
        );
        assert_eq!(classify("Whatever", Some(500)), ErrorClass::Transient);
    }

    #[test]
    fn codes_that_mean_already_done_are_success() {
        let duplicate = AwsError::Service {
            operation: "AuthorizeSecurityGroupIngress",
            resource: "security_group sg-app".into(),
            code: "InvalidPermission.Duplicate".into(),
            message: "already exists".into(),
            request_id: None,
            class: ErrorClass::Permanent,
        };
        assert!(done_if(Err::<(), _>(duplicate), &["InvalidPermission.Duplicate"]).is_ok());
        let other = AwsError::refused("x", "y");
        assert!(done_if(Err::<(), _>(other), &["InvalidPermission.Duplicate"]).is_err());
    }

    #[test]
    fn messages_carry_the_request_id() {
        let error = AwsError::Service {
            operation: "CreateVpc",
            resource: "vpc vpc".into(),
            code: "VpcLimitExceeded".into(),
            message: "limit".into(),
            request_id: Some("abc-123".into()),
            class: ErrorClass::Permanent,
        };
        assert_eq!(error.to_string(), "CreateVpc for vpc vpc failed: VpcLimitExceeded: limit (request id abc-123)");
    }
}
