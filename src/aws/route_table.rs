//! Driver for route tables, their routes and their subnet associations (managed as one resource).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, RouteTable};

use super::{client_token, ec2_tags, error::from_sdk, text, Attributes, AwsError, StepContext, Update};
use crate::graph::{Kind, Props, Value};
use crate::plan::LiveResource;

/// The route targets wl-infra manages, as property keys.
const TARGET_KEYS: &[&str] = &["gateway_id", "nat_gateway_id"];

fn live_props(table: &RouteTable) -> Props {
    let mut routes: Vec<Value> = table
        .routes()
        .iter()
        // The local route comes with the table and cannot be changed.
        .filter(|route| route.gateway_id() != Some("local"))
        .filter_map(|route| {
            let destination = route.destination_cidr_block()?;
            let mut map = BTreeMap::new();
            map.insert("destination".to_string(), Value::string(destination));
            if let Some(gateway) = route.gateway_id() {
                map.insert("gateway_id".to_string(), Value::string(gateway));
            } else if let Some(nat) = route.nat_gateway_id() {
                map.insert("nat_gateway_id".to_string(), Value::string(nat));
            }
            Some(Value::Map(map))
        })
        .collect();
    routes.sort();
    let mut subnets: Vec<Value> = table
        .associations()
        .iter()
        .filter(|association| !association.main().unwrap_or(false))
        .filter_map(|association| association.subnet_id().map(Value::string))
        .collect();
    subnets.sort();
    let mut props = Props::new();
    props.insert("vpc_id".into(), Value::string(table.vpc_id().unwrap_or_default()));
    props.insert("routes".into(), Value::List(routes));
    props.insert("subnet_ids".into(), Value::List(subnets));
    props.insert("tags".into(), ec2_tags::read(table.tags()));
    props
}

pub async fn discover(clients: &super::Clients) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_route_tables()
        .filters(ec2_tags::stack_filter(&clients.stack))
        .send()
        .await
        .map_err(|e| from_sdk("DescribeRouteTables", "the stack's route tables", e))?;
    Ok(output
        .route_tables()
        .iter()
        .filter_map(|table| {
            let id = ec2_tags::owned_id(&clients.stack, table.tags())?;
            let table_id = table.route_table_id()?.to_string();
            Some(LiveResource {
                state: crate::plan::LiveState::Ready,
                id,
                kind: Kind::RouteTable,
                physical_id: table_id.clone(),
                props: live_props(table),
                attributes: Attributes::from([("id".to_string(), table_id)]),
            })
        })
        .collect())
}

async fn describe(context: &StepContext<'_>, table_id: &str) -> Result<RouteTable, AwsError> {
    let resource = context.resource(Kind::RouteTable);
    let output = context
        .clients
        .ec2
        .describe_route_tables()
        .route_table_ids(table_id)
        .send()
        .await
        .map_err(|e| from_sdk("DescribeRouteTables", &resource, e))?;
    output.route_tables().first().cloned().ok_or_else(|| {
        AwsError::refused(resource, format!("route table {table_id} disappeared during apply; run apply again"))
    })
}

fn route_target(route: &Value) -> Option<(&'static str, &str)> {
    let map = route.as_map()?;
    TARGET_KEYS.iter().find_map(|key| map.get(*key).and_then(Value::as_str).map(|target| (*key, target)))
}

fn destination(route: &Value) -> &str {
    route.as_map().and_then(|map| map.get("destination")).and_then(Value::as_str).unwrap_or_default()
}

async fn put_route(context: &StepContext<'_>, table_id: &str, route: &Value, replace: bool) -> Result<(), AwsError> {
    let resource = context.resource(Kind::RouteTable);
    let Some((key, target)) = route_target(route) else { return Ok(()) };
    let ec2 = &context.clients.ec2;
    if !replace {
        let call = ec2.create_route().route_table_id(table_id).destination_cidr_block(destination(route));
        let call = if key == "gateway_id" { call.gateway_id(target) } else { call.nat_gateway_id(target) };
        match call.send().await.map_err(|e| from_sdk("CreateRoute", &resource, e)) {
            Ok(_) => return Ok(()),
            // An earlier attempt (whose answer was lost) created it: make sure of its target.
            Err(error) if error.code() == Some("RouteAlreadyExists") => {}
            Err(error) => return Err(error),
        }
    }
    let call = ec2.replace_route().route_table_id(table_id).destination_cidr_block(destination(route));
    let call = if key == "gateway_id" { call.gateway_id(target) } else { call.nat_gateway_id(target) };
    call.send().await.map(|_| ()).map_err(|e| from_sdk("ReplaceRoute", &resource, e))
}

