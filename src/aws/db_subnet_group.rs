//! Driver for the RDS subnet group that places the databases in the private subnets; what it shares with the cache's group is in `subnet_group`.

use super::driver::driver;
use super::subnet_group::{self, Service};
use super::{Attributes, AwsError, Clients, StepContext, Update};
use crate::graph::properties::data::SubnetGroupProps;
use crate::graph::{AccountFacts, Props};
use crate::plan::LiveResource;

driver!(DbSubnetGroupDriver, SubnetGroupProps);

pub async fn discover(clients: &Clients, _facts: &AccountFacts) -> Result<Vec<LiveResource>, AwsError> {
    subnet_group::discover(clients, Service::Rds).await
}

pub async fn create(context: &StepContext<'_>, props: &Props) -> Result<Attributes, AwsError> {
    subnet_group::create(context, Service::Rds, props).await
}

pub async fn update(context: &StepContext<'_>, update: &Update<'_>) -> Result<Attributes, AwsError> {
    subnet_group::update(context, Service::Rds, update).await
}

pub async fn delete(context: &StepContext<'_>, name: &str, _live: &Props) -> Result<(), AwsError> {
    subnet_group::delete(context, Service::Rds, name).await
}
