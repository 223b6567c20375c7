//! Service configuration read from the environment, once, in each service's `main`.

use std::time::Duration;

/// Why the environment does not describe a runnable service.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is {value:?}, which is not {expected}; set it to {expected}")]
    Invalid { name: String, value: String, expected: String },
    #[error("{name} is not set; set it to {expected}")]
    Missing { name: String, expected: String },
}

/// What every service needs besides its own settings. `Debug` leaves the secrets out.
#[derive(Clone)]
pub struct CommonConfig {
    pub bind_address: String,
    pub database: tokio_postgres::Config,
    pub database_tls: crate::db::DatabaseTls,
    pub jwt_secret: Vec<u8>,
    /// Origins allowed by CORS; empty means same-origin only.
    pub cors_origins: Vec<String>,
    pub rate_limit_per_minute: u32,
    /// How many proxies in front of the service append to `X-Forwarded-For` (0: the peer is the
    /// client); the client is the address that many hops from the right.
    pub trusted_proxy_hops: usize,
}

impl std::fmt::Debug for CommonConfig {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CommonConfig")
            .field("bind_address", &self.bind_address)
            .field("database", &self.database.get_dbname())
            .field("database_tls", &self.database_tls)
            .field("jwt_secret", &"(sensitive)")
            .field("cors_origins", &self.cors_origins)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("trusted_proxy_hops", &self.trusted_proxy_hops)
            .finish()
    }
}

/// A lookup of environment variables; `std::env::var` in `main`, a map in tests.
pub trait Environment {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|value| !value.is_empty())
    }
}

impl<const N: usize> Environment for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string())
    }
}

pub fn parse_number<T: std::str::FromStr>(
    env: &dyn Environment,
    name: &str,
    default: T,
    expected: &str,
) -> Result<T, ConfigError> {
    match env.get(name) {
        None => Ok(default),
        Some(value) => {
            value.parse().map_err(|_| ConfigError::Invalid { name: name.into(), value, expected: expected.into() })
        }
    }
}

pub fn duration_ms(env: &dyn Environment, name: &str, default_ms: u64) -> Result<Duration, ConfigError> {
    parse_number(env, name, default_ms, "a number of milliseconds").map(Duration::from_millis)
}

/// The database connection: `DATABASE_URL`, or the standard `PGHOST`, `PGPORT`, `PGUSER`,
/// `PGPASSWORD` and `PGDATABASE` (so ECS can inject only the password from Secrets Manager).
pub fn database_from_env(env: &dyn Environment, default_database: &str) -> Result<tokio_postgres::Config, ConfigError> {
    if let Some(url) = env.get("DATABASE_URL") {
        return url.parse().map_err(|_| ConfigError::Invalid {
            name: "DATABASE_URL".into(),
            value: "(hidden)".into(),
            expected: "a postgres:// URL".into(),
        });
    }
    let mut config = tokio_postgres::Config::new();
    config.host(env.get("PGHOST").unwrap_or_else(|| "localhost".into()));
    config.port(parse_number(env, "PGPORT", 5432u16, "a port number")?);
    config.user(env.get("PGUSER").unwrap_or_else(|| "postgres".into()));
    if let Some(password) = env.get("PGPASSWORD") {
        config.password(password);
    }
    config.dbname(env.get("PGDATABASE").unwrap_or_else(|| default_database.into()));
    config.connect_timeout(Duration::from_secs(5));
    Ok(config)
}

/// Whether the database connection uses TLS: `PGSSLMODE` `require`, `verify-ca` or `verify-full`
/// turn it on (always verifying the server against `PGSSLROOTCERT`); anything else leaves it off.
pub fn database_tls_from_env(env: &dyn Environment) -> Result<crate::db::DatabaseTls, ConfigError> {
    match env.get("PGSSLMODE").as_deref() {
        None | Some("disable" | "allow" | "prefer") => Ok(crate::db::DatabaseTls::Off),
        Some("require" | "verify-ca" | "verify-full") => {
            let root_certificates = env.get("PGSSLROOTCERT").ok_or_else(|| ConfigError::Missing {
                name: "PGSSLROOTCERT".into(),
                expected: "the PEM file of the database's certificate authorities (the RDS CA bundle on AWS)".into(),
            })?;
            Ok(crate::db::DatabaseTls::Verified { root_certificates: root_certificates.into() })
        }
        Some(other) => Err(ConfigError::Invalid {
            name: "PGSSLMODE".into(),
            value: other.into(),
            expected: "disable, prefer, require, verify-ca or verify-full".into(),
        }),
    }
}

