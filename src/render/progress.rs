//! The apply progress printer: on a terminal, one live line per step in flight (indicatif) over a
//! log of what finished; elsewhere (CI logs, pipes) one plain line per event.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Style;
use crate::apply::{Event, EventSink};

/// How often a "waiting" line of one step is repeated in a log: enough to show it is alive,
/// few enough to keep a 20-minute database creation short.
const WAITING_LINE_EVERY: Duration = Duration::from_secs(15);

/// Prints executor events to stderr.
pub struct ProgressPrinter {
    style: Style,
    /// `-q`: only what failed, and what was skipped for it.
    quiet: bool,
    display: Display,
}

enum Display {
    /// One line per event; "waiting" lines at most every [`WAITING_LINE_EVERY`] per step.
    Lines { last_waiting_line: Mutex<HashMap<String, Instant>> },
    /// A spinner line per step in flight, redrawn in place; finished steps are printed above them.
    Live { bars: MultiProgress, in_flight: Mutex<HashMap<String, ProgressBar>> },
}

impl ProgressPrinter {
    /// The printer for stderr: live lines on a terminal, plain lines otherwise.
    pub fn new(style: Style, terminal: bool, quiet: bool) -> ProgressPrinter {
        if terminal && !quiet {
            ProgressPrinter::live(style, ProgressDrawTarget::stderr())
        } else {
            ProgressPrinter { style, quiet, display: Display::Lines { last_waiting_line: Mutex::new(HashMap::new()) } }
        }
    }

    /// The live display, drawn to `target` (stderr, or an in-memory terminal in tests).
    pub fn live(style: Style, target: ProgressDrawTarget) -> ProgressPrinter {
        ProgressPrinter {
            style,
            quiet: false,
            display: Display::Live {
                bars: MultiProgress::with_draw_target(target),
                in_flight: Mutex::new(HashMap::new()),
            },
        }
    }

    /// Removes the live lines of steps still in flight (an interrupted run), so what is printed
    /// next starts on a clean line.
    pub fn clear(&self) {
        if let Display::Live { bars, in_flight } = &self.display {
            for (_, bar) in lock(in_flight).drain() {
                bar.finish_and_clear();
                bars.remove(&bar);
            }
            let _ = bars.clear();
        }
    }

    /// A line that stays: above the live lines on a terminal, or the next line of the log.
    fn line(&self, text: &str) {
        match &self.display {
            Display::Live { bars, .. } => {
                let _ = bars.println(text);
            }
            Display::Lines { .. } => {
                let _ = writeln!(std::io::stderr().lock(), "{text}");
            }
        }
    }

