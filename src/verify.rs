//! `wl-infra verify`: the deployment guide's verification steps as checks against a running
//! Movie Watchlist (a deployed stack's site, or the local run): the frontend loads, the three
//! health endpoints answer, a create/read/delete round trip through each service, a watchlist
//! add that makes the watchlist service call the other two, a movie read answered from the cache,
//! and each service's log lines for the requests it served. IO at the edge: HTTP through reqwest,
//! the log lines through a `LogSource` the command chooses (CloudWatch Logs, a directory, none).

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use serde_json::{json, Value};

/// How one check went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "lowercase")]
pub enum Outcome {
    Pass(String),
    Fail(String),
    Skipped(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Where the services' log lines are read from.
pub trait LogSource: Send + Sync {
    /// Whether `service`'s log holds a line with `needle` (a request id), or why it cannot tell.
    fn contains<'a>(
        &'a self,
        service: &'a str,
        needle: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>>;

    /// Why the logs are not checked, when they are not.
    fn skipped(&self) -> Option<String> {
        None
    }
}

/// No log source: the check is reported as skipped, saying why.
pub struct NoLogs(pub String);

impl LogSource for NoLogs {
    fn contains<'a>(
        &'a self,
        _service: &'a str,
        _needle: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>> {
        Box::pin(async { Ok(false) })
    }

    fn skipped(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

/// The local run's logs: `<directory>/<service>.log`.
pub struct LogDirectory(pub std::path::PathBuf);

impl LogSource for LogDirectory {
    fn contains<'a>(
        &'a self,
        service: &'a str,
        needle: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>> {
        Box::pin(async move {
            let path = self.0.join(format!("{service}.log"));
            let text =
                std::fs::read_to_string(&path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            Ok(text.contains(needle))
        })
    }
}

/// One verification run: the client, the base URL, and the request ids it sent.
struct Run {
    http: reqwest::Client,
    base: String,
    /// Distinguishes this run's request ids (the services log them) and names.
    tag: String,
    sent: std::sync::atomic::AtomicU32,
}

/// An answer, read whole.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
    request_id: String,
}

impl Run {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Answer, String> {
        let number = self.sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let request_id = format!("wl-verify-{}-{number}", self.tag);
        let mut request =
            self.http.request(method.clone(), format!("{}{path}", self.base)).header("x-request-id", &request_id);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|error| format!("{method} {path}: {error}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|error| format!("{method} {path}: {error}"))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Answer { status, headers, body, request_id })
    }

    /// A call that must answer `expected`; otherwise what it answered instead.
    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        expected: u16,
    ) -> Result<Answer, String> {
        let answer = self.call(method.clone(), path, token, body).await?;
        if answer.status == expected {
            Ok(answer)
        } else {
            let shown: String = answer.body.to_string().chars().take(200).collect();
            Err(format!("{method} {path} answered {} (expected {expected}): {shown}", answer.status))
        }
    }
}

fn pass(name: &str, detail: impl Into<String>) -> Check {
    Check { name: name.to_string(), outcome: Outcome::Pass(detail.into()) }
}

fn fail(name: &str, detail: impl Into<String>) -> Check {
    Check { name: name.to_string(), outcome: Outcome::Fail(detail.into()) }
}

fn skipped(name: &str, detail: impl Into<String>) -> Check {
    Check { name: name.to_string(), outcome: Outcome::Skipped(detail.into()) }
}

/// What the round trips made, to clean up and to look for in the logs.
#[derive(Default)]
struct Made {
    user: Option<(i64, String)>,
    movie: Option<i64>,
    /// The request id each service served, by service name.
    served: Vec<(&'static str, String)>,
}

/// Runs every check against `base_url` in order; a check that needs what an earlier one failed
/// to make is skipped, saying so. What the checks make is deleted again.
pub async fn verify(base_url: &str, logs: &dyn LogSource) -> Vec<Check> {
    let tag = format!(
        "{:x}",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis()) % 0xffff_ffff
    );
    let http = match reqwest::Client::builder().timeout(std::time::Duration::from_secs(20)).build() {
        Ok(http) => http,
        Err(error) => return vec![fail("HTTP client", error.to_string())],
    };
    let run = Run { http, base: base_url.trim_end_matches('/').to_string(), tag, sent: Default::default() };
    let mut checks = Vec::new();
    let mut made = Made::default();

    checks.push(match run.call(reqwest::Method::GET, "/", None, None).await {
        Ok(answer)
            if answer.status == 200
                && answer.body.as_str().is_some_and(|page| page.to_lowercase().contains("<html")) =>
        {
            pass("frontend loads", format!("GET / answered 200 with the page ({})", content_type(&answer)))
        }
        Ok(answer) => fail("frontend loads", format!("GET / answered {} ({})", answer.status, content_type(&answer))),
        Err(error) => fail("frontend loads", error),
    });
    for service in ["users", "movies", "watchlist"] {
        let name = format!("health {service}");
        let path = format!("/api/health/{service}");
        checks.push(match run.expect(reqwest::Method::GET, &path, None, None, 200).await {
            Ok(answer) => pass(&name, format!("GET {path} answered 200: {}", answer.body)),
            Err(error) => fail(&name, error),
        });
    }
    checks.push(user_round_trip(&run, &mut made).await);
    checks.push(movie_round_trip(&run, &mut made).await);
    checks.push(cache_hit(&run, &made).await);
    checks.push(watchlist_round_trip(&run, &mut made).await);
    checks.push(delete_movie(&run, &made).await);
    checks.push(delete_user(&run, &made).await);
    checks.push(log_lines(logs, &made).await);
    checks
}

fn content_type(answer: &Answer) -> String {
    answer.headers.get("content-type").and_then(|value| value.to_str().ok()).unwrap_or("no content type").to_string()
}

async fn user_round_trip(run: &Run, made: &mut Made) -> Check {
    const NAME: &str = "user: register, log in, read";
    let username = format!("wl_verify_{}", run.tag);
    let password = format!("verify-{}-Password1", run.tag);
    let registration = json!({"username": username, "email": format!("{username}@example.com"), "password": password});
    let created = match run.expect(reqwest::Method::POST, "/api/users", None, Some(registration), 201).await {
        Ok(answer) => answer,
        Err(error) => return fail(NAME, error),
    };
    made.served.push(("user", created.request_id.clone()));
    let Some(id) = created.body["id"].as_i64() else { return fail(NAME, format!("no id in {}", created.body)) };
    let login = json!({"username": username, "password": password});
    let token = match run.expect(reqwest::Method::POST, "/api/users/login", None, Some(login), 200).await {
        Ok(answer) => answer.body["token"].as_str().unwrap_or_default().to_string(),
        Err(error) => return fail(NAME, error),
    };
    made.user = Some((id, token.clone()));
    match run.expect(reqwest::Method::GET, &format!("/api/users/{id}"), Some(&token), None, 200).await {
        Ok(_) => pass(NAME, format!("user {id} registered, logged in and read back")),
        Err(error) => fail(NAME, error),
    }
}

async fn movie_round_trip(run: &Run, made: &mut Made) -> Check {
    const NAME: &str = "movie: create, read";
    let Some((_, token)) = &made.user else { return skipped(NAME, "no user to create it as (the user check failed)") };
    let movie = json!({"title": format!("wl-infra verify {}", run.tag), "year": 2000, "genre": "Documentary"});
    let created = match run.expect(reqwest::Method::POST, "/api/movies", Some(token), Some(movie), 201).await {
        Ok(answer) => answer,
        Err(error) => return fail(NAME, error),
    };
    made.served.push(("movie", created.request_id.clone()));
    let Some(id) = created.body["id"].as_i64() else { return fail(NAME, format!("no id in {}", created.body)) };
    made.movie = Some(id);
    match run.expect(reqwest::Method::GET, &format!("/api/movies/{id}"), None, None, 200).await {
        Ok(answer) if answer.body["id"].as_i64() == Some(id) => pass(NAME, format!("movie {id} created and read back")),
        Ok(answer) => fail(NAME, format!("GET /api/movies/{id} answered another movie: {}", answer.body)),
        Err(error) => fail(NAME, error),
    }
}

async fn cache_hit(run: &Run, made: &Made) -> Check {
    const NAME: &str = "movie read from the cache (X-Cache: HIT)";
    let Some(id) = made.movie else { return skipped(NAME, "no movie to read (the movie check failed)") };
    match run.expect(reqwest::Method::GET, &format!("/api/movies/{id}"), None, None, 200).await {
        Ok(answer) => match answer.headers.get("x-cache").and_then(|value| value.to_str().ok()) {
            Some("HIT") => pass(NAME, format!("the second read of movie {id} answered X-Cache: HIT")),
            Some(other) => {
                fail(NAME, format!("the second read of movie {id} answered X-Cache: {other}: is Redis reachable?"))
            }
            None => fail(NAME, format!("the read of movie {id} has no X-Cache header")),
        },
        Err(error) => fail(NAME, error),
    }
}

async fn watchlist_round_trip(run: &Run, made: &mut Made) -> Check {
    const NAME: &str = "watchlist: add, list, remove (calls the user and movie services)";
    let (Some((user, token)), Some(movie)) = (made.user.clone(), made.movie) else {
        return skipped(NAME, "no user or no movie to add (an earlier check failed)");
    };
    let path = format!("/api/watchlist/{user}");
    let entry = json!({"movie_id": movie, "notes": "added by wl-infra verify"});
    match run.expect(reqwest::Method::POST, &path, Some(&token), Some(entry), 201).await {
        Ok(answer) => made.served.push(("watchlist", answer.request_id)),
        Err(error) => return fail(NAME, error),
    }
    let listed = match run.expect(reqwest::Method::GET, &path, Some(&token), None, 200).await {
        Ok(answer) => answer.body.to_string(),
        Err(error) => return fail(NAME, error),
    };
    if !listed.contains(&format!("\"movie_id\":{movie}")) {
        return fail(NAME, format!("GET {path} does not list movie {movie}: {listed}"));
    }
    match run.expect(reqwest::Method::DELETE, &format!("{path}/{movie}"), Some(&token), None, 204).await {
        Ok(_) => pass(NAME, format!("movie {movie} added to user {user}'s watchlist, listed and removed")),
        Err(error) => fail(NAME, error),
    }
}

async fn delete_movie(run: &Run, made: &Made) -> Check {
    const NAME: &str = "movie: delete";
    let (Some((_, token)), Some(movie)) = (&made.user, made.movie) else { return skipped(NAME, "no movie was made") };
    match run.expect(reqwest::Method::DELETE, &format!("/api/movies/{movie}"), Some(token), None, 204).await {
        Ok(_) => pass(NAME, format!("movie {movie} deleted")),
        Err(error) => fail(NAME, error),
    }
}

async fn delete_user(run: &Run, made: &Made) -> Check {
    const NAME: &str = "user: delete";
    let Some((user, token)) = &made.user else { return skipped(NAME, "no user was made") };
    match run.expect(reqwest::Method::DELETE, &format!("/api/users/{user}"), Some(token), None, 204).await {
        Ok(_) => pass(NAME, format!("user {user} deleted")),
        Err(error) => fail(NAME, error),
    }
}

async fn log_lines(logs: &dyn LogSource, made: &Made) -> Check {
    const NAME: &str = "each service logged the requests it served";
    if let Some(reason) = logs.skipped() {
        return skipped(NAME, reason);
    }
    if made.served.is_empty() {
        return skipped(NAME, "no request reached a service (the earlier checks failed)");
    }
    let mut missing = Vec::new();
    for (service, request_id) in &made.served {
        match logs.contains(service, request_id).await {
            Ok(true) => {}
            Ok(false) => missing.push(format!("{service} has no line with request id {request_id}")),
            Err(error) => missing.push(format!("{service}: {error}")),
        }
    }
    if missing.is_empty() {
        let services: Vec<&str> = made.served.iter().map(|(service, _)| *service).collect();
        pass(NAME, format!("found the request ids in the logs of {}", services.join(", ")))
    } else {
        fail(NAME, missing.join("; "))
    }
}
