//! End-to-end tests of the network, ECR and S3 slice against the local AWS emulator: apply from
//! empty, converge, change, drift, destroy, isolation between stacks, and no AWS call on bad input.

mod support;

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::proxy::RecordingProxy;
use support::{changed_resources, endpoint, unique_stack_name, wl_infra, wl_infra_at, Checker, StackFile, TempDir};

#[test]
fn apply_from_empty_converges_and_a_third_apply_writes_nothing() {
    let directory = TempDir::new("converge");
    let stack = StackFile::new(&unique_stack_name("conv"));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    let proxy = RecordingProxy::start(endpoint());

    let first = wl_infra_at(&proxy.url, &["apply", "--stack", path, "--yes"]).expect_code(0);
    assert!(first.stdout.contains("+ vpc vpc"), "{}", first.stdout);
    assert!(first.stderr.contains("Apply complete"), "{}", first.stderr);
    let checker = Checker::new("us-east-1");
    let counts = checker.owned_counts(&stack.name);
    assert_eq!(counts, support::converged_counts(1, 0));

    proxy.clear();
    let second = wl_infra_at(&proxy.url, &["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    assert!(second.stdout.starts_with("No changes."), "{}", second.stdout);
    assert_eq!(proxy.writes(), Vec::<String>::new());
    let plan_requests = proxy.requests().len();

    proxy.clear();
    let third = wl_infra_at(&proxy.url, &["apply", "--stack", path, "--yes"]).expect_code(0);
    assert!(third.stdout.starts_with("No changes."), "{}", third.stdout);
    assert_eq!(proxy.writes(), Vec::<String>::new(), "a converged apply must make no write call");
    support::note(&format!("converged plan: {plan_requests} AWS requests"));

    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
}

#[test]
fn stack_changes_plan_exactly_those_changes() {
    let directory = TempDir::new("changes");
    let mut stack = StackFile::new(&unique_stack_name("chg"));
    let path = stack.write(&directory.0);
    let path_text = path.to_str().expect("a UTF-8 path");
    wl_infra(&["apply", "--stack", path_text, "--yes"]).expect_code(0);

    // A new service: its repository, log group, role, task definition, service, target group,
    // rule and alarms, its port on the services' security group, and nothing of the others.
    stack.services.push("watchlist".into());
    stack.write(&directory.0);
    let expected_new_service: Vec<(&str, &str)> = vec![
        ("create", "alarm-watchlist-5xx"),
        ("create", "alarm-watchlist-cpu"),
        ("create", "alarm-watchlist-latency"),
        ("create", "alarm-watchlist-unhealthy"),
        ("create", "ecr-watchlist"),
        ("create", "logs-watchlist"),
        ("create", "rule-watchlist"),
        ("create", "service-watchlist"),
        ("create", "target-watchlist"),
        ("create", "task-role-watchlist"),
        ("create", "task-watchlist"),
        ("update", "sg-app"),
    ];
    let document = planned_json(path_text);
    assert_eq!(changed_resources(&document), expected_new_service);
    let rule = find_change(&document, "rule-watchlist");
    let priorities = wl_infra::graph::rule_priorities(["user", "movie", "watchlist"]);
    assert_eq!(rule["after"]["priority"], priorities["watchlist"], "the rule's priority comes from its name");
    wl_infra(&["apply", "--stack", path_text, "--yes"]).expect_code(0);

    // A third zone and another lifecycle count.
    stack.availability_zones = 3;
    stack.keep_images = 25;
    stack.write(&directory.0);
    let document = planned_json(path_text);
    assert_eq!(
        changed_resources(&document),
        vec![
            ("create", "private-3"),
            ("create", "private-routes-3"),
            ("create", "public-3"),
            ("update", "alb"),
            ("update", "database-subnets"),
            ("update", "ecr-movie"),
            ("update", "ecr-user"),
            ("update", "ecr-watchlist"),
            ("update", "public-routes"),
            ("update", "service-movie"),
            ("update", "service-user"),
            ("update", "service-watchlist"),
        ]
    );
    assert_eq!(find_change(&document, "ecr-user")["changed_fields"], serde_json::json!(["keep_images"]));
    assert_eq!(document["summary"]["create"], 3);
    assert_eq!(
        find_change(&document, "database-subnets")["changed_fields"],
        serde_json::json!(["subnet_ids"]),
        "the databases may use the new zone"
    );
    assert_eq!(find_change(&document, "service-user")["changed_fields"], serde_json::json!(["subnet_ids"]));

    wl_infra(&["apply", "--stack", path_text, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path_text, "--detailed-exitcode"]).expect_code(0);
    let checker = Checker::new("us-east-1");
    let prefix = &stack.name;
    assert_eq!(
        checker.repository_names(&stack.name),
        vec![format!("{prefix}-movie"), format!("{prefix}-user"), format!("{prefix}-watchlist")]
    );

    // A new image for one service: one new task definition revision and one service update.
    let tagged = wl_infra(&["plan", "--stack", path_text, "--json", "--image-tag", "movie=abc"]).expect_code(0);
    let document = support::plan_document(&tagged.stdout);
    assert_eq!(changed_resources(&document), vec![("update", "service-movie"), ("update", "task-movie")]);
    assert_eq!(find_change(&document, "task-movie")["changed_fields"], serde_json::json!(["image"]));
    assert!(
        find_change(&document, "task-movie")["after"]["image"]
            .as_str()
            .is_some_and(|image| image.ends_with("-movie:abc")),
        "{document}"
    );
    wl_infra(&["apply", "--stack", path_text, "--yes", "--image-tag", "movie=abc"]).expect_code(0);
    // Without --image-tag the service keeps the tag it runs.
    wl_infra(&["plan", "--stack", path_text, "--detailed-exitcode"]).expect_code(0);

    // A new port: a new target group, created before the old one goes, the rule and the service
    // moved over to it in place (AWS refuses to delete a target group a rule forwards to).
    stack.ports.insert("movie".into(), 8012);
    stack.write(&directory.0);
    let document = planned_json(path_text);
    assert_eq!(
        changed_resources(&document),
        vec![
            ("replace", "target-movie"),
            ("update", "alarm-movie-5xx"),
            ("update", "alarm-movie-latency"),
            ("update", "alarm-movie-unhealthy"),
            ("update", "rule-movie"),
            ("update", "service-movie"),
            ("update", "sg-app"),
            ("update", "task-movie"),
        ]
    );
    assert_eq!(find_change(&document, "target-movie")["create_before_delete"], true);
    assert_eq!(
        find_change(&document, "service-movie")["changed_fields"],
        // The Service Connect alias moves with the port too.
        serde_json::json!(["container_port", "service_connect_port", "target_group_arn", "task_definition"])
    );
    // Without a window of 503s: the rule forwards to both groups (the new one with no traffic),
    // the service moves, then the rule forwards to the new group alone, then the old group goes.
    let proxy = RecordingProxy::start(endpoint());
    wl_infra_at(&proxy.url, &["apply", "--stack", path_text, "--yes", "--image-tag", "movie=abc"]).expect_code(0);
    let requests: Vec<String> = proxy.requests().into_iter().map(|request| request.action).collect();
    let positions = |action: &str| -> Vec<usize> {
        requests.iter().enumerate().filter(|(_, r)| r.ends_with(action)).map(|(index, _)| index).collect()
    };
    let (rule_changes, service_moves, group_deletes) =
        (positions(":ModifyRule"), positions(":UpdateService"), positions(":DeleteTargetGroup"));
    assert_eq!((rule_changes.len(), service_moves.len(), group_deletes.len()), (2, 1, 1), "{requests:#?}");
    assert!(rule_changes[0] < service_moves[0], "the new group is associated before the service moves");
    assert!(service_moves[0] < rule_changes[1], "the rule moves once the service has moved");
    let health_checks = positions(":DescribeTargetHealth");
    assert!(
        health_checks.iter().any(|read| *read > service_moves[0] && *read < rule_changes[1]),
        "the rule moves once the new group has a healthy target: {requests:#?}"
    );
    assert!(rule_changes[1] < group_deletes[0], "the old group goes last");
    wl_infra(&["plan", "--stack", path_text, "--detailed-exitcode"]).expect_code(0);

    // Removing a service deletes what belonged to it and closes its port; the others stay.
    stack.services.retain(|service| service != "movie");
    stack.write(&directory.0);
    let removal = wl_infra(&["plan", "--stack", path_text]).expect_code(0);
    assert!(removal.stdout.contains("- ecr_repository ecr-movie"), "{}", removal.stdout);
    assert!(removal.stdout.contains("0 to create, 1 to update, 0 to replace, 11 to delete"), "{}", removal.stdout);
    wl_infra(&["apply", "--stack", path_text, "--yes"]).expect_code(0);
    assert_eq!(checker.repository_names(&stack.name), vec![format!("{prefix}-user"), format!("{prefix}-watchlist")]);

    wl_infra(&["destroy", "--stack", path_text, "--yes"]).expect_code(0);
}

#[test]
fn one_stack_name_in_two_regions_keeps_two_sets_of_account_wide_resources() {
    // IAM roles and bucket names are global: each region's stack has its own.
    let name = unique_stack_name("twin");
    let east_directory = TempDir::new("region-east");
    let west_directory = TempDir::new("region-west");
    let east = StackFile::new(&name);
    let mut west = StackFile::new(&name);
    west.region = "us-west-2".into();
    let east_path = east.write(&east_directory.0);
    let west_path = west.write(&west_directory.0);
    let (east_path, west_path) = (east_path.to_str().expect("path"), west_path.to_str().expect("path"));
    wl_infra(&["apply", "--stack", east_path, "--yes"]).expect_code(0);
    wl_infra(&["apply", "--stack", west_path, "--yes"]).expect_code(0);
    // Neither rewrote the other's roles or bucket: both re-plan empty.
    wl_infra(&["plan", "--stack", east_path, "--detailed-exitcode"]).expect_code(0);
    wl_infra(&["plan", "--stack", west_path, "--detailed-exitcode"]).expect_code(0);
    let checker = Checker::new("us-east-1");
    let (roles, buckets) = checker.runtime.block_on(async {
        let listed = checker.iam.list_roles().path_prefix(format!("/wl/{name}/")).send().await.expect("roles");
        let mut paths: Vec<String> = listed.roles().iter().map(|role| role.path().to_string()).collect();
        paths.sort();
        paths.dedup();
        let buckets = checker.s3.list_buckets().send().await.expect("buckets");
        let mut names: Vec<String> = buckets
            .buckets()
            .iter()
            .filter_map(|bucket| bucket.name())
            .filter(|bucket| bucket.starts_with(&format!("{name}-frontend-")))
            .map(str::to_string)
            .collect();
        names.sort();
        (paths, names)
    });
    assert_eq!(roles, vec![format!("/wl/{name}/us-east-1/"), format!("/wl/{name}/us-west-2/")]);
    assert_eq!(
        buckets,
        vec![
            wl_infra::graph::bucket_name(&name, "123456789012", "us-east-1"),
            wl_infra::graph::bucket_name(&name, "123456789012", "us-west-2"),
        ]
    );
    // Destroying one region leaves the other whole.
    wl_infra(&["destroy", "--stack", west_path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", east_path, "--detailed-exitcode"]).expect_code(0);
    wl_infra(&["destroy", "--stack", east_path, "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&name), 0);
    assert_eq!(Checker::new("us-west-2").total_owned(&name), 0);
}

#[test]
fn a_stack_made_before_names_carried_the_region_is_moved_to_region_scoped_names_new_ones_first() {
    let directory = TempDir::new("legacy-names");
    let stack = StackFile::new(&unique_stack_name("old"));
    let name = stack.name.clone();
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    // What the previous version made: a role under `/wl/<stack>/` and a bucket without the region.
    let checker = Checker::new("us-east-1");
    let legacy_bucket = wl_infra::graph::legacy_bucket_name(&name, "123456789012");
    checker.runtime.block_on(async {
        let tag =
            |key: &str, value: &str| aws_sdk_iam::types::Tag::builder().key(key).value(value).build().expect("a tag");
        checker
            .iam
            .create_role()
            .role_name(format!("{name}-task-execution-role"))
            .path(format!("/wl/{name}/"))
            .assume_role_policy_document(wl_infra::graph::policy::trust_policy("ecs-tasks.amazonaws.com"))
            .tags(tag("wl:stack", &name))
            .tags(tag("wl:id", "task-execution-role"))
            .send()
            .await
            .expect("the old role");
        checker.s3.create_bucket().bucket(&legacy_bucket).send().await.expect("the old bucket");
        let tags = aws_sdk_s3::types::Tagging::builder()
            .tag_set(aws_sdk_s3::types::Tag::builder().key("wl:stack").value(&name).build().expect("a tag"))
            .tag_set(aws_sdk_s3::types::Tag::builder().key("wl:id").value("frontend-bucket").build().expect("a tag"))
            .build()
            .expect("tags");
        checker.s3.put_bucket_tagging().bucket(&legacy_bucket).tagging(tags).send().await.expect("tagged");
    });
    // ListRoles lags behind CreateRole, on AWS and in the emulator.
    std::thread::sleep(Duration::from_secs(1));
    // The same stack name in another region: the old-named bucket (in us-east-1) is not its own,
    // and reading it from us-west-2 must not fail the plan (S3 answers 301 there).
    let west_directory = TempDir::new("legacy-names-west");
    let mut west = StackFile::new(&name);
    west.region = "us-west-2".into();
    let west_path = west.write(&west_directory.0);
    let west_plan = wl_infra(&["plan", "--stack", west_path.to_str().expect("a path"), "--json"]).expect_code(0);
    let west_document = support::plan_document(&west_plan.stdout);
    assert_eq!(find_change(&west_document, "frontend-bucket")["action"], "create", "{}", west_plan.stdout);
    let document = planned_json(path);
    for id in ["task-execution-role", "frontend-bucket"] {
        let change = find_change(&document, id);
        assert_eq!(
            (change["action"].as_str(), &change["create_before_delete"]),
            (Some("replace"), &serde_json::json!(true)),
            "{id}"
        );
    }
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    let (old_role, old_bucket) = checker.runtime.block_on(async {
        (
            checker.iam.get_role().role_name(format!("{name}-task-execution-role")).send().await.is_ok(),
            checker.s3.head_bucket().bucket(&legacy_bucket).send().await.is_ok(),
        )
    });
    assert!(!old_role && !old_bucket, "the old role and bucket are gone once the new ones took over");
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&name), 0);
}

#[test]
fn drift_is_shown_by_plan_and_reverted_by_apply() {
    let directory = TempDir::new("drift");
    let stack = StackFile::new(&unique_stack_name("drift"));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);

    let checker = Checker::new("us-east-1");
    let group_id = checker.security_group_id(&stack.name, "sg-database");
    let vpc_id = checker.vpc_id(&stack.name);
    checker.runtime.block_on(async {
        let ssh = aws_sdk_ec2::types::IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        checker
            .ec2
            .authorize_security_group_ingress()
            .group_id(&group_id)
            .ip_permissions(ssh)
            .send()
            .await
            .expect("rule added by hand");
        checker
            .ec2
            .delete_tags()
            .resources(&vpc_id)
            .tags(aws_sdk_ec2::types::Tag::builder().key("Name").build())
            .send()
            .await
            .expect("tag removed by hand");
    });

    let drift = wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(2);
    assert!(drift.stdout.contains("~ security_group sg-database"), "{}", drift.stdout);
    assert!(drift.stdout.contains("- { description = \"\", from_port = 22"), "{}", drift.stdout);
    assert!(drift.stdout.contains("~ vpc vpc"), "{}", drift.stdout);
    assert!(drift.stdout.contains(&format!("+ tags.Name = \"{}-vpc\"", stack.name)), "{}", drift.stdout);
    assert!(drift.stdout.contains("0 to create, 2 to update, 0 to replace, 0 to delete"), "{}", drift.stdout);

    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
}

#[test]
fn a_saved_plan_applies_exactly_what_it_shows_and_a_stale_one_is_refused_before_any_write() {
    let directory = TempDir::new("saved");
    let mut stack = StackFile::new(&unique_stack_name("saved"));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    let plan_file = |name: &str| directory.0.join(name).to_str().expect("a UTF-8 path").to_string();
    let (first, second, third) = (plan_file("first.json"), plan_file("second.json"), plan_file("third.json"));

    let planned = wl_infra(&["plan", "--stack", path, "--out", &first]).expect_code(0);
    assert!(planned.stdout.contains("+ vpc vpc"), "{}", planned.stdout);
    assert!(planned.stderr.contains(&format!("`wl-infra apply {first}`")), "{}", planned.stderr);
    let applied = wl_infra(&["apply", &first]).expect_code(0);
    assert!(applied.stderr.contains("Apply complete"), "no confirmation is asked for: {}", applied.stderr);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);

    // Applied once, the same plan is stale: everything it would create now exists.
    let proxy = RecordingProxy::start(endpoint());
    let again = wl_infra_at(&proxy.url, &["apply", &first]).expect_code(1);
    assert!(again.stderr.contains(&format!("the plan in {first} is stale: ")), "{}", again.stderr);
    assert!(again.stderr.contains("vpc vpc (vpc-") && again.stderr.contains(") appeared"), "{}", again.stderr);
    assert_eq!(proxy.writes(), Vec::<String>::new(), "a stale plan writes nothing");

    // A change reviewed, then drift by hand before it is applied: refused, nothing written.
    stack.keep_images = 5;
    stack.write(&directory.0);
    wl_infra(&["plan", "--stack", path, "--out", &second]).expect_code(0);
    let checker = Checker::new("us-east-1");
    let vpc_id = checker.vpc_id(&stack.name);
    checker.runtime.block_on(async {
        let tag = aws_sdk_ec2::types::Tag::builder().key("Name").build();
        checker.ec2.delete_tags().resources(&vpc_id).tags(tag).send().await.expect("tag removed by hand");
    });
    proxy.clear();
    let stale = wl_infra_at(&proxy.url, &["apply", &second]).expect_code(1);
    assert!(stale.stderr.contains("vpc vpc changed (tags)"), "{}", stale.stderr);
    assert!(stale.stderr.contains("nothing was changed"), "{}", stale.stderr);
    assert_eq!(proxy.writes(), Vec::<String>::new(), "a stale plan writes nothing");

    // A fresh plan of both applies, and the stack converges.
    let fresh = wl_infra(&["plan", "--stack", path, "--out", &third]).expect_code(0);
    assert!(fresh.stdout.contains("~ vpc vpc") && fresh.stdout.contains("~ ecr_repository"), "{}", fresh.stdout);
    wl_infra(&["apply", &third]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    let broken = wl_infra(&["apply", path]).expect_code(1);
    assert!(broken.stderr.contains("is not a saved plan"), "a stack file is not a plan: {}", broken.stderr);
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
}

#[test]
fn destroy_removes_every_owned_resource_and_a_second_destroy_is_a_no_op() {
    let directory = TempDir::new("destroy");
    let mut stack = StackFile::new(&unique_stack_name("dstr"));
    stack.nat_gateways = 2;
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    let checker = Checker::new("us-east-1");
    assert_eq!(checker.owned_counts(&stack.name)[4], ("nat_gateway", 2));

    let destroyed = wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert!(destroyed.stderr.contains("Destroy complete"), "{}", destroyed.stderr);
    assert_eq!(checker.total_owned(&stack.name), 0, "{:?}", checker.owned_counts(&stack.name));
    let again = wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert!(again.stdout.starts_with("Nothing to destroy"), "{}", again.stdout);
}

#[test]
fn two_stacks_do_not_see_or_touch_each_other_nor_unowned_lookalikes() {
    let directory = TempDir::new("isolation");
    let first = StackFile::new(&unique_stack_name("iso"));
    // The second stack's name extends the first's, so name prefixes alone would mix them up.
    let mut second = StackFile::new(&format!("{}-b", first.name));
    second.frontend = false;
    let first_path = first.write(&directory.0);
    let second_path = second.write(&directory.0);
    let checker = Checker::new("us-east-1");
    // An untagged repository whose name the first stack would use for a new service.
    let lookalike = format!("{}-catalog", first.name);
    checker.runtime.block_on(async {
        checker.ecr.create_repository().repository_name(&lookalike).send().await.expect("an unowned repository");
    });

    wl_infra(&["apply", "--stack", first_path.to_str().expect("path"), "--yes"]).expect_code(0);
    wl_infra(&["apply", "--stack", second_path.to_str().expect("path"), "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", first_path.to_str().expect("path"), "--detailed-exitcode"]).expect_code(0);
    wl_infra(&["plan", "--stack", second_path.to_str().expect("path"), "--detailed-exitcode"]).expect_code(0);

    // The first stack now wants a service whose repository name is taken by the unowned one.
    let mut grown = StackFile::new(&first.name);
    grown.services.push("catalog".into());
    grown.write(&directory.0);
    let refused = wl_infra(&["apply", "--stack", first_path.to_str().expect("path"), "--yes"]).expect_code(1);
    assert!(refused.stderr.contains("is not tagged wl:stack="), "{}", refused.stderr);

    wl_infra(&["destroy", "--stack", first_path.to_str().expect("path"), "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&first.name), 0);
    assert_eq!(checker.owned_counts(&second.name)[0], ("vpc", 1), "the other stack is untouched");
    let still_there = checker
        .runtime
        .block_on(async { checker.ecr.describe_repositories().repository_names(&lookalike).send().await.is_ok() });
    assert!(still_there, "the unowned repository must never be deleted");
    wl_infra(&["destroy", "--stack", second_path.to_str().expect("path"), "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&second.name), 0);
}

/// An endpoint that records whether anything connected to it.
fn listening_endpoint() -> (String, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let contacted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&contacted);
    std::thread::spawn(move || {
        if listener.accept().is_ok() {
            flag.store(true, Ordering::SeqCst);
        }
    });
    (url, contacted)
}

#[test]
fn an_invalid_stack_file_exits_1_with_diagnostics_and_no_aws_request() {
    let directory = TempDir::new("invalid");
    let mut text = StackFile::new("bad-stack").render();
    text = text.replace("cidr = \"10.0.0.0/16\"", "cidr = \"10.0.0.0/33\"");
    let path = directory.0.join("bad.toml");
    std::fs::write(&path, text).expect("write");
    let path = path.to_str().expect("a UTF-8 path");
    let (url, contacted) = listening_endpoint();
    for command in ["validate", "plan", "apply", "destroy"] {
        let run = wl_infra_at(
            &url,
            &[command, "--stack", path, "--yes"]
                .iter()
                .copied()
                .filter(|a| command != "validate" && command != "plan" || *a != "--yes")
                .collect::<Vec<_>>(),
        );
        let run = run.expect_code(1);
        assert!(run.stderr.contains("bad.toml:7:9"), "{command}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{command}: nothing on stdout");
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(!contacted.load(Ordering::SeqCst), "no AWS request may be made for an invalid stack file");
}

#[test]
fn a_missing_frontend_build_is_a_clear_error_before_any_aws_request() {
    let directory = TempDir::new("no-frontend");
    // The stack file alone: its `source_dir = "frontend"` does not exist.
    let path = directory.0.join("site.toml");
    std::fs::write(&path, StackFile::new("no-frontend").render()).expect("write");
    let path = path.to_str().expect("a UTF-8 path");
    let (url, contacted) = listening_endpoint();
    for args in [vec!["plan", "--stack", path], vec!["apply", "--stack", path, "--yes"]] {
        let run = wl_infra_at(&url, &args).expect_code(1);
        assert!(run.stderr.contains("cannot read the frontend files in"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("build the frontend first"), "{args:?}: {}", run.stderr);
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(!contacted.load(Ordering::SeqCst), "no AWS request may be made before the local input is read");
}

#[test]
fn apply_without_yes_and_without_a_terminal_refuses_and_changes_nothing() {
    let directory = TempDir::new("confirm");
    let stack = StackFile::new(&unique_stack_name("conf"));
    let path = stack.write(&directory.0);
    let run = wl_infra(&["apply", "--stack", path.to_str().expect("path")]).expect_code(1);
    assert!(run.stderr.contains("pass --yes"), "{}", run.stderr);
    assert_eq!(Checker::new("us-east-1").total_owned(&stack.name), 0);
}

#[test]
fn bad_image_tags_are_refused_before_any_aws_request() {
    let directory = TempDir::new("tags");
    let path = StackFile::new("tag-stack").write(&directory.0);
    let (url, contacted) = listening_endpoint();
    let unknown = wl_infra_at(&url, &["plan", "--stack", path.to_str().expect("path"), "--image-tag", "billing=abc"])
        .expect_code(1);
    assert!(unknown.stderr.contains("names service \"billing\""), "{}", unknown.stderr);
    let malformed =
        wl_infra_at(&url, &["plan", "--stack", path.to_str().expect("path"), "--image-tag", "movie"]).expect_code(1);
    assert!(malformed.stderr.contains("is not SERVICE=TAG"), "{}", malformed.stderr);
    assert!(!contacted.load(Ordering::SeqCst));
}

#[test]
fn an_interrupted_apply_starts_nothing_new_and_the_next_apply_converges() {
    use wl_infra::apply::{self, Event, EventSink, ExecuteOptions};

    struct Collect(std::sync::Mutex<Vec<Event>>);
    impl EventSink for Collect {
        fn event(&self, event: Event) {
            self.0.lock().expect("events").push(event);
        }
    }

    let directory = TempDir::new("interrupt");
    let stack_file = StackFile::new(&unique_stack_name("intr"));
    let path = stack_file.write(&directory.0);
    let stack = wl_infra::ops::load_stack(&path).expect("a valid stack");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let events = Arc::new(Collect(std::sync::Mutex::new(Vec::new())));
    let report = runtime.block_on(async {
        std::env::set_var("AWS_ACCESS_KEY_ID", "test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
        let connection = wl_infra::aws::Connection { endpoint_url: Some(endpoint().to_string()) };
        let clients = wl_infra::aws::connect(&stack.name, &stack.region, &connection).await;
        let (plan, live) =
            wl_infra::ops::read_and_plan(&clients, &stack, wl_infra::ops::Goal::Apply, &Default::default())
                .await
                .expect("a plan");
        // Ctrl-C arrives before the first step could start.
        let interrupted = Arc::new(AtomicBool::new(true));
        apply::execute(Arc::new(clients), &plan, &live, &ExecuteOptions::default(), events.clone(), interrupted).await
    });
    assert!(report.interrupted);
    assert_eq!(report.succeeded, 0);
    assert!(!report.skipped.is_empty());
    assert!(events.0.lock().expect("events").iter().all(|event| !matches!(event, Event::Started { .. })));
    assert_eq!(Checker::new("us-east-1").total_owned(&stack.name), 0, "nothing was created");

    let path = path.to_str().expect("a UTF-8 path");
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
}

/// The plan of a stack file as `plan --json` prints it (changes pending).
fn planned_json(path: &str) -> serde_json::Value {
    let planned = wl_infra(&["plan", "--stack", path, "--json", "--detailed-exitcode"]).expect_code(2);
    support::plan_document(&planned.stdout)
}

fn find_change<'a>(document: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    document["changes"].as_array().expect("changes").iter().find(|c| c["id"] == id).expect("a change of that id")
}

#[test]
fn quiet_prints_the_plan_and_errors_only_and_verbose_shows_the_sdk_s_requests() {
    let directory = TempDir::new("quiet");
    let mut stack = StackFile::new(&unique_stack_name("qt"));
    stack.frontend = false;
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    // The most verbose apply, which generates and stores the secrets, shows none of them.
    let loudest = wl_infra(&["-vv", "apply", "--stack", path, "--yes"]).expect_code(0);
    let checker = Checker::new("us-east-1");
    let stored: Vec<String> = checker.runtime.block_on(async {
        let mut values = Vec::new();
        for name in [format!("{}/main/master", stack.name), format!("{}/jwt-signing-key", stack.name)] {
            let value = checker.secrets.get_secret_value().secret_id(&name).send().await.expect("a stored secret");
            values.push(value.secret_string().unwrap_or_default().to_string());
        }
        values
    });
    let password = serde_json::from_str::<serde_json::Value>(&stored[0]).expect("JSON")["password"].clone();
    let password = password.as_str().unwrap_or_default().to_string();
    assert!(loudest.stderr.contains("beginning attempt #1"), "the SDK's log is there");
    for secret in [password.as_str(), stored[1].as_str()] {
        assert!(secret.len() >= 16 && !loudest.stderr.contains(secret), "no secret in the -vv log");
    }
    stack.keep_images = 5;
    stack.write(&directory.0);
    let quiet = wl_infra(&["-q", "apply", "--stack", path, "--yes"]).expect_code(0);
    assert!(quiet.stdout.contains("~ ecr_repository"), "the plan still goes to stdout: {}", quiet.stdout);
    assert_eq!(quiet.stderr.trim(), "", "no progress and no summary with -q");
    let verbose = wl_infra(&["plan", "--stack", path, "-v"]).expect_code(0);
    assert!(verbose.stderr.contains("beginning attempt #1"), "the SDK's attempts: {}", verbose.stderr);
    assert!(verbose.stdout.starts_with("No changes."), "{}", verbose.stdout);
    let usage = wl_infra(&["plan", "--stack", path, "-q", "-v"]).expect_code(1);
    assert!(usage.stderr.contains("cannot be used with"), "{}", usage.stderr);
    wl_infra(&["-q", "destroy", "--stack", path, "--yes"]).expect_code(0);
}
