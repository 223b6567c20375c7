//! Benchmark: wall time and AWS request counts of apply-from-empty, converged plan and destroy
//! against the local emulator, as the number of services grows. Prints a table; asserts nothing.
//!
//! Run: cargo run --release --example plan_apply [-- 1 5 10 20]

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

fn stack_text(name: &str, services: usize) -> String {
    let mut text = format!(
        "[stack]\nname = \"{name}\"\nregion = \"us-east-1\"\n\n[network]\ncidr = \"10.0.0.0/16\"\navailability_zones = 3\nnat_gateways = 3\n\n[databases.main]\ninstance_class = \"db.t3.micro\"\nstorage_gb = 20\nengine_version = \"16\"\n\n[cache]\nnode_type = \"cache.t3.micro\"\n\n[frontend]\nsource_dir = \"dist\"\n\n"
    );
    for index in 0..services {
        text.push_str(&format!(
            "[services.svc{index}]\nport = {}\ncpu = 256\nmemory = 512\npaths = [\"/api/svc{index}\", \"/api/svc{index}/*\"]\ndatabase = \"main\"\n\n",
            8000 + index
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

    println!("services  resources  apply_s  apply_requests  plan_s  plan_requests  destroy_s  destroy_requests");
    for services in sizes {
        let name = format!("bench-{services}");
        let stack = wl_infra::stack::parse("bench.toml", &stack_text(&name, services)).expect("a valid stack");
        let connection = Connection { endpoint_url: Some(recording.url.clone()) };
        let figures = runtime.block_on(async {
            let clients = aws::connect(&stack.name, &stack.region, &connection).await;
            let mut figures = Vec::new();
            let mut resources = 0;
            for goal in [Goal::Apply, Goal::Apply, Goal::Destroy] {
                recording.clear();
                let timer = Instant::now();
                let (plan, live) =
                    ops::read_and_plan(&clients, &stack, goal, &Default::default()).await.expect("a plan");
                resources = resources.max(plan.changes.len());
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
            (resources, figures)
        });
        let (resources, figures) = figures;
        println!(
            "{services:>8}  {resources:>9}  {:>7.2}  {:>14}  {:>6.2}  {:>13}  {:>9.2}  {:>16}",
            figures[0].0, figures[0].1, figures[1].0, figures[1].1, figures[2].0, figures[2].1
        );
    }
    let _ = std::process::Command::new(root.join("localstack/stop")).env("WL_EMULATOR_RUN_DIR", &run_dir).status();
    let _ = std::fs::remove_dir_all(&run_dir);
}
