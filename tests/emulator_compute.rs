//! End-to-end tests of the compute and routing tier against the local AWS emulator: the full
//! `stacks/dev.toml` from empty to converged to destroyed, the load balancer's routing, and a
//! deployment that the circuit breaker rolls back.

mod support;

use support::proxy::RecordingProxy;
use support::{changed_resources, endpoint, unique_stack_name, wl_infra, wl_infra_at, Checker, StackFile, TempDir};

#[test]
fn the_full_dev_stack_applies_converges_and_destroys_to_nothing() {
    let directory = TempDir::new("full-dev");
    let name = unique_stack_name("dev");
    let source = include_str!("../stacks/dev.toml").replace("name = \"watchlist-dev\"", &format!("name = \"{name}\""));
    std::fs::create_dir_all(directory.0.join("stacks")).expect("a stacks directory");
    let path = directory.0.join("stacks").join("dev.toml");
    std::fs::write(&path, source).expect("a stack file");
    // `source_dir = "../frontend/dist"`, relative to the stack file.
    let dist = directory.0.join("frontend").join("dist");
    std::fs::create_dir_all(dist.join("assets")).expect("a dist directory");
    std::fs::write(dist.join("index.html"), "<!doctype html><title>watchlist</title>").expect("index.html");
    std::fs::write(dist.join("assets").join("index-B7x2kQ9a.js"), "console.log(1)").expect("a script");
    std::fs::write(dist.join("assets").join("index-Dk3l9aZq.css"), "body{}").expect("a style sheet");
    let path = path.to_str().expect("a UTF-8 path");
    let checker = Checker::new("us-east-1");
    let proxy = RecordingProxy::start(endpoint());

    let applied = wl_infra_at(&proxy.url, &["apply", "--stack", path, "--yes"]).expect_code(0);
    assert!(applied.stderr.contains("Apply complete"), "{}", applied.stderr);
    assert!(applied.stderr.contains("has reached a steady state"), "service events are shown: {}", applied.stderr);
    assert!(applied.stderr.contains("Site: https://"), "apply ends with the site's URL: {}", applied.stderr);
    outputs_are_read_live_and_hold_no_password(&checker, &name, path);
    let counts = checker.owned_counts(&name);
    let expected = [
        ("vpc", 1),
        ("subnet", 4),
        ("internet_gateway", 1),
        ("elastic_ip", 1),
        ("nat_gateway", 1),
        ("route_table", 3),
        ("security_group", 4),
        ("ecr_repository", 3),
        ("s3_bucket", 1),
        ("db_subnet_group", 1),
        ("secret", 5),
        ("db_instance", 3),
        ("cache_subnet_group", 1),
        ("cache_replication_group", 1),
        ("iam_role", 4),
        ("log_group", 3),
        ("ecs_cluster", 1),
        ("service_namespace", 1),
        ("task_definition", 3),
        ("load_balancer", 1),
        ("target_group", 3),
        ("listener", 1),
        ("listener_rule", 3),
        ("ecs_service", 3),
        ("alert_topic", 0),
        ("metric_alarm", 3 * 4 + 3 * 3 + 2 + 1),
        ("dashboard", 0),
        ("origin_access_control", 1),
        ("distribution", 1),
        ("bucket_policy", 1),
        ("frontend_object", 3),
    ];
    assert_eq!(counts, expected);
    // The services call each other inside the VPC through Service Connect: the watchlist
    // service's URLs are the others' names in the namespace, every service joined it as
    // `<name>:<port>`, and the services' group admits them on the called ports.
    checker.runtime.block_on(async {
        let services = checker
            .ecs
            .describe_services()
            .cluster(&name)
            .services("user")
            .services("movie")
            .services("watchlist")
            .send()
            .await
            .expect("services");
        for service in services.services() {
            let primary = service.deployments().first().expect("a deployment");
            let connect = primary.service_connect_configuration().expect("Service Connect");
            assert!(connect.enabled() && connect.namespace() == Some(name.as_str()), "{connect:?}");
            let answered = connect.services().first().expect("a Service Connect service");
            assert_eq!(Some(answered.port_name()), service.service_name());
        }
        let watchlist = services.services().iter().find(|s| s.service_name() == Some("watchlist")).expect("watchlist");
        let definition = checker
            .ecs
            .describe_task_definition()
            .task_definition(watchlist.task_definition().unwrap_or_default())
            .send()
            .await
            .expect("the task definition");
        let container = &definition.task_definition().expect("a definition").container_definitions()[0];
        let environment: Vec<(&str, &str)> = container
            .environment()
            .iter()
            .map(|pair| (pair.name().unwrap_or(""), pair.value().unwrap_or("")))
            .collect();
        assert!(environment.contains(&("USER_SERVICE_URL", "http://user:8001")), "{environment:?}");
        assert!(environment.contains(&("MOVIE_SERVICE_URL", "http://movie:8002")), "{environment:?}");
        assert_eq!(container.port_mappings()[0].name(), Some("watchlist"));
    });
    let app_group = checker.security_group_id(&name, "sg-app");
    let own_rules = checker.runtime.block_on(async {
        let groups = checker.ec2.describe_security_groups().group_ids(&app_group).send().await.expect("the group");
        let mut ports: Vec<i32> = groups.security_groups()[0]
            .ip_permissions()
            .iter()
            .filter(|permission| {
                permission.user_id_group_pairs().iter().any(|pair| pair.group_id() == Some(app_group.as_str()))
            })
            .filter_map(|permission| permission.from_port())
            .collect();
        ports.sort_unstable();
        ports
    });
    assert_eq!(own_rules, vec![8001, 8002], "the called services' ports, from the services' own group");
    // Only CloudFront reaches the load balancer: its origin-facing prefix list, no internet range.
    let alb_group = checker.security_group_id(&name, "sg-alb");
    checker.runtime.block_on(async {
        let groups = checker.ec2.describe_security_groups().group_ids(&alb_group).send().await.expect("the group");
        let permissions = groups.security_groups()[0].ip_permissions();
        assert!(permissions.iter().all(|p| p.ip_ranges().is_empty() && p.ipv6_ranges().is_empty()), "{permissions:?}");
        let lists = checker
            .ec2
            .describe_managed_prefix_lists()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("prefix-list-name")
                    .values("com.amazonaws.global.cloudfront.origin-facing")
                    .build(),
            )
            .send()
            .await
            .expect("prefix lists");
        let cloudfront = lists.prefix_lists()[0].prefix_list_id().expect("an id");
        let admitted: Vec<&str> =
            permissions.iter().flat_map(|p| p.prefix_list_ids()).filter_map(|entry| entry.prefix_list_id()).collect();
        assert_eq!(admitted, vec![cloudfront]);
    });

    proxy.clear();
    let started = std::time::Instant::now();
    let replanned = wl_infra_at(&proxy.url, &["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    let elapsed = started.elapsed();
    assert!(replanned.stdout.starts_with("No changes."), "{}", replanned.stdout);
    assert_eq!(proxy.writes(), Vec::<String>::new());
    let mut by_action: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for request in proxy.requests() {
        *by_action.entry(request.action).or_default() += 1;
    }
    // One listing per kind; the reads that follow are per resource (tags where AWS has no tag
    // filter, a role's policies, a task definition's latest revision), never more than a kind has.
    for listing in [
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeNatGateways",
        "rds:DescribeDBInstances",
        "elasticache:DescribeReplicationGroups",
        "secretsmanager:ListSecrets",
        "iam:ListRoles",
        "logs:DescribeLogGroups",
        "ecs:ListServices",
        "ecs:ListTaskDefinitionFamilies",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTargetGroups",
        "monitoring:DescribeAlarms",
        "cloudfront:GET /2020-05-31/distribution",
    ] {
        assert_eq!(by_action.get(listing), Some(&1), "{listing} once: {by_action:#?}");
    }
    let largest_kind = expected.iter().map(|(_, count)| *count).max().unwrap_or(0);
    assert!(by_action.values().all(|count| *count <= largest_kind), "{by_action:#?}");
    support::note(&format!(
        "full dev stack: converged plan made {} AWS requests in {:.2} s",
        proxy.requests().len(),
        elapsed.as_secs_f64()
    ));

    // The task definitions carry what the services need, secrets by reference only.
    checker.runtime.block_on(async {
        let described = checker
            .ecs
            .describe_task_definition()
            .task_definition(format!("{name}-watchlist"))
            .send()
            .await
            .expect("the watchlist task definition");
        let container = &described.task_definition().expect("a definition").container_definitions()[0];
        let environment: Vec<(&str, &str)> =
            container.environment().iter().map(|p| (p.name().unwrap_or(""), p.value().unwrap_or(""))).collect();
        let value = |key: &str| environment.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or_default();
        assert_ne!(
            value("USER_SERVICE_URL"),
            value("MOVIE_SERVICE_URL"),
            "each by its own name, not the load balancer"
        );
        assert_eq!(value("PGDATABASE"), "watchlist");
        let secrets: Vec<&str> = container.secrets().iter().map(|s| s.name()).collect();
        assert_eq!(secrets, vec!["JWT_SECRET", "PGPASSWORD"]);
        assert!(container.secrets()[1].value_from().ends_with(":password::"));
        assert!(!format!("{environment:?}").to_lowercase().contains("password"), "no secret in plain environment");
        let movie = checker
            .ecs
            .describe_task_definition()
            .task_definition(format!("{name}-movie"))
            .send()
            .await
            .expect("the movie task definition");
        let container = &movie.task_definition().expect("a definition").container_definitions()[0];
        let redis = container.environment().iter().find(|p| p.name() == Some("REDIS_URL")).expect("REDIS_URL");
        assert!(redis.value().is_some_and(|url| url.starts_with("rediss://")), "{redis:?}");
    });

    // Behind CloudFront the listener answers what no rule takes with a JSON 403; the rules route
    // each service's paths, only with the origin secret in X-Origin-Verify, which the
    // distribution's `/api/*` origin sends (and no plan, log or error shows).
    let origin_secret = checker.runtime.block_on(async {
        let secret = checker.secrets.get_secret_value().secret_id(format!("{name}/origin-verify")).send().await;
        secret.expect("the origin secret").secret_string().expect("a value").to_string()
    });
    assert!(origin_secret.len() >= 32 && origin_secret.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(!applied.stdout.contains(&origin_secret) && !applied.stderr.contains(&origin_secret), "never printed");
    checker.runtime.block_on(async {
        let balancers = checker.elb.describe_load_balancers().names(wl_infra::graph::short_name(&name, "alb")).send();
        let balancer = balancers.await.expect("the load balancer").load_balancers()[0].clone();
        let listeners = checker
            .elb
            .describe_listeners()
            .load_balancer_arn(balancer.load_balancer_arn().unwrap_or_default())
            .send()
            .await
            .expect("listeners");
        let listener = &listeners.listeners()[0];
        let fixed = listener.default_actions()[0].fixed_response_config().expect("a fixed response");
        assert_eq!((fixed.status_code(), fixed.content_type()), (Some("403"), Some("application/json")));
        let rules = checker
            .elb
            .describe_rules()
            .listener_arn(listener.listener_arn().unwrap_or_default())
            .send()
            .await
            .expect("rules");
        let mut paths: Vec<String> = rules
            .rules()
            .iter()
            .flat_map(|rule| rule.conditions().iter())
            .flat_map(|c| c.path_pattern_config().map(|p| p.values().to_vec()).unwrap_or_else(|| c.values().to_vec()))
            .collect();
        paths.sort();
        assert!(paths.contains(&"/api/health/movies".to_string()), "{paths:?}");
        assert!(paths.contains(&"/api/watchlist/*".to_string()), "{paths:?}");
        for rule in rules.rules().iter().filter(|rule| !rule.is_default().unwrap_or(false)) {
            let header = rule
                .conditions()
                .iter()
                .find_map(|condition| condition.http_header_config())
                .expect("a header condition");
            assert_eq!(header.http_header_name(), Some("X-Origin-Verify"));
            assert_eq!(header.values(), std::slice::from_ref(&origin_secret));
            let values: usize = rule
                .conditions()
                .iter()
                .map(|condition| {
                    condition.values().len().max(
                        condition.path_pattern_config().map_or(0, |p| p.values().len())
                            + condition.http_header_config().map_or(0, |h| h.values().len()),
                    )
                })
                .sum();
            assert!(values <= 5, "within ELB's five condition values: {values}");
        }
        let distributions = checker.cloudfront.list_distributions().send().await.expect("distributions");
        let summary = distributions
            .distribution_list()
            .map(|list| list.items().to_vec())
            .unwrap_or_default()
            .into_iter()
            .find(|d| d.comment().contains(&name))
            .expect("the stack's distribution");
        let config = checker.cloudfront.get_distribution_config().id(summary.id()).send().await.expect("its config");
        let origins =
            config.distribution_config().and_then(|c| c.origins()).map(|o| o.items().to_vec()).unwrap_or_default();
        let api = origins.iter().find(|origin| origin.id() == "load-balancer").expect("the API origin");
        let headers = api.custom_headers().map(|h| h.items().to_vec()).unwrap_or_default();
        assert_eq!(
            headers.iter().map(|h| (h.header_name(), h.header_value())).collect::<Vec<_>>(),
            vec![("X-Origin-Verify", origin_secret.as_str())]
        );
    });

    check_the_frontend_edge(&checker, &name, path, &dist);

    // Rotating the origin secret (a new value put into it): the plan changes the rules and the
    // distribution without showing a value; after apply the rules take the new value and the
    // previous one (CloudFront's edges move over for minutes), the distribution sends the new one.
    let rotated = "Rotated0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU";
    checker
        .runtime
        .block_on(
            checker.secrets.put_secret_value().secret_id(format!("{name}/origin-verify")).secret_string(rotated).send(),
        )
        .expect("a new value");
    let planned = wl_infra(&["plan", "--stack", path, "--json"]).expect_code(0);
    let document = support::plan_document(&planned.stdout);
    let mut changed = changed_resources(&document);
    changed.sort();
    assert_eq!(
        changed,
        vec![
            ("update", "distribution"),
            ("update", "rule-movie"),
            ("update", "rule-user"),
            ("update", "rule-watchlist")
        ]
    );
    let shown = wl_infra(&["plan", "--stack", path]).expect_code(0);
    for text in [&planned.stdout, &shown.stdout, &shown.stderr] {
        assert!(!text.contains(rotated) && !text.contains(&origin_secret), "no value in a plan");
    }
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    checker.runtime.block_on(async {
        let balancers = checker.elb.describe_load_balancers().names(wl_infra::graph::short_name(&name, "alb")).send();
        let balancer = balancers.await.expect("the load balancer").load_balancers()[0].clone();
        let listeners =
            checker.elb.describe_listeners().load_balancer_arn(balancer.load_balancer_arn().unwrap_or_default()).send();
        let listener = listeners.await.expect("listeners").listeners()[0].clone();
        let rules = checker.elb.describe_rules().listener_arn(listener.listener_arn().unwrap_or_default()).send();
        for rule in rules.await.expect("rules").rules().iter().filter(|rule| !rule.is_default().unwrap_or(false)) {
            let header = rule.conditions().iter().find_map(|c| c.http_header_config()).expect("a header condition");
            let mut accepted = header.values().to_vec();
            accepted.sort();
            let mut expected = vec![rotated.to_string(), origin_secret.clone()];
            expected.sort();
            assert_eq!(accepted, expected, "the new value and the previous one");
        }
    });

    proxy.clear();
    wl_infra_at(&proxy.url, &["destroy", "--stack", path, "--yes"]).expect_code(0);
    let remaining: Vec<(&str, usize)> =
        checker.owned_counts(&name).into_iter().filter(|(_, count)| *count > 0).collect();
    assert_eq!(remaining, Vec::<(&str, usize)>::new(), "destroy leaves nothing of any kind");
    let recorded = proxy.requests();
    // Automated backups stay for their retention period unless the stack says otherwise: the
    // parameter is always sent, since AWS's default deletes them.
    let database_deletes: Vec<&str> =
        recorded.iter().filter(|r| r.action == "rds:DeleteDBInstance").map(|r| r.body.as_str()).collect();
    assert!(database_deletes.len() >= 3, "a delete per database: {database_deletes:#?}");
    assert!(database_deletes.iter().all(|body| body.contains("DeleteAutomatedBackups=false")), "{database_deletes:#?}");
    let requests: Vec<String> = recorded.into_iter().map(|request| request.action).collect();
    let position = |action: &str| requests.iter().position(|r| r.ends_with(action));
    let scaled = position("UpdateService").expect("services are scaled to zero");
    let deleted = position("DeleteService").expect("services are deleted");
    assert!(scaled < deleted, "scale to zero, then delete");
    let rule_gone = requests.iter().rposition(|r| r.ends_with("DeleteRule")).expect("rules are deleted");
    let target_gone = position("DeleteTargetGroup").expect("target groups are deleted");
    assert!(rule_gone < target_gone, "rules before target groups");
}

#[test]
fn a_deployment_the_circuit_breaker_rolls_back_fails_the_apply_with_the_reason() {
    let directory = TempDir::new("rollback");
    let stack = StackFile::new(&unique_stack_name("roll"));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);

    // The emulator never gets tasks of a `wl-fail` image healthy, as AWS would with a broken image.
    let failed = wl_infra(&["apply", "--stack", path, "--yes", "--image-tag", "movie=wl-fail-1"]).expect_code(1);
    assert!(failed.stderr.contains("deployment failed: tasks failed to start"), "events are shown: {}", failed.stderr);
    assert!(failed.stderr.contains("the deployment was rolled back to"), "{}", failed.stderr);
    assert!(failed.stderr.contains("update ecs_service service-movie"), "{}", failed.stderr);
    // The other service was not touched and the movie service still runs its earlier revision.
    let checker = Checker::new("us-east-1");
    let running = checker.runtime.block_on(async {
        let described =
            checker.ecs.describe_services().cluster(&stack.name).services("movie").send().await.expect("the service");
        described.services()[0].task_definition().unwrap_or_default().to_string()
    });
    assert!(running.ends_with(&format!("{}-movie:1", stack.name)), "{running}");

    // A good image converges again.
    wl_infra(&["apply", "--stack", path, "--yes", "--image-tag", "movie=v2"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&stack.name), 0);
}

/// The edge of a converged full stack: the bucket is readable only by the distribution, objects are
/// served with their types and caching, and a changed or removed file plans exactly that.
fn check_the_frontend_edge(checker: &Checker, name: &str, path: &str, dist: &std::path::Path) {
    let bucket = wl_infra::graph::bucket_name(name, "123456789012", "us-east-1");
    checker.runtime.block_on(async {
        let policy = checker.s3.get_bucket_policy().bucket(&bucket).send().await.expect("a bucket policy");
        let document: serde_json::Value =
            serde_json::from_str(policy.policy().unwrap_or_default()).expect("the policy is JSON");
        let listed = checker.cloudfront.list_distributions().send().await.expect("distributions");
        let distribution_arns: Vec<String> = listed
            .distribution_list()
            .map(|list| list.items().iter().map(|d| d.arn().to_string()).collect())
            .unwrap_or_default();
        for statement in document["Statement"].as_array().expect("statements") {
            let source = &statement["Condition"]["StringEquals"]["AWS:SourceArn"];
            assert!(
                source.as_str().is_some_and(|arn| distribution_arns.iter().any(|d| d == arn)),
                "every statement is limited to the distribution: {statement}"
            );
            assert_ne!(statement["Principal"], "*", "{statement}");
            assert_eq!(statement["Principal"]["Service"][0], "cloudfront.amazonaws.com", "{statement}");
        }
        let block = checker.s3.get_public_access_block().bucket(&bucket).send().await.expect("a public access block");
        let block = block.public_access_block_configuration().expect("a configuration");
        assert_eq!(
            (
                block.block_public_acls(),
                block.block_public_policy(),
                block.ignore_public_acls(),
                block.restrict_public_buckets()
            ),
            (Some(true), Some(true), Some(true), Some(true))
        );
        let page = checker.s3.head_object().bucket(&bucket).key("index.html").send().await.expect("index.html");
        assert_eq!(page.cache_control(), Some("no-cache"));
        assert_eq!(page.content_type(), Some("text/html; charset=utf-8"));
        let script =
            checker.s3.head_object().bucket(&bucket).key("assets/index-B7x2kQ9a.js").send().await.expect("a script");
        assert_eq!(script.cache_control(), Some("public, max-age=31536000, immutable"));
        let config = checker
            .cloudfront
            .get_distribution_config()
            .id(listed.distribution_list().expect("a list").items()[0].id())
            .send()
            .await;
        let config = config.expect("a configuration").distribution_config().cloned().expect("a configuration");
        let origin = &config.origins().expect("origins").items()[0];
        assert!(origin.origin_access_control_id().is_some_and(|id| !id.is_empty()), "the bucket is read through OAC");
    });

    // One edited file: one upload and one invalidation of its paths.
    std::fs::write(dist.join("index.html"), "<!doctype html><title>watchlist 2</title>").expect("index.html");
    let planned = wl_infra(&["plan", "--stack", path, "--json", "--detailed-exitcode"]).expect_code(2);
    let document = support::plan_document(&planned.stdout);
    assert_eq!(changed_resources(&document), vec![("create", "frontend-invalidation"), ("update", "file:index.html")]);
    let invalidation =
        document["changes"].as_array().expect("changes").iter().find(|c| c["id"] == "frontend-invalidation");
    assert_eq!(invalidation.expect("an invalidation")["after"]["paths"], serde_json::json!(["/", "/index.html"]));
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);

    // One removed file: one delete (and its path invalidated).
    std::fs::remove_file(dist.join("assets").join("index-Dk3l9aZq.css")).expect("a removed file");
    let planned = wl_infra(&["plan", "--stack", path]).expect_code(0);
    assert!(planned.stdout.contains("- frontend_object file:assets/index-Dk3l9aZq.css"), "{}", planned.stdout);
    assert!(planned.stdout.contains("1 to create, 0 to update, 0 to replace, 1 to delete"), "{}", planned.stdout);
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
}

