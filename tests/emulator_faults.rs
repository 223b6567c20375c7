//! Fault injection: with a fifth of wl-infra's requests failing (throttling in each protocol's
//! shape, 500s, 503s, and requests carried out whose answer is lost), one apply and one destroy
//! still converge, and no resource ever exists twice.

mod support;

use support::{emulator_control, endpoint, unique_stack_name, wl_infra, wl_infra_as, Checker, StackFile, TempDir};

/// Runs `command` once with faults: it must succeed, and a fault-free `check` must agree.
fn converge_under_faults(access_key: &str, command: &[&str], check: &[&str]) {
    let run = wl_infra_as(endpoint(), access_key, command);
    assert_eq!(run.code, 0, "{command:?} failed under faults:\n{}", run.stderr);
    let checked = wl_infra(check);
    assert_eq!(checked.code, 0, "{check:?} after {command:?} under faults:\n{}{}", checked.stdout, checked.stderr);
}

#[test]
fn with_a_fifth_of_requests_failing_apply_and_destroy_converge_without_duplicates() {
    let directory = TempDir::new("faults");
    let mut stack = StackFile::new(&unique_stack_name("flt"));
    stack.cache = Some(("cache.t3.micro".into(), 1));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    let access_key = format!("FAULTY{}", stack.name.replace('-', "").to_uppercase());
    let settings = format!(
        r#"{{"rate": 0.2, "access_key": "{access_key}", "kinds": ["throttle", "500", "503", "lost", "drop", "drop-after"], "seed": 11}}"#
    );
    let before = emulator_control("GET", "/wl-api/requests", "");
    emulator_control("POST", "/wl-api/faults", &settings);

    converge_under_faults(
        &access_key,
        &["apply", "--stack", path, "--yes"],
        &["plan", "--stack", path, "--detailed-exitcode"],
    );
    let checker = Checker::new("us-east-1");
    let counts = checker.owned_counts(&stack.name);
    assert_eq!(counts, support::converged_counts(1, 2), "every resource exactly once");

    converge_under_faults(&access_key, &["destroy", "--stack", path, "--yes"], &["destroy", "--stack", path, "--yes"]);
    assert_eq!(checker.total_owned(&stack.name), 0, "{:?}", checker.owned_counts(&stack.name));
    support::faults_off(&access_key);

    let after = emulator_control("GET", "/wl-api/requests", "");
    let faults = |document: &serde_json::Value| -> u64 {
        document["faults"].as_object().map_or(0, |faults| faults.values().filter_map(serde_json::Value::as_u64).sum())
    };
    let injected = faults(&after).saturating_sub(faults(&before));
    assert!(injected >= 10, "faults were really injected ({injected})");
    support::note(&format!("fault injection: {injected} faults; apply and destroy each converged in one run"));
}

/// When a test kills an apply.
enum Kill<'a> {
    After(u64),
    /// While the emulator holds a create of this kind pending (`/wl-api/pending` "hold") and the
    /// apply has started this step: its create, or its wait for what an earlier run created.
    WhilePending {
        kind: &'a str,
        step: &'a str,
    },
}

/// Whether the emulator holds a create of `kind` made with `access_key` pending now.
fn held(access_key: &str, kind: &str) -> bool {
    let document = emulator_control("GET", "/wl-api/pending", "");
    document["held"]
        .as_array()
        .expect("the held creates")
        .iter()
        .any(|entry| entry["access_key"] == access_key && entry["kind"] == kind)
}

/// `wl-infra apply` as `access_key` sees it, and the lines of its progress as they come.
fn spawn_apply(path: &str, access_key: &str) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wl-infra"))
        .args(["apply", "--stack", path, "--yes"])
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", access_key)
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("wl-infra starts");
    let stderr = child.stderr.take().expect("the progress");
    let (sender, progress) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    (child, progress)
}

