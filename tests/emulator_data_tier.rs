//! End-to-end tests of the data tier against the local AWS emulator: databases with generated
//! master passwords in Secrets Manager, in-place changes, replacements, refusals, and destroy.
//! Every run's output is scanned for the generated passwords.

mod support;

use support::{unique_stack_name, wl_infra, Checker, Run, StackFile, TempDir};

/// Collects everything wl-infra printed, to be searched for secrets at the end.
#[derive(Default)]
struct Transcript(Vec<String>);

impl Transcript {
    fn keep(&mut self, run: Run) -> Run {
        self.0.push(run.stdout.clone());
        self.0.push(run.stderr.clone());
        run
    }

    fn assert_contains_none_of(&self, passwords: &[String]) {
        assert!(!passwords.is_empty());
        for password in passwords {
            assert!(password.len() >= 32, "a generated password is long");
            for text in &self.0 {
                assert!(!text.contains(password.as_str()), "a generated password was printed");
            }
        }
    }
}

fn passwords(checker: &Checker, stack: &str) -> Vec<String> {
    checker
        .runtime
        .block_on(checker.stack_secrets(stack))
        .into_iter()
        .map(|(_, value)| {
            let document: serde_json::Value = serde_json::from_str(&value).expect("the secret is JSON");
            document["password"].as_str().expect("a password").to_string()
        })
        .collect()
}