/// Reads the settings every service shares. `default_port` and `default_database` are the
/// service's own defaults.
pub fn common_from_env(
    env: &dyn Environment,
    default_port: u16,
    default_database: &str,
) -> Result<CommonConfig, ConfigError> {
    let port: u16 = parse_number(env, "PORT", default_port, "a port number")?;
    let jwt_secret = env.get("JWT_SECRET").ok_or_else(|| ConfigError::Missing {
        name: "JWT_SECRET".into(),
        expected: "a random secret of at least 32 bytes shared by the services".into(),
    })?;
    if jwt_secret.len() < 32 {
        return Err(ConfigError::Invalid {
            name: "JWT_SECRET".into(),
            value: "(hidden)".into(),
            expected: "at least 32 bytes long".into(),
        });
    }
    Ok(CommonConfig {
        bind_address: format!("{}:{port}", env.get("BIND_HOST").unwrap_or_else(|| "0.0.0.0".into())),
        database: database_from_env(env, default_database)?,
        database_tls: database_tls_from_env(env)?,
        jwt_secret: jwt_secret.into_bytes(),
        cors_origins: env
            .get("CORS_ORIGINS")
            .map(|origins| {
                origins.split(',').map(|origin| origin.trim().to_string()).filter(|o| !o.is_empty()).collect()
            })
            .unwrap_or_default(),
        rate_limit_per_minute: parse_number(env, "RATE_LIMIT_PER_MINUTE", 300, "a number of requests per minute")?,
        trusted_proxy_hops: trusted_proxy_hops(env)?,
    })
}

/// `TRUSTED_PROXY_HOPS`, refusing the older `TRUST_FORWARDED_FOR`, which trusted the leftmost
/// address, the one a client writes itself.
fn trusted_proxy_hops(env: &dyn Environment) -> Result<usize, ConfigError> {
    if let Some(value) = env.get("TRUST_FORWARDED_FOR") {
        return Err(ConfigError::Invalid {
            name: "TRUST_FORWARDED_FOR".into(),
            value,
            expected: "unset (TRUSTED_PROXY_HOPS, the number of proxies in front of the service, replaces it)".into(),
        });
    }
    parse_number(env, "TRUSTED_PROXY_HOPS", 0, "a number of proxies (0 to 5)").and_then(|hops| {
        if hops <= 5 {
            Ok(hops)
        } else {
            Err(ConfigError::Invalid {
                name: "TRUSTED_PROXY_HOPS".into(),
                value: hops.to_string(),
                expected: "a number of proxies (0 to 5)".into(),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_variables_build_the_connection() {
        let env = [
            ("PGHOST", "db.internal"),
            ("PGPORT", "6543"),
            ("PGUSER", "app"),
            ("PGPASSWORD", "s3cret"),
            ("PGDATABASE", "movies"),
        ];
        let config = database_from_env(&env, "fallback").expect("valid");
        assert_eq!(config.get_dbname(), Some("movies"));
        assert_eq!(config.get_ports(), &[6543]);
        assert_eq!(config.get_password(), Some(&b"s3cret"[..]));
    }

    #[test]
    fn debug_output_leaves_secrets_out() {
        let env = [
            ("JWT_SECRET", "a-very-secret-value-that-is-long-enough"),
            ("DATABASE_URL", "postgres://app:hunter2@db/app"),
        ];
        let shown = format!("{:?}", common_from_env(&env, 8000, "db").expect("valid"));
        assert!(!shown.contains("a-very-secret-value") && !shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn trusted_proxy_hops_default_to_none_and_the_old_leftmost_switch_is_refused() {
        assert_eq!(trusted_proxy_hops(&[("PORT", "1")]).expect("valid"), 0);
        assert_eq!(trusted_proxy_hops(&[("TRUSTED_PROXY_HOPS", "2")]).expect("valid"), 2);
        assert!(trusted_proxy_hops(&[("TRUSTED_PROXY_HOPS", "9")]).is_err());
        assert!(trusted_proxy_hops(&[("TRUSTED_PROXY_HOPS", "two")]).is_err());
        let old = trusted_proxy_hops(&[("TRUST_FORWARDED_FOR", "true")]).expect_err("replaced").to_string();
        assert!(old.contains("TRUSTED_PROXY_HOPS"), "{old}");
    }

    #[test]
    fn a_short_jwt_secret_is_refused_without_echoing_it() {
        let env = [("JWT_SECRET", "short-secret-value")];
        let error = common_from_env(&env, 8000, "db").expect_err("too short").to_string();
        assert!(!error.contains("short-secret-value"), "{error}");
        assert!(error.contains("at least 32 bytes"), "{error}");
    }

    #[test]
    fn pgsslmode_turns_verified_tls_on_and_needs_the_authorities() {
        use crate::db::DatabaseTls;
        assert_eq!(database_tls_from_env(&[("PGHOST", "db")]).expect("valid"), DatabaseTls::Off);
        assert_eq!(database_tls_from_env(&[("PGSSLMODE", "prefer")]).expect("valid"), DatabaseTls::Off);
        let verified = [("PGSSLMODE", "verify-full"), ("PGSSLROOTCERT", "/etc/ssl/certs/rds-global-bundle.pem")];
        assert_eq!(
            database_tls_from_env(&verified).expect("valid"),
            DatabaseTls::Verified { root_certificates: "/etc/ssl/certs/rds-global-bundle.pem".into() }
        );
        let missing = database_tls_from_env(&[("PGSSLMODE", "require")]).expect_err("no authorities").to_string();
        assert!(missing.contains("PGSSLROOTCERT"), "{missing}");
        assert!(database_tls_from_env(&[("PGSSLMODE", "sometimes")]).is_err());
    }
}
