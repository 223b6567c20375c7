//! Driver for route tables, their routes and their subnet associations (managed as one resource).

use aws_sdk_ec2::types::{ResourceType, RouteTable};

use super::driver::driver;
use super::{
    client_token, id_attributes, live_resource, tags, Attributes, AwsError, Clients, SdkResultExt, StepContext, Update,
};
use crate::graph::properties::network::{Route, RouteTableProps};
use crate::graph::{AccountFacts, Kind, Props};
use crate::plan::LiveResource;

driver!(RouteTableDriver, RouteTableProps);

fn live_props(table: &RouteTable) -> RouteTableProps {
    let mut routes: Vec<Route> = table
        .routes()
        .iter()
        // The local route comes with the table and cannot be changed.
        .filter(|route| route.gateway_id() != Some("local"))
        .filter_map(|route| {
            let destination = route.destination_cidr_block()?.to_string();
            let (gateway_id, nat_gateway_id) = match (route.gateway_id(), route.nat_gateway_id()) {
                (Some(gateway), _) => (Some(gateway.to_string()), None),
                (None, nat) => (None, nat.map(str::to_string)),
            };
            Some(Route { destination, gateway_id, nat_gateway_id })
        })
        .collect();
    // A table has one route per destination, so this is the order of the destinations.
    routes.sort();
    let mut subnet_ids: Vec<String> = table
        .associations()
        .iter()
        .filter(|association| !association.main().unwrap_or(false))
        .filter_map(|association| association.subnet_id().map(str::to_string))
        .collect();
    subnet_ids.sort();
    RouteTableProps {
        vpc_id: table.vpc_id().unwrap_or_default().to_string(),
        routes,
        subnet_ids,
        tags: tags::ec2_read(table.tags()),
    }
}

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    let output = clients
        .ec2
        .describe_route_tables()
        .filters(tags::ec2_stack_filter(&clients.stack))
        .send()
        .await
        .aws("DescribeRouteTables", "the stack's route tables")?;
    Ok(output
        .route_tables()
        .iter()
        .filter_map(|table| {
            let id = tags::ec2_owned_id(&clients.stack, table.tags())?;
            let table_id = table.route_table_id()?;
            Some(live_resource(Kind::RouteTable, id, table_id, &live_props(table), id_attributes(table_id)))
        })
        .collect())
}

async fn describe(context: &StepContext<'_>, table_id: &str) -> Result<RouteTable, AwsError> {
    let resource = context.resource();
    let output = context
        .clients
        .ec2
        .describe_route_tables()
        .route_table_ids(table_id)
        .send()
        .await
        .aws("DescribeRouteTables", &resource)?;
    output.route_tables().first().cloned().ok_or_else(|| {
        AwsError::refused(resource, format!("route table {table_id} disappeared during apply; run apply again"))
    })
}

/// Where a route sends its traffic.
enum Target<'a> {
    InternetGateway(&'a str),
    NatGateway(&'a str),
}

fn route_target(route: &Route) -> Option<Target<'_>> {
    let gateway = route.gateway_id.as_deref().map(Target::InternetGateway);
    gateway.or_else(|| route.nat_gateway_id.as_deref().map(Target::NatGateway))
}

async fn put_route(context: &StepContext<'_>, table_id: &str, route: &Route, replace: bool) -> Result<(), AwsError> {
    let resource = context.resource();
    let Some(target) = route_target(route) else { return Ok(()) };
    let ec2 = &context.clients.ec2;
    if !replace {
        let call = ec2.create_route().route_table_id(table_id).destination_cidr_block(&route.destination);
        let call = match target {
            Target::InternetGateway(gateway) => call.gateway_id(gateway),
            Target::NatGateway(gateway) => call.nat_gateway_id(gateway),
        };
        match call.send().await.aws("CreateRoute", &resource) {
            Ok(_) => return Ok(()),
            // An earlier attempt (whose answer was lost) created it: make sure of its target.
            Err(error) if error.code() == Some("RouteAlreadyExists") => {}
            Err(error) => return Err(error),
        }
    }
    let call = ec2.replace_route().route_table_id(table_id).destination_cidr_block(&route.destination);
    let call = match target {
        Target::InternetGateway(gateway) => call.gateway_id(gateway),
        Target::NatGateway(gateway) => call.nat_gateway_id(gateway),
    };
    call.send().await.map(|_| ()).aws("ReplaceRoute", &resource)
}

