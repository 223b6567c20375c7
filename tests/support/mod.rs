//! The integration-test harness: one emulator per test run, a request-counting proxy, the
//! `wl-infra` binary run as a user would, and independent AWS checks of what it left behind.

#![allow(dead_code)]

pub mod proxy;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The emulator's endpoint: `WL_TEST_AWS_ENDPOINT` when the test script started one, otherwise
/// one started here for this test process (it stops when the process exits).
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(url) = std::env::var("WL_TEST_AWS_ENDPOINT") {
            return url;
        }
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("localstack/serve-for-parent");
        let child: Child = Command::new(&script)
            .arg(port.to_string())
            // Resources pass through their pending states, so the waiters really wait.
            .env("WL_EMULATOR_PROFILE", "fast")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start the emulator with {}: {error}", script.display()));
        // The pipe to the script's stdin stays open for the life of this process.
        std::mem::forget(child);
        let url = format!("http://127.0.0.1:{port}");
        wait_for_emulator(&url);
        url
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

fn wait_for_emulator(url: &str) {
    let address = url.trim_start_matches("http://").to_string();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        if std::net::TcpStream::connect(&address).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("the emulator did not answer on {url} within 120 s; run localstack/install and check that python3 works");
}

/// A unique, valid stack name for one test, so tests can share the emulator.
pub fn unique_stack_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{prefix}-{:x}{}", nanos % 0xfffff, COUNTER.fetch_add(1, Ordering::SeqCst))
}

/// A temporary directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("wl-infra-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The built frontend a test stack file's `[frontend]` points at.
pub const FRONTEND_FILES: [(&str, &str); 2] = [
    ("index.html", "<!doctype html><title>watchlist</title><script src=\"/assets/app-1a2b3c4d.js\"></script>"),
    ("assets/app-1a2b3c4d.js", "console.log('watchlist');"),
];

/// A stack file for tests: the network slice with `services` and an optional frontend.
pub struct StackFile {
    pub name: String,
    pub region: String,
    pub availability_zones: u8,
    pub nat_gateways: u8,
    pub keep_images: u32,
    pub services: Vec<String>,
    pub frontend: bool,
    /// Extra database entries besides `main`, which the services use.
    pub extra_databases: Vec<String>,
    /// The settings of every database entry.
    pub database_settings: String,
    /// `[cache]` node type and replica count, when the stack has a cache.
    pub cache: Option<(String, u8)>,
    /// Ports other than each service's usual one.
    pub ports: std::collections::BTreeMap<String, u16>,
    /// `[stack] allow_data_loss`.
    pub allow_data_loss: Vec<String>,
    /// The body of `[alarms]` (no section when empty).
    pub alarms: String,
    /// Further sections, as written.
    pub extra: String,
}

impl StackFile {
    pub fn new(name: &str) -> StackFile {
        StackFile {
            name: name.to_string(),
            region: "us-east-1".to_string(),
            availability_zones: 2,
            nat_gateways: 1,
            keep_images: 10,
            services: vec!["user".into(), "movie".into()],
            frontend: true,
            extra_databases: Vec::new(),
            database_settings: "instance_class = \"db.t3.micro\"\nstorage_gb = 20\nengine_version = \"16\"\n".into(),
            cache: None,
            ports: Default::default(),
            allow_data_loss: Vec::new(),
            alarms: String::new(),
            extra: String::new(),
        }
    }

