//! Finding coordinators: FindCoordinator for a transactional id (key type 1) or a consumer
//! group (key type 0), and which errors mean the coordinator has to be found again.

use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::FindCoordinatorRequest;
use kafka_protocol::protocol::StrBytes;

use crate::cluster::Cluster;
use crate::connection::Connection;
use crate::error::{Error, Result};

/// What a coordinator is looked up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoordinatorKind {
    Group = 0,
    Transaction = 1,
}

/// The newest FindCoordinator version with a single key; v4+ batch keys (KIP-699).
const MAX_FIND_COORDINATOR_VERSION: i16 = 3;

/// The address (`host:port`) of the coordinator of `key`.
pub async fn find_coordinator(
    cluster: &Cluster,
    kind: CoordinatorKind,
    key: &str,
) -> Result<String> {
    let connection = cluster.any_connection().await?;
    let version = connection
        .version_of::<FindCoordinatorRequest>()?
        .min(MAX_FIND_COORDINATOR_VERSION);
    if kind == CoordinatorKind::Transaction && version < 1 {
        return Err(Error::UnsupportedApi(
            kafka_protocol::messages::ApiKey::FindCoordinator,
        ));
    }
    let request = FindCoordinatorRequest::default()
        .with_key(StrBytes::from_string(key.to_string()))
        .with_key_type(kind as i8);
    let response = connection.send_at(&request, version).await?;
    if let Some(error) = Error::from_code(
        response.error_code,
        response.error_message.map(|m| m.to_string()),
    ) {
        return Err(error);
    }
    Ok(format!("{}:{}", response.host.as_str(), response.port))
}

/// The connection to the coordinator of `key`.
pub async fn connect_to_coordinator(
    cluster: &Cluster,
    kind: CoordinatorKind,
    key: &str,
) -> Result<Arc<Connection>> {
    let address = find_coordinator(cluster, kind, key).await?;
    cluster.connection_to(&address).await
}

/// Whether `error` says to look the coordinator up again before retrying.
pub fn coordinator_moved(error: &Error) -> bool {
    match error {
        Error::Connection { .. } | Error::RequestTimeout { .. } => true,
        Error::Protocol { error, .. } => matches!(
            error,
            ResponseError::NotCoordinator | ResponseError::CoordinatorNotAvailable
        ),
        _ => false,
    }
}