#[test]
fn an_apply_killed_at_any_point_is_finished_by_the_next_one_without_twins_or_orphans() {
    let directory = TempDir::new("sigkill");
    let mut stack = StackFile::new(&unique_stack_name("kill"));
    stack.cache = Some(("cache.t3.micro".into(), 0));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    // Throttling slows the apply down to seconds, so the kills land at different stages.
    let access_key = format!("SLOW{}", stack.name.replace('-', "").to_uppercase());
    let settings =
        format!(r#"{{"rate": 0.3, "access_key": "{access_key}", "kinds": ["throttle", "lost"], "seed": 5}}"#);
    emulator_control("POST", "/wl-api/faults", &settings);
    // What this key creates of these kinds stays pending until the test lets it go, as on AWS
    // (a database is `creating` for minutes, with no endpoint yet): the kills leave them half made.
    let hold = format!(r#"{{"access_key": "{access_key}", "hold": ["nat", "rds", "cache"]}}"#);
    emulator_control("POST", "/wl-api/pending", &hold);
    // Three kills at set times, then one while each slow kind is pending: the NAT gateway, the
    // database, the cache, each let go after its kill.
    let kills = [
        Kill::After(150),
        Kill::After(600),
        Kill::After(1500),
        Kill::WhilePending { kind: "nat", step: "nat_gateway nat-1" },
        Kill::WhilePending { kind: "rds", step: "db_instance db-main" },
        Kill::WhilePending { kind: "cache", step: "cache_replication_group cache" },
    ];
    // The kind the last kill left held: let go before the next run starts, so each run meets
    // what the one before left pending; the last stays held for the plan below.
    let mut left_held: Option<&str> = None;
    for kill in kills {
        if let Some(kind) = left_held.take() {
            let release = format!(r#"{{"access_key": "{access_key}", "kinds": ["{kind}"]}}"#);
            emulator_control("POST", "/wl-api/pending/release", &release);
        }
        let (mut child, mut progress) = spawn_apply(path, &access_key);
        left_held = match kill {
            Kill::After(milliseconds) => {
                std::thread::sleep(std::time::Duration::from_millis(milliseconds));
                None
            }
            Kill::WhilePending { kind, step } => {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
                let mut lines: Vec<String> = Vec::new();
                let mut step_started = false;
                let mut polled = std::time::Instant::now();
                loop {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "the apply started `{step}` and the emulator holds its {kind} pending:\n{}",
                        lines.join("\n")
                    );
                    match progress.recv_timeout(std::time::Duration::from_millis(100)) {
                        Ok(line) => {
                            step_started |= line.starts_with("started") && line.contains(step);
                            lines.push(line);
                        }
                        // The run ended on its own before the step (its retries ran out under
                        // the injected faults): the next run goes on from where it stopped.
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                            let _ = child.wait();
                            (child, progress) = spawn_apply(path, &access_key);
                        }
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    }
                    if step_started && polled.elapsed() >= std::time::Duration::from_millis(200) {
                        if held(&access_key, kind) {
                            break;
                        }
                        polled = std::time::Instant::now();
                    }
                }
                Some(kind)
            }
        };
        // SIGKILL: no chance to clean up, as when a CI runner dies.
        let _ = child.kill();
        let _ = child.wait();
    }
    support::faults_off(&access_key);
    emulator_control("POST", "/wl-api/pending", &format!(r#"{{"access_key": "{access_key}", "hold": []}}"#));
    // The next plan sees what the killed runs left pending, and waits for it before anything
    // reads its attributes (a database's address, a cache's endpoint).
    let planned = wl_infra(&["plan", "--stack", path, "--json"]).expect_code(0);
    let document = support::plan_document(&planned.stdout);
    let waits: Vec<&str> = document["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|change| !change["waits_for"].is_null())
        .filter_map(|change| change["id"].as_str())
        .collect();
    assert!(waits.contains(&"cache"), "the cache the last kill left pending is waited for: {waits:?}");
    // The next apply waits for it. What is held is let go only once that wait has started: once
    // let go, any describe of every cache (another test's discovery) moves it on, and the apply
    // could find it available already.
    let (mut finishing, progress) = spawn_apply(path, &access_key);
    wait_for_line(&progress, 120, |line| line.starts_with("started") && line.contains("wait for "));
    emulator_control("POST", "/wl-api/pending/release", &format!(r#"{{"access_key": "{access_key}"}}"#));
    let status = finishing.wait().expect("the apply ends");
    let rest: Vec<String> = progress.iter().collect();
    assert_eq!(status.code(), Some(0), "{}", rest.join("\n"));
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    let checker = Checker::new("us-east-1");
    let counts = checker.owned_counts(&stack.name);
    assert_eq!(counts, support::converged_counts(1, 1), "every resource exactly once");
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&stack.name), 0, "{:?}", checker.owned_counts(&stack.name));
}

/// Waits for a line of the apply's progress that `wanted` accepts, failing after `seconds`.
fn wait_for_line(progress: &std::sync::mpsc::Receiver<String>, seconds: u64, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let mut lines = Vec::new();
    while std::time::Instant::now() < deadline {
        if let Ok(line) = progress.recv_timeout(std::time::Duration::from_millis(100)) {
            if wanted(&line) {
                return line;
            }
            lines.push(line);
        }
    }
    panic!("no such line within {seconds} s:\n{}", lines.join("\n"));
}

fn terminate(child: &std::process::Child) {
    let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(status.is_ok_and(|status| status.success()), "kill -TERM");
}

#[test]
fn sigterm_finishes_the_steps_in_flight_and_a_second_one_stops_at_once() {
    let directory = TempDir::new("sigterm");
    let stack = StackFile::new(&unique_stack_name("term"));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    let access_key = format!("TERM{}", stack.name.replace('-', "").to_uppercase());
    emulator_control("POST", "/wl-api/pending", &format!(r#"{{"access_key": "{access_key}", "hold": ["rds"]}}"#));

    // Two SIGTERMs while the database is being made: the second stops the run at once, with 130,
    // and the database stays `creating` (held) for the next run.
    let (mut child, progress) = spawn_apply(path, &access_key);
    while !held(&access_key, "rds") {
        assert!(child.try_wait().expect("the apply runs").is_none(), "the apply reached the database");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    terminate(&child);
    wait_for_line(&progress, 30, |line| line.starts_with("interrupted: finishing the steps in flight"));
    let second = std::time::Instant::now();
    terminate(&child);
    let status = child.wait().expect("the apply ends");
    assert_eq!(status.code(), Some(130));
    assert!(second.elapsed() < std::time::Duration::from_secs(5), "at once, not after the held database");

    // One SIGTERM (a cancelled CI job) while the next run waits for that database: nothing new
    // starts, the step in flight finishes once AWS lets it, and the run exits 1 saying how to go
    // on. (Only the database is held, so no other step can still be in flight at its end.)
    let (mut child, progress) = spawn_apply(path, &access_key);
    wait_for_line(&progress, 120, |line| line.starts_with("started") && line.contains("db_instance db-main"));
    terminate(&child);
    wait_for_line(&progress, 30, |line| line.starts_with("interrupted: finishing the steps in flight"));
    emulator_control(
        "POST",
        "/wl-api/pending/release",
        &format!(r#"{{"access_key": "{access_key}", "kinds": ["rds"]}}"#),
    );
    let status = child.wait().expect("the apply ends");
    assert_eq!(status.code(), Some(1));
    let rest: Vec<String> = progress.iter().collect();
    assert!(
        rest.iter().any(|line| line.contains("interrupted: run the same command again to continue")),
        "{}",
        rest.join("\n")
    );
    assert!(
        rest.iter().any(|line| line.starts_with("done") && line.contains("db_instance db-main")),
        "the database's step finished: {}",
        rest.join("\n")
    );

    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
}

/// The stack's KMS key has neither a client token nor a unique name, and is found by its alias:
/// with the answers to CreateKey and CreateAlias lost once each, the apply still makes one key
/// with its alias, not an orphan beside it.
#[test]
fn a_lost_answer_to_create_key_or_create_alias_leaves_one_key_with_its_alias() {
    let directory = TempDir::new("lostkey");
    let mut stack = StackFile::new(&unique_stack_name("key"));
    stack.frontend = false;
    stack.alarms = format!("notify = [\"{}@example.com\"]\n", stack.name);
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    let access_key = format!("LOSTKEY{}", stack.name.replace('-', "").to_uppercase());
    let actions = ["kms:CreateKey", "kms:CreateAlias"];
    let lost = || actions.map(support::faults_injected);
    let before = lost();
    support::lose_first_answers(&access_key, &actions);
    let applied = wl_infra_as(endpoint(), &access_key, &["apply", "--stack", path, "--yes"]);
    support::faults_off(&access_key);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let after = lost();
    assert!(after[0] > before[0] && after[1] > before[1], "both answers were lost: {before:?} then {after:?}");

    let checker = Checker::new("us-east-1");
    let own_keys = || -> Vec<String> {
        checker.runtime.block_on(async {
            let mut own = Vec::new();
            let keys = checker.kms.list_keys().limit(1000).send().await.expect("keys");
            for key in keys.keys() {
                let key_id = key.key_id().unwrap_or_default();
                let described = checker.kms.describe_key().key_id(key_id).send().await.expect("a key");
                if described.key_metadata().and_then(|m| m.key_state()) != Some(&aws_sdk_kms::types::KeyState::Enabled)
                {
                    continue;
                }
                let tags = checker.kms.list_resource_tags().key_id(key_id).send().await.expect("its tags");
                if tags.tags().iter().any(|tag| tag.tag_key() == "wl:stack" && tag.tag_value() == stack.name) {
                    own.push(key_id.to_string());
                }
            }
            own
        })
    };
    let keys = own_keys();
    assert_eq!(keys.len(), 1, "one key of the stack: {keys:?}");
    let aliased = checker.runtime.block_on(async {
        let key = checker.kms.describe_key().key_id(format!("alias/{}-alerts", stack.name)).send().await;
        key.expect("the alias names a key").key_metadata().map(|m| m.key_id().to_string())
    });
    assert_eq!(aliased.as_ref(), keys.first(), "the alias names that key");
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert!(own_keys().is_empty(), "the key is scheduled for deletion");
}