    pub fn render(&self) -> String {
        let mut text = format!(
            "[stack]\nname = \"{}\"\nregion = \"{}\"\nallow_data_loss = {:?}\n\n[network]\ncidr = \"10.0.0.0/16\"\navailability_zones = {}\nnat_gateways = {}\n\n[registry]\nkeep_images = {}\n\n",
            self.name, self.region, self.allow_data_loss, self.availability_zones, self.nat_gateways, self.keep_images
        );
        if let Some((node_type, replicas)) = &self.cache {
            text.push_str(&format!("[cache]\nnode_type = \"{node_type}\"\nreplicas = {replicas}\n\n"));
        }
        for database in std::iter::once("main").chain(self.extra_databases.iter().map(String::as_str)) {
            text.push_str(&format!("[databases.{database}]\n{}\n", self.database_settings));
        }
        for (index, service) in self.services.iter().enumerate() {
            text.push_str(&format!(
                "[services.{service}]\nport = {}\ncpu = 256\nmemory = 512\npaths = [\"/api/{service}\", \"/api/{service}/*\"]\ndatabase = \"main\"\n\n",
                // A service keeps its port when others come or go, as in a real stack file.
                self.ports.get(service).map_or(
                    match service.as_str() {
                        "user" => 8001,
                        "movie" => 8002,
                        "watchlist" => 8003,
                        _ => 8010 + index,
                    },
                    |port| usize::from(*port)
                )
            ));
        }
        if self.frontend {
            text.push_str("[frontend]\nsource_dir = \"frontend\"\n\n");
        }
        if !self.alarms.is_empty() {
            text.push_str(&format!("[alarms]\n{}\n", self.alarms));
        }
        text.push_str(&self.extra);
        text
    }

    pub fn write(&self, directory: &Path) -> PathBuf {
        let path = directory.join(format!("{}.toml", self.name));
        std::fs::write(&path, self.render()).expect("the stack file can be written");
        if self.frontend {
            let source = directory.join("frontend");
            for (key, content) in FRONTEND_FILES {
                let file = source.join(key);
                if !file.exists() {
                    std::fs::create_dir_all(file.parent().expect("a parent")).expect("a frontend directory");
                    std::fs::write(&file, content).expect("a frontend file");
                }
            }
        }
        path
    }
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit code {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `wl-infra ARGS` against `endpoint`, with test credentials and no user AWS config.
pub fn wl_infra_at(endpoint: &str, args: &[&str]) -> Run {
    wl_infra_as(endpoint, "test", args)
}

/// Runs `wl-infra ARGS` signing with `access_key` (the emulator can inject faults for one key).
pub fn wl_infra_as(endpoint: &str, access_key: &str, args: &[&str]) -> Run {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_wl-infra"))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", access_key)
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::null())
        .output()
        .expect("the wl-infra binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

pub fn wl_infra(args: &[&str]) -> Run {
    wl_infra_at(endpoint(), args)
}

/// SDK clients for checking the emulator independently of wl-infra's own discovery.
pub struct Checker {
    pub ec2: aws_sdk_ec2::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub s3: aws_sdk_s3::Client,
    pub rds: aws_sdk_rds::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub cloud_map: aws_sdk_servicediscovery::Client,
    pub sns: aws_sdk_sns::Client,
    pub kms: aws_sdk_kms::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub elasticache: aws_sdk_elasticache::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub runtime: tokio::runtime::Runtime,
}

impl Checker {
    pub fn new(region: &str) -> Checker {
        Checker::signing_as(region, "test")
    }

    /// Clients signing with `access_key`, for what the emulator keeps per key (pending times,
    /// holds, denied actions, its refusals log).
    pub fn signing_as(region: &str, access_key: &str) -> Checker {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let config = runtime.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new(region.to_string()))
                .endpoint_url(endpoint())
                .credentials_provider(aws_sdk_ec2::config::Credentials::new(access_key, "test", None, None, "tests"))
                .load(),
        );
        let s3_config = aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build();
        Checker {
            ec2: aws_sdk_ec2::Client::new(&config),
            ecr: aws_sdk_ecr::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            rds: aws_sdk_rds::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            cloud_map: aws_sdk_servicediscovery::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            kms: aws_sdk_kms::Client::new(&config),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(&config),
            elasticache: aws_sdk_elasticache::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            ecs: aws_sdk_ecs::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            cloudfront: aws_sdk_cloudfront::Client::new(&config),
            runtime,
        }
    }

    fn tag_filter(stack: &str) -> aws_sdk_ec2::types::Filter {
        aws_sdk_ec2::types::Filter::builder().name("tag:wl:stack").values(stack).build()
    }