    /// The live line of a step: added when it starts, its message changed while it waits.
    fn live_line(&self, step: &str, message: String) {
        if let Display::Live { bars, in_flight } = &self.display {
            let mut in_flight = lock(in_flight);
            let bar = in_flight.entry(step.to_string()).or_insert_with(|| {
                let bar = bars.add(ProgressBar::new_spinner().with_style(spinner_style()));
                bar.set_prefix(step.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            });
            bar.set_message(message);
        }
    }

    /// Ends a step's live line (if it has one) and prints `text` in its place.
    fn finished(&self, step: &str, text: &str) {
        if let Display::Live { bars, in_flight } = &self.display {
            if let Some(bar) = lock(in_flight).remove(step) {
                bar.finish_and_clear();
                bars.remove(&bar);
            }
        }
        self.line(text);
    }

    fn waiting(&self, step: String, what: String, elapsed: Duration) {
        match &self.display {
            Display::Live { .. } => self.live_line(&step, format!("{what} ({})", seconds(elapsed))),
            Display::Lines { last_waiting_line } => {
                let mut last = lock(last_waiting_line);
                let due = last.get(&step).is_none_or(|at| at.elapsed() >= WAITING_LINE_EVERY);
                if due {
                    last.insert(step.clone(), Instant::now());
                    drop(last);
                    self.line(&format!("{} {what} ({}) for {step}", self.style.dim("waiting  "), seconds(elapsed)));
                }
            }
        }
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {prefix} {wide_msg:.dim} {elapsed:>4}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
        let live = matches!(self.display, Display::Live { .. });
        match event {
            Event::Started { step } if live => self.live_line(&step, "started".to_string()),
            Event::Started { step } => self.line(&format!("{} {step}", style.dim("started  "))),
            Event::Note { step, message } => self.line(&format!("{} {step}: {message}", style.dim("event    "))),
            Event::Succeeded { step, elapsed } => {
                self.finished(&step, &format!("{} {step} ({})", style.green("done     "), seconds(elapsed)))
            }
            Event::Failed { step, error } => self.finished(&step, &format!("{} {step}: {error}", style.red("failed   "))),
            Event::Skipped { step, because } => {
                self.finished(&step, &format!("{} {step}: {because} failed", style.yellow("skipped  ")))
            }
            Event::Retrying { step, error, attempt, delay } => {
                if live {
                    self.live_line(&step, format!("retrying in {}", seconds(delay)));
                }
                self.line(&format!(
                    "{} {step} in {} (attempt {} failed: {error})",
                    style.yellow("retrying "),
                    seconds(delay),
                    attempt
                ))
            }
            Event::Interrupting { running } => self.line(&format!(
                "{} letting {running} step(s) in flight finish; no new step starts (a second Ctrl-C or SIGTERM stops at once)",
                style.yellow("interrupt")
            )),
            Event::Waiting { step, what, elapsed } => self.waiting(step, what, elapsed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits until the in-memory terminal shows what `done` accepts (indicatif draws at most 20
    /// times a second), and returns the screen.
    fn screen_when(terminal: &indicatif::InMemoryTerm, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let contents = terminal.contents();
            if done(&contents) || Instant::now() > deadline {
                return contents;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn on_a_terminal_every_step_in_flight_has_its_own_line_and_finished_steps_stay_above() {
        let terminal = indicatif::InMemoryTerm::new(20, 120);
        let printer =
            ProgressPrinter::live(Style { color: false }, ProgressDrawTarget::term_like(Box::new(terminal.clone())));
        for step in ["create db_instance.movies", "create db_instance.users", "create nat_gateway.a"] {
            printer.event(Event::Started { step: step.to_string() });
        }
        printer.event(Event::Waiting {
            step: "create db_instance.movies".into(),
            what: "until available".into(),
            elapsed: Duration::from_secs(61),
        });
        printer.event(Event::Waiting {
            step: "create db_instance.users".into(),
            what: "until available".into(),
            elapsed: Duration::from_secs(59),
        });
        let both = |screen: &str| screen.contains("(61.0s)") && screen.contains("(59.0s)");
        let screen = screen_when(&terminal, both);
        assert!(both(&screen), "both waits are shown at once, not only the last:\n{screen}");
        assert!(screen.contains("create nat_gateway.a started"), "{screen}");

        printer.event(Event::Succeeded { step: "create nat_gateway.a".into(), elapsed: Duration::from_secs(3) });
        let finished = |screen: &str| screen.contains("done      create nat_gateway.a (3.0s)");
        let screen = screen_when(&terminal, |screen| finished(screen) && !screen.contains("nat_gateway.a started"));
        assert!(finished(&screen), "a finished step is printed as a line that stays:\n{screen}");
        assert!(!screen.contains("nat_gateway.a started"), "its live line is gone:\n{screen}");
        let lines: Vec<&str> = screen.lines().filter(|line| !line.trim().is_empty()).collect();
        assert!(lines[0].starts_with("done"), "finished steps above the live lines:\n{screen}");
        assert!(screen.contains("db_instance.movies") && screen.contains("db_instance.users"), "{screen}");

        printer.clear();
        let screen = screen_when(&terminal, |screen| !screen.contains("db_instance"));
        assert!(!screen.contains("db_instance"), "no live line is left after clear:\n{screen}");
        assert!(screen.contains("done      create nat_gateway.a"), "{screen}");
    }
}
