//! The drivers' rarer paths, each brought about on purpose rather than left to random faults: a
//! lost create answer inside the listing lag, a subnet another route table took, an Elastic IP its
//! deleted NAT gateway still holds, a cache that is modifying when it is read and deleted, and a
//! key S3 refuses to delete while a bucket is emptied.

mod support;

use aws_sdk_ec2::types::Filter;
use support::{
    changed_resources, emulator_control, endpoint, faults_injected, faults_off, lose_first_answers, refusals_to,
    unique_stack_name, wl_infra_as, Checker, StackFile, TempDir,
};

/// The access key a test signs with: the emulator keeps faults, holds and refusals per key.
fn access_key_of(stack: &StackFile) -> String {
    format!("PATH{}", stack.name.replace('-', "").to_uppercase())
}

/// The route table that holds `subnet` now.
fn table_holding(checker: &Checker, subnet: &str) -> aws_sdk_ec2::types::RouteTable {
    checker.runtime.block_on(async {
        let tables = checker
            .ec2
            .describe_route_tables()
            .filters(Filter::builder().name("association.subnet-id").values(subnet).build())
            .send()
            .await
            .expect("tables");
        tables.route_tables()[0].clone()
    })
}

fn tagged(stack: &str, id: &str) -> [Filter; 2] {
    [
        Filter::builder().name("tag:wl:stack").values(stack).build(),
        Filter::builder().name("tag:wl:id").values(id).build(),
    ]
}

