//! Writes the fuzz target's starting corpus into the directory given as the only argument:
//! every API the broker speaks at every version it decodes (default-valued requests), and a few
//! realistic conversations (create a topic, produce, fetch, list offsets, delete records; a
//! consumer group's lifecycle; config changes). Each file is a byte stream as a client sends
//! it: length-prefixed request frames, back to back.

use std::path::{Path, PathBuf};

use bytes::{BufMut, Bytes, BytesMut};
use ferrokafka_wire::versions::message_versions;
use indexmap::IndexMap;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Encodable, HeaderVersion, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

/// One framed request: length prefix, header, body.
fn frame<R: Encodable + HeaderVersion>(
    key: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &R,
) -> Bytes {
    let mut payload = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(key as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str("fuzz")))
        .encode(&mut payload, R::header_version(version))
        .expect("header encodes");
    body.encode(&mut payload, version)
        .unwrap_or_else(|e| panic!("{key:?} v{version} seed does not encode: {e}"));
    let mut out = BytesMut::with_capacity(payload.len() + 4);
    out.put_u32(payload.len() as u32);
    out.put_slice(&payload);
    out.freeze()
}

/// Writes a default-valued request of `$req` for every decodable version of `$key`.
macro_rules! every_version {
    ($dir:expr, $($key:ident => $req:ty,)*) => {$(
        let versions = message_versions(ApiKey::$key).expect("a known API");
        for version in versions.min..=versions.max {
            let request = <$req>::default();
            write($dir, &format!("{}-v{version}", stringify!($key)), &[frame(ApiKey::$key, version, version.into(), &request)]);
        }
    )*};
}

fn write(dir: &Path, name: &str, frames: &[Bytes]) {
    std::fs::write(dir.join(name), frames.concat()).expect("seed written");
}

fn s(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

fn topic_name(value: &str) -> TopicName {
    TopicName(s(value))
}

/// A v2 record batch of `count` records, timestamps one millisecond apart.
fn batch(count: usize) -> Bytes {
    let records: Vec<Record> = (0..count)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder starts a new batch unless offset - sequence stays constant.
            sequence: i as i32,
            timestamp: 1_700_000_000_000 + i as i64,
            key: Some(Bytes::from(format!("key-{i}"))),
            value: Some(Bytes::from(format!("value-{i}"))),
            headers: IndexMap::from([(s("h"), Some(Bytes::from_static(b"v")))]),
        })
        .collect();
    let mut out = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    RecordBatchEncoder::encode(&mut out, &records, &options).expect("batch encodes");
    out.freeze()
}

fn produce(acks: i16, topic: &str, partition: i32, records: Bytes) -> ProduceRequest {
    use produce_request::{PartitionProduceData, TopicProduceData};
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(1000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(topic_name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(records))])])
}

fn create_topic(topic: &str, partitions: i32) -> CreateTopicsRequest {
    use create_topics_request::{CreatableTopic, CreatableTopicConfig};
    CreateTopicsRequest::default()
        .with_timeout_ms(1000)
        .with_topics(vec![CreatableTopic::default()
            .with_name(topic_name(topic))
            .with_num_partitions(partitions)
            .with_replication_factor(1)
            .with_configs(vec![CreatableTopicConfig::default()
                .with_name(s("max.message.bytes"))
                .with_value(Some(s("2048")))])])
}

fn fetch(topic: &str, partition: i32, offset: i64, max_wait_ms: i32) -> FetchRequest {
    use fetch_request::{FetchPartition, FetchTopic};
    FetchRequest::default()
        .with_max_wait_ms(max_wait_ms)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_topics(vec![FetchTopic::default()
            .with_topic(topic_name(topic))
            .with_partitions(vec![FetchPartition::default()
                .with_partition(partition)
                .with_fetch_offset(offset)
                .with_partition_max_bytes(1 << 20)])])
}

fn list_offsets(topic: &str, timestamps: &[i64]) -> ListOffsetsRequest {
    use list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
    ListOffsetsRequest::default().with_topics(vec![ListOffsetsTopic::default()
        .with_name(topic_name(topic))
        .with_partitions(
            timestamps
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    ListOffsetsPartition::default()
                        .with_partition_index(i as i32 % 2)
                        .with_timestamp(*t)
                })
                .collect(),
        )])
}

fn delete_records(topic: &str, offset: i64) -> DeleteRecordsRequest {
    use delete_records_request::{DeleteRecordsPartition, DeleteRecordsTopic};
    DeleteRecordsRequest::default()
        .with_timeout_ms(1000)
        .with_topics(vec![DeleteRecordsTopic::default()
            .with_name(topic_name(topic))
            .with_partitions(vec![DeleteRecordsPartition::default()
                .with_partition_index(0)
                .with_offset(offset)])])
}

