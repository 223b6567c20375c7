//! The apply progress printer: one line per event on stderr, rewritten in place on a terminal.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Style;
use crate::apply::{Event, EventSink};

/// Prints executor events to stderr. Without a terminal, "waiting" lines are printed at most every
/// 15 s per step so logs stay short; on a terminal the latest one is redrawn in place.
pub struct ProgressPrinter {
    style: Style,
    terminal: bool,
    /// `-q`: only what failed, and what was skipped for it.
    quiet: bool,
    last_waiting_line: Mutex<HashMap<String, Instant>>,
    status_line_shown: Mutex<bool>,
}

impl ProgressPrinter {
    pub fn new(style: Style, terminal: bool, quiet: bool) -> ProgressPrinter {
        ProgressPrinter {
            style,
            terminal,
            quiet,
            last_waiting_line: Mutex::new(HashMap::new()),
            status_line_shown: Mutex::new(false),
        }
    }

    fn line(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let mut shown = self.status_line_shown.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if *shown {
            let _ = write!(stderr, "\r\x1b[2K");
            *shown = false;
        }
        let _ = writeln!(stderr, "{text}");
    }

    fn status(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let mut shown = self.status_line_shown.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = write!(stderr, "\r\x1b[2K{text}");
        let _ = stderr.flush();
        *shown = true;
    }
}

pub fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

impl EventSink for ProgressPrinter {
    fn event(&self, event: Event) {
        let style = self.style;
        if self.quiet && !matches!(event, Event::Failed { .. } | Event::Skipped { .. }) {
            return;
        }
        match event {
            Event::Started { step } => self.line(&format!("{} {step}", style.dim("started  "))),
            Event::Note { step, message } => self.line(&format!("{} {step}: {message}", style.dim("event    "))),
            Event::Succeeded { step, elapsed } => self.line(&format!("{} {step} ({})", style.green("done     "), seconds(elapsed))),
            Event::Failed { step, error } => self.line(&format!("{} {step}: {error}", style.red("failed   "))),
            Event::Skipped { step, because } => self.line(&format!("{} {step}: {because} failed", style.yellow("skipped  "))),
            Event::Retrying { step, error, attempt, delay } => self.line(&format!(
                "{} {step} in {} (attempt {} failed: {error})",
                style.yellow("retrying "),
                seconds(delay),
                attempt
            )),
            Event::Interrupting { running } => self.line(&format!(
                "{} letting {running} step(s) in flight finish; no new step starts (a second Ctrl-C or SIGTERM stops at once)",
                style.yellow("interrupt")
            )),
            Event::Waiting { step, what, elapsed } => {
                let text = format!("{} {what} ({}) for {step}", style.dim("waiting  "), seconds(elapsed));
                if self.terminal {
                    self.status(&text);
                } else {
                    let mut last = self.last_waiting_line.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    let due = last.get(&step).is_none_or(|at| at.elapsed() >= Duration::from_secs(15));
                    if due {
                        last.insert(step, Instant::now());
                        drop(last);
                        self.line(&text);
                    }
                }
            }
        }
    }
}