#[test]
fn drift_in_the_compute_tier_is_shown_and_reverted() {
    let directory = TempDir::new("compute-drift");
    let stack = StackFile::new(&unique_stack_name("cdrift"));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    // A plan saved before the drift below, to be applied after it.
    let saved = directory.0.join("before-drift.json");
    let saved = saved.to_str().expect("a UTF-8 path");
    wl_infra(&["plan", "--stack", path, "--out", saved]).expect_code(0);

    let checker = Checker::new("us-east-1");
    let name = stack.name.clone();
    checker.runtime.block_on(async {
        // A tag removed from the load balancer by hand.
        let balancers = checker.elb.describe_load_balancers().names(wl_infra::graph::short_name(&name, "alb")).send();
        let balancer = balancers.await.expect("the load balancer").load_balancers()[0].clone();
        let arn = balancer.load_balancer_arn().unwrap_or_default();
        checker.elb.remove_tags().resource_arns(arn).tag_keys("Name").send().await.expect("tag removed");
        // A log group's retention shortened.
        let group = wl_infra::graph::log_group_name(&name, "user");
        checker
            .logs
            .put_retention_policy()
            .log_group_name(&group)
            .retention_in_days(7)
            .send()
            .await
            .expect("retention");
        // The execution role loses its managed policy.
        checker
            .iam
            .detach_role_policy()
            .role_name(format!("{name}-us-east-1-task-execution-role"))
            .policy_arn(wl_infra::graph::execution_managed_policy("aws"))
            .send()
            .await
            .expect("policy detached");
        // The movie service scaled by hand.
        checker
            .ecs
            .update_service()
            .cluster(&name)
            .service("movie")
            .desired_count(3)
            .send()
            .await
            .expect("service scaled");
    });

    // The plan saved before the drift is stale now: refused before any write.
    let proxy = RecordingProxy::start(endpoint());
    let stale = wl_infra_at(&proxy.url, &["apply", saved]).expect_code(1);
    assert!(stale.stderr.contains(&format!("the plan in {saved} is stale: ")), "{}", stale.stderr);
    assert!(stale.stderr.contains("ecs_service service-movie changed (desired_count)"), "{}", stale.stderr);
    assert_eq!(proxy.writes(), Vec::<String>::new(), "a stale plan writes nothing");

    let planned = wl_infra(&["plan", "--stack", path, "--json", "--detailed-exitcode"]).expect_code(2);
    let document = support::plan_document(&planned.stdout);
    let mut changed: Vec<(String, Vec<String>)> = document["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| {
            let fields =
                c["changed_fields"].as_array().map(|f| f.iter().filter_map(|v| v.as_str().map(String::from)).collect());
            (c["id"].as_str().unwrap_or_default().to_string(), fields.unwrap_or_default())
        })
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        vec![
            ("alb".to_string(), vec!["tags".to_string()]),
            ("logs-user".to_string(), vec!["retention_days".to_string()]),
            ("service-movie".to_string(), vec!["desired_count".to_string()]),
            ("task-execution-role".to_string(), vec!["managed_policy_arns".to_string()]),
        ]
    );
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&stack.name), 0);
}

