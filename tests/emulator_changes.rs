//! End-to-end test of day two: the changes a user makes to a running stack, each planned,
//! applied and re-planned empty against the strict emulator. The first apply proves creation;
//! these prove that every everyday change applies after it (a new image for the service that uses
//! the cache used to fail: "address of cache is not known").

mod support;

use support::proxy::RecordingProxy;
use support::{
    changed_resources, endpoint, faults_injected, faults_off, lose_first_answers, unique_stack_name, wl_infra,
    wl_infra_as, wl_infra_at, Checker, TempDir,
};

/// The dev stack under a unique name, its frontend build beside it, and the way to change both.
struct RunningStack {
    directory: TempDir,
    name: String,
    text: String,
}

impl RunningStack {
    fn new() -> RunningStack {
        let directory = TempDir::new("changes");
        let name = unique_stack_name("day2");
        let text =
            include_str!("../stacks/dev.toml").replace("name = \"watchlist-dev\"", &format!("name = \"{name}\""));
        std::fs::create_dir_all(directory.0.join("stacks")).expect("a stacks directory");
        let stack = RunningStack { directory, name, text };
        stack.write_file("index.html", "<!doctype html><title>watchlist</title>");
        stack.write_file("assets/index-B7x2kQ9a.js", "console.log(1)");
        stack.write();
        stack
    }

    fn path(&self) -> String {
        self.directory.0.join("stacks").join("dev.toml").to_str().expect("a UTF-8 path").to_string()
    }

    fn write(&self) {
        std::fs::write(self.path(), &self.text).expect("the stack file");
    }

    /// A file of the built frontend (`source_dir = "../frontend/dist"`).
    fn write_file(&self, key: &str, content: &str) {
        let path = self.directory.0.join("frontend").join("dist").join(key);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a dist directory");
        std::fs::write(path, content).expect("a frontend file");
    }

    /// Replaces exactly one occurrence of `from` in the stack file.
    fn edit(&mut self, from: &str, to: &str) {
        assert_eq!(self.text.matches(from).count(), 1, "{from:?} occurs once in the stack file");
        self.text = self.text.replacen(from, to, 1);
        self.write();
    }

    /// Plans (expecting exactly `expected` changed), applies, and re-plans empty.
    fn change(&self, what: &str, extra: &[&str], expected: &[(&str, &str)]) {
        self.change_losing_answers(what, extra, expected, &[]);
    }

    /// As `change`, with the first answer to each of `lost_actions` ("service:Action") lost: AWS
    /// carries the request out and the SDK, hearing a 503, sends it again to a resource that is
    /// already changing.
    fn change_losing_answers(&self, what: &str, extra: &[&str], expected: &[(&str, &str)], lost_actions: &[&str]) {
        let path = self.path();
        let mut plan = vec!["plan", "--stack", path.as_str(), "--json", "--detailed-exitcode"];
        plan.extend_from_slice(extra);
        let planned = wl_infra(&plan);
        assert_eq!(planned.code, 2, "{what}: changes are planned\n{}{}", planned.stdout, planned.stderr);
        let document = support::plan_document(&planned.stdout);
        assert_eq!(changed_resources(&document), expected, "{what}: what the plan changes");
        let mut apply = vec!["apply", "--stack", path.as_str(), "--yes"];
        apply.extend_from_slice(extra);
        let applied = if lost_actions.is_empty() {
            wl_infra(&apply)
        } else {
            let access_key = format!("LOST{}", self.name.replace('-', "").to_uppercase());
            let before: Vec<u64> = lost_actions.iter().map(|action| faults_injected(action)).collect();
            lose_first_answers(&access_key, lost_actions);
            let applied = wl_infra_as(endpoint(), &access_key, &apply);
            faults_off(&access_key);
            for (action, before) in lost_actions.iter().zip(before) {
                assert!(faults_injected(action) > before, "{what}: the answer to {action} was lost once");
            }
            applied
        };
        assert_eq!(applied.code, 0, "{what}: apply\n{}", applied.stderr);
        let replanned = wl_infra(&["plan", "--stack", path.as_str(), "--detailed-exitcode"]);
        assert_eq!(replanned.code, 0, "{what}: re-planned empty\n{}{}", replanned.stdout, replanned.stderr);
    }
}

