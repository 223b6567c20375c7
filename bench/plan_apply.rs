//! Benchmark: wall time and AWS request counts of apply-from-empty, converged plan and destroy
//! against the local emulator, as the number of services grows. Prints a table; asserts nothing.
//!
//! Run: cargo run --release --example plan_apply [-- 1 5 10 20]
//!
//! With `WL_EMULATOR_PROFILE=realistic` (and `WL_EMULATOR_SCALE`, default 0.02) the emulator keeps
//! each slow resource pending for AWS's typical time, scaled; the table then also shows the
//! stack's critical path computed from the same delays, which apply's wall time should approach.

#[path = "../tests/support/proxy.rs"]
#[allow(dead_code)]
mod proxy;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use wl_infra::apply::{self, Event, EventSink, ExecuteOptions};
use wl_infra::aws::{self, Connection};
use wl_infra::ops::{self, Goal};

struct Quiet;

impl EventSink for Quiet {
    fn event(&self, event: Event) {
        if let Event::Failed { step, error } = event {
            eprintln!("failed: {step}: {error}");
        }
    }
}

/// AWS's typical seconds until a resource of `kind` is ready (what the emulator's realistic
/// profile scales); kinds not listed are ready within a call.
fn typical_seconds(kind: wl_infra::graph::Kind) -> f64 {
    use wl_infra::graph::Kind;
    match kind {
        Kind::DbInstance => 300.0,
        Kind::CacheReplicationGroup => 360.0,
        Kind::NatGateway => 90.0,
        Kind::LoadBalancer => 150.0,
        Kind::Distribution => 180.0,
        Kind::EcsService => 60.0,
        _ => 0.0,
    }
}

/// The longest chain of waits through the plan's steps: no apply can be faster.
fn critical_path_seconds(plan: &wl_infra::plan::Plan, scale: f64) -> f64 {
    fn finish(index: usize, plan: &wl_infra::plan::Plan, scale: f64, memo: &mut Vec<Option<f64>>) -> f64 {
        if let Some(done) = memo[index] {
            return done;
        }
        let step = &plan.steps[index];
        let start = step.after.iter().map(|before| finish(*before, plan, scale, memo)).fold(0.0, f64::max);
        let own = if matches!(step.operation, wl_infra::plan::Operation::Create { .. }) {
            typical_seconds(step.kind) * scale
        } else {
            0.0
        };
        memo[index] = Some(start + own);
        start + own
    }
    let mut memo = vec![None; plan.steps.len()];
    (0..plan.steps.len()).map(|index| finish(index, plan, scale, &mut memo)).fold(0.0, f64::max)
}

fn stack_text(name: &str, services: usize, dist: &std::path::Path) -> String {
    let mut text = format!(
        "[stack]\nname = \"{name}\"\nregion = \"us-east-1\"\n\n[network]\ncidr = \"10.0.0.0/16\"\navailability_zones = 3\nnat_gateways = 3\n\n[databases.main]\ninstance_class = \"db.t3.micro\"\nstorage_gb = 20\nengine_version = \"16\"\n\n[cache]\nnode_type = \"cache.t3.micro\"\n\n[frontend]\nsource_dir = \"{}\"\n\n",
        dist.display()
    );
    for index in 0..services {
        text.push_str(&format!(
            "[services.svc{index}]\nport = {}\ncpu = 256\nmemory = 512\npaths = [\"/api/svc{index}\", \"/api/svc{index}/*\"]\ndatabase = \"main\"\ncache = {}\n\n",
            8000 + index,
            index == 0
        ));
    }
    text
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|arg| arg.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![1, 5, 10, 20] } else { sizes };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let run_dir = std::env::temp_dir().join(format!("wl-bench-{}", std::process::id()));
    std::fs::create_dir_all(&run_dir).expect("a run directory");
    let dist = run_dir.join("dist");
    std::fs::create_dir_all(dist.join("assets")).expect("a dist directory");
    std::fs::write(dist.join("index.html"), "<!doctype html><title>bench</title>").expect("index.html");
    std::fs::write(dist.join("assets/app-0a1b2c3d.js"), "console.log(1)").expect("a script");
    let realistic = std::env::var("WL_EMULATOR_PROFILE").is_ok_and(|profile| profile == "realistic");
    let scale: f64 = std::env::var("WL_EMULATOR_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(0.02);
    let started = std::process::Command::new(root.join("localstack/start"))
        .arg("--free-port")
        .env("WL_EMULATOR_RUN_DIR", &run_dir)
        .output()
        .expect("localstack/start runs");
    assert!(started.status.success(), "the emulator did not start: {}", String::from_utf8_lossy(&started.stderr));
    let endpoint = String::from_utf8_lossy(&started.stdout).trim().to_string();
    std::env::set_var("AWS_ACCESS_KEY_ID", "test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    let recording = proxy::RecordingProxy::start(&endpoint);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");

    if realistic {
        println!("realistic emulator profile, real-AWS durations scaled by {scale}");
    }
    println!("services  resources  apply_s  critical_path_s  apply_requests  plan_s  plan_requests  destroy_s  destroy_requests");
    for services in sizes {
        let name = format!("bench-{services}");
        let stack = wl_infra::stack::parse("bench.toml", &stack_text(&name, services, &dist)).expect("a valid stack");
        let connection = Connection { endpoint_url: Some(recording.url.clone()) };
        let figures = runtime.block_on(async {
            let clients = aws::connect(&stack.name, &stack.region, &connection).await;
            let mut figures = Vec::new();
            let mut resources = 0;
            let mut critical_path = 0.0;
            for goal in [Goal::Apply, Goal::Apply, Goal::Destroy] {
                recording.clear();
                let timer = Instant::now();
                let (plan, live) =
                    ops::read_and_plan(&clients, &stack, goal, &Default::default()).await.expect("a plan");
                resources = resources.max(plan.changes.len());
                if goal == Goal::Apply && critical_path == 0.0 {
                    critical_path = critical_path_seconds(&plan, if realistic { scale } else { 0.0 });
                }
                let report = apply::execute(
                    Arc::new(clients.clone()),
                    &plan,
                    &live,
                    &ExecuteOptions::default(),
                    Arc::new(Quiet),
                    Arc::new(AtomicBool::new(false)),
                )
                .await;
                assert!(report.is_success(), "{:?}", report.failed);
                figures.push((timer.elapsed().as_secs_f64(), recording.requests().len()));
            }
            (resources, critical_path, figures)
        });
        let (resources, critical_path, figures) = figures;
        println!(
            "{services:>8}  {resources:>9}  {:>7.2}  {critical_path:>15.2}  {:>14}  {:>6.2}  {:>13}  {:>9.2}  {:>16}",
            figures[0].0, figures[0].1, figures[1].0, figures[1].1, figures[2].0, figures[2].1
        );
    }
    let _ = std::process::Command::new(root.join("localstack/stop")).env("WL_EMULATOR_RUN_DIR", &run_dir).status();
    let _ = std::fs::remove_dir_all(&run_dir);
}