#[test]
fn a_cluster_of_the_stack_s_name_that_the_stack_does_not_own_is_refused_never_used() {
    let directory = TempDir::new("foreign-cluster");
    let stack = StackFile::new(&unique_stack_name("fcl"));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    let checker = Checker::new("us-east-1");
    // Someone else's cluster of that name: CreateCluster would answer with it, unchanged.
    checker.runtime.block_on(async {
        checker.ecs.create_cluster().cluster_name(&stack.name).send().await.expect("a foreign cluster");
    });
    let applied = wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(1);
    assert!(
        applied.stderr.contains(&format!("{} exists but is not tagged wl:stack={}", stack.name, stack.name)),
        "{}",
        applied.stderr
    );
    assert!(applied.stderr.contains("ACTIVE ECS cluster"), "{}", applied.stderr);
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    checker.runtime.block_on(async {
        let described = checker
            .ecs
            .describe_clusters()
            .clusters(&stack.name)
            .include(aws_sdk_ecs::types::ClusterField::Tags)
            .send()
            .await
            .expect("the foreign cluster");
        let cluster = &described.clusters()[0];
        assert_eq!(cluster.status(), Some("ACTIVE"), "destroy left it alone");
        assert!(cluster.tags().is_empty(), "wl-infra never tagged it");
    });
}

