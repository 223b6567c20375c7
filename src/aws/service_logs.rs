//! The services' log lines in CloudWatch Logs, for `wl-infra verify`: whether a service's log
//! group holds a line with a request id. Lines arrive some seconds after the request
//! (PutLogEvents from the awslogs driver, then ingestion), so the search is repeated for a while.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::{Clients, SdkResultExt};
use crate::verify::LogSource;

/// How long a line may take to be searchable.
const ARRIVAL: Duration = Duration::from_secs(60);

pub struct CloudWatchLogs {
    pub clients: Clients,
}

impl LogSource for CloudWatchLogs {
    fn contains<'a>(
        &'a self,
        service: &'a str,
        needle: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>> {
        Box::pin(async move {
            let group = crate::graph::log_group_name(&self.clients.stack, service);
            let since = std::time::SystemTime::now()
                .checked_sub(Duration::from_secs(15 * 60))
                .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |elapsed| elapsed.as_millis() as i64);
            let started = std::time::Instant::now();
            loop {
                let found = self
                    .clients
                    .logs
                    .filter_log_events()
                    .log_group_name(&group)
                    .start_time(since)
                    // A quoted term matches the exact text (CloudWatch Logs filter pattern syntax).
                    .filter_pattern(format!("\"{needle}\""))
                    .limit(1)
                    .send()
                    .await
                    .aws("FilterLogEvents", &group)
                    .map_err(|error| error.to_string())?;
                if !found.events().is_empty() {
                    return Ok(true);
                }
                if started.elapsed() >= ARRIVAL {
                    return Ok(false);
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        })
    }
}
