//! Unit tests of the desired graph with plain data.

use super::*;
use crate::stack;

fn facts() -> AccountFacts {
    AccountFacts {
        image_tags: Default::default(),
        frontend_files: Vec::new(),
        account_id: "123456789012".into(),
        subnet_zones: Default::default(),
        availability_zones: vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1c".into()],
        cloudfront_prefix_list: Some("pl-3b927c52".into()),
    }
}

fn dev_stack() -> Stack {
    let source = include_str!("../../stacks/dev.toml");
    stack::parse("dev.toml", source).unwrap_or_else(|diagnostics| panic!("{}", diagnostics.render()))
}

fn ids(resources: &[Resource]) -> Vec<&str> {
    resources.iter().map(|resource| resource.id.as_str()).collect()
}

#[test]
fn dev_stack_has_every_tier() {
    let resources = desired(&dev_stack(), &facts()).expect("enough zones");
    assert_eq!(
        ids(&resources),
        vec![
            "vpc",
            "internet-gateway",
            "public-1",
            "private-1",
            "public-2",
            "private-2",
            "nat-ip-1",
            "nat-1",
            "public-routes",
            "private-routes-1",
            "private-routes-2",
            "sg-alb",
            "sg-app",
            "sg-database",
            "sg-cache",
            "database-subnets",
            "db-movies-secret",
            "db-movies",
            "db-users-secret",
            "db-users",
            "db-watchlist-secret",
            "db-watchlist",
            "cache-subnets",
            "cache",
            "ecr-movie",
            "ecr-user",
            "ecr-watchlist",
            "jwt-secret",
            "origin-secret",
            "task-execution-role",
            "cluster",
            "namespace",
            "alb",
            "listener-http",
            "task-role-movie",
            "logs-movie",
            "target-movie",
            "rule-movie",
            "task-movie",
            "service-movie",
            "alarm-movie-cpu",
            "alarm-movie-5xx",
            "alarm-movie-latency",
            "alarm-movie-unhealthy",
            "task-role-user",
            "logs-user",
            "target-user",
            "rule-user",
            "task-user",
            "service-user",
            "alarm-user-cpu",
            "alarm-user-5xx",
            "alarm-user-latency",
            "alarm-user-unhealthy",
            "task-role-watchlist",
            "logs-watchlist",
            "target-watchlist",
            "rule-watchlist",
            "task-watchlist",
            "service-watchlist",
            "alarm-watchlist-cpu",
            "alarm-watchlist-5xx",
            "alarm-watchlist-latency",
            "alarm-watchlist-unhealthy",
            "alarm-db-movies-cpu",
            "alarm-db-movies-storage",
            "alarm-db-movies-connections",
            "alarm-db-users-cpu",
            "alarm-db-users-storage",
            "alarm-db-users-connections",
            "alarm-db-watchlist-cpu",
            "alarm-db-watchlist-storage",
            "alarm-db-watchlist-connections",
            "alarm-cache-1-memory",
            "alarm-cache-1-evictions",
            "alarm-alb-5xx",
            "frontend-bucket",
            "frontend-oac",
            "distribution",
            "frontend-bucket-policy",
            "frontend-invalidation",
        ]
    );
}

#[test]
fn every_resource_depends_only_on_earlier_ones() {
    let resources = desired(&dev_stack(), &facts()).expect("enough zones");
    for (index, resource) in resources.iter().enumerate() {
        for dependency in &resource.depends_on {
            let position = resources.iter().position(|r| &r.id == dependency);
            assert!(
                position.is_some_and(|p| p < index),
                "{} depends on {dependency}, which is not earlier",
                resource.id
            );
        }
    }
}

#[test]
fn every_resource_is_tagged_with_stack_and_id() {
    // AWS cannot tag these; they are found by name or through the stack's bucket.
    let untaggable = [Kind::OriginAccessControl, Kind::BucketPolicy, Kind::FrontendObject, Kind::CacheInvalidation];
    for resource in desired(&dev_stack(), &facts()).expect("enough zones") {
        if untaggable.contains(&resource.kind) {
            assert!(!resource.props.contains_key("tags"), "{}", resource.id);
            continue;
        }
        let tags = resource.props.get("tags").and_then(Value::as_map).expect("tags");
        assert_eq!(tags.get(STACK_TAG), Some(&Value::string("watchlist-dev")));
        assert_eq!(tags.get(ID_TAG), Some(&Value::string(&resource.id)));
    }
}