/// `outputs` reads the live stack: the site, the API, each database's endpoint and secret (by ARN,
/// never its value), the cache, the repositories and the services.
fn outputs_are_read_live_and_hold_no_password(checker: &Checker, name: &str, path: &str) {
    let printed = wl_infra(&["outputs", "--stack", path, "--json"]).expect_code(0);
    let outputs: serde_json::Value = serde_json::from_str(&printed.stdout).expect("JSON");
    assert_eq!(outputs["format_version"], 1);
    let site = outputs["site_url"].as_str().unwrap_or_default();
    assert!(site.starts_with("https://") && site.ends_with(".cloudfront.net"), "{outputs}");
    assert_eq!(outputs["api_url"].as_str(), Some(format!("{site}/api").as_str()));
    let databases = outputs["databases"].as_array().expect("databases");
    assert_eq!(databases.len(), 3, "{outputs}");
    for database in databases {
        assert!(database["endpoint"].as_str().is_some_and(|endpoint| endpoint.ends_with(":5432")), "{database}");
        assert!(
            database["secret_arn"].as_str().is_some_and(|arn| arn.starts_with("arn:aws:secretsmanager:")),
            "{database}"
        );
    }
    assert!(outputs["cache_endpoint"].as_str().is_some_and(|endpoint| endpoint.ends_with(":6379")), "{outputs}");
    assert_eq!(outputs["repositories"].as_object().map(|r| r.len()), Some(3));
    assert_eq!(outputs["services"], serde_json::json!(["movie", "user", "watchlist"]));
    assert_eq!(outputs["cluster"].as_str(), Some(name));
    for (_, secret) in checker.runtime.block_on(checker.stack_secrets(name)) {
        let password = serde_json::from_str::<serde_json::Value>(&secret).expect("a JSON secret")["password"].clone();
        let password = password.as_str().unwrap_or_default();
        assert!(!password.is_empty() && !printed.stdout.contains(password), "no password in the outputs");
    }
    let human = wl_infra(&["outputs", "--stack", path]).expect_code(0);
    assert!(human.stdout.lines().any(|line| line.starts_with("site ") && line.ends_with(site)), "{}", human.stdout);
    assert!(human.stdout.contains("database users secret"), "{}", human.stdout);
}

