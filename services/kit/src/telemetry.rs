//! Structured JSON logs on stdout, filtered by `RUST_LOG` (default `info`).

pub fn init(rust_log: Option<&str>) {
    let filter = tracing_subscriber::EnvFilter::try_new(rust_log.unwrap_or("info"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ =
        tracing_subscriber::fmt().json().with_current_span(false).with_target(false).with_env_filter(filter).try_init();
}
