//! IAM policy documents in one canonical text, so that policies are compared by meaning, not by
//! the spelling AWS happens to return (key order, a lone string for a one-item list, statement order).

use serde_json::Value as Json;

/// Keys whose value may be a string or a list of strings with the same meaning.
const LIST_KEYS: &[&str] = &["Action", "NotAction", "Resource", "NotResource"];

/// The canonical form of a policy document: keys sorted, single values as one-item lists, lists
/// sorted and without repeats, statements sorted. Text that is not JSON is returned unchanged, so
/// that it shows as a difference instead of being lost.
pub fn normalise_policy(text: &str) -> String {
    match serde_json::from_str::<Json>(text) {
        Ok(document) => canonical(document, None).to_string(),
        Err(_) => text.to_string(),
    }
}

fn canonical(value: Json, key: Option<&str>) -> Json {
    match value {
        Json::Object(map) => {
            let inside_principal = key == Some("Principal") || key == Some("NotPrincipal");
            Json::Object(
                map.into_iter()
                    .map(|(name, inner)| {
                        let inner = canonical(inner, Some(&name));
                        // Principal values (`"Service": "ecs-tasks.amazonaws.com"`) are lists too.
                        let inner = if inside_principal || LIST_KEYS.contains(&name.as_str()) {
                            sorted_list(inner)
                        } else if name == "Statement" {
                            statements(inner)
                        } else {
                            inner
                        };
                        (name, inner)
                    })
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.into_iter().map(|item| canonical(item, None)).collect()),
        other => other,
    }
}

fn sorted_list(value: Json) -> Json {
    let mut items = match value {
        Json::Array(items) => items,
        other => vec![other],
    };
    items.sort_by_key(Json::to_string);
    items.dedup();
    Json::Array(items)
}

fn statements(value: Json) -> Json {
    let mut items = match value {
        Json::Array(items) => items,
        other => vec![other],
    };
    items.sort_by_key(Json::to_string);
    Json::Array(items)
}

/// A document that lets `service` assume a role (`ecs-tasks.amazonaws.com`).
pub fn trust_policy(service: &str) -> String {
    normalise_policy(
        &serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        })
        .to_string(),
    )
}

/// A document that allows `actions` on `resources`.
pub fn allow_policy(actions: &[&str], resources: &[&str]) -> String {
    normalise_policy(
        &serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}],
        })
        .to_string(),
    )
}

/// The key policy of the stack's alert topic key: the account administers it (which also passes
/// KMS's lockout check: the caller can put the policy again), and CloudWatch alarms may use it to
/// publish to the encrypted topic. SNS's AWS-managed key (`alias/aws/sns`) cannot serve: its policy
/// does not let CloudWatch call kms:Decrypt and kms:GenerateDataKey, so an alarm's action fails
/// ("CloudWatch alarms aren't authorized to access the SNS topic encryption key",
/// repost.aws knowledge-center/cloudwatch-configure-alarm-sns, whose statement this one is), and
/// that policy cannot be edited.
pub fn alert_key_policy(partition: &str, account_id: &str) -> String {
    normalise_policy(
        &serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersTheKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:{partition}:iam::{account_id}:root")},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchAlarmsPublishToTheTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    // The statement AWS documents, without a source-account condition: whether
                    // CloudWatch's alarm actions carry aws:SourceAccount to KMS is not documented,
                    // and a condition they do not meet would deny every notification.
                    "Resource": "*",
                },
            ],
        })
        .to_string(),
    )
}

/// Decodes the percent-encoding (RFC 3986) IAM applies to policy documents in its answers.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match (byte, hex(index + 1), hex(index + 2)) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                index += 3;
            }
            _ => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_differences_normalise_to_the_same_text() {
        let ours = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let theirs = r#"{"Statement":{"Action":["sts:AssumeRole"],"Principal":{"Service":["ecs-tasks.amazonaws.com"]},"Effect":"Allow"},"Version":"2012-10-17"}"#;
        assert_eq!(normalise_policy(ours), normalise_policy(theirs));
        assert_eq!(normalise_policy(ours), trust_policy("ecs-tasks.amazonaws.com"));
    }

    #[test]
    fn lists_compare_as_sets_and_statements_in_any_order() {
        let first = allow_policy(&["b:Two", "a:One"], &["arn:1"]);
        let second = allow_policy(&["a:One", "b:Two", "a:One"], &["arn:1"]);
        assert_eq!(first, second);
        let two = r#"{"Statement":[{"Effect":"Deny","Action":"x:Y","Resource":"*"},{"Effect":"Allow","Action":"a:B","Resource":"*"}]}"#;
        let swapped = r#"{"Statement":[{"Effect":"Allow","Action":"a:B","Resource":"*"},{"Effect":"Deny","Action":"x:Y","Resource":"*"}]}"#;
        assert_eq!(normalise_policy(two), normalise_policy(swapped));
    }

    #[test]
    fn a_real_difference_stays_a_difference() {
        assert_ne!(allow_policy(&["s3:GetObject"], &["*"]), allow_policy(&["s3:PutObject"], &["*"]));
        assert_eq!(normalise_policy("not json"), "not json");
    }

    #[test]
    fn iam_percent_encoding_is_decoded() {
        assert_eq!(percent_decode("%7B%22Version%22%3A%222012-10-17%22%7D"), r#"{"Version":"2012-10-17"}"#);
        assert_eq!(percent_decode("100%"), "100%");
    }
}