#[test]
fn every_everyday_change_to_a_running_stack_applies_and_converges() {
    let mut stack = RunningStack::new();
    let path = stack.path();
    wl_infra(&["apply", "--stack", &path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", &path, "--detailed-exitcode"]).expect_code(0);

    // A new image for every service: a new revision each, and each service rolled out on it
    // (the movie service's environment names the cache's address, which the plan keeps).
    stack.change(
        "a new image for every service",
        &["--image-tag", "user=v2", "--image-tag", "movie=v2", "--image-tag", "watchlist=v2"],
        &[
            ("update", "service-movie"),
            ("update", "service-user"),
            ("update", "service-watchlist"),
            ("update", "task-movie"),
            ("update", "task-user"),
            ("update", "task-watchlist"),
        ],
    );
    stack.change(
        "the movie service alone again",
        &["--image-tag", "movie=v3"],
        &[("update", "service-movie"), ("update", "task-movie")],
    );

    // A service's size, count and environment.
    stack.edit(
        "cpu = 256\nmemory = 512\ndesired_count = 1\npaths = [\"/api/movies\"",
        "cpu = 512\nmemory = 1024\ndesired_count = 2\npaths = [\"/api/movies\"",
    );
    stack.edit(
        "cache = true\nenvironment = { RUST_LOG = \"info\" }",
        "cache = true\nenvironment = { RUST_LOG = \"debug\" }",
    );
    stack.change(
        "the movie service's cpu, memory, count and environment",
        &[],
        &[("update", "service-movie"), ("update", "task-movie")],
    );

    // An alarm threshold, and how many images the registry keeps.
    stack.edit("cpu_percent = 80", "cpu_percent = 70");
    stack.edit("keep_images = 10", "keep_images = 5");
    stack.change(
        "an alarm threshold and keep_images",
        &[],
        &[
            ("update", "alarm-movie-cpu"),
            ("update", "alarm-user-cpu"),
            ("update", "alarm-watchlist-cpu"),
            ("update", "ecr-movie"),
            ("update", "ecr-user"),
            ("update", "ecr-watchlist"),
        ],
    );

    // A database's backup retention and instance class, in place.
    stack.edit(
        "[databases.movies]\ninstance_class = \"db.t3.micro\"\nstorage_gb = 20\nengine_version = \"16\"\nbackup_retention_days = 1",
        "[databases.movies]\ninstance_class = \"db.t3.small\"\nstorage_gb = 20\nengine_version = \"16\"\nbackup_retention_days = 7",
    );
    // Its connections alarm follows the class's default max_connections. The answer to the
    // ModifyDBInstance is lost once: the SDK's second request finds the instance modifying and RDS
    // refuses it ("Database instance is not in available state.").
    stack.change_losing_answers(
        "a database's instance class and backup retention",
        &[],
        &[("update", "alarm-db-movies-connections"), ("update", "db-movies")],
        &["rds:ModifyDBInstance"],
    );

    // The cache's node type, in place, with the answer to the ModifyReplicationGroup lost once.
    stack.edit("node_type = \"cache.t3.micro\"", "node_type = \"cache.t3.small\"");
    stack.change_losing_answers(
        "the cache's node type",
        &[],
        &[("update", "cache")],
        &["elasticache:ModifyReplicationGroup"],
    );
    // A replica (then failover on), the answers to both calls lost once: each second request finds
    // the cache busy with the first.
    stack.edit("replicas = 0", "replicas = 1");
    stack.change_losing_answers(
        "a cache replica",
        &[],
        &[("create", "alarm-cache-2-evictions"), ("create", "alarm-cache-2-memory"), ("update", "cache")],
        &["elasticache:IncreaseReplicaCount", "elasticache:ModifyReplicationGroup"],
    );

    // The movie service's port. The services' security group lets the new port in before the
    // service moves and closes the old one once its rollout is done, so the load balancer (and the
    // watchlist service, which calls movie) always reaches the tasks that run.
    stack.edit("port = 8002", "port = 8012");
    let proxy = RecordingProxy::start(endpoint());
    wl_infra_at(&proxy.url, &["apply", "--stack", &path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", &path, "--detailed-exitcode"]).expect_code(0);
    let requests = proxy.requests();
    let first = |action: &str, mentions: &str| {
        requests
            .iter()
            .position(|request| request.is_write && request.action == action && request.body.contains(mentions))
            .unwrap_or_else(|| panic!("{action} mentioning {mentions}: {:?}", proxy.writes()))
    };
    let let_in = first("ec2:AuthorizeSecurityGroupIngress", "8012");
    let moved = first("ecs:UpdateService", "\"movie\"");
    let closed = first("ec2:RevokeSecurityGroupIngress", "8002");
    assert!(let_in < moved && moved < closed, "let in at {let_in}, service moved at {moved}, closed at {closed}");

    // The frontend's price class (an UpdateDistribution that carries the whole configuration) and
    // a changed file (an upload and one invalidation).
    stack.edit(
        "[frontend]\nsource_dir = \"../frontend/dist\"",
        "[frontend]\nsource_dir = \"../frontend/dist\"\nprice_class = \"PriceClass_200\"",
    );
    stack.write_file("index.html", "<!doctype html><title>watchlist, day two</title>");
    stack.change(
        "the frontend's price class and a changed file",
        &[],
        &[("create", "frontend-invalidation"), ("update", "distribution"), ("update", "file:index.html")],
    );

    let checker = Checker::new("us-east-1");
    checker.runtime.block_on(async {
        let service = checker
            .ecs
            .describe_services()
            .cluster(&stack.name)
            .services("movie")
            .send()
            .await
            .expect("the movie service");
        assert_eq!(service.services()[0].desired_count(), 2);
    });

    // Destroy, with the answer to DeleteCluster lost once: the SDK's retry then hears
    // ClusterNotFoundException, which is success, and the log group Container Insights made for
    // the cluster (AWS makes it and never deletes it) still goes.
    let insights = format!("/aws/ecs/containerinsights/{}/performance", stack.name);
    checker.runtime.block_on(async {
        checker.logs.create_log_group().log_group_name(&insights).send().await.expect("the insights log group");
    });
    let access_key = format!("LOSTDELETE{}", stack.name.replace('-', "").to_uppercase());
    lose_first_answers(&access_key, &["ecs:DeleteCluster"]);
    let destroyed = wl_infra_as(endpoint(), &access_key, &["destroy", "--stack", &path, "--yes"]);
    faults_off(&access_key);
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
    assert_eq!(checker.total_owned(&stack.name), 0, "{:?}", checker.owned_counts(&stack.name));
    checker.runtime.block_on(async {
        let groups =
            checker.logs.describe_log_groups().log_group_name_prefix(&insights).send().await.expect("log groups");
        assert!(groups.log_groups().is_empty(), "the insights log group went with the cluster");
    });
}
