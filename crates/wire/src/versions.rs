//! The versions each Kafka API's request can be decoded and its response encoded at.
//!
//! These come from each message type's own `VERSIONS`, not from `ApiKey::valid_versions()`,
//! which also lists unstable versions the decoders reject.

use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Message, VersionRange};

macro_rules! message_versions {
    ($key:expr, $($api:ident => $req:ty, $resp:ty;)*) => {
        match $key {
            $(ApiKey::$api => Some(intersect(<$req>::VERSIONS, <$resp>::VERSIONS)),)*
            _ => None,
        }
    };
}

fn intersect(a: VersionRange, b: VersionRange) -> VersionRange {
    a.intersect(&b)
}

/// The versions of `key` whose request and response both encode and decode, or `None` for an
/// API this project does not speak.
pub fn message_versions(key: ApiKey) -> Option<VersionRange> {
    message_versions! { key,
        Produce => ProduceRequest, ProduceResponse;
        Fetch => FetchRequest, FetchResponse;
        ListOffsets => ListOffsetsRequest, ListOffsetsResponse;
        Metadata => MetadataRequest, MetadataResponse;
        OffsetCommit => OffsetCommitRequest, OffsetCommitResponse;
        OffsetFetch => OffsetFetchRequest, OffsetFetchResponse;
        FindCoordinator => FindCoordinatorRequest, FindCoordinatorResponse;
        JoinGroup => JoinGroupRequest, JoinGroupResponse;
        Heartbeat => HeartbeatRequest, HeartbeatResponse;
        LeaveGroup => LeaveGroupRequest, LeaveGroupResponse;
        SyncGroup => SyncGroupRequest, SyncGroupResponse;
        DescribeGroups => DescribeGroupsRequest, DescribeGroupsResponse;
        ListGroups => ListGroupsRequest, ListGroupsResponse;
        SaslHandshake => SaslHandshakeRequest, SaslHandshakeResponse;
        ApiVersions => ApiVersionsRequest, ApiVersionsResponse;
        CreateTopics => CreateTopicsRequest, CreateTopicsResponse;
        DeleteTopics => DeleteTopicsRequest, DeleteTopicsResponse;
        DeleteRecords => DeleteRecordsRequest, DeleteRecordsResponse;
        InitProducerId => InitProducerIdRequest, InitProducerIdResponse;
        OffsetForLeaderEpoch => OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse;
        AddPartitionsToTxn => AddPartitionsToTxnRequest, AddPartitionsToTxnResponse;
        AddOffsetsToTxn => AddOffsetsToTxnRequest, AddOffsetsToTxnResponse;
        EndTxn => EndTxnRequest, EndTxnResponse;
        TxnOffsetCommit => TxnOffsetCommitRequest, TxnOffsetCommitResponse;
        DescribeConfigs => DescribeConfigsRequest, DescribeConfigsResponse;
        AlterConfigs => AlterConfigsRequest, AlterConfigsResponse;
        CreatePartitions => CreatePartitionsRequest, CreatePartitionsResponse;
        DeleteGroups => DeleteGroupsRequest, DeleteGroupsResponse;
        IncrementalAlterConfigs => IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse;
        OffsetDelete => OffsetDeleteRequest, OffsetDeleteResponse;
        DescribeCluster => DescribeClusterRequest, DescribeClusterResponse;
        DescribeProducers => DescribeProducersRequest, DescribeProducersResponse;
        DescribeTransactions => DescribeTransactionsRequest, DescribeTransactionsResponse;
        ListTransactions => ListTransactionsRequest, ListTransactionsResponse;
        CreateAcls => CreateAclsRequest, CreateAclsResponse;
        DescribeAcls => DescribeAclsRequest, DescribeAclsResponse;
        DeleteAcls => DeleteAclsRequest, DeleteAclsResponse;
        AlterPartitionReassignments => AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse;
        ListPartitionReassignments => ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_the_decodable_range_not_the_unstable_one() {
        let commit = message_versions(ApiKey::OffsetCommit).unwrap();
        assert_eq!(commit.max, OffsetCommitRequest::VERSIONS.max);
        assert!(message_versions(ApiKey::Vote).is_none());
    }
}
