//! Monitoring's typed properties: alarms, the alert topic, its key and subscriptions, the
//! dashboard, and the services' scalable targets and scaling policies.

use std::collections::BTreeMap;

use super::properties;

properties! {
    /// The alarm's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    MetricAlarm: MetricAlarmProps, MetricAlarmFields, tagged {
        name: String,
        description: String,
        namespace: String,
        metric_name: String,
        statistic: String,
        /// The metric's dimensions, value by name.
        dimensions: BTreeMap<String, String>,
        period_seconds: i32,
        evaluation_periods: i32,
        /// In the one spelling both sides use (`crate::graph::format_threshold`).
        threshold: String,
        comparison: String,
        treat_missing_data: String,
        /// The topics notified when the alarm fires, and when it is back to OK.
        alarm_actions: Vec<String>,
        ok_actions: Vec<String>,
    }
}

properties! {
    /// The topic's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    AlertTopic: AlertTopicProps, AlertTopicFields, tagged {
        name: String,
        /// The ARN of the stack's alert key, which CloudWatch may use to publish.
        kms_master_key_id: String,
    }
}

properties! {
    /// The subscription's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    AlertSubscription: AlertSubscriptionProps, AlertSubscriptionFields, untagged {
        topic_arn: String,
        /// `email`.
        protocol: String,
        /// The address.
        endpoint: String,
    }
}

properties! {
    /// The key's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    KmsKey: KmsKeyProps, KmsKeyFields, tagged {
        alias: String,
        description: String,
        /// The key policy in canonical form (`graph::policy::normalise_policy`).
        policy: String,
    }
}

properties! {
    /// The dashboard's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    Dashboard: DashboardProps, DashboardFields, tagged {
        name: String,
        /// Canonical JSON (`graph::canonical_dashboard_body`).
        body: String,
    }
}

properties! {
    /// The target's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    ScalableTarget: ScalableTargetProps, ScalableTargetFields, tagged {
        /// `ecs`.
        service_namespace: String,
        /// `service/<cluster>/<service>`.
        resource_id: String,
        /// `ecs:service:DesiredCount`.
        scalable_dimension: String,
        min_capacity: i32,
        max_capacity: i32,
    }
}

properties! {
    /// The policy's properties, as the graph builds them and discovery reads them.
    #[derive(Debug, Clone, PartialEq)]
    ScalingPolicy: ScalingPolicyProps, ScalingPolicyFields, untagged {
        name: String,
        service_namespace: String,
        resource_id: String,
        scalable_dimension: String,
        /// The predefined metric (`ECSServiceAverageCPUUtilization`, `ALBRequestCountPerTarget`).
        metric: String,
        /// The load balancer and target group of `ALBRequestCountPerTarget`; empty for the others.
        resource_label: String,
        /// In the one spelling both sides use (`crate::graph::format_threshold`).
        target_value: String,
        scale_out_cooldown_seconds: i32,
        scale_in_cooldown_seconds: i32,
    }
}
