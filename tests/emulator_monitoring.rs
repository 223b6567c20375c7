//! End-to-end tests of the stack's monitoring against the local AWS emulator: the alert topic and
//! its e-mail subscriptions, and the alarms notifying it and the user's own topic.

mod support;

use support::proxy::RecordingProxy;
use support::{changed_resources, emulator_control, endpoint, unique_stack_name, wl_infra, wl_infra_at};
use support::{Checker, StackFile, TempDir};

fn planned(path: &str) -> serde_json::Value {
    let planned = wl_infra(&["plan", "--stack", path, "--json"]).expect_code(0);
    support::plan_document(&planned.stdout)
}

fn confirmations_sent(address: &str) -> u64 {
    emulator_control("GET", "/wl-api/sns/confirmations", "")["sent"][address].as_u64().unwrap_or(0)
}

#[test]
fn alarms_notify_the_stack_s_topic_and_the_user_s_and_a_pending_address_is_never_sent_again() {
    let directory = TempDir::new("alerts");
    let mut stack = StackFile::new(&unique_stack_name("alr"));
    stack.frontend = false;
    let checker = Checker::new("us-east-1");
    let users_topic = checker.runtime.block_on(async {
        let created = checker.sns.create_topic().name(format!("{}-pager", stack.name)).send().await;
        created.expect("the user's topic").topic_arn().unwrap_or_default().to_string()
    });
    let (first, second, third) = (
        format!("{}-a@example.com", stack.name),
        format!("{}-b@example.com", stack.name),
        format!("{}-c@example.com", stack.name),
    );
    stack.alarms = format!("notify = [{first:?}, {second:?}]\ntopic_arn = {users_topic:?}\n");
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");

    let applied = wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    assert!(applied.stdout.contains("+ alert_topic alerts"), "{}", applied.stdout);
    let counts = checker.owned_counts(&stack.name);
    assert!(counts.contains(&("alert_topic", 1)), "{counts:?}");
    let stack_topic = format!("arn:aws:sns:us-east-1:123456789012:{}-alerts", stack.name);
    let alarms = checker.runtime.block_on(async {
        let described = checker.cloudwatch.describe_alarms().alarm_name_prefix(format!("{}-alarm-", stack.name));
        described.send().await.expect("alarms").metric_alarms().to_vec()
    });
    assert_eq!(alarms.len(), 2 * 4 + 3 + 1, "per service, per database and the load balancer's");
    for alarm in &alarms {
        let mut actions = alarm.alarm_actions().to_vec();
        actions.sort();
        assert_eq!(actions, vec![stack_topic.clone(), users_topic.clone()], "{:?}", alarm.alarm_name());
        let mut ok_actions = alarm.ok_actions().to_vec();
        ok_actions.sort();
        assert_eq!(ok_actions, actions);
    }
    assert_eq!((confirmations_sent(&first), confirmations_sent(&second)), (1, 1));
    // Encrypted with the stack's key (CloudWatch may not use SNS's AWS-managed one).
    let alias = format!("alias/{}-alerts", stack.name);
    let key_arn = checker.runtime.block_on(async {
        let key = checker.kms.describe_key().key_id(&alias).send().await.expect("the stack's key");
        key.key_metadata().and_then(|m| m.arn()).unwrap_or_default().to_string()
    });
    let topic_key = checker.runtime.block_on(async {
        let attributes = checker.sns.get_topic_attributes().topic_arn(&stack_topic).send().await.expect("attributes");
        attributes.attributes().and_then(|a| a.get("KmsMasterKeyId")).cloned().unwrap_or_default()
    });
    assert_eq!(topic_key, key_arn);

    // Both addresses are pending: the plan says so and has nothing to do; an apply sends nothing.
    let plan = wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    assert!(plan.stdout.starts_with("No changes."), "{}", plan.stdout);
    assert!(
        plan.stdout.contains(&format!("note: alert_subscription alerts-to-{first}: pending confirmation")),
        "{}",
        plan.stdout
    );
    let proxy = RecordingProxy::start(endpoint());
    wl_infra_at(&proxy.url, &["apply", "--stack", path, "--yes"]).expect_code(0);
    assert_eq!(proxy.writes(), Vec::<String>::new(), "a converged apply subscribes no one again");
    assert_eq!((confirmations_sent(&first), confirmations_sent(&second)), (1, 1));

    // The first address confirms. Both leave the stack and a third comes: the confirmed one is
    // unsubscribed, the pending one cannot be (the plan says why), the new one is subscribed.
    emulator_control("POST", "/wl-api/sns/confirm", &format!(r#"{{"endpoint": "{first}"}}"#));
    stack.alarms = format!("notify = [{third:?}]\ntopic_arn = {users_topic:?}\n");
    stack.write(&directory.0);
    let document = planned(path);
    let first_id = format!("alerts-to-{first}");
    let third_id = format!("alerts-to-{third}");
    assert_eq!(changed_resources(&document), vec![("create", third_id.as_str()), ("delete", first_id.as_str())]);
    let left = document["changes"].as_array().expect("changes").iter().find(|c| c["physical_id"] == second.as_str());
    let notice = left.expect("the pending subscription")["notice"].as_str().unwrap_or_default().to_string();
    assert!(notice.contains("no longer in the stack: SNS cannot unsubscribe it"), "{notice}");
    let proxy = RecordingProxy::start(endpoint());
    wl_infra_at(&proxy.url, &["apply", "--stack", path, "--yes"]).expect_code(0);
    let mut writes = proxy.writes();
    writes.sort();
    assert_eq!(writes, vec!["sns:Subscribe".to_string(), "sns:Unsubscribe".to_string()]);
    let endpoints = checker.runtime.block_on(async {
        let listed = checker.sns.list_subscriptions_by_topic().topic_arn(&stack_topic).send().await;
        let listed = listed.expect("subscriptions");
        let mut endpoints: Vec<String> =
            listed.subscriptions().iter().map(|s| s.endpoint().unwrap_or_default().to_string()).collect();
        endpoints.sort();
        endpoints
    });
    assert_eq!(endpoints, vec![second.clone(), third.clone()]);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);

    // Without addresses the topic goes (and its pending subscriptions with it); the alarms
    // notify the user's topic alone.
    stack.alarms = format!("topic_arn = {users_topic:?}\n");
    stack.write(&directory.0);
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    assert!(checker.owned_counts(&stack.name).contains(&("alert_topic", 0)));
    let key_state = checker.runtime.block_on(async {
        let key = checker.kms.describe_key().key_id(&key_arn).send().await.expect("the key");
        key.key_metadata().and_then(|m| m.key_state().cloned())
    });
    assert_eq!(key_state, Some(aws_sdk_kms::types::KeyState::PendingDeletion), "the key goes after KMS's window");
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);

    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&stack.name), 0, "{:?}", checker.owned_counts(&stack.name));
    checker.runtime.block_on(async {
        let kept = checker.sns.get_topic_attributes().topic_arn(&users_topic).send().await;
        assert!(kept.is_ok(), "the user's topic is not the stack's: {kept:?}");
    });
}