    /// Counts every resource tagged with the stack, kind by kind, listing each kind separately.
    pub fn owned_counts(&self, stack: &str) -> Vec<(&'static str, usize)> {
        self.runtime.block_on(async {
            let filter = Self::tag_filter(stack);
            let ec2 = &self.ec2;
            let vpcs = ec2.describe_vpcs().filters(filter.clone()).send().await.expect("vpcs").vpcs().len();
            let subnets = ec2.describe_subnets().filters(filter.clone()).send().await.expect("subnets").subnets().len();
            let gateways = ec2
                .describe_internet_gateways()
                .filters(filter.clone())
                .send()
                .await
                .expect("igws")
                .internet_gateways()
                .len();
            let addresses =
                ec2.describe_addresses().filters(filter.clone()).send().await.expect("eips").addresses().len();
            let nats = ec2
                .describe_nat_gateways()
                .filter(filter.clone())
                .send()
                .await
                .expect("nats")
                .nat_gateways()
                .iter()
                .filter(|nat| nat.state().is_some_and(|state| state.as_str() != "deleted"))
                // The emulator ignores tag filters on this call, so the tag is checked here too.
                .filter(|nat| nat.tags().iter().any(|tag| tag.key() == Some("wl:stack") && tag.value() == Some(stack)))
                .count();
            let tables =
                ec2.describe_route_tables().filters(filter.clone()).send().await.expect("tables").route_tables().len();
            let groups = ec2
                .describe_security_groups()
                .filters(filter.clone())
                .send()
                .await
                .expect("groups")
                .security_groups()
                .len();
            let repositories = self.repositories(stack).await.len();
            let buckets = self
                .s3
                .list_buckets()
                .send()
                .await
                .expect("buckets")
                .buckets()
                .iter()
                .filter(|bucket| bucket.name().is_some_and(|name| name.starts_with(&format!("{stack}-"))))
                .count();
            let prefix = format!("{stack}-");
            let databases = self
                .rds
                .describe_db_instances()
                .send()
                .await
                .expect("databases")
                .db_instances()
                .iter()
                .filter(|db| db.db_instance_identifier().is_some_and(|id| id.starts_with(&prefix)))
                .filter(|db| db.tag_list().iter().any(|t| t.key() == Some("wl:stack") && t.value() == Some(stack)))
                .count();
            let mut database_subnet_groups = 0;
            let subnet_groups = self.rds.describe_db_subnet_groups().send().await.expect("subnet groups");
            for group in subnet_groups.db_subnet_groups() {
                let Ok(tags) = self
                    .rds
                    .list_tags_for_resource()
                    .resource_name(group.db_subnet_group_arn().unwrap_or_default())
                    .send()
                    .await
                else {
                    // Another test may delete it between the listing and this read.
                    continue;
                };
                if tags.tag_list().iter().any(|t| t.key() == Some("wl:stack") && t.value() == Some(stack)) {
                    database_subnet_groups += 1;
                }
            }
            let secrets = self
                .secrets
                .list_secrets()
                .send()
                .await
                .expect("secrets")
                .secret_list()
                .iter()
                .filter(|secret| secret.deleted_date().is_none())
                .filter(|secret| secret.tags().iter().any(|t| t.key() == Some("wl:stack") && t.value() == Some(stack)))
                .count();
            let elasticache = &self.elasticache;
            let mut cache_subnet_groups = 0;
            for group in elasticache
                .describe_cache_subnet_groups()
                .send()
                .await
                .expect("cache subnet groups")
                .cache_subnet_groups()
            {
                let Ok(tags) =
                    elasticache.list_tags_for_resource().resource_name(group.arn().unwrap_or_default()).send().await
                else {
                    // Another test may delete it between the listing and this read.
                    continue;
                };
                if tags.tag_list().iter().any(|t| t.key() == Some("wl:stack") && t.value() == Some(stack)) {
                    cache_subnet_groups += 1;
                }
            }
            let mut caches = 0;
            for group in elasticache.describe_replication_groups().send().await.expect("caches").replication_groups() {
                let Ok(tags) =
                    elasticache.list_tags_for_resource().resource_name(group.arn().unwrap_or_default()).send().await
                else {
                    // Another test may delete it between the listing and this read.
                    continue;
                };
                if tags.tag_list().iter().any(|t| t.key() == Some("wl:stack") && t.value() == Some(stack)) {
                    caches += 1;
                }
            }
            let mut counts = vec![
                ("vpc", vpcs),
                ("subnet", subnets),
                ("internet_gateway", gateways),
                ("elastic_ip", addresses),
                ("nat_gateway", nats),
                ("route_table", tables),
                ("security_group", groups),
                ("ecr_repository", repositories),
                ("s3_bucket", buckets),
                ("db_subnet_group", database_subnet_groups),
                ("secret", secrets),
                ("db_instance", databases),
                ("cache_subnet_group", cache_subnet_groups),
                ("cache_replication_group", caches),
            ];
            counts.extend(self.compute_counts(stack).await);
            counts.extend(self.edge_counts(stack).await);
            counts
        })
    }

