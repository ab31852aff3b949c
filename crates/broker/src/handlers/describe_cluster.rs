//! DescribeCluster: this broker as the whole cluster and its controller, with the cluster id;
//! a request for controller endpoints (v1+) is refused as a broker listener refuses it.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;

const BROKER_ENDPOINTS: i8 = 1;
const CONTROLLER_ENDPOINTS: i8 = 2;

/// Every operation on the cluster resource, all allowed without an authorizer, as Kafka's bit
/// set (bit n = ACL operation code n): CREATE 5, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9,
/// DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
const CLUSTER_OPERATIONS: i32 =
    (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

pub async fn handle(ctx: &Ctx<'_>, request: DescribeClusterRequest) -> DescribeClusterResponse {
    let state = ctx.state;
    let mut response = DescribeClusterResponse::default().with_error_message(None);
    if ctx.version >= 1 && request.endpoint_type != BROKER_ENDPOINTS {
        let (error, message) = if request.endpoint_type == CONTROLLER_ENDPOINTS {
            (
                ResponseError::MismatchedEndpointType,
                "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER".to_string(),
            )
        } else {
            (
                ResponseError::UnsupportedEndpointType,
                format!("Unsupported endpoint type {}", request.endpoint_type),
            )
        };
        return response
            .with_error_code(error.code())
            .with_error_message(Some(StrBytes::from_string(message)));
    }
    let broker = DescribeClusterBroker::default()
        .with_broker_id(state.config.node_id.into())
        .with_host(StrBytes::from_string(state.advertised_host.clone()))
        .with_port(state.advertised_port)
        .with_rack(None);
    response = response
        .with_cluster_id(StrBytes::from_string(state.config.cluster_id.clone()))
        .with_controller_id(state.config.node_id.into())
        .with_brokers(vec![broker]);
    if request.include_cluster_authorized_operations {
        response.cluster_authorized_operations = CLUSTER_OPERATIONS;
    }
    if ctx.version >= 1 {
        response.endpoint_type = BROKER_ENDPOINTS;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::test_support::{ctx_at, encodes_at_every_version, state, versions};
    use kafka_protocol::messages::ApiKey;

    #[tokio::test]
    async fn this_broker_is_the_cluster_and_its_controller() {
        let state = state();
        for version in versions(ApiKey::DescribeCluster) {
            let response =
                handle(&ctx_at(&state, version), DescribeClusterRequest::default()).await;
            encodes_at_every_version(ApiKey::DescribeCluster, version, &response);
            assert_eq!(response.error_code, 0);
            assert_eq!(response.controller_id.0, 1);
            assert_eq!(response.cluster_id.as_str(), state.config.cluster_id);
            assert_eq!(response.brokers.len(), 1);
            assert_eq!(response.brokers[0].port, 9092);
            assert!(!response.brokers[0].is_fenced);
            assert_eq!(response.cluster_authorized_operations, i32::MIN);
        }
    }

    #[tokio::test]
    async fn controller_endpoints_are_refused() {
        let state = state();
        let request = DescribeClusterRequest::default().with_endpoint_type(2);
        let response = handle(&ctx_at(&state, 1), request).await;
        encodes_at_every_version(ApiKey::DescribeCluster, 1, &response);
        assert_eq!(
            response.error_code,
            ResponseError::MismatchedEndpointType.code()
        );
    }
}