#[test]
fn subnets_are_carved_from_the_vpc_block() {
    let resources = desired(&dev_stack(), &facts()).expect("enough zones");
    let cidr = |id: &str| resources.iter().find(|r| r.id == id).and_then(|r| r.props.get("cidr_block")).cloned();
    assert_eq!(cidr("public-1"), Some(Value::string("10.0.0.0/20")));
    assert_eq!(cidr("public-2"), Some(Value::string("10.0.16.0/20")));
    assert_eq!(cidr("private-1"), Some(Value::string("10.0.128.0/20")));
}

#[test]
fn a_third_zone_adds_subnets_without_moving_the_others() {
    let mut stack = dev_stack();
    let before = desired(&stack, &facts()).expect("enough zones");
    stack.network.availability_zones = 3;
    let after = desired(&stack, &facts()).expect("enough zones");
    for resource in &before {
        if resource.kind == Kind::Subnet {
            let same = after.iter().find(|r| r.id == resource.id).expect("subnet kept");
            assert_eq!(same.props, resource.props);
        }
    }
    assert!(ids(&after).contains(&"public-3") && ids(&after).contains(&"private-routes-3"));
}

#[test]
fn existing_subnets_keep_their_zones_and_new_ones_take_the_free_zones() {
    // The stack's first zone was laid out in us-east-1c and its second in us-east-1a (the region
    // listed its zones in another order then, or a zone was full): they stay there, whatever the
    // order of today's listing, and a third zone takes the one left.
    let mut stack = dev_stack();
    stack.network.availability_zones = 3;
    let mut facts = facts();
    facts.subnet_zones = [
        ("public-1".to_string(), "us-east-1c".to_string()),
        ("private-1".to_string(), "us-east-1c".to_string()),
        ("private-2".to_string(), "us-east-1a".to_string()),
    ]
    .into();
    let resources = desired(&stack, &facts).expect("enough zones");
    let zone = |id: &str| {
        let subnet = resources.iter().find(|r| r.id == id).expect("the subnet");
        subnet.props.get("availability_zone").cloned().expect("a zone")
    };
    assert_eq!(zone("public-1"), Value::string("us-east-1c"));
    assert_eq!(zone("private-1"), Value::string("us-east-1c"));
    // Only the private subnet of zone 2 exists: its public twin joins it there.
    assert_eq!(zone("public-2"), Value::string("us-east-1a"));
    assert_eq!(zone("private-3"), Value::string("us-east-1b"));
    // A zone the region no longer offers for new subnets still holds the existing ones.
    facts.availability_zones = vec!["us-east-1b".into(), "us-east-1d".into()];
    let resources = desired(&stack, &facts).expect("enough zones");
    let subnet = resources.iter().find(|r| r.id == "private-1").expect("the subnet");
    assert_eq!(subnet.props.get("availability_zone"), Some(&Value::string("us-east-1c")));
}

#[test]
fn one_nat_per_zone_gives_each_private_table_its_own_gateway() {
    let mut stack = dev_stack();
    stack.network.nat_gateways = stack::NatGateways::PerAvailabilityZone;
    let resources = desired(&stack, &facts()).expect("enough zones");
    let routes =
        resources.iter().find(|r| r.id == "private-routes-2").and_then(|r| r.props.get("routes")).expect("routes");
    assert!(format!("{routes:?}").contains("nat-2"));
    assert!(ids(&resources).contains(&"nat-ip-2"));
}

#[test]
fn databases_and_cache_are_reachable_only_from_the_app_group() {
    let resources = desired(&dev_stack(), &facts()).expect("enough zones");
    for id in ["sg-database", "sg-cache"] {
        let ingress = resources.iter().find(|r| r.id == id).and_then(|r| r.props.get("ingress")).expect("ingress");
        for rule in ingress.as_list() {
            assert_eq!(rule.as_map().and_then(|m| m.get("source")), Some(&Value::id_of("sg-app")), "{id}");
        }
    }
}

