//! The network's typed properties: VPC, internet gateway, subnets, Elastic IPs, NAT gateways,
//! route tables and security groups.

use super::properties;

properties! {
    /// The VPC's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    Vpc: VpcProps, VpcFields, tagged {
        cidr_block: String,
        enable_dns_support: bool,
        enable_dns_hostnames: bool,
    }
}

properties! {
    /// The internet gateway's properties, as the graph builds them and discovery reads them. A
    /// detached gateway's `vpc_id` reads as empty.
    #[derive(Debug, Clone, PartialEq)]
    InternetGateway: InternetGatewayProps, InternetGatewayFields, tagged {
        vpc_id: String,
    }
}

properties! {
    /// The subnet's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    Subnet: SubnetProps, SubnetFields, tagged {
        vpc_id: String,
        cidr_block: String,
        availability_zone: String,
        map_public_ip_on_launch: bool,
    }
}

properties! {
    /// The address's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    ElasticIp: ElasticIpProps, ElasticIpFields, tagged {
        domain: String,
    }
}

properties! {
    /// The NAT gateway's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    NatGateway: NatGatewayProps, NatGatewayFields, tagged {
        subnet_id: String,
        allocation_id: String,
    }
}

properties! {
    /// The route table's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    RouteTable: RouteTableProps, RouteTableFields, tagged {
        vpc_id: String,
        routes: Vec<Route>,
        subnet_ids: Vec<String>,
    }
}

properties! {
    /// One route: its destination and the target wl-infra manages (an internet gateway or a NAT
    /// gateway). A live route to any other target reads with no target.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    nested Route, RouteFields {
        destination: String,
        gateway_id [optional]: Option<String>,
        nat_gateway_id [optional]: Option<String>,
    }
}

properties! {
    /// The security group's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    SecurityGroup: SecurityGroupProps, SecurityGroupFields, tagged {
        name: String,
        description: String,
        vpc_id: String,
        ingress: Vec<IngressRule>,
    }
}

properties! {
    /// One ingress rule in the graph's shape: one per (protocol, ports, source). The fields are in
    /// the order of their names, so rules sort as their maps did.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    nested IngressRule, IngressRuleFields {
        description: String,
        from_port: i32,
        protocol: String,
        source: String,
        to_port: i32,
    }
}