/// A stack that keeps its frontend and drops its last service: the distribution loses the API's
/// origin and behaviour (CloudFront would otherwise send `/api/*` to a deleted load balancer) and
/// the next plan is empty.
#[test]
fn the_last_service_removed_takes_the_api_out_of_the_distribution() {
    let directory = TempDir::new("noapi");
    let mut stack = StackFile::new(&unique_stack_name("noapi"));
    stack.services = vec!["user".into()];
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);

    stack.services.clear();
    stack.write(&directory.0);
    let planned = wl_infra(&["plan", "--stack", path, "--json", "--detailed-exitcode"]).expect_code(2);
    let document = support::plan_document(&planned.stdout);
    let changes = document["changes"].as_array().expect("changes");
    let distribution = changes.iter().find(|c| c["id"] == "distribution").expect("the distribution");
    assert_eq!(distribution["action"], "update", "{distribution}");
    let mut fields: Vec<&str> =
        distribution["changed_fields"].as_array().expect("fields").iter().filter_map(|f| f.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(fields, vec!["api_origin_domain", "api_origin_verify_secret", "api_path"]);
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);

    let checker = Checker::new("us-east-1");
    checker.runtime.block_on(async {
        let listed = checker.cloudfront.list_distributions().send().await.expect("distributions");
        let items = listed.distribution_list().expect("a list").items();
        let own = items
            .iter()
            .find(|d| d.origins().is_some_and(|o| o.items().iter().any(|o| o.domain_name().contains(&stack.name))))
            .expect("the stack's distribution");
        let config = checker.cloudfront.get_distribution_config().id(own.id()).send().await.expect("its config");
        let config = config.distribution_config().expect("a configuration");
        assert_eq!(config.origins().map(|o| o.items().len()), Some(1), "the bucket alone");
        assert_eq!(config.cache_behaviors().map(|b| b.quantity()), Some(0), "no /api/* behaviour");
    });
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
}