#[test]
fn databases_get_secret_passwords_change_in_place_and_refuse_unsafe_changes() {
    let directory = TempDir::new("data-tier");
    let mut stack = StackFile::new(&unique_stack_name("data"));
    stack.extra_databases = vec!["catalog".into(), "reviews".into()];
    stack.cache = Some(("cache.t3.micro".into(), 0));
    stack.database_settings = "instance_class = \"db.t3.micro\"\nstorage_gb = 30\nengine_version = \"16\"\n".into();
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    let checker = Checker::new("us-east-1");
    let mut transcript = Transcript::default();

    transcript.keep(wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0));
    let counts = checker.owned_counts(&stack.name);
    assert_eq!(
        &counts[9..14],
        &[
            ("db_subnet_group", 1),
            // Three master secrets, the services' token signing key and the origin secret.
            ("secret", 5),
            ("db_instance", 3),
            ("cache_subnet_group", 1),
            ("cache_replication_group", 1)
        ]
    );
    let secrets = checker.runtime.block_on(checker.stack_secrets(&stack.name));
    for (name, value) in &secrets {
        let document: serde_json::Value = serde_json::from_str(value).expect("JSON");
        for field in ["username", "password", "host", "port", "dbname", "engine"] {
            assert!(document.get(field).is_some(), "{name} has {field}");
        }
    }
    let first_passwords = passwords(&checker, &stack.name);
    let json = transcript.keep(wl_infra(&["plan", "--stack", path, "--json", "--detailed-exitcode"]).expect_code(0));
    assert!(json.stdout.contains("\"format_version\""));

    // An instance class and a replica count change in place, one update each.
    stack.database_settings = "instance_class = \"db.t3.small\"\nstorage_gb = 30\nengine_version = \"16\"\n".into();
    stack.cache = Some(("cache.t3.micro".into(), 1));
    stack.write(&directory.0);
    let planned = transcript.keep(wl_infra(&["plan", "--stack", path, "--json", "--detailed-exitcode"]).expect_code(2));
    let document = support::plan_document(&planned.stdout);
    let changed: Vec<(String, String, serde_json::Value)> = document["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_string(),
                c["action"].as_str().unwrap_or_default().to_string(),
                c["changed_fields"].clone(),
            )
        })
        .collect();
    let update = |id: &str, field: &str| (id.to_string(), "update".to_string(), serde_json::json!([field]));
    let alarm = |id: &str| (id.to_string(), "update".to_string(), serde_json::json!(["description", "threshold"]));
    assert_eq!(
        changed,
        vec![
            update("db-catalog", "instance_class"),
            update("db-main", "instance_class"),
            update("db-reviews", "instance_class"),
            // Failover and Multi-AZ come with the first replica.
            (
                "cache".to_string(),
                "update".to_string(),
                serde_json::json!(["automatic_failover", "multi_az", "replicas"])
            ),
            // The connections alarm follows the class's memory; the new node gets its alarms.
            alarm("alarm-db-catalog-connections"),
            alarm("alarm-db-main-connections"),
            alarm("alarm-db-reviews-connections"),
            ("alarm-cache-2-memory".to_string(), "create".to_string(), serde_json::json!([])),
            ("alarm-cache-2-evictions".to_string(), "create".to_string(), serde_json::json!([])),
        ]
    );
    transcript.keep(wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0));
    transcript.keep(wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0));
    assert_eq!(passwords(&checker, &stack.name), first_passwords, "re-applying never regenerates a password");
    let members = checker.runtime.block_on(async {
        let groups = checker
            .elasticache
            .describe_replication_groups()
            .replication_group_id(format!("{}-cache", stack.name))
            .send()
            .await
            .expect("the cache");
        groups.replication_groups()[0].member_clusters().len()
    });
    assert_eq!(members, 2, "a primary and one replica");
    // A node type change is in place too; back to no replicas at the same time.
    stack.cache = Some(("cache.t3.small".into(), 0));
    stack.write(&directory.0);
    let cache_plan = transcript.keep(wl_infra(&["plan", "--stack", path, "--json"]).expect_code(0));
    let document = support::plan_document(&cache_plan.stdout);
    let cache_change =
        document["changes"].as_array().expect("changes").iter().find(|c| c["id"] == "cache").expect("cache");
    assert_eq!(
        (cache_change["action"].as_str(), &cache_change["changed_fields"]),
        (Some("update"), &serde_json::json!(["automatic_failover", "multi_az", "node_type", "replicas"]))
    );
    transcript.keep(wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0));
    transcript.keep(wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0));

    // A new major version is an in-place upgrade of each database: nothing is deleted.
    stack.database_settings = "instance_class = \"db.t3.small\"\nstorage_gb = 30\nengine_version = \"17\"\n".into();
    stack.write(&directory.0);
    let upgrade = transcript.keep(wl_infra(&["plan", "--stack", path, "--json"]).expect_code(0));
    let document = support::plan_document(&upgrade.stdout);
    let upgraded: Vec<&serde_json::Value> =
        document["changes"].as_array().expect("changes").iter().filter(|c| c["action"] != "no-op").collect();
    assert_eq!(upgraded.len(), 3, "{upgraded:?}");
    assert!(upgraded
        .iter()
        .all(|c| c["action"] == "update" && c["changed_fields"] == serde_json::json!(["engine_version"])));
    transcript.keep(wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0));
    transcript.keep(wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0));
    assert_eq!(passwords(&checker, &stack.name), first_passwords, "the same databases, upgraded");

    // Going back is a downgrade, and shrinking storage is impossible: both refused before anything changes.
    stack.database_settings = "instance_class = \"db.t3.small\"\nstorage_gb = 25\nengine_version = \"16\"\n".into();
    stack.write(&directory.0);
    let refused = transcript.keep(wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(1));
    assert!(
        refused.stderr.contains("has 30 GiB of storage and RDS cannot shrink it; set `storage_gb` to 30 or more"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("runs PostgreSQL 17 and RDS cannot downgrade it to 16"), "{}", refused.stderr);
    transcript.keep(wl_infra(&["plan", "--stack", path]).expect_code(1));

    // Storage grows by 10% at least, and not again while RDS optimizes the last change.
    stack.database_settings = "instance_class = \"db.t3.small\"\nstorage_gb = 32\nengine_version = \"17\"\n".into();
    stack.write(&directory.0);
    let small = transcript.keep(wl_infra(&["plan", "--stack", path]).expect_code(1));
    assert!(small.stderr.contains("grows storage by at least 10%; set `storage_gb` to 33 or more"), "{}", small.stderr);
    stack.database_settings = "instance_class = \"db.t3.small\"\nstorage_gb = 33\nengine_version = \"17\"\n".into();
    stack.write(&directory.0);
    transcript.keep(wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0));
    stack.database_settings = "instance_class = \"db.t3.small\"\nstorage_gb = 40\nengine_version = \"17\"\n".into();
    stack.write(&directory.0);
    let again = transcript.keep(wl_infra(&["plan", "--stack", path]).expect_code(1));
    assert!(again.stderr.contains("cannot change its storage yet"), "{}", again.stderr);
    stack.database_settings = "instance_class = \"db.t3.small\"\nstorage_gb = 33\nengine_version = \"17\"\n".into();
    stack.write(&directory.0);
    transcript.keep(wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0));

    // Deletion protection stops destroy with the field to change.
    stack.database_settings =
        "instance_class = \"db.t3.small\"\nstorage_gb = 33\nengine_version = \"17\"\ndeletion_protection = true\n"
            .into();
    stack.write(&directory.0);
    transcript.keep(wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0));
    let protected = transcript.keep(wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(1));
    assert!(
        protected.stderr.contains(
            "database main has deletion protection on; set `deletion_protection = false` in [databases.main]"
        ),
        "{}",
        protected.stderr
    );
    assert_eq!(checker.owned_counts(&stack.name)[11], ("db_instance", 3), "nothing was deleted");

    // Without a final snapshot the destroy is refused until the stack allows the loss.
    stack.database_settings = "instance_class = \"db.t3.small\"\nstorage_gb = 33\nengine_version = \"17\"\ndeletion_protection = false\nsecret_recovery_days = 0\nfinal_snapshot = false\n".into();
    stack.write(&directory.0);
    transcript.keep(wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0));
    let final_passwords = passwords(&checker, &stack.name);
    let unsafe_destroy = transcript.keep(wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(1));
    assert!(unsafe_destroy.stderr.contains("allow_data_loss = [\"main\"]"), "{}", unsafe_destroy.stderr);
    assert_eq!(checker.owned_counts(&stack.name)[11], ("db_instance", 3), "nothing was deleted");
    stack.allow_data_loss = vec!["main".into(), "catalog".into(), "reviews".into()];
    stack.write(&directory.0);
    let destroyed = transcript.keep(wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0));
    assert!(destroyed.stdout.contains("DATA LOSS: database main"), "{}", destroyed.stdout);
    assert_eq!(checker.total_owned(&stack.name), 0, "{:?}", checker.owned_counts(&stack.name));
    transcript.keep(wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0));

    let mut all_passwords = first_passwords;
    all_passwords.extend(final_passwords);
    transcript.assert_contains_none_of(&all_passwords);
}