/// Makes the table's routes and associations match `props`, from the table as it is now.
async fn converge(context: &StepContext<'_>, table: &RouteTable, props: &Props) -> Result<(), AwsError> {
    let resource = context.resource(Kind::RouteTable);
    let table_id = table.route_table_id().unwrap_or_default();
    let live = live_props(table);
    let live_routes = live.get("routes").map(Value::as_list).unwrap_or_default();
    let desired_routes = props.get("routes").map(Value::as_list).unwrap_or_default();
    for route in live_routes {
        if !desired_routes.iter().any(|desired| destination(desired) == destination(route)) {
            let deleted = context
                .clients
                .ec2
                .delete_route()
                .route_table_id(table_id)
                .destination_cidr_block(destination(route))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| from_sdk("DeleteRoute", &resource, e));
            super::done_if(deleted, &["InvalidRoute.NotFound"])?;
        }
    }
    for route in desired_routes {
        match live_routes.iter().find(|live| destination(live) == destination(route)) {
            None => put_route(context, table_id, route, false).await?,
            Some(existing) if existing != route => put_route(context, table_id, route, true).await?,
            Some(_) => {}
        }
    }
    let desired_subnets: Vec<&str> =
        props.get("subnet_ids").map(Value::as_list).unwrap_or_default().iter().filter_map(Value::as_str).collect();
    for association in table.associations() {
        if association.main().unwrap_or(false) {
            continue;
        }
        let keep = association.subnet_id().is_some_and(|subnet| desired_subnets.contains(&subnet));
        if !keep {
            if let Some(association_id) = association.route_table_association_id() {
                let disassociated = context
                    .clients
                    .ec2
                    .disassociate_route_table()
                    .association_id(association_id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| from_sdk("DisassociateRouteTable", &resource, e));
                super::done_if(disassociated, &["InvalidAssociationID.NotFound"])?;
            }
        }
    }
    for subnet in desired_subnets {
        let associated = table.associations().iter().any(|association| association.subnet_id() == Some(subnet));
        if !associated {
            let associated = context
                .clients
                .ec2
                .associate_route_table()
                .route_table_id(table_id)
                .subnet_id(subnet)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| from_sdk("AssociateRouteTable", &resource, e));
            match associated {
                // The subnet belongs to another table (hand-made, or a twin an interrupted run left,
                // or this table when an earlier attempt's answer was lost): move it to this one.
                Err(error) if error.code() == Some("Resource.AlreadyAssociated") => {
                    move_association(context, table_id, subnet).await?
                }
                other => other?,
            }
        }
    }
    Ok(())
}

/// Moves `subnet`'s association to `table_id` with ReplaceRouteTableAssociation (a subnet has one
/// table, so AssociateRouteTable refuses while another holds it).
async fn move_association(context: &StepContext<'_>, table_id: &str, subnet: &str) -> Result<(), AwsError> {
    let resource = context.resource(Kind::RouteTable);
    let ec2 = &context.clients.ec2;
    let output = ec2
        .describe_route_tables()
        .filters(aws_sdk_ec2::types::Filter::builder().name("association.subnet-id").values(subnet).build())
        .send()
        .await
        .map_err(|e| from_sdk("DescribeRouteTables", &resource, e))?;
    let current = output.route_tables().iter().find_map(|table| current_association(table, subnet));
    match current {
        Some((holder, _)) if holder == table_id => Ok(()),
        Some((_, association_id)) => ec2
            .replace_route_table_association()
            .association_id(association_id)
            .route_table_id(table_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| from_sdk("ReplaceRouteTableAssociation", &resource, e)),
        // Let go in between: associate again on the executor's retry.
        None => Err(AwsError::Service {
            operation: "AssociateRouteTable",
            resource,
            code: "IncorrectState".to_string(),
            message: format!("subnet {subnet} changed tables while being associated"),
            request_id: None,
            class: super::ErrorClass::Transient,
        }),
    }
}

/// The table holding `subnet` and the id of that association, if `table` is it.
fn current_association(table: &RouteTable, subnet: &str) -> Option<(String, String)> {
    table.associations().iter().find(|association| association.subnet_id() == Some(subnet)).and_then(|association| {
        Some((table.route_table_id()?.to_string(), association.route_table_association_id()?.to_string()))
    })
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    let output = context
        .clients
        .ec2
        .create_route_table()
        .vpc_id(text(props, "vpc_id"))
        .client_token(client_token(super::TokenApi::Ec2, &context.clients.run_id, context.id, props))
        .tag_specifications(ec2_tags::specification(ResourceType::RouteTable, props))
        .send()
        .await
        .map_err(|e| from_sdk("CreateRouteTable", &context.resource(Kind::RouteTable), e))?;
    let table = output.route_table().cloned().unwrap_or_else(|| RouteTable::builder().build());
    let table_id = table.route_table_id().unwrap_or_default().to_string();
    converge(context, &table, props).await?;
    Ok(Attributes::from([("id".to_string(), table_id)]))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    if update.changed("routes") || update.changed("subnet_ids") {
        let table = describe(context, update.physical_id).await?;
        converge(context, &table, update.props).await?;
    }
    ec2_tags::update(context, update).await?;
    Ok(Attributes::from([("id".to_string(), update.physical_id.to_string())]))
}

/// Disassociates every subnet (AWS refuses to delete an associated table), then deletes the table.
pub async fn delete(context: &StepContext<'_>, table_id: &str) -> Result<(), AwsError> {
    let table = describe(context, table_id).await?;
    let mut empty = Props::new();
    empty.insert("routes".into(), Value::List(Vec::new()));
    empty.insert("subnet_ids".into(), Value::List(Vec::new()));
    // Routes go with the table; only associations need removing first.
    let routes_kept = live_props(&table).remove("routes").unwrap_or(Value::List(Vec::new()));
    empty.insert("routes".into(), routes_kept);
    converge(context, &table, &empty).await?;
    context
        .clients
        .ec2
        .delete_route_table()
        .route_table_id(table_id)
        .send()
        .await
        .map_err(|e| from_sdk("DeleteRouteTable", &context.resource(Kind::RouteTable), e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::RouteTableAssociation;

    use super::*;

    #[test]
    fn the_association_to_replace_is_found_in_the_table_that_holds_the_subnet() {
        // DescribeRouteTables filtered by association.subnet-id, as AWS answers it.
        let other = RouteTable::builder()
            .route_table_id("rtb-other")
            .associations(
                RouteTableAssociation::builder().main(true).route_table_association_id("rtbassoc-main").build(),
            )
            .associations(
                RouteTableAssociation::builder().subnet_id("subnet-1").route_table_association_id("rtbassoc-1").build(),
            )
            .build();
        assert_eq!(current_association(&other, "subnet-1"), Some(("rtb-other".into(), "rtbassoc-1".into())));
        assert_eq!(current_association(&other, "subnet-2"), None);
    }
}