    /// Counts the frontend edge's resources that stay (invalidations are events, not resources).
    async fn edge_counts(&self, stack: &str) -> Vec<(&'static str, usize)> {
        let controls = self
            .cloudfront
            .list_origin_access_controls()
            .send()
            .await
            .expect("origin access controls")
            .origin_access_control_list()
            // `<stack>-<region>-frontend`, in any region.
            .map(|list| {
                list.items()
                    .iter()
                    .filter(|c| c.name().starts_with(&format!("{stack}-")) && c.name().ends_with("-frontend"))
                    .count()
            })
            .unwrap_or(0);
        let mut distributions = 0;
        let listed = self.cloudfront.list_distributions().send().await.expect("distributions");
        for summary in listed.distribution_list().map(|l| l.items().to_vec()).unwrap_or_default() {
            let tags = self.cloudfront.list_tags_for_resource().resource(summary.arn()).send().await;
            let Ok(tags) = tags else { continue };
            let items = tags.tags().map(|t| t.items().to_vec()).unwrap_or_default();
            if items.iter().any(|tag| tag.key() == "wl:stack" && tag.value() == Some(stack)) {
                distributions += 1;
            }
        }
        let (mut policies, mut objects) = (0, 0);
        for bucket in self.s3.list_buckets().send().await.expect("buckets").buckets() {
            let name = bucket.name().unwrap_or_default();
            if !name.starts_with(&format!("{stack}-frontend-")) {
                continue;
            }
            policies += usize::from(self.s3.get_bucket_policy().bucket(name).send().await.is_ok());
            let listed = self.s3.list_objects_v2().bucket(name).send().await;
            objects += listed.map(|listed| listed.contents().len()).unwrap_or(0);
        }
        vec![
            ("origin_access_control", controls),
            ("distribution", distributions),
            ("bucket_policy", policies),
            ("frontend_object", objects),
        ]
    }