fn metadata(topic: &str) -> MetadataRequest {
    use metadata_request::MetadataRequestTopic;
    MetadataRequest::default()
        .with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(topic_name(topic)))
        ]))
        .with_allow_auto_topic_creation(true)
}

fn records_conversation(dir: &Path) {
    write(
        dir,
        "records",
        &[
            frame(ApiKey::CreateTopics, 7, 1, &create_topic("t", 2)),
            frame(ApiKey::Produce, 9, 2, &produce(-1, "t", 0, batch(3))),
            frame(ApiKey::Produce, 3, 3, &produce(1, "t", 1, batch(1))),
            frame(ApiKey::Produce, 9, 4, &produce(0, "t", 0, batch(2))),
            frame(ApiKey::Fetch, 12, 5, &fetch("t", 0, 0, 0)),
            frame(ApiKey::Fetch, 4, 6, &fetch("t", 0, 2, 500)),
            frame(
                ApiKey::ListOffsets,
                7,
                7,
                &list_offsets("t", &[-1, -2, -3, 1_700_000_000_001]),
            ),
            frame(ApiKey::ListOffsets, 1, 8, &list_offsets("t", &[0])),
            frame(ApiKey::DeleteRecords, 2, 9, &delete_records("t", 2)),
            frame(ApiKey::Fetch, 12, 10, &fetch("t", 0, 0, 100)),
            frame(ApiKey::Metadata, 12, 11, &metadata("t")),
            frame(ApiKey::Metadata, 1, 12, &metadata("auto-created")),
            frame(
                ApiKey::Produce,
                9,
                13,
                &produce(1, "auto-created", 0, batch(1)),
            ),
        ],
    );
    write(
        dir,
        "long-poll",
        &[
            frame(ApiKey::Metadata, 9, 1, &metadata("waiting")),
            frame(ApiKey::Fetch, 11, 2, &fetch("waiting", 0, 0, 60_000)),
        ],
    );
}

fn group_conversation(dir: &Path) {
    use join_group_request::JoinGroupRequestProtocol;
    use offset_commit_request::{OffsetCommitRequestPartition, OffsetCommitRequestTopic};
    use sync_group_request::SyncGroupRequestAssignment;
    let group = GroupId(s("g"));
    let join = JoinGroupRequest::default()
        .with_group_id(group.clone())
        .with_session_timeout_ms(10_000)
        .with_rebalance_timeout_ms(10_000)
        .with_protocol_type(s("consumer"))
        .with_protocols(vec![JoinGroupRequestProtocol::default()
            .with_name(s("range"))
            .with_metadata(Bytes::from_static(
                b"\x00\x01\x00\x00\x00\x01\x00\x01t",
            ))]);
    let member = s("fuzz-member");
    let sync = SyncGroupRequest::default()
        .with_group_id(group.clone())
        .with_generation_id(1)
        .with_member_id(member.clone())
        .with_assignments(vec![SyncGroupRequestAssignment::default()
            .with_member_id(member.clone())
            .with_assignment(Bytes::from_static(
                b"\x00\x01\x00\x00\x00\x01\x00\x01t\x00\x00\x00\x01\x00\x00\x00\x00",
            ))]);
    let commit = OffsetCommitRequest::default()
        .with_group_id(group.clone())
        .with_generation_id_or_member_epoch(1)
        .with_member_id(member.clone())
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(topic_name("t"))
            .with_partitions(vec![OffsetCommitRequestPartition::default()
                .with_partition_index(0)
                .with_committed_offset(5)
                .with_committed_metadata(Some(s("meta")))])]);
    write(
        dir,
        "group",
        &[
            frame(ApiKey::Metadata, 12, 1, &metadata("t")),
            frame(
                ApiKey::FindCoordinator,
                3,
                2,
                &FindCoordinatorRequest::default().with_key(s("g")),
            ),
            frame(ApiKey::JoinGroup, 5, 3, &join.clone()),
            frame(
                ApiKey::JoinGroup,
                9,
                4,
                &join.with_member_id(member.clone()),
            ),
            frame(ApiKey::SyncGroup, 5, 5, &sync),
            frame(
                ApiKey::Heartbeat,
                4,
                6,
                &HeartbeatRequest::default()
                    .with_group_id(group.clone())
                    .with_generation_id(1)
                    .with_member_id(member.clone()),
            ),
            frame(ApiKey::OffsetCommit, 8, 7, &commit),
            frame(
                ApiKey::OffsetFetch,
                7,
                8,
                &OffsetFetchRequest::default()
                    .with_group_id(group.clone())
                    .with_topics(None),
            ),
            frame(
                ApiKey::DescribeGroups,
                5,
                9,
                &DescribeGroupsRequest::default().with_groups(vec![group.clone()]),
            ),
            frame(ApiKey::ListGroups, 4, 10, &ListGroupsRequest::default()),
            frame(
                ApiKey::LeaveGroup,
                3,
                11,
                &LeaveGroupRequest::default()
                    .with_group_id(group.clone())
                    .with_members(vec![
                        leave_group_request::MemberIdentity::default().with_member_id(member)
                    ]),
            ),
            frame(
                ApiKey::DeleteGroups,
                2,
                12,
                &DeleteGroupsRequest::default().with_groups_names(vec![group]),
            ),
        ],
    );
}

