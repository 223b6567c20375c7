//! Password hashing with Argon2id (OWASP's recommended parameters are the crate defaults).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Whether `password` matches `stored`; a malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let first = super::hash("correct horse").expect("hash");
        let second = super::hash("correct horse").expect("hash");
        assert_ne!(first, second);
        assert!(super::verify("correct horse", &first));
        assert!(!super::verify("wrong horse", &first));
        assert!(!super::verify("correct horse", "not-a-hash"));
    }
}
