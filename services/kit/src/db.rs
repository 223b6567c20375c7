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
    #[error("cannot reach the database: {0}; check DATABASE_URL or the PG* variables")]
    Connect(#[from] deadpool_postgres::PoolError),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration { version: i64, name: &'static str, source: tokio_postgres::Error },
    #[error("database error: {0}")]
    Query(#[from] tokio_postgres::Error),
}

pub fn pool(config: tokio_postgres::Config, size: usize) -> Result<Pool, DatabaseError> {
    let manager =
        Manager::from_config(config, tokio_postgres::NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(std::time::Duration::from_secs(5)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|error| DatabaseError::Pool(error.to_string()))
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