#[test]
fn too_few_zones_in_the_region_is_an_error() {
    let mut stack = dev_stack();
    stack.network.availability_zones = 4;
    let error = desired(&stack, &facts()).expect_err("only three zones");
    assert_eq!(error, GraphError::NotEnoughAvailabilityZones { region: "us-east-1".into(), available: 3, wanted: 4 });
}

#[test]
fn repositories_follow_the_design_name() {
    let resources = desired(&dev_stack(), &facts()).expect("enough zones");
    let movie = resources.iter().find(|r| r.id == "ecr-movie").expect("repository");
    assert_eq!(movie.props.get("name"), Some(&Value::string("watchlist-dev-movie")));
    assert_eq!(movie.props.get("keep_images"), Some(&Value::Integer(10)));
}

#[test]
fn databases_sit_in_the_private_subnets_behind_the_database_group_with_their_secret() {
    let resources = desired(&dev_stack(), &facts()).expect("enough zones");
    let users = resources.iter().find(|r| r.id == "db-users").expect("the users database");
    assert_eq!(users.props.get("publicly_accessible"), Some(&Value::Bool(false)));
    assert_eq!(users.props.get("storage_encrypted"), Some(&Value::Bool(true)));
    assert_eq!(users.props.get("security_group_ids"), Some(&Value::List(vec![Value::id_of("sg-database")])));
    assert_eq!(users.depends_on, vec!["database-subnets", "db-users-secret", "sg-database"]);
    let tags = users.props.get("tags").and_then(Value::as_map).expect("tags");
    assert_eq!(tags.get(MASTER_SECRET_TAG), Some(&Value::string("watchlist-dev/users/master")));
    assert_eq!(tags.get(FINAL_SNAPSHOT_TAG), Some(&Value::string("false")));
    let group = resources.iter().find(|r| r.id == "database-subnets").expect("the subnet group");
    assert_eq!(
        group.props.get("subnet_ids"),
        Some(&Value::List(vec![Value::id_of("private-1"), Value::id_of("private-2")]))
    );
}

#[test]
fn the_cache_is_an_encrypted_replication_group_in_the_private_subnets() {
    let resources = desired(&dev_stack(), &facts()).expect("enough zones");
    let cache = resources.iter().find(|r| r.id == "cache").expect("the cache");
    assert_eq!(cache.kind, Kind::CacheReplicationGroup);
    assert_eq!(cache.props.get("at_rest_encryption"), Some(&Value::Bool(true)));
    assert_eq!(cache.props.get("transit_encryption"), Some(&Value::Bool(true)));
    assert_eq!(cache.props.get("replicas"), Some(&Value::Integer(0)));
    assert_eq!(cache.depends_on, vec!["cache-subnets", "sg-cache"]);
    let mut stack = dev_stack();
    stack.cache = None;
    assert!(desired(&stack, &facts()).expect("enough zones").iter().all(|r| !r.id.starts_with("cache")));
}

#[test]
fn rule_priorities_come_from_service_names_alone() {
    let three = crate::graph::rule_priorities(["user", "movie", "watchlist"]);
    let four = crate::graph::rule_priorities(["user", "movie", "watchlist", "catalog"]);
    for service in ["user", "movie", "watchlist"] {
        assert_eq!(three[service], four[service], "adding a service renumbers no other rule");
    }
    let mut all: Vec<i64> = four.values().copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 4, "priorities are unique");
    assert!(all.iter().all(|priority| (1..=50_000).contains(priority)), "{all:?}");
}

#[test]
fn load_balancing_names_fit_in_32_characters_and_stay_stable() {
    assert_eq!(crate::graph::short_name("watchlist-dev", "alb"), "watchlist-dev-alb");
    let long = crate::graph::short_name("a-rather-long-stack-name-for-prod", "tg-watchlist");
    assert!(long.len() <= 32, "{long}");
    assert_eq!(long, crate::graph::short_name("a-rather-long-stack-name-for-prod", "tg-watchlist"));
    assert_ne!(long, crate::graph::short_name("a-rather-long-stack-name-for-prod", "tg-movie"));
    assert!(!long.ends_with('-') && !long.starts_with('-'));
}