fn live_dashboard_body(checker: &Checker, name: &str) -> String {
    checker.runtime.block_on(async {
        let got = checker.cloudwatch.get_dashboard().dashboard_name(name).send().await.expect("the dashboard");
        got.dashboard_body().unwrap_or_default().to_string()
    })
}

fn put_dashboard_by_hand(checker: &Checker, name: &str, body: &serde_json::Value, pretty: bool) {
    let text = if pretty { serde_json::to_string_pretty(body) } else { serde_json::to_string(body) };
    checker.runtime.block_on(async {
        let put = checker.cloudwatch.put_dashboard().dashboard_name(name).dashboard_body(text.expect("JSON"));
        put.send().await.expect("a dashboard put by hand");
    });
}

#[test]
fn the_dashboard_is_made_from_the_stack_compared_as_canonical_json_and_destroyed() {
    let directory = TempDir::new("dashboard");
    let mut stack = StackFile::new(&unique_stack_name("dsh"));
    stack.frontend = false;
    stack.cache = Some(("cache.t3.micro".into(), 0));
    stack.extra = "[dashboard]\nperiod_seconds = 300\n".into();
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    let checker = Checker::new("us-east-1");
    let name = format!("{}-us-east-1", stack.name);

    let applied = wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    let url = format!(
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/{name}"
    );
    assert!(applied.stderr.contains(&format!("Dashboard: {url}")), "{}", applied.stderr);
    assert!(checker.owned_counts(&stack.name).contains(&("dashboard", 1)));
    let body: serde_json::Value = serde_json::from_str(&live_dashboard_body(&checker, &name)).expect("JSON");
    let text = body.to_string();
    assert!(text.contains("\"LoadBalancer\",\"app/"), "the load balancer's real dimension: {text}");
    assert!(text.contains(&format!("SOURCE '/ecs/{}/movie'", stack.name)), "{text}");
    assert!(text.contains(&format!("\"CacheClusterId\",\"{}-cache-001\"", stack.name)), "{text}");

    // The same body written another way (indented, so keys and spaces differ) is no change.
    put_dashboard_by_hand(&checker, &name, &body, true);
    let unchanged = wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    assert!(unchanged.stdout.starts_with("No changes."), "{}", unchanged.stdout);
    // A widget removed by hand is put back, and the period of the stack file is a change.
    let mut edited = body.clone();
    edited["widgets"].as_array_mut().expect("widgets").pop();
    put_dashboard_by_hand(&checker, &name, &edited, false);
    stack.extra = "[dashboard]\nperiod_seconds = 60\n".into();
    stack.write(&directory.0);
    let document = planned(path);
    assert_eq!(changed_resources(&document), vec![("update", "dashboard")]);
    let change = document["changes"].as_array().expect("changes").iter().find(|c| c["id"] == "dashboard");
    assert_eq!(change.expect("the dashboard")["changed_fields"], serde_json::json!(["body"]));
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    let body: serde_json::Value = serde_json::from_str(&live_dashboard_body(&checker, &name)).expect("JSON");
    assert_eq!(body["widgets"].as_array().map(Vec::len), edited["widgets"].as_array().map(|w| w.len() + 1));
    assert_eq!(body["widgets"][1]["properties"]["period"], 60);

    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&stack.name), 0, "{:?}", checker.owned_counts(&stack.name));
}

