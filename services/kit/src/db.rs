//! The PostgreSQL pool and embedded migrations, applied in order at start-up.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};

/// A migration: a version (applied in order, once) and its SQL.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("cannot build the database pool: {0}")]
    Pool(String),
    #[error("cannot use {path} as the database's certificate authorities: {detail}; point PGSSLROOTCERT at a PEM bundle (the RDS CA bundle on AWS)")]
    Certificates { path: String, detail: String },
    #[error("cannot reach the database: {0}; check DATABASE_URL or the PG* variables")]
    Connect(#[from] deadpool_postgres::PoolError),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration { version: i64, name: &'static str, source: tokio_postgres::Error },
    #[error("database error: {0}")]
    Query(#[from] tokio_postgres::Error),
}

/// How a service reaches PostgreSQL: in the clear (local runs and tests), or over TLS verified
/// against the given certificate authorities (RDS for PostgreSQL 15 and later refuses unencrypted
/// connections; its authorities are the RDS CA bundle).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DatabaseTls {
    #[default]
    Off,
    Verified {
        root_certificates: std::path::PathBuf,
    },
}

/// A pool without TLS.
pub fn pool(config: tokio_postgres::Config, size: usize) -> Result<Pool, DatabaseError> {
    pool_with(config, &DatabaseTls::Off, size)
}

/// A pool that connects as `tls` says.
pub fn pool_with(mut config: tokio_postgres::Config, tls: &DatabaseTls, size: usize) -> Result<Pool, DatabaseError> {
    let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let manager = match tls {
        DatabaseTls::Off => Manager::from_config(config, tokio_postgres::NoTls, manager_config),
        DatabaseTls::Verified { root_certificates } => {
            config.ssl_mode(tokio_postgres::config::SslMode::Require);
            Manager::from_config(config, tls_connector(root_certificates)?, manager_config)
        }
    };
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(std::time::Duration::from_secs(5)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|error| DatabaseError::Pool(error.to_string()))
}

/// A TLS connector that trusts only the certificate authorities in the PEM file at `path` and
/// checks the server's name, as `sslmode=verify-full` does.
pub fn tls_connector(path: &std::path::Path) -> Result<tokio_postgres_rustls::MakeRustlsConnect, DatabaseError> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let failure = |detail: String| DatabaseError::Certificates { path: path.display().to_string(), detail };
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(path).map_err(|error| failure(error.to_string()))? {
        roots
            .add(certificate.map_err(|error| failure(error.to_string()))?)
            .map_err(|error| failure(error.to_string()))?;
    }
    if roots.is_empty() {
        return Err(failure("it holds no certificate".to_string()));
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| failure(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Applies the migrations not applied yet, each in its own transaction, under an advisory lock so
/// that several tasks starting together do not race.
pub async fn migrate(pool: &Pool, migrations: &[Migration]) -> Result<(), DatabaseError> {
    let mut client = pool.get().await?;
    client.batch_execute("SELECT pg_advisory_lock(7240001)").await?;
    let result = async {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            )
            .await?;
        for migration in migrations {
            let applied = client.query_opt("SELECT 1 FROM schema_migrations WHERE version = $1", &[&migration.version]).await?;
            if applied.is_some() {
                continue;
            }
            let transaction = client.transaction().await?;
            transaction.batch_execute(migration.sql).await.map_err(|source| DatabaseError::Migration {
                version: migration.version,
                name: migration.name,
                source,
            })?;
            transaction
                .execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", &[&migration.version, &migration.name])
                .await?;
            transaction.commit().await?;
            tracing::info!(version = migration.version, name = migration.name, "migration applied");
        }
        Ok::<(), DatabaseError>(())
    }
    .await;
    client.batch_execute("SELECT pg_advisory_unlock(7240001)").await?;
    result
}