    /// Counts the compute and routing tier's resources, each kind with its own listing.
    async fn compute_counts(&self, stack: &str) -> Vec<(&'static str, usize)> {
        let roles =
            self.iam.list_roles().path_prefix(format!("/wl/{stack}/")).send().await.expect("roles").roles().len();
        let log_groups = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(format!("/ecs/{stack}/"))
            .send()
            .await
            .expect("log groups")
            .log_groups()
            .len();
        let clusters = self
            .ecs
            .describe_clusters()
            .clusters(stack)
            .send()
            .await
            .expect("clusters")
            .clusters()
            .iter()
            .filter(|cluster| cluster.status() == Some("ACTIVE"))
            .count();
        // The stack's Cloud Map namespace, by name and tag.
        let mut namespaces = 0;
        let listed = self.cloud_map.list_namespaces().send().await.expect("namespaces");
        for namespace in listed.namespaces().iter().filter(|namespace| namespace.name() == Some(stack)) {
            let tags = self
                .cloud_map
                .list_tags_for_resource()
                .resource_arn(namespace.arn().unwrap_or_default())
                .send()
                .await
                .expect("namespace tags");
            namespaces += usize::from(tags.tags().iter().any(|tag| tag.key() == "wl:stack" && tag.value() == stack));
        }
        let mut families: Vec<String> = self
            .ecs
            .list_task_definitions()
            .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .send()
            .await
            .expect("task definitions")
            .task_definition_arns()
            .iter()
            .filter_map(|arn| {
                arn.rsplit_once('/').and_then(|(_, tail)| tail.rsplit_once(':')).map(|(f, _)| f.to_string())
            })
            .filter(|family| family.starts_with(&format!("{stack}-")))
            .collect();
        families.sort();
        families.dedup();
        // Another stack's name may start with this one's: the tags decide.
        let mut owned_families = 0;
        for family in &families {
            let described = self
                .ecs
                .describe_task_definition()
                .task_definition(family)
                .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
                .send()
                .await
                .expect("a task definition");
            if described.tags().iter().any(|t| t.key() == Some("wl:stack") && t.value() == Some(stack)) {
                owned_families += 1;
            }
        }
        let mut services = 0;
        if clusters > 0 {
            let arns = self.ecs.list_services().cluster(stack).send().await.expect("services").service_arns().to_vec();
            for batch in arns.chunks(10) {
                let described = self
                    .ecs
                    .describe_services()
                    .cluster(stack)
                    .set_services(Some(batch.to_vec()))
                    .send()
                    .await
                    .expect("services");
                services += described.services().iter().filter(|s| s.status() == Some("ACTIVE")).count();
            }
        }
        let owned = |tags: &[aws_sdk_elasticloadbalancingv2::types::Tag]| {
            tags.iter().any(|tag| tag.key() == Some("wl:stack") && tag.value() == Some(stack))
        };
        let elb = &self.elb;
        let mut balancers = Vec::new();
        for balancer in elb.describe_load_balancers().send().await.expect("balancers").load_balancers() {
            let arn = balancer.load_balancer_arn().unwrap_or_default();
            let Ok(tags) = elb.describe_tags().resource_arns(arn).send().await else { continue };
            if tags.tag_descriptions().iter().any(|d| owned(d.tags())) {
                balancers.push(arn.to_string());
            }
        }
        let mut target_groups = 0;
        for group in elb.describe_target_groups().send().await.expect("target groups").target_groups() {
            let Ok(tags) = elb.describe_tags().resource_arns(group.target_group_arn().unwrap_or_default()).send().await
            else {
                continue;
            };
            if tags.tag_descriptions().iter().any(|d| owned(d.tags())) {
                target_groups += 1;
            }
        }
        let (mut listeners, mut rules) = (0, 0);
        for balancer in &balancers {
            let described = elb.describe_listeners().load_balancer_arn(balancer).send().await.expect("listeners");
            for listener in described.listeners() {
                listeners += 1;
                let described =
                    elb.describe_rules().listener_arn(listener.listener_arn().unwrap_or_default()).send().await;
                rules += described.expect("rules").rules().iter().filter(|r| r.is_default() != Some(true)).count();
            }
        }
        let alarms = self
            .cloudwatch
            .describe_alarms()
            .alarm_name_prefix(format!("{stack}-alarm-"))
            .send()
            .await
            .expect("alarms")
            .metric_alarms()
            .len();
        let dashboards = self.cloudwatch.list_dashboards().dashboard_name_prefix(stack).send().await;
        let dashboards = dashboards.expect("dashboards").dashboard_entries().len();
        let alert_topic = format!(":{stack}-alerts");
        let topics = self.sns.list_topics().send().await.expect("topics");
        let topics =
            topics.topics().iter().filter(|t| t.topic_arn().is_some_and(|arn| arn.ends_with(&alert_topic))).count();
        vec![
            ("iam_role", roles),
            ("log_group", log_groups),
            ("ecs_cluster", clusters),
            ("service_namespace", namespaces),
            ("task_definition", owned_families),
            ("load_balancer", balancers.len()),
            ("target_group", target_groups),
            ("listener", listeners),
            ("listener_rule", rules),
            ("ecs_service", services),
            ("alert_topic", topics),
            ("metric_alarm", alarms),
            ("dashboard", dashboards),
        ]
    }