/// The scalable targets of a stack's services, as (resource id, min, max), and its policies' names.
fn scaling_of(checker: &Checker, stack: &str) -> (Vec<(String, i32, i32)>, Vec<String>) {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    checker.runtime.block_on(async {
        let described = checker.autoscaling.describe_scalable_targets().service_namespace(ServiceNamespace::Ecs);
        let described = described.send().await.expect("scalable targets");
        let prefix = format!("service/{stack}/");
        let mut targets: Vec<(String, i32, i32)> = described
            .scalable_targets()
            .iter()
            .filter(|t| t.resource_id().starts_with(&prefix))
            .map(|t| (t.resource_id().to_string(), t.min_capacity(), t.max_capacity()))
            .collect();
        targets.sort();
        let mut policies = Vec::new();
        for (resource_id, _, _) in &targets {
            let described = checker
                .autoscaling
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(resource_id)
                .send()
                .await
                .expect("policies");
            policies.extend(described.scaling_policies().iter().map(|p| p.policy_name().to_string()));
        }
        policies.sort();
        (targets, policies)
    })
}

#[test]
fn the_prod_stack_with_alerts_dashboard_and_scaling_applies_replans_empty_changes_exactly_and_destroys() {
    let directory = TempDir::new("full-prod");
    let name = unique_stack_name("prd");
    let source =
        include_str!("../stacks/prod.toml").replace("name = \"watchlist-prod\"", &format!("name = \"{name}\""));
    let path = directory.0.join("stacks").join("prod.toml");
    std::fs::create_dir_all(directory.0.join("stacks")).expect("a stacks directory");
    std::fs::write(&path, &source).expect("a stack file");
    let dist = directory.0.join("frontend").join("dist");
    std::fs::create_dir_all(&dist).expect("a dist directory");
    std::fs::write(dist.join("index.html"), "<!doctype html><title>watchlist</title>").expect("index.html");
    let path = path.to_str().expect("a UTF-8 path");
    let checker = Checker::new("us-east-1");

    let applied = wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    assert!(applied.stderr.contains("Dashboard: https://"), "{}", applied.stderr);
    let counts = checker.owned_counts(&name);
    for expected in [("alert_topic", 1), ("dashboard", 1), ("metric_alarm", 3 * 4 + 3 * 3 + 2 * 2 + 1)] {
        assert!(counts.contains(&expected), "{expected:?} in {counts:?}");
    }
    let (targets, policies) = scaling_of(&checker, &name);
    let target = |service: &str, max: i32| (format!("service/{name}/{service}"), 2, max);
    assert_eq!(targets, vec![target("movie", 10), target("user", 10), target("watchlist", 10)]);
    let policy = |suffix: &str| format!("{name}-{suffix}");
    assert_eq!(
        policies,
        vec![policy("movie-cpu"), policy("movie-requests"), policy("user-cpu"), policy("watchlist-cpu")]
    );
    let plan = wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    assert!(plan.stdout.starts_with("No changes."), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("note: ecs_service service-movie: desired_count is not compared: Application Auto Scaling sets it between 2 and 10 tasks"),
        "{}",
        plan.stdout
    );

    // Scaling out (here by hand) is not drift: the task count is the autoscaler's.
    checker.runtime.block_on(async {
        let scaled = checker.ecs.update_service().cluster(&name).service("movie").desired_count(5).send().await;
        scaled.expect("the service scaled out");
    });
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);

    // A threshold and a scaling bound: exactly those changes.
    let changed = source.replace("http_5xx_per_minute = 10", "http_5xx_per_minute = 20").replace(
        "max = 10\ncpu_percent = 60\nrequests_per_target = 500",
        "max = 12\ncpu_percent = 60\nrequests_per_target = 500",
    );
    std::fs::write(path, &changed).expect("the changed stack file");
    let document = planned(path);
    assert_eq!(
        changed_resources(&document),
        vec![
            ("update", "alarm-movie-5xx"),
            ("update", "alarm-user-5xx"),
            ("update", "alarm-watchlist-5xx"),
            ("update", "scaling-movie"),
        ]
    );
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    assert!(scaling_of(&checker, &name).0.contains(&target("movie", 12)));

    // Destroying production: deletion protection comes off in an apply first, as it must.
    std::fs::write(path, changed.replace("deletion_protection = true", "deletion_protection = false"))
        .expect("the stack file without deletion protection");
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&name), 0, "{:?}", checker.owned_counts(&name));
    assert_eq!(scaling_of(&checker, &name), (Vec::new(), Vec::new()), "targets deregistered, policies gone");
}