#[test]
fn a_stack_destroyed_with_a_recovery_window_can_be_applied_again() {
    let directory = TempDir::new("restore-secret");
    let mut stack = StackFile::new(&unique_stack_name("again"));
    stack.frontend = false;
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    let checker = Checker::new("us-east-1");
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    // Changed by hand before the destroy: a restored secret is brought back to the stack's values.
    checker.runtime.block_on(async {
        let listed = checker.secrets.list_secrets().send().await.expect("secrets");
        for secret in listed.secret_list().iter().filter(|s| s.name().is_some_and(|n| n.starts_with(&stack.name))) {
            let arn = secret.arn().unwrap_or_default();
            checker.secrets.update_secret().secret_id(arn).description("edited by hand").send().await.expect("edit");
            let stray = aws_sdk_secretsmanager::types::Tag::builder().key("stray").value("1").build();
            checker.secrets.tag_resource().secret_id(arn).tags(stray).send().await.expect("a stray tag");
        }
    });
    // The default 7-day window keeps the secret's name taken after destroy.
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&stack.name), 0);
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    assert_eq!(checker.owned_counts(&stack.name)[10], ("secret", 2), "the secrets are restored, not duplicated");
    stack.database_settings.push_str("secret_recovery_days = 0\n");
    stack.write(&directory.0);
    wl_infra(&["apply", "--stack", path, "--yes"]).expect_code(0);
    wl_infra(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&stack.name), 0);
}

#[test]
fn a_plan_right_after_an_apply_is_empty_while_listings_lag_and_tags_on_bucket_create_are_denied() {
    let directory = TempDir::new("listing-lag");
    let stack = StackFile::new(&unique_stack_name("lag"));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    // ListSecrets "might not reflect changes from the last five minutes", and ListRoles lags too:
    // for this key, what it creates stays out of both listings for two minutes.
    let access_key = format!("LISTLAG{}", stack.name.replace('-', "").to_uppercase());
    let lag = format!(r#"{{"access_key": "{access_key}", "seconds": {{"list-secrets": 120, "list-roles": 120}}}}"#);
    support::emulator_control("POST", "/wl-api/pending", &lag);
    // A principal without s3:TagResource cannot tag a bucket in CreateBucket: wl-infra tags it
    // right after, and the next plan finds it by its tags.
    let denied = format!(r#"{{"access_key": "{access_key}", "actions": ["s3:TagResource"]}}"#);
    support::emulator_control("POST", "/wl-api/denied", &denied);
    let run = |args: &[&str]| support::wl_infra_as(support::endpoint(), &access_key, args);
    let applied = run(&["apply", "--stack", path, "--yes"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let planned = run(&["plan", "--stack", path, "--detailed-exitcode"]);
    assert_eq!(planned.code, 0, "secrets and roles are read by their names:\n{}{}", planned.stdout, planned.stderr);
    let destroyed = run(&["destroy", "--stack", path, "--yes"]);
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
    support::emulator_control(
        "POST",
        "/wl-api/pending",
        &format!(r#"{{"access_key": "{access_key}", "seconds": {{}}}}"#),
    );
    support::emulator_control("POST", "/wl-api/denied", &format!(r#"{{"access_key": "{access_key}", "actions": []}}"#));
    let checker = Checker::new("us-east-1");
    assert_eq!(checker.total_owned(&stack.name), 0, "{:?}", checker.owned_counts(&stack.name));
}
