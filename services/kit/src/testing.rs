//! The services' test harness: a fresh database per test on the PostgreSQL server the test script
//! started, and the app spawned on port 0, as zero2prod does it.

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

/// The PostgreSQL server tests use, from `WL_TEST_DATABASE_URL` (set by `scripts/test.sh`).
pub fn admin_database_url() -> String {
    std::env::var("WL_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!("WL_TEST_DATABASE_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL, or point it at a server you started")
    })
}

/// The Redis server tests use, from `WL_TEST_REDIS_URL` (set by `scripts/test.sh`).
pub fn redis_url() -> String {
    std::env::var("WL_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!("WL_TEST_REDIS_URL is not set: run the tests with scripts/test.sh, which starts Redis, or point it at a server you started")
    })
}

/// Creates an empty database named after `prefix` and returns its connection settings.
pub async fn fresh_database(prefix: &str) -> tokio_postgres::Config {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin: tokio_postgres::Config = admin_database_url().parse().expect("WL_TEST_DATABASE_URL is a postgres URL");
    let (client, connection) = admin.connect(tokio_postgres::NoTls).await.expect("the test PostgreSQL server answers");
    tokio::spawn(connection);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let name = format!("{prefix}_{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::SeqCst));
    client.batch_execute(&format!("CREATE DATABASE \"{name}\"")).await.expect("a test database can be created");
    let mut config = admin.clone();
    config.dbname(&name);
    config
}

/// A service running on a loopback port for one test; stops when dropped.
pub struct TestApp {
    pub address: SocketAddr,
    pub base_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Stops the app now (dropping it does the same).
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Serves `router` on 127.0.0.1 with a free port.
pub async fn spawn(router: Router) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let address = listener.local_addr().expect("an address");
    let (sender, receiver) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = crate::server::run(listener, router, async {
            let _ = receiver.await;
        })
        .await;
    });
    TestApp { address, base_url: format!("http://{address}"), shutdown: Some(sender) }
}

/// A TCP relay in front of a real server (PostgreSQL, Redis, another service) that a test can cut
/// and restore, to see how the service behaves while its dependency is down.
pub struct TcpRelay {
    pub address: SocketAddr,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    generation: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    open_connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl TcpRelay {
    pub async fn start(upstream: SocketAddr) -> TcpRelay {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let address = listener.local_addr().expect("an address");
        let up = std::sync::Arc::new(AtomicBool::new(true));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let generation = std::sync::Arc::new(generation);
        let open_connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (accept_up, accept_generation, accept_open) = (up.clone(), generation.clone(), open_connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut cut = accept_generation.subscribe();
                let open = accept_open.clone();
                open.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {},
                            _ = cut.changed() => {},
                        }
                    }
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        TcpRelay { address, up, generation, open_connections }
    }

    /// Drops every open connection and refuses new ones, as if the server had stopped; returns
    /// once the open connections are closed.
    pub async fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        self.generation.send_modify(|generation| *generation += 1);
        for _ in 0..200 {
            if self.open_connections.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The socket address of a `host:port` in a URL or config (first host and port).
pub fn socket_address(host: &str, port: u16) -> SocketAddr {
    use std::net::ToSocketAddrs;
    (host, port).to_socket_addrs().ok().and_then(|mut addresses| addresses.next()).expect("a resolvable address")
}

/// A database config that reaches `config`'s server through `relay`.
pub fn through_relay(config: &tokio_postgres::Config, relay: &TcpRelay) -> tokio_postgres::Config {
    // `host` and `port` add to a config's lists, so the relayed config is built afresh.
    let mut relayed = tokio_postgres::Config::new();
    relayed.host("127.0.0.1").port(relay.address.port()).connect_timeout(std::time::Duration::from_secs(2));
    if let Some(user) = config.get_user() {
        relayed.user(user);
    }
    if let Some(password) = config.get_password() {
        relayed.password(password);
    }
    if let Some(dbname) = config.get_dbname() {
        relayed.dbname(dbname);
    }
    relayed
}

/// The first host and port of a database config.
pub fn database_address(config: &tokio_postgres::Config) -> SocketAddr {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_string(),
    };
    socket_address(&host, config.get_ports().first().copied().unwrap_or(5432))
}

/// An HTTP client for one test app, answering with status, JSON body and headers.
pub struct Api {
    pub http: reqwest::Client,
    pub base_url: String,
}

/// One answer of the app under test.
#[derive(Debug)]
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub body: serde_json::Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// The `error.code` of an error answer.
    pub fn error_code(&self) -> Option<&str> {
        self.body["error"]["code"].as_str()
    }
}

impl Api {
    pub fn new(app: &TestApp) -> Api {
        Api { http: reqwest::Client::new(), base_url: app.base_url.clone() }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the app answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(serde_json::Value::Null);
        Answer { status, body, headers }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(reqwest::Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: serde_json::Value) -> Answer {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: serde_json::Value) -> Answer {
        self.call(reqwest::Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(reqwest::Method::DELETE, path, token, None).await
    }
}

/// A token for `user_id`, valid for an hour, signed with `secret`.
pub fn token_for(secret: &[u8], user_id: i64) -> String {
    let now = crate::jwt::now_seconds();
    crate::jwt::sign(secret, &crate::jwt::Claims { sub: user_id.to_string(), iat: now, exp: now + 3600 })
}