/// Makes the table's routes and associations match `props`, from the table as it is now.
async fn converge(context: &StepContext<'_>, table: &RouteTable, props: &RouteTableProps) -> Result<(), AwsError> {
    let resource = context.resource();
    let table_id = table.route_table_id().unwrap_or_default();
    let live = live_props(table);
    for route in &live.routes {
        if !props.routes.iter().any(|desired| desired.destination == route.destination) {
            let deleted = context
                .clients
                .ec2
                .delete_route()
                .route_table_id(table_id)
                .destination_cidr_block(&route.destination)
                .send()
                .await
                .map(|_| ())
                .aws("DeleteRoute", &resource);
            super::done_if(deleted, &["InvalidRoute.NotFound"])?;
        }
    }
    for route in &props.routes {
        match live.routes.iter().find(|live| live.destination == route.destination) {
            None => put_route(context, table_id, route, false).await?,
            Some(existing) if existing != route => put_route(context, table_id, route, true).await?,
            Some(_) => {}
        }
    }
    let desired_subnets: Vec<&str> = props.subnet_ids.iter().map(String::as_str).collect();
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
                    .aws("DisassociateRouteTable", &resource);
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
                .aws("AssociateRouteTable", &resource);
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
    let resource = context.resource();
    let ec2 = &context.clients.ec2;
    let output = ec2
        .describe_route_tables()
        .filters(aws_sdk_ec2::types::Filter::builder().name("association.subnet-id").values(subnet).build())
        .send()
        .await
        .aws("DescribeRouteTables", &resource)?;
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
            .aws("ReplaceRouteTableAssociation", &resource),
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
    // The token is made from the resolved properties, as they came.
    let token = client_token(super::TokenApi::Ec2, &context.clients.run_id, context.id, props);
    let props: RouteTableProps = context.decode(props)?;
    let output = context
        .clients
        .ec2
        .create_route_table()
        .vpc_id(&props.vpc_id)
        .client_token(token)
        .tag_specifications(tags::ec2_specification(ResourceType::RouteTable, &props.tags))
        .send()
        .await
        .aws("CreateRouteTable", &context.resource())?;
    let table = output.route_table().cloned().unwrap_or_else(|| RouteTable::builder().build());
    let table_id = table.route_table_id().unwrap_or_default().to_string();
    converge(context, &table, &props).await?;
    Ok(id_attributes(&table_id))
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    let (desired, live): (RouteTableProps, RouteTableProps) = update.decode(context)?;
    if update.changed(RouteTableProps::NAMES.routes) || update.changed(RouteTableProps::NAMES.subnet_ids) {
        let table = describe(context, update.physical_id).await?;
        converge(context, &table, &desired).await?;
    }
    tags::replace(context, tags::Style::Ec2, update.physical_id, &desired.tags, &live.tags).await?;
    Ok(id_attributes(update.physical_id))
}

/// Disassociates every subnet (AWS refuses to delete an associated table), then deletes the table.
pub async fn delete(context: &StepContext<'_>, table_id: &str, _live: &Props) -> Result<(), AwsError> {
    let table = describe(context, table_id).await?;
    // Routes go with the table (so the live ones are kept); only associations need removing first.
    let empty = RouteTableProps { subnet_ids: Vec::new(), ..live_props(&table) };
    converge(context, &table, &empty).await?;
    let call = context.clients.ec2.delete_route_table().route_table_id(table_id);
    call.send().await.aws("DeleteRouteTable", &context.resource())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::{Route as Ec2Route, RouteTableAssociation};

    use super::*;
    use crate::graph::Value;

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

    #[test]
    fn live_routes_read_in_the_graph_s_shape_without_the_local_route_or_the_main_association() {
        let table = RouteTable::builder()
            .vpc_id("vpc-1")
            .routes(Ec2Route::builder().destination_cidr_block("10.0.0.0/16").gateway_id("local").build())
            .routes(Ec2Route::builder().destination_cidr_block("0.0.0.0/0").nat_gateway_id("nat-1").build())
            .associations(RouteTableAssociation::builder().main(true).build())
            .associations(RouteTableAssociation::builder().subnet_id("subnet-1").build())
            .build();
        let props = crate::aws::props::encode(&live_props(&table));
        let route = Value::Map(
            [
                ("destination".to_string(), Value::string("0.0.0.0/0")),
                ("nat_gateway_id".to_string(), Value::string("nat-1")),
            ]
            .into(),
        );
        assert_eq!(props.get("routes"), Some(&Value::List(vec![route])));
        assert_eq!(props.get("subnet_ids"), Some(&Value::List(vec![Value::string("subnet-1")])));
        assert_eq!(props.get("vpc_id"), Some(&Value::string("vpc-1")));
        assert_eq!(props.get("tags"), Some(&Value::Map(Default::default())));
    }
}