fn admin_conversation(dir: &Path) {
    use create_partitions_request::CreatePartitionsTopic;
    use describe_configs_request::DescribeConfigsResource;
    use incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
    let topic_resource = |name: &str| {
        DescribeConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name(s(name))
    };
    write(
        dir,
        "admin",
        &[
            frame(ApiKey::CreateTopics, 5, 1, &create_topic("a", 1)),
            frame(
                ApiKey::DescribeConfigs,
                4,
                2,
                &DescribeConfigsRequest::default()
                    .with_include_synonyms(true)
                    .with_resources(vec![
                        topic_resource("a"),
                        DescribeConfigsResource::default()
                            .with_resource_type(4)
                            .with_resource_name(s("1")),
                    ]),
            ),
            frame(
                ApiKey::IncrementalAlterConfigs,
                1,
                3,
                &IncrementalAlterConfigsRequest::default().with_resources(vec![
                    AlterConfigsResource::default()
                        .with_resource_type(2)
                        .with_resource_name(s("a"))
                        .with_configs(vec![AlterableConfig::default()
                            .with_name(s("retention.ms"))
                            .with_config_operation(0)
                            .with_value(Some(s("1000")))]),
                ]),
            ),
            frame(
                ApiKey::CreatePartitions,
                3,
                4,
                &CreatePartitionsRequest::default()
                    .with_timeout_ms(1000)
                    .with_topics(vec![CreatePartitionsTopic::default()
                        .with_name(topic_name("a"))
                        .with_count(3)]),
            ),
            frame(
                ApiKey::InitProducerId,
                4,
                5,
                &InitProducerIdRequest::default().with_transaction_timeout_ms(1000),
            ),
            frame(
                ApiKey::DescribeCluster,
                1,
                6,
                &DescribeClusterRequest::default(),
            ),
            frame(
                ApiKey::DeleteTopics,
                5,
                7,
                &DeleteTopicsRequest::default()
                    .with_topic_names(vec![topic_name("a")])
                    .with_timeout_ms(1000),
            ),
        ],
    );
}

fn main() {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .expect("usage: seed-corpus <corpus directory>")
        .into();
    std::fs::create_dir_all(&dir).expect("corpus directory");
    every_version! { &dir,
        Produce => ProduceRequest,
        Fetch => FetchRequest,
        ListOffsets => ListOffsetsRequest,
        Metadata => MetadataRequest,
        OffsetCommit => OffsetCommitRequest,
        OffsetFetch => OffsetFetchRequest,
        FindCoordinator => FindCoordinatorRequest,
        JoinGroup => JoinGroupRequest,
        Heartbeat => HeartbeatRequest,
        LeaveGroup => LeaveGroupRequest,
        SyncGroup => SyncGroupRequest,
        DescribeGroups => DescribeGroupsRequest,
        ListGroups => ListGroupsRequest,
        SaslHandshake => SaslHandshakeRequest,
        ApiVersions => ApiVersionsRequest,
        CreateTopics => CreateTopicsRequest,
        DeleteTopics => DeleteTopicsRequest,
        DeleteRecords => DeleteRecordsRequest,
        InitProducerId => InitProducerIdRequest,
        OffsetForLeaderEpoch => OffsetForLeaderEpochRequest,
        DescribeConfigs => DescribeConfigsRequest,
        AlterConfigs => AlterConfigsRequest,
        CreatePartitions => CreatePartitionsRequest,
        DeleteGroups => DeleteGroupsRequest,
        IncrementalAlterConfigs => IncrementalAlterConfigsRequest,
        OffsetDelete => OffsetDeleteRequest,
        DescribeCluster => DescribeClusterRequest,
    }
    records_conversation(&dir);
    group_conversation(&dir);
    admin_conversation(&dir);
}