#[test]
fn services_get_their_connections_and_secrets_by_reference() {
    let resources = desired(&dev_stack(), &facts()).expect("enough zones");
    let task = resources.iter().find(|r| r.id == "task-watchlist").expect("the task definition");
    let environment = task.props.get("environment").and_then(Value::as_map).expect("environment");
    // Inside the VPC, by the called service's Service Connect name and port.
    assert_eq!(environment.get("USER_SERVICE_URL"), Some(&Value::string("http://user:8001")));
    assert_eq!(environment.get("MOVIE_SERVICE_URL"), Some(&Value::string("http://movie:8002")));
    assert_eq!(task.props.get("port_name"), Some(&Value::string("watchlist")));
    let service = resources.iter().find(|r| r.id == "service-user").expect("the user service");
    assert_eq!(service.props.get("service_connect_namespace"), Some(&Value::string("watchlist-dev")));
    assert!(service.depends_on.iter().any(|id| id == "namespace"), "{:?}", service.depends_on);
    assert_eq!(service.props.get("service_connect_port_name"), Some(&Value::string("user")));
    assert_eq!(service.props.get("service_connect_port"), Some(&Value::Integer(8001)));
    // The called services' ports are open to the services' own group, and only those.
    let app = resources.iter().find(|r| r.id == "sg-app").expect("the services' group");
    let from_services: Vec<&Value> = app
        .props
        .get("ingress")
        .map(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter(|rule| rule.as_map().and_then(|rule| rule.get("source")) == Some(&Value::string(OWN_SECURITY_GROUP)))
        .filter_map(|rule| rule.as_map().and_then(|rule| rule.get("from_port")))
        .collect();
    assert_eq!(from_services, vec![&Value::Integer(8001), &Value::Integer(8002)]);
    assert!(environment.keys().all(|key| !key.contains("PASSWORD") && key != "JWT_SECRET"), "{environment:?}");
    // CloudFront and the load balancer each append to X-Forwarded-For.
    assert_eq!(environment.get("TRUSTED_PROXY_HOPS"), Some(&Value::string("2")));
    let mut without_frontend = dev_stack();
    without_frontend.frontend = None;
    let resources_without_frontend = desired(&without_frontend, &facts()).expect("enough zones");
    let task_without_frontend = resources_without_frontend.iter().find(|r| r.id == "task-watchlist").expect("the task");
    let environment_without_frontend = task_without_frontend.props.get("environment").and_then(Value::as_map);
    assert_eq!(environment_without_frontend.and_then(|e| e.get("TRUSTED_PROXY_HOPS")), Some(&Value::string("1")));
    let secrets = task.props.get("secrets").and_then(Value::as_map).expect("secrets");
    assert_eq!(secrets.keys().collect::<Vec<_>>(), vec!["JWT_SECRET", "PGPASSWORD"]);
    assert!(
        task.depends_on.contains(&"db-watchlist".to_string())
            && task.depends_on.contains(&"logs-watchlist".to_string())
    );
    assert_eq!(
        task.props.get("image"),
        Some(&Value::string("123456789012.dkr.ecr.us-east-1.amazonaws.com/watchlist-dev-watchlist:latest"))
    );
    let service = resources.iter().find(|r| r.id == "service-watchlist").expect("the service");
    assert!(service.depends_on.contains(&"rule-watchlist".to_string()), "a target group needs its rule first");
    let role = resources.iter().find(|r| r.id == "task-execution-role").expect("the execution role");
    let inline = role.props.get("inline_policies").and_then(Value::as_map).expect("inline policies");
    let policy = inline["read-stack-secrets"].as_str().expect("a document");
    assert!(policy.contains("arn:aws:secretsmanager:us-east-1:123456789012:secret:watchlist-dev/*"), "{policy}");
}

#[test]
fn behind_cloudfront_every_rule_requires_the_origin_secret_and_the_rest_is_refused() {
    let resources = desired(&dev_stack(), &facts()).expect("enough zones");
    let secret_arn = Value::Ref { id: ORIGIN_SECRET_ID.into(), attribute: "arn".into() };
    let origin = resources.iter().find(|r| r.id == ORIGIN_SECRET_ID).expect("the origin secret");
    assert_eq!(origin.props.get("name"), Some(&Value::string("watchlist-dev/origin-verify")));
    for rule in resources.iter().filter(|r| r.kind == Kind::ListenerRule) {
        assert_eq!(rule.props.get("origin_verify_secret"), Some(&secret_arn), "{}", rule.id);
    }
    let distribution = resources.iter().find(|r| r.id == "distribution").expect("the distribution");
    assert_eq!(distribution.props.get("api_origin_verify_secret"), Some(&secret_arn));
    assert!(distribution.depends_on.iter().any(|id| id == "rule-movie"), "rules accept a new value first");
    let listener = resources.iter().find(|r| r.id == "listener-http").expect("the listener");
    let default = listener.props.get("default_action").and_then(Value::as_map).expect("a default action");
    assert_eq!(default.get("status_code"), Some(&Value::string("403")));
    assert_eq!(default.get("message_body"), Some(&Value::string(FORBIDDEN_BODY)));
    // Without a frontend there is no CloudFront: no secret, no header condition, 404 for the rest.
    let mut without_frontend = dev_stack();
    without_frontend.frontend = None;
    let resources = desired(&without_frontend, &facts()).expect("enough zones");
    assert!(resources.iter().all(|r| r.id != ORIGIN_SECRET_ID));
    assert!(resources
        .iter()
        .filter(|r| r.kind == Kind::ListenerRule)
        .all(|r| !r.props.contains_key("origin_verify_secret")));
}

#[test]
fn a_region_without_cloudfront_s_prefix_list_is_an_error_before_any_write() {
    let mut facts = facts();
    facts.cloudfront_prefix_list = None;
    let error = desired(&dev_stack(), &facts).expect_err("no prefix list to admit CloudFront by");
    assert_eq!(error, GraphError::NoCloudFrontPrefixList { region: "us-east-1".into() });
    assert!(error.to_string().contains("com.amazonaws.global.cloudfront.origin-facing"), "{error}");
    // Without a frontend there is no CloudFront to admit: the load balancer serves the internet.
    let mut without_frontend = dev_stack();
    without_frontend.frontend = None;
    let resources = desired(&without_frontend, &facts).expect("no prefix list needed");
    let alb = resources.iter().find(|r| r.id == "sg-alb").expect("the load balancer's group");
    assert!(format!("{:?}", alb.props.get("ingress")).contains("0.0.0.0/0"));
}

#[test]
fn data_alarms_take_their_thresholds_from_the_stack_and_the_instance_class() {
    let mut stack = dev_stack();
    stack.alarms.database_free_storage_percent = 25;
    stack.alarms.database_connections_percent = 50;
    let resources = desired(&stack, &facts()).expect("enough zones");
    let field = |id: &str, key: &str| {
        let resource = resources.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("{id}"));
        resource.props.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
    };
    // 25% of 20 GiB, in bytes, and the alarm fires below it.
    assert_eq!(field("alarm-db-users-storage", "threshold"), "5368709120");
    assert_eq!(field("alarm-db-users-storage", "comparison"), "LessThanThreshold");
    // A db.t3.micro (1 GiB) allows 112 connections by default; half of that.
    assert_eq!(field("alarm-db-users-connections", "threshold"), "56");
    // One node without replicas: its id is the group's with -001.
    let cache_memory = resources.iter().find(|r| r.id == "alarm-cache-1-memory").expect("cache alarm");
    let dimensions = cache_memory.props.get("dimensions").and_then(Value::as_map).expect("dimensions");
    assert_eq!(dimensions.get("CacheClusterId"), Some(&Value::string("watchlist-dev-cache-001")));
    assert!(!resources.iter().any(|r| r.id == "alarm-cache-2-memory"));
}