#[test]
fn status_shows_the_services_and_data_tier_and_exits_3_while_an_alarm_fires() {
    let directory = TempDir::new("status");
    let mut stack = StackFile::new(&unique_stack_name("sts"));
    stack.frontend = false;
    stack.cache = Some(("cache.t3.micro".into(), 0));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);

    let healthy = wl_infra(&["status", "--stack", path, "--json"]).expect_code(0);
    let status: serde_json::Value = serde_json::from_str(&healthy.stdout).expect("JSON");
    assert_eq!(status["problems"], serde_json::json!([]), "{status}");
    let services = status["services"].as_array().expect("services");
    assert_eq!(services.len(), 2);
    for service in services {
        assert_eq!(service["status"], "ACTIVE", "{service}");
        assert_eq!(service["running"], service["desired"], "{service}");
        assert_eq!(service["deployments"][0]["rollout_state"], "COMPLETED", "{service}");
        assert!(service["events"].as_array().is_some_and(|events| !events.is_empty()), "{service}");
    }
    assert_eq!(status["databases"][0]["state"], "available");
    assert_eq!(status["cache"]["state"], "available");

    let alarm = format!("{}-alarm-movie-cpu", stack.name);
    checker_sets_alarm(&alarm);
    let unhealthy = wl_infra(&["status", "--stack", path]).expect_code(3);
    assert!(unhealthy.stdout.contains("service movie  ACTIVE  running 1/1"), "{}", unhealthy.stdout);
    assert!(
        unhealthy.stdout.contains(&format!("Unhealthy:\n  - alarm {alarm} fires: CPU at 97%")),
        "{}",
        unhealthy.stdout
    );

    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
}

fn checker_sets_alarm(name: &str) {
    let checker = Checker::new("us-east-1");
    checker.runtime.block_on(async {
        let set = checker
            .cloudwatch
            .set_alarm_state()
            .alarm_name(name)
            .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
            .state_reason("CPU at 97%")
            .send()
            .await;
        set.expect("the alarm fires");
    });
}
