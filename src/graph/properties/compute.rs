//! The compute and routing tier's typed properties: roles, log groups, the cluster, the Service
//! Connect namespace, task definitions, services, the load balancer, target groups, listeners
//! and listener rules.

use std::collections::BTreeMap;

use super::properties;

properties! {
    /// The role's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    IamRole: IamRoleProps, IamRoleFields, tagged {
        name: String,
        path: String,
        description: String,
        assume_role_policy: String,
        managed_policy_arns: Vec<String>,
        /// Policy documents by policy name.
        inline_policies: BTreeMap<String, String>,
    }
}

properties! {
    /// The log group's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    LogGroup: LogGroupProps, LogGroupFields, tagged {
        name: String,
        retention_days: i32,
    }
}

properties! {
    /// The cluster's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    EcsCluster: EcsClusterProps, EcsClusterFields, tagged {
        name: String,
        container_insights: String,
    }
}

properties! {
    /// The namespace's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    ServiceNamespace: ServiceNamespaceProps, ServiceNamespaceFields, tagged {
        name: String,
        description: String,
    }
}

properties! {
    /// The task definition's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    TaskDefinition: TaskDefinitionProps, TaskDefinitionFields, tagged {
        family: String,
        cpu: i64,
        memory: i64,
        execution_role_arn: String,
        task_role_arn: String,
        container_name: String,
        image: String,
        port: i32,
        /// The port mapping's name, which Service Connect's `portName` refers to.
        port_name: String,
        environment: BTreeMap<String, String>,
        secrets: BTreeMap<String, SecretReference>,
        log_group: String,
        log_region: String,
        cpu_architecture: String,
        operating_system_family: String,
        health_check_command: Vec<String>,
    }
}

properties! {
    /// A container secret: the secret's ARN and the key of its JSON document (empty: the whole
    /// value).
    #[derive(Debug, Clone, PartialEq)]
    nested SecretReference, SecretReferenceFields {
        secret: String,
        key: String,
    }
}

properties! {
    /// The service's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    EcsService: EcsServiceProps, EcsServiceFields, tagged {
        name: String,
        cluster: String,
        task_definition: String,
        /// The task count, unless Application Auto Scaling owns it; discovery always reads it.
        desired_count [optional]: Option<i32>,
        /// The count a service Application Auto Scaling owns starts with (create only).
        initial_desired_count [optional]: Option<i32>,
        launch_type: String,
        subnet_ids: Vec<String>,
        security_group_ids: Vec<String>,
        assign_public_ip: bool,
        target_group_arn: String,
        container_name: String,
        container_port: i32,
        circuit_breaker: bool,
        minimum_healthy_percent: i32,
        maximum_percent: i32,
        health_check_grace_seconds: i32,
        /// Service Connect: the Cloud Map namespace (its name) the service joins, and the port
        /// mapping it answers on as `<port name>:<port>`; an empty namespace is a service without
        /// it.
        service_connect_namespace: String,
        service_connect_port_name: String,
        service_connect_port: i32,
    }
}

properties! {
    /// The load balancer's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    LoadBalancer: LoadBalancerProps, LoadBalancerFields, tagged {
        name: String,
        r#type: String,
        scheme: String,
        subnet_ids: Vec<String>,
        security_group_ids: Vec<String>,
    }
}

properties! {
    /// The target group's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    TargetGroup: TargetGroupProps, TargetGroupFields, tagged {
        name: String,
        protocol: String,
        port: i32,
        vpc_id: String,
        target_type: String,
        health_check_path: String,
        health_check_matcher: String,
        health_check_interval_seconds: i32,
        healthy_threshold: i32,
        unhealthy_threshold: i32,
        deregistration_delay_seconds: i64,
    }
}

properties! {
    /// The listener's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    Listener: ListenerProps, ListenerFields, tagged {
        load_balancer_arn: String,
        port: i32,
        protocol: String,
        default_action: DefaultAction,
        /// HTTPS listeners only.
        certificate_arn [optional]: Option<String>,
        ssl_policy [optional]: Option<String>,
    }
}

properties! {
    /// A default action in the graph's shape: the fields of a fixed response (`status_code`,
    /// `content_type`, `message_body`) or of a redirect (`protocol`, `port`, `status_code`).
    #[derive(Debug, Clone, Default, PartialEq)]
    nested DefaultAction, DefaultActionFields {
        r#type: String,
        status_code [optional]: Option<String>,
        content_type [optional]: Option<String>,
        message_body [optional]: Option<String>,
        protocol [optional]: Option<String>,
        port [optional]: Option<String>,
    }
}

properties! {
    /// The listener rule's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    ListenerRule: ListenerRuleProps, ListenerRuleFields, tagged {
        listener_arn: String,
        priority: i32,
        paths: Vec<String>,
        /// The group the rule forwards to.
        target_group_arn: String,
        /// A second group forwarded to with weight 0, beside `target_group_arn`: set only by the
        /// step that associates a service's new target group before the service moves to it.
        standby_target_group_arn [optional]: Option<String>,
        /// Behind CloudFront: the origin secret whose values the rule requires in the
        /// `X-Origin-Verify` header (`aws::origin_verify`): its ARN, never its values.
        origin_verify_secret [optional]: Option<String>,
    }
}
