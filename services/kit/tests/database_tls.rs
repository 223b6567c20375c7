//! The services reach PostgreSQL over TLS verified against the given authorities when
//! `PGSSLMODE` asks for it, as RDS requires; the test server (scripts/test.sh) offers TLS with a
//! throwaway authority.

use watchlist_kit::db::{pool_with, DatabaseTls};

fn test_authority() -> std::path::PathBuf {
    std::env::var("WL_TEST_DATABASE_CA")
        .unwrap_or_else(|_| {
            panic!(
                "WL_TEST_DATABASE_CA is not set: run the tests with scripts/test.sh, which starts PostgreSQL with TLS"
            )
        })
        .into()
}

#[tokio::test]
async fn a_verified_connection_is_encrypted_and_an_untrusted_server_is_refused() {
    let authority = test_authority();
    let database = watchlist_kit::testing::fresh_database("tls").await;

    let trusted = DatabaseTls::Verified { root_certificates: authority.clone() };
    let pool = pool_with(database.clone(), &trusted, 2).expect("a pool");
    let client = pool.get().await.expect("a TLS connection to the test server");
    let row = client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).await.expect("a row");
    assert!(row.get::<_, bool>(0), "the connection is encrypted");

    // The server's own certificate is no authority: verification must fail, not fall back.
    let untrusted = DatabaseTls::Verified { root_certificates: authority.with_file_name("server.pem") };
    let pool = pool_with(database, &untrusted, 1).expect("a pool");
    let error = pool.get().await.expect_err("an untrusted server is refused").to_string();
    assert!(error.contains("TLS handshake"), "{error}");
}

#[test]
fn a_file_without_certificates_is_a_clear_error() {
    let empty = std::env::temp_dir().join(format!("wl-empty-{}.pem", std::process::id()));
    std::fs::write(&empty, "not a certificate").expect("a file");
    let config: tokio_postgres::Config = "postgres://postgres@127.0.0.1/postgres".parse().expect("a config");
    let error = pool_with(config, &DatabaseTls::Verified { root_certificates: empty.clone() }, 1)
        .expect_err("no certificate, no pool")
        .to_string();
    assert!(error.contains("PGSSLROOTCERT"), "{error}");
    let _ = std::fs::remove_file(empty);
}