#[test]
fn the_dashboard_is_built_from_the_stack_s_names_and_compared_as_canonical_json() {
    let source = include_str!("../../stacks/prod.toml");
    let stack = stack::parse("prod.toml", source).unwrap_or_else(|diagnostics| panic!("{}", diagnostics.render()));
    let resources = desired(&stack, &facts()).expect("enough zones");
    let dashboard = resources.iter().find(|r| r.id == "dashboard").expect("a dashboard");
    assert_eq!(dashboard.props.get("name"), Some(&Value::string("watchlist-prod-us-east-1")));
    // The load balancer's and target groups' dimensions are references inside the body's text.
    assert!(
        dashboard.depends_on.contains(&"alb".to_string()) && dashboard.depends_on.contains(&"target-movie".to_string())
    );
    let Some(Value::Join(parts)) = dashboard.props.get("body") else { panic!("the body joins text and references") };
    let body: String = parts
        .iter()
        .map(|part| match part {
            Value::String(text) => text.clone(),
            Value::Ref { id, .. } => format!("{id}-dimension"),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(canonical_dashboard_body(&body).as_deref(), Some(body.as_str()), "written in canonical form");
    let parsed: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let widgets = parsed["widgets"].as_array().expect("widgets");
    let titles: Vec<&str> = widgets.iter().filter_map(|w| w["properties"]["title"].as_str()).collect();
    assert_eq!(
        titles,
        vec![
            "ECS CPU by service (%)",
            "ECS memory by service (%)",
            "Load balancer requests",
            "Target response time (s)",
            "5xx answers",
            "Database CPU (%)",
            "Database connections",
            "Cache hits and misses",
            "Cache memory used (%)",
            "Errors in the services' logs (per 5 minutes)",
        ]
    );
    let query = widgets.last().and_then(|w| w["properties"]["query"].as_str()).expect("a log query");
    assert!(query.starts_with("SOURCE '/ecs/watchlist-prod/movie' | SOURCE '/ecs/watchlist-prod/user'"), "{query}");
    for widget in widgets {
        let (x, width) = (widget["x"].as_u64().unwrap_or(99), widget["width"].as_u64().unwrap_or(99));
        assert!(x + width <= 24, "inside the 24-column grid: {widget}");
    }
    // Key order and whitespace are not a change.
    let reformatted = "{ \"widgets\" : [ {\"y\":0, \"x\": 0, \"type\":\"text\"} ] }";
    assert_eq!(canonical_dashboard_body(reformatted).as_deref(), Some(r#"{"widgets":[{"type":"text","x":0,"y":0}]}"#));
}

#[test]
fn the_alert_topic_is_encrypted_with_a_key_cloudwatch_may_use() {
    let source = include_str!("../../stacks/prod.toml");
    let stack = stack::parse("prod.toml", source).unwrap_or_else(|diagnostics| panic!("{}", diagnostics.render()));
    let resources = desired(&stack, &facts()).expect("enough zones");
    let topic = resources.iter().find(|r| r.id == "alerts").expect("the alert topic");
    assert_eq!(
        topic.props.get("kms_master_key_id"),
        Some(&Value::Ref { id: "alerts-key".into(), attribute: "arn".into() }),
        "never alias/aws/sns, whose policy CloudWatch cannot use"
    );
    let key = resources.iter().find(|r| r.id == "alerts-key").expect("the key");
    assert_eq!(key.props.get("alias"), Some(&Value::string("alias/watchlist-prod-alerts")));
    let policy: serde_json::Value =
        serde_json::from_str(key.props.get("policy").and_then(Value::as_str).expect("a policy")).expect("JSON");
    let statements = policy["Statement"].as_array().expect("statements");
    let cloudwatch = statements
        .iter()
        .find(|s| s["Principal"]["Service"] == serde_json::json!(["cloudwatch.amazonaws.com"]))
        .expect("a statement for CloudWatch");
    assert_eq!(cloudwatch["Action"], serde_json::json!(["kms:Decrypt", "kms:GenerateDataKey*"]));
    assert!(statements.iter().any(|s| s["Principal"]["AWS"] == serde_json::json!(["arn:aws:iam::123456789012:root"])
        && s["Action"] == serde_json::json!(["kms:*"])));
}