    pub fn total_owned(&self, stack: &str) -> usize {
        self.owned_counts(stack).iter().map(|(_, count)| count).sum()
    }

    /// The stack's database master secrets that are not scheduled for deletion: (name, value).
    pub async fn stack_secrets(&self, stack: &str) -> Vec<(String, String)> {
        let listing = self.secrets.list_secrets().send().await.expect("secrets");
        let mut found = Vec::new();
        for secret in listing.secret_list() {
            let owned = secret.tags().iter().any(|tag| tag.key() == Some("wl:stack") && tag.value() == Some(stack));
            let master = secret.name().is_some_and(|name| name.ends_with("/master"));
            if owned && master && secret.deleted_date().is_none() {
                let name = secret.name().unwrap_or_default().to_string();
                let value = self.secrets.get_secret_value().secret_id(&name).send().await.expect("a value");
                found.push((name, value.secret_string().unwrap_or_default().to_string()));
            }
        }
        found.sort();
        found
    }

    /// Names of the repositories that carry the stack's tag.
    pub async fn repositories(&self, stack: &str) -> Vec<String> {
        let mut names = Vec::new();
        let listing = self.ecr.describe_repositories().send().await.expect("repositories");
        for repository in listing.repositories() {
            let Ok(tags) = self
                .ecr
                .list_tags_for_resource()
                .resource_arn(repository.repository_arn().unwrap_or_default())
                .send()
                .await
            else {
                // Another test may delete it between the listing and this read.
                continue;
            };
            if tags.tags().iter().any(|tag| tag.key() == "wl:stack" && tag.value() == stack) {
                names.push(repository.repository_name().unwrap_or_default().to_string());
            }
        }
        names.sort();
        names
    }

    pub fn repository_names(&self, stack: &str) -> Vec<String> {
        self.runtime.block_on(self.repositories(stack))
    }

    /// The id of the stack's resource of `id` found by the `wl:id` tag through `describe`.
    pub fn security_group_id(&self, stack: &str, id: &str) -> String {
        self.runtime.block_on(async {
            let output = self
                .ec2
                .describe_security_groups()
                .filters(Self::tag_filter(stack))
                .filters(aws_sdk_ec2::types::Filter::builder().name("tag:wl:id").values(id).build())
                .send()
                .await
                .expect("groups");
            output.security_groups().first().and_then(|group| group.group_id()).expect("the group exists").to_string()
        })
    }

    pub fn vpc_id(&self, stack: &str) -> String {
        self.runtime.block_on(async {
            let output = self.ec2.describe_vpcs().filters(Self::tag_filter(stack)).send().await.expect("vpcs");
            output.vpcs().first().and_then(|vpc| vpc.vpc_id()).expect("the vpc exists").to_string()
        })
    }
}

/// Writes `text` to stderr of the test, for figures worth seeing in the log.
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// How many faults the emulator injected into `action` ("service:Action") so far, for every key.
pub fn faults_injected(action: &str) -> u64 {
    emulator_control("GET", "/wl-api/requests", "")["faults"][action].as_u64().unwrap_or(0)
}

/// For `access_key`, the first request to each of `actions` ("service:Action") is carried out and
/// its answer lost (a 503): the SDK sends it again to what the first one already changed.
pub fn lose_first_answers(access_key: &str, actions: &[&str]) {
    let actions: Vec<&str> = actions.iter().map(|action| action.rsplit(':').next().unwrap_or(action)).collect();
    let settings = serde_json::json!({
        "rate": 1, "access_key": access_key, "kinds": ["lost"], "actions": actions, "limit_per_action": 1,
    });
    emulator_control("POST", "/wl-api/faults", &settings.to_string());
}

