//! HS256 JSON Web Tokens: what the user service issues at login and the others verify.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The claims wl-infra's services put in a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string per RFC 7519.
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token signature is not valid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn mac(secret: &[u8], signing_input: &str) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(signing_input.as_bytes());
    mac
}

pub fn sign(secret: &[u8], claims: &Claims) -> String {
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(payload));
    let signature = mac(secret, &signing_input).finalize().into_bytes();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Verifies the signature (in constant time) and the expiry against `now` (seconds since epoch).
pub fn verify(secret: &[u8], token: &str, now: u64) -> Result<Claims, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header_json = URL_SAFE_NO_PAD.decode(header).map_err(|_| TokenError::Malformed)?;
    let header_value: serde_json::Value = serde_json::from_slice(&header_json).map_err(|_| TokenError::Malformed)?;
    if header_value.get("alg").and_then(|alg| alg.as_str()) != Some("HS256") {
        return Err(TokenError::Malformed);
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
    mac(secret, &format!("{header}.{payload}")).verify_slice(&signature).map_err(|_| TokenError::BadSignature)?;
    let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?)
        .map_err(|_| TokenError::Malformed)?;
    if claims.exp <= now {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

pub fn now_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let claims = Claims { sub: "7".into(), iat: 100, exp: 200 };
        let token = sign(SECRET, &claims);
        assert_eq!(verify(SECRET, &token, 150), Ok(claims));
        assert_eq!(verify(SECRET, &token, 200), Err(TokenError::Expired));
    }

    #[test]
    fn tampering_and_other_secrets_are_rejected() {
        let token = sign(SECRET, &Claims { sub: "7".into(), iat: 100, exp: 200 });
        assert_eq!(verify(b"another-secret-another-secret-xx", &token, 150), Err(TokenError::BadSignature));
        let forged_payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"1","iat":100,"exp":200}"#);
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = &forged_payload;
        assert_eq!(verify(SECRET, &parts.join("."), 150), Err(TokenError::BadSignature));
        assert_eq!(verify(SECRET, "not-a-token", 150), Err(TokenError::Malformed));
        let none_alg = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), forged_payload);
        assert_eq!(verify(SECRET, &none_alg, 150), Err(TokenError::Malformed));
    }
}