#[test]
fn lost_creates_inside_the_listing_lag_a_taken_subnet_and_a_held_address_all_converge() {
    let directory = TempDir::new("paths-network");
    let stack = StackFile::new(&unique_stack_name("pnet"));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    let key = access_key_of(&stack);
    let run = |args: &[&str]| wl_infra_as(endpoint(), &key, args);

    // Secrets and roles: the first CreateSecret and the first CreateRole are carried out and their
    // answers lost, while ListSecrets and ListRoles lag two minutes behind: the retries meet a
    // secret or role that exists and that no listing shows, and must adopt it, not make a twin.
    let secret_faults = faults_injected("secretsmanager:CreateSecret");
    let role_faults = faults_injected("iam:CreateRole");
    lose_first_answers(&key, &["secretsmanager:CreateSecret", "iam:CreateRole"]);
    // The Elastic IP stays associated 3 s after its NAT gateway reads `deleted` (for the destroy).
    emulator_control(
        "POST",
        "/wl-api/pending",
        &format!(r#"{{"access_key": "{key}", "seconds": {{"list-secrets": 120, "list-roles": 120, "nat-eip": 3}}}}"#),
    );
    run(&["apply", "--stack", path, "--yes"]).expect_code(0);
    faults_off(&key);
    assert_eq!(faults_injected("secretsmanager:CreateSecret") - secret_faults, 1, "one CreateSecret answer was lost");
    assert_eq!(faults_injected("iam:CreateRole") - role_faults, 1, "one CreateRole answer was lost");
    // Counted by another key, whose listings do not lag.
    let checker = Checker::new("us-east-1");
    assert_eq!(checker.owned_counts(&stack.name), support::converged_counts(1, 0), "no twin secret or role");
    // Still inside the lag: the plan finds them by name.
    run(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);

    // A subnet someone moved to a route table of their own: AssociateRouteTable answers
    // Resource.AlreadyAssociated, and the driver moves the association back.
    let vpc = checker.vpc_id(&stack.name);
    let subnet = checker.runtime.block_on(async {
        let subnets =
            checker.ec2.describe_subnets().set_filters(Some(tagged(&stack.name, "private-1").to_vec())).send();
        subnets.await.expect("subnets").subnets()[0].subnet_id().expect("an id").to_string()
    });
    let association = table_holding(&checker, &subnet)
        .associations()
        .iter()
        .find(|association| association.subnet_id() == Some(subnet.as_str()))
        .and_then(|association| association.route_table_association_id())
        .expect("the subnet's association")
        .to_string();
    let hand_made = checker.runtime.block_on(async {
        let table = checker.ec2.create_route_table().vpc_id(&vpc).send().await.expect("a hand-made table");
        let table_id = table.route_table().and_then(|table| table.route_table_id()).expect("an id").to_string();
        checker
            .ec2
            .replace_route_table_association()
            .association_id(&association)
            .route_table_id(&table_id)
            .send()
            .await
            .expect("the subnet moves to the hand-made table");
        table_id
    });
    let planned = run(&["plan", "--stack", path, "--json"]).expect_code(0);
    let document = support::plan_document(&planned.stdout);
    assert_eq!(changed_resources(&document), vec![("update", "private-routes-1")]);
    run(&["apply", "--stack", path, "--yes"]).expect_code(0);
    assert!(
        refusals_to(&key).contains(&("AssociateRouteTable".to_string(), "Resource.AlreadyAssociated".to_string())),
        "{:?}",
        refusals_to(&key)
    );
    let holder = table_holding(&checker, &subnet)
        .tags()
        .iter()
        .find(|tag| tag.key() == Some("wl:id"))
        .and_then(|tag| tag.value())
        .map(str::to_string);
    assert_eq!(holder.as_deref(), Some("private-routes-1"), "the subnet is back in the stack's table");
    run(&["plan", "--stack", path, "--detailed-exitcode"]).expect_code(0);
    checker.runtime.block_on(checker.ec2.delete_route_table().route_table_id(&hand_made).send()).expect("deleted");

    // Destroy: the NAT gateway reads `deleted` while its address is still held; ReleaseAddress
    // answers AuthFailure until it is let go, and the driver waits instead of failing.
    run(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert!(
        refusals_to(&key).contains(&("ReleaseAddress".to_string(), "AuthFailure".to_string())),
        "{:?}",
        refusals_to(&key)
    );
    assert_eq!(checker.total_owned(&stack.name), 0, "{:?}", checker.owned_counts(&stack.name));
    emulator_control("POST", "/wl-api/pending", &format!(r#"{{"access_key": "{key}", "seconds": {{}}}}"#));
}

#[test]
fn a_cache_read_and_deleted_while_modifying_and_a_key_s3_will_not_delete() {
    let directory = TempDir::new("paths-data");
    let mut stack = StackFile::new(&unique_stack_name("pdat"));
    stack.cache = Some(("cache.t3.micro".into(), 0));
    let path = stack.write(&directory.0);
    let path = path.to_str().expect("a UTF-8 path");
    let key = access_key_of(&stack);
    let run = |args: &[&str]| wl_infra_as(endpoint(), &key, args);
    run(&["apply", "--stack", path, "--yes"]).expect_code(0);

    // A change someone else started keeps the cache `modifying` until the test lets it go.
    emulator_control("POST", "/wl-api/pending", &format!(r#"{{"access_key": "{key}", "hold": ["cache-modify"]}}"#));
    let checker = Checker::signing_as("us-east-1", &key);
    let group_id = format!("{}-cache", stack.name);
    checker
        .runtime
        .block_on(
            checker
                .elasticache
                .modify_replication_group()
                .replication_group_id(&group_id)
                .snapshot_retention_limit(1)
                .apply_immediately(true)
                .send(),
        )
        .expect("a change by hand");
    // Its tags cannot be read while it modifies (InvalidReplicationGroupState): the plan stands
    // its one name in for them, and waits for it.
    let planned = run(&["plan", "--stack", path, "--json"]).expect_code(0);
    let document = support::plan_document(&planned.stdout);
    let cache = document["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|change| change["id"] == "cache")
        .cloned()
        .unwrap_or_default();
    assert_eq!(cache["waits_for"], "modifying", "{}", planned.stdout);
    assert!(
        refusals_to(&key).contains(&("ListTagsForResource".to_string(), "InvalidReplicationGroupState".to_string())),
        "{:?}",
        refusals_to(&key)
    );

    // Destroy while it still modifies, and without s3:DeleteObject: DeleteReplicationGroup is
    // refused until the change ends (the test ends it once the refusal is seen), and DeleteObjects
    // answers an error per key, which fails the bucket's delete and names the key.
    // Versioning turned on by hand, and a policy that protects versions (s3:DeleteObjectVersion
    // denied): the files' deletes leave their versions, which the bucket's emptying cannot delete.
    let bucket = checker.runtime.block_on(async {
        let buckets = checker.s3.list_buckets().send().await.expect("buckets");
        let name =
            buckets.buckets().iter().filter_map(|bucket| bucket.name()).find(|name| name.starts_with(&stack.name));
        name.expect("the stack's bucket").to_string()
    });
    let versioning = aws_sdk_s3::types::VersioningConfiguration::builder()
        .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
        .build();
    checker
        .runtime
        .block_on(checker.s3.put_bucket_versioning().bucket(&bucket).versioning_configuration(versioning).send())
        .expect("versioning by hand");
    let deny = format!(r#"{{"access_key": "{key}", "actions": ["s3:DeleteObjectVersion"]}}"#);
    emulator_control("POST", "/wl-api/denied", &deny);
    let releaser = {
        let key = key.clone();
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            let refused = ("DeleteReplicationGroup".to_string(), "InvalidReplicationGroupState".to_string());
            while !refusals_to(&key).contains(&refused) && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            emulator_control("POST", "/wl-api/pending/release", &format!(r#"{{"access_key": "{key}"}}"#));
            refusals_to(&key).contains(&refused)
        })
    };
    let first = run(&["destroy", "--stack", path, "--yes"]).expect_code(1);
    assert!(releaser.join().expect("the releaser"), "DeleteReplicationGroup was refused while modifying");
    assert!(first.stderr.contains("S3 refused to delete"), "{}", first.stderr);
    assert!(first.stderr.contains("index.html (AccessDenied: Access Denied)"), "{}", first.stderr);
    let left = checker.owned_counts(&stack.name);
    assert!(left.contains(&("s3_bucket", 1)), "the bucket is kept with its files: {left:?}");
    assert!(left.contains(&("cache_replication_group", 0)), "the cache went once its change ended: {left:?}");

    emulator_control("POST", "/wl-api/denied", &format!(r#"{{"access_key": "{key}", "actions": []}}"#));
    emulator_control("POST", "/wl-api/pending", &format!(r#"{{"access_key": "{key}", "hold": []}}"#));
    run(&["destroy", "--stack", path, "--yes"]).expect_code(0);
    assert_eq!(checker.total_owned(&stack.name), 0, "{:?}", checker.owned_counts(&stack.name));
}