/// Turns `access_key`'s faults off.
pub fn faults_off(access_key: &str) {
    emulator_control("POST", "/wl-api/faults", &format!(r#"{{"rate": 0, "access_key": "{access_key}"}}"#));
}

/// Talks to the emulator's control routes (`/wl-api/...`, see localstack/README.md).
pub fn emulator_control(method: &str, path: &str, body: &str) -> serde_json::Value {
    use std::io::Read;
    let address = endpoint().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).expect("the emulator answers");
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("the request is sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let json = answer.split("\r\n\r\n").nth(1).unwrap_or("null");
    serde_json::from_str(json).unwrap_or_else(|_| panic!("the control route answers JSON: {answer}"))
}

/// What the emulator's strict layer refused to `access_key`, as (action, code) pairs, oldest first.
pub fn refusals_to(access_key: &str) -> Vec<(String, String)> {
    let document = emulator_control("GET", "/wl-api/refusals", "");
    document["refusals"]
        .as_array()
        .expect("the refusals log")
        .iter()
        .filter(|entry| entry["access_key"] == access_key)
        .map(|entry| {
            (
                entry["action"].as_str().unwrap_or_default().to_string(),
                entry["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// What `Checker::owned_counts` finds for a converged `StackFile` with two services, two zones,
/// one NAT gateway and a frontend, given its databases and its cache nodes (0: no cache).
pub fn converged_counts(databases: usize, cache_nodes: usize) -> Vec<(&'static str, usize)> {
    let cache = usize::from(cache_nodes > 0);
    // The test stacks have two services.
    let services = 2;
    vec![
        ("vpc", 1),
        ("subnet", 4),
        ("internet_gateway", 1),
        ("elastic_ip", 1),
        ("nat_gateway", 1),
        ("route_table", 3),
        ("security_group", 3 + cache),
        ("ecr_repository", 2),
        ("s3_bucket", 1),
        ("db_subnet_group", 1),
        // One master secret per database, the services' token signing key and the origin secret.
        ("secret", databases + 2),
        ("db_instance", databases),
        ("cache_subnet_group", cache),
        ("cache_replication_group", cache),
        ("iam_role", 1 + services),
        ("log_group", services),
        ("ecs_cluster", 1),
        ("service_namespace", 1),
        ("task_definition", services),
        ("load_balancer", 1),
        ("target_group", services),
        ("listener", 1),
        ("listener_rule", services),
        ("ecs_service", services),
        ("alert_topic", 0),
        // Per service CPU, 5xx, latency and unhealthy targets; per database CPU, storage and
        // connections; per cache node memory and evictions; the load balancer's own 5xx.
        ("metric_alarm", 4 * services + 3 * databases + 2 * cache_nodes + 1),
        ("dashboard", 0),
        ("origin_access_control", 1),
        ("distribution", 1),
        ("bucket_policy", 1),
        ("frontend_object", FRONTEND_FILES.len()),
    ]
}

/// The document `plan --json` printed, checked against its published schema
/// (`docs/plan.schema.json`): every plan an end-to-end test reads is one a tool could rely on.
pub fn plan_document(stdout: &str) -> serde_json::Value {
    let document: serde_json::Value = serde_json::from_str(stdout).expect("plan --json prints JSON");
    let schema_text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/plan.schema.json"))
        .expect("docs/plan.schema.json exists");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator.iter_errors(&document).map(|error| error.to_string()).collect();
    assert!(errors.is_empty(), "plan --json does not fit docs/plan.schema.json: {errors:?}");
    document
}

/// (action, id) of every change of a `plan --json` document that is not a no-op, sorted.
pub fn changed_resources(document: &serde_json::Value) -> Vec<(&str, &str)> {
    let mut changed: Vec<(&str, &str)> = document["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|change| change["action"] != "no-op")
        .map(|change| (change["action"].as_str().unwrap_or_default(), change["id"].as_str().unwrap_or_default()))
        .collect();
    changed.sort();
    changed
}
