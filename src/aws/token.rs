//! Client tokens: what makes a create safe to retry where an API takes one.

use crate::graph::Props;

/// An API that takes a client token, each with its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenApi {
    /// EC2 `ClientToken`: "Maximum 64 ASCII characters" (API_CreateNatGateway).
    Ec2,
    /// ECS CreateService `clientToken`: "Up to 36 ASCII characters in the range of 33-126
    /// (inclusive) are allowed" (API_CreateService).
    Ecs,
    /// Secrets Manager `ClientRequestToken`: 32 to 64 characters (API_CreateSecret).
    SecretsManager,
    /// CloudFront `CallerReference`: no documented limit (API_DistributionConfig); kept at 64.
    CloudFront,
    /// Cloud Map `CreatorRequestId`: "Length Constraints: Maximum length of 64"
    /// (API_CreateHttpNamespace).
    CloudMap,
}

impl TokenApi {
    pub fn max_length(self) -> usize {
        match self {
            TokenApi::Ecs => 36,
            TokenApi::Ec2 | TokenApi::SecretsManager | TokenApi::CloudFront | TokenApi::CloudMap => 64,
        }
    }
}

/// A deterministic client token for a create, so that a retried call never makes a second
/// resource: the same for every retry of this create in this run, different in the next run (EC2
/// remembers tokens for a while, so a token reused after a destroy would return the deleted
/// resource), and within `api`'s limit.
pub fn client_token(api: TokenApi, run_id: &str, id: &str, props: &Props) -> String {
    // FNV-1a over the run, the id and the debug form of the props, stretched to 48 hex digits.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in format!("{run_id}\0{id}\0{props:?}").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let stretched = format!(
        "{hash:016x}{:016x}{:016x}",
        hash.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15,
        hash.rotate_left(43).wrapping_mul(0xff51_afd7_ed55_8ccd)
    );
    // The run goes first so that tokens of one run sort together in AWS's logs; 64 characters at
    // most, cut to the API's limit (the hash part keeps at least 20 hex digits, 80 bits).
    let mut token = format!("wl-{:0>12}-{stretched}", &run_id[run_id.len().saturating_sub(12)..]);
    token.truncate(api.max_length());
    token
}
