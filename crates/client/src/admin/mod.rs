//! The admin client behind kafkajs's `admin()`: one file per group of requests (topics,
//! offsets, groups, configs, ACLs, partition reassignments). Requests and results are shaped
//! like kafkajs's arguments and return values (serde, camelCase), so the addon hands them across
//! unchanged. Failures of a whole operation are `RetryError`s; per-item error codes that kafkajs
//! turns into aggregate errors are returned as data, for the JavaScript layer to raise.

mod acls;
mod configs;
mod groups;
mod member;
mod offsets;
mod reassignments;
mod topics;

use std::future::Future;
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::TopicName;
use kafka_protocol::protocol::StrBytes;
use serde::Serializer;

use crate::cluster::Cluster;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::retry::{retry, RetryError, RetryOptions};

pub use acls::{AclEntry, AclFilter, AclResource, AclRule, DeleteAclsFilterResult, MatchingAcl};
pub use configs::{
    AlterConfigsRequest, AlterConfigsResource, AlteredResource, ConfigEntry, ConfigSynonym,
    DescribeConfigsRequest, DescribedResource, ResourceQuery,
};
pub use groups::{DeleteGroupResult, GroupDescription, GroupMember, ListedGroup};
pub use offsets::{
    DeleteRecordsOutcome, FetchOffsetsRequest, PartitionOffset, PartitionRecordsError, SeekEntry,
    SetOffsetsRequest, TopicOffsets, TopicPartitionOffsets, TopicTimestampOffset,
};
pub use reassignments::{
    AlterReassignmentsRequest, ListReassignmentsRequest, OngoingPartition, OngoingTopic,
    PartitionAssignment, ReassignmentError, TopicPartitionsQuery, TopicReassignment,
};
pub use topics::{
    BrokerNode, ClusterDescription, ConfigValueEntry, CreatePartitionsRequest, CreateTopicsOutcome,
    CreateTopicsRequest, DeleteTopicsRequest, NewTopic, PartitionInfo, ReplicaAssignment,
    TopicError, TopicInfo, TopicPartitionsCount,
};

/// kafkajs's admin client over a cluster.
pub struct Admin {
    cluster: Arc<Cluster>,
    retry: RetryOptions,
}

impl Admin {
    /// An admin client retrying its operations with `retry` (kafkajs's admin `retry` option).
    pub fn new(cluster: Arc<Cluster>, retry: RetryOptions) -> Admin {
        Admin { cluster, retry }
    }

    /// The cluster this admin client talks to.
    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    /// The controller named by freshly fetched metadata, where kafkajs sends topic, config and
    /// ACL changes. A cluster whose metadata names a controller that is none of its brokers
    /// (librdkafka's mock cluster names broker 0 while its brokers count from 1) gets the
    /// request on any broker, which answers NOT_CONTROLLER if it must not take it.
    async fn controller(&self) -> Result<Arc<Connection>> {
        let metadata = self.cluster.refresh(&[], false).await?;
        if metadata.brokers.contains_key(&metadata.controller_id) {
            self.cluster
                .connection_to_node(metadata.controller_id)
                .await
        } else {
            self.cluster.any_connection().await
        }
    }

    /// Runs `operation` with the admin's retry options, retrying only connection failures and
    /// the Kafka errors in `retry_on`; any other error ends the operation at once, as kafkajs's
    /// `bail` does.
    async fn retrying<T, F, Fut>(
        &self,
        retry_on: &[ResponseError],
        mut operation: F,
    ) -> Result<T, RetryError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let outcome = retry(self.retry, |_| {
            let attempt = operation();
            async move {
                match attempt.await {
                    Err(error) if retried(&error, retry_on) => Err(error),
                    other => Ok(other),
                }
            }
        })
        .await?;
        outcome.map_err(RetryError::NonRetriable)
    }
}

fn retried(error: &Error, retry_on: &[ResponseError]) -> bool {
    match error {
        Error::Connection { .. } => true,
        Error::Protocol { error, .. } => retry_on.contains(error) && error.is_retriable(),
        _ => false,
    }
}

/// `Err` for a nonzero Kafka error code.
fn check(code: i16) -> Result<()> {
    Error::from_code(code, None).map_or(Ok(()), Err)
}

/// The API version to use: the negotiated one, capped at `max` (the newest version whose request
/// shape this module builds); unsupported when the broker only speaks versions below `min`.
fn version_in<R: kafka_protocol::protocol::Request>(
    connection: &Connection,
    min: i16,
    max: i16,
) -> Result<i16> {
    let version = connection.version_of::<R>()?;
    if version < min {
        let key = kafka_protocol::messages::ApiKey::try_from(R::KEY)
            .map_err(|_| Error::Encoding(format!("unknown API key {}", R::KEY)))?;
        return Err(Error::UnsupportedApi(key));
    }
    Ok(version.min(max))
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

fn str_bytes(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

/// Serialises an offset as kafkajs gives it: a decimal string.
fn as_string<S: Serializer>(value: &i64, serializer: S) -> std::result::Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ClusterOptions;
    use crate::connection::ConnectionOptions;
    use std::time::Duration;

    fn admin() -> Admin {
        let cluster = Cluster::new(ClusterOptions {
            brokers: vec![],
            connection: ConnectionOptions::default(),
            metadata_max_age: Duration::ZERO,
        });
        Admin::new(Arc::new(cluster), RetryOptions::TEST_DEFAULT)
    }

    fn protocol(error: ResponseError) -> Error {
        Error::Protocol {
            error,
            message: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_only_the_listed_errors_and_connection_failures() {
        let admin = admin();
        let listed = [
            ResponseError::NotCoordinator,
            ResponseError::CoordinatorLoadInProgress,
        ];
        let mut failures = vec![
            protocol(ResponseError::NotCoordinator),
            Error::connection("b:1", "refused"),
            protocol(ResponseError::CoordinatorLoadInProgress),
        ];
        let mut attempts = 0;
        let value = admin
            .retrying(&listed, || {
                attempts += 1;
                let next = failures.pop();
                async move { next.map_or(Ok(attempts), Err) }
            })
            .await
            .unwrap();
        assert_eq!(value, 4, "three failures retried, then success");

        let mut attempts = 0;
        let bailed = admin
            .retrying(&listed, || {
                attempts += 1;
                async { Err::<(), _>(protocol(ResponseError::LeaderNotAvailable)) }
            })
            .await
            .unwrap_err();
        assert_eq!(attempts, 1, "a retriable error not listed ends the call");
        assert!(matches!(
            bailed,
            RetryError::NonRetriable(Error::Protocol {
                error: ResponseError::LeaderNotAvailable,
                ..
            })
        ));
    }
}
