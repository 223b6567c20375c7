//! The origin secret: a random value in Secrets Manager (`<stack>/origin-verify`) that CloudFront
//! sends to the load balancer as a custom origin header, and that every listener rule requires, so
//! a caller that is not this distribution gets the listener's 403 even from CloudFront's ranges.
//!
//! The value never enters a plan: the distribution and the rules read as the secret's ARN when
//! they carry exactly its values, and as [`ANOTHER_VALUE`] when they carry anything else. The
//! rules accept the secret's current and previous values (its AWSCURRENT and AWSPREVIOUS stages),
//! so after a rotation (PutSecretValue, then apply) the edges CloudFront has not yet updated are
//! still let in.

use super::{AwsError, Clients, SdkResultExt, StepContext};

/// The header CloudFront adds to every request to the load balancer.
pub const HEADER: &str = "X-Origin-Verify";

/// How the plan shows a header or condition that carries values other than the secret's.
pub const ANOTHER_VALUE: &str = "(another value than the origin secret's)";

/// The secret's ARN and values.
#[derive(Clone, PartialEq, Eq)]
pub struct OriginSecret {
    pub arn: String,
    pub current: String,
    pub previous: Option<String>,
}

impl std::fmt::Debug for OriginSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values, even in a debug print.
        formatter.debug_struct("OriginSecret").field("arn", &self.arn).finish_non_exhaustive()
    }
}

impl OriginSecret {
    /// The values the rules accept: the current one, and the previous one while CloudFront's edges
    /// move to the current.
    pub fn accepted(&self) -> Vec<String> {
        std::iter::once(self.current.clone()).chain(self.previous.clone()).collect()
    }
}

/// The stack's origin secret, read by its name once per run however many discoveries ask (the
/// distribution's and the rules'); `None` when it does not exist.
pub async fn read_stack(clients: &Clients) -> Result<Option<OriginSecret>, AwsError> {
    let name = crate::graph::origin_secret_name(&clients.stack);
    clients.origin_secret.get_or_try_init(|| read(clients, &name, "the origin secret")).await.cloned()
}

/// The secret a create or update names (by ARN), which must exist: its values are written.
pub async fn read_required(context: &StepContext<'_>, secret: &str) -> Result<OriginSecret, AwsError> {
    let resource = context.resource();
    read(context.clients, secret, &resource)
        .await?
        .ok_or_else(|| AwsError::refused(resource, format!("the origin secret {secret} does not exist; apply again")))
}

/// Reads the secret (by name or ARN) at both stages; `None` when it does not exist (yet).
pub async fn read(clients: &Clients, secret: &str, resource: &str) -> Result<Option<OriginSecret>, AwsError> {
    let stage = |stage: &'static str| async move {
        let output = clients.secrets.get_secret_value().secret_id(secret).version_stage(stage).send().await;
        match output.aws("GetSecretValue", resource) {
            Ok(output) => Ok(Some((
                output.arn().unwrap_or_default().to_string(),
                output.secret_string().unwrap_or_default().to_string(),
            ))),
            // No such secret, or no version at that stage (a secret never rotated has no
            // AWSPREVIOUS): Secrets Manager answers ResourceNotFoundException for both. A secret
            // an earlier destroy marked for deletion answers InvalidRequestException
            // (API_GetSecretValue): it has no value to send until its create restores it.
            Err(error) if error.is_not_found() || error.code() == Some("InvalidRequestException") => Ok(None),
            Err(error) => Err(error),
        }
    };
    let (current, previous) = tokio::join!(stage("AWSCURRENT"), stage("AWSPREVIOUS"));
    let Some((arn, current)) = current? else { return Ok(None) };
    Ok(Some(OriginSecret { arn, current, previous: previous?.map(|(_, value)| value) }))
}

/// What a live header or condition reads as: the secret's ARN when its values are exactly
/// `expected` (in any order), [`ANOTHER_VALUE`] when they are anything else, nothing without them.
pub fn live_reference(
    secret: Option<&OriginSecret>,
    expected: impl Fn(&OriginSecret) -> Vec<String>,
    values: &[String],
) -> Option<String> {
    if values.is_empty() {
        return None;
    }
    let matches = secret.is_some_and(|secret| {
        let mut wanted = expected(secret);
        let mut seen = values.to_vec();
        wanted.sort();
        seen.sort();
        wanted == seen
    });
    Some(match secret {
        Some(secret) if matches => secret.arn.clone(),
        _ => ANOTHER_VALUE.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(previous: Option<&str>) -> OriginSecret {
        OriginSecret { arn: "arn:secret".into(), current: "new".into(), previous: previous.map(str::to_string) }
    }

    #[test]
    fn a_header_reads_as_the_secret_only_with_exactly_its_values_and_never_shows_them() {
        let rotated = secret(Some("old"));
        let current_only = |secret: &OriginSecret| vec![secret.current.clone()];
        assert_eq!(live_reference(Some(&rotated), current_only, &["new".into()]), Some("arn:secret".into()));
        assert_eq!(live_reference(Some(&rotated), current_only, &["old".into()]), Some(ANOTHER_VALUE.into()));
        assert_eq!(
            live_reference(Some(&rotated), OriginSecret::accepted, &["old".into(), "new".into()]),
            Some("arn:secret".into())
        );
        assert_eq!(live_reference(Some(&rotated), OriginSecret::accepted, &["new".into()]), Some(ANOTHER_VALUE.into()));
        assert_eq!(live_reference(None, OriginSecret::accepted, &["new".into()]), Some(ANOTHER_VALUE.into()));
        assert_eq!(live_reference(Some(&rotated), OriginSecret::accepted, &[]), None);
        assert!(!format!("{rotated:?}").contains("new") && !format!("{rotated:?}").contains("old"));
    }
}
