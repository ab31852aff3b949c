//! Transactions and idempotence through the real dispatcher, each request encoded as a client
//! would at the versions kafkajs, librdkafka and the Java client use: producer ids and fencing,
//! sequence checks and retried batches, markers, the last stable offset and the aborted
//! transactions of read_committed fetches, transactional offsets, timeouts, and the admin views.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferrokafka_wire::record_batch::validate_batches;
use ferrokafka_wire::records::{encode_batch, BatchOptions, RecordRef};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::add_partitions_to_txn_request::{
    AddPartitionsToTxnTopic, AddPartitionsToTxnTransaction,
};
use kafka_protocol::messages::describe_producers_request::TopicRequest;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::fetch_response::PartitionData;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

use super::{abort_timed_out, now_ms, write_markers, EndOutcome};
use crate::config::BrokerConfig;
use crate::handlers::test_support::{call, versions};
use crate::state::State;

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

fn txn_id(s: &str) -> TransactionalId {
    TransactionalId(text(s))
}

fn state() -> State {
    let state = State::new(BrokerConfig::default(), "127.0.0.1".into(), 9092);
    state.create_topic("t", 2, BTreeMap::new()).unwrap();
    state
}

fn error(code: i16) -> Option<ResponseError> {
    (code != 0).then(|| ResponseError::try_from_code(code).expect("a known error code"))
}

/// A batch of `values`, transactional or idempotent as `options` say.
fn batch(values: &[&str], options: BatchOptions) -> Bytes {
    let records: Vec<RecordRef> = values
        .iter()
        .map(|v| RecordRef {
            key: None,
            value: Some(v.as_bytes()),
            headers: &[],
            timestamp: 1_700_000_000_000,
        })
        .collect();
    let mut buf = BytesMut::new();
    encode_batch(&mut buf, &records, &options).unwrap();
    buf.freeze()
}

fn txn_batch(pid: i64, epoch: i16, seq: i32, values: &[&str]) -> Bytes {
    batch(
        values,
        BatchOptions {
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: seq,
            transactional: true,
            ..BatchOptions::default()
        },
    )
}

fn idempotent_batch(pid: i64, epoch: i16, seq: i32, values: &[&str]) -> Bytes {
    batch(
        values,
        BatchOptions {
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: seq,
            ..BatchOptions::default()
        },
    )
}

async fn init(state: &State, version: i16, id: Option<&str>, timeout_ms: i32) -> (i64, i16, i16) {
    let request = InitProducerIdRequest::default()
        .with_transactional_id(id.map(txn_id))
        .with_transaction_timeout_ms(timeout_ms);
    let response: InitProducerIdResponse =
        call(state, ApiKey::InitProducerId, version, &request).await;
    (
        response.producer_id.0,
        response.producer_epoch,
        response.error_code,
    )
}

/// Initialises `id` with InitProducerId v1 (as kafkajs does) and returns its id and epoch.
async fn init_txn(state: &State, id: &str) -> (i64, i16) {
    let (pid, epoch, code) = init(state, 1, Some(id), 60_000).await;
    assert_eq!(code, 0);
    (pid, epoch)
}

/// AddPartitionsToTxn at `version` for partitions of "t"; the error of each partition.
async fn add_partitions(
    state: &State,
    version: i16,
    id: &str,
    (pid, epoch): (i64, i16),
    partitions: &[i32],
) -> Vec<Option<ResponseError>> {
    let topic = AddPartitionsToTxnTopic::default()
        .with_name(TopicName(text("t")))
        .with_partitions(partitions.to_vec());
    let request = if version < 4 {
        AddPartitionsToTxnRequest::default()
            .with_v3_and_below_transactional_id(txn_id(id))
            .with_v3_and_below_producer_id(ProducerId(pid))
            .with_v3_and_below_producer_epoch(epoch)
            .with_v3_and_below_topics(vec![topic])
    } else {
        AddPartitionsToTxnRequest::default().with_transactions(vec![
            AddPartitionsToTxnTransaction::default()
                .with_transactional_id(txn_id(id))
                .with_producer_id(ProducerId(pid))
                .with_producer_epoch(epoch)
                .with_topics(vec![topic]),
        ])
    };
    let response: AddPartitionsToTxnResponse =
        call(state, ApiKey::AddPartitionsToTxn, version, &request).await;
    let topics = if version < 4 {
        response.results_by_topic_v3_and_below
    } else {
        response.results_by_transaction[0].topic_results.clone()
    };
    topics[0]
        .results_by_partition
        .iter()
        .map(|p| error(p.partition_error_code))
        .collect()
}

async fn produce_response(
    state: &State,
    version: i16,
    id: Option<&str>,
    partition: i32,
    records: Bytes,
) -> produce_response::PartitionProduceResponse {
    let data = PartitionProduceData::default()
        .with_index(partition)
        .with_records(Some(records));
    let topic = TopicProduceData::default()
        .with_name(TopicName(text("t")))
        .with_topic_id(state.topic("t").unwrap().id)
        .with_partition_data(vec![data]);
    let request = ProduceRequest::default()
        .with_transactional_id(id.map(txn_id))
        .with_acks(-1)
        .with_timeout_ms(1000)
        .with_topic_data(vec![topic]);
    let response: ProduceResponse = call(state, ApiKey::Produce, version, &request).await;
    response.responses[0].partition_responses[0].clone()
}

async fn produce_at(
    state: &State,
    version: i16,
    id: Option<&str>,
    partition: i32,
    records: Bytes,
) -> (Option<ResponseError>, i64) {
    let response = produce_response(state, version, id, partition, records).await;
    (error(response.error_code), response.base_offset)
}

/// Produce v7, as kafkajs sends it.
async fn produce(
    state: &State,
    id: Option<&str>,
    partition: i32,
    records: Bytes,
) -> (Option<ResponseError>, i64) {
    produce_at(state, 7, id, partition, records).await
}

async fn end(
    state: &State,
    version: i16,
    id: &str,
    (pid, epoch): (i64, i16),
    commit: bool,
) -> EndTxnResponse {
    let request = EndTxnRequest::default()
        .with_transactional_id(txn_id(id))
        .with_producer_id(ProducerId(pid))
        .with_producer_epoch(epoch)
        .with_committed(commit);
    call(state, ApiKey::EndTxn, version, &request).await
}

fn fetch_request(state: &State, partition: i32, offset: i64, read_committed: bool) -> FetchRequest {
    let wanted = FetchPartition::default()
        .with_partition(partition)
        .with_fetch_offset(offset)
        .with_partition_max_bytes(1 << 20);
    FetchRequest::default()
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_isolation_level(i8::from(read_committed))
        .with_topics(vec![FetchTopic::default()
            .with_topic(TopicName(text("t")))
            .with_topic_id(state.topic("t").unwrap().id)
            .with_partitions(vec![wanted])])
}

/// Fetch v11, as kafkajs sends it.
async fn fetch(state: &State, partition: i32, offset: i64, read_committed: bool) -> PartitionData {
    fetch_at(state, 11, partition, offset, read_committed).await
}

async fn fetch_at(
    state: &State,
    version: i16,
    partition: i32,
    offset: i64,
    read_committed: bool,
) -> PartitionData {
    let request = fetch_request(state, partition, offset, read_committed);
    let response: FetchResponse = call(state, ApiKey::Fetch, version, &request).await;
    response.responses[0].partitions[0].clone()
}

/// (base offset, control?) of each batch a fetch returned.
fn batches_of(data: &PartitionData) -> Vec<(i64, bool)> {
    let records = data.records.clone().unwrap_or_default();
    if records.is_empty() {
        return Vec::new();
    }
    validate_batches(&records)
        .unwrap()
        .iter()
        .map(|(h, _)| (h.base_offset, h.is_control()))
        .collect()
}

fn aborted_of(data: &PartitionData) -> Option<Vec<(i64, i64)>> {
    data.aborted_transactions.as_ref().map(|list| {
        list.iter()
            .map(|t| (t.producer_id.0, t.first_offset))
            .collect()
    })
}

async fn latest(state: &State, version: i16, read_committed: bool) -> i64 {
    let request = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_isolation_level(i8::from(read_committed))
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(TopicName(text("t")))
            .with_partitions(vec![ListOffsetsPartition::default()
                .with_partition_index(0)
                .with_timestamp(-1)])]);
    let response: ListOffsetsResponse = call(state, ApiKey::ListOffsets, version, &request).await;
    response.topics[0].partitions[0].offset
}

#[tokio::test]
async fn transactional_ids_keep_their_producer_id_and_fence_older_epochs_at_every_version() {
    for version in versions(ApiKey::InitProducerId) {
        let state = state();
        let (pid, first, code) = init(&state, version, Some("app"), 60_000).await;
        assert_eq!((first, code), (0, 0), "v{version}");
        let (again, second, _) = init(&state, version, Some("app"), 60_000).await;
        assert_eq!((again, second), (pid, 1), "v{version}");
        let (other, _, _) = init(&state, version, None, 0).await;
        assert_ne!(other, pid);

        let zombie = add_partitions(&state, 1, "app", (pid, first), &[0]).await;
        assert_eq!(zombie, vec![Some(ResponseError::InvalidProducerEpoch)]);
        let zombie = add_partitions(&state, 2, "app", (pid, first), &[0]).await;
        assert_eq!(zombie, vec![Some(ResponseError::ProducerFenced)]);
        let ended = end(&state, 1, "app", (pid, first), true).await;
        assert_eq!(
            error(ended.error_code),
            Some(ResponseError::InvalidProducerEpoch)
        );
        let ended = end(&state, 2, "app", (pid, first), true).await;
        assert_eq!(error(ended.error_code), Some(ResponseError::ProducerFenced));
    }
}

#[tokio::test]
async fn a_transaction_timeout_beyond_the_maximum_is_refused() {
    let config = BrokerConfig {
        transaction_max_timeout_ms: 5_000,
        ..BrokerConfig::default()
    };
    let state = State::new(config, "127.0.0.1".into(), 9092);
    let (_, _, code) = init(&state, 1, Some("slow"), 5_001).await;
    assert_eq!(error(code), Some(ResponseError::InvalidTransactionTimeout));
    let (_, _, code) = init(&state, 1, Some("slow"), 5_000).await;
    assert_eq!(code, 0);
}

#[tokio::test]
async fn committed_records_become_readable_to_read_committed_fetches() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    assert_eq!(
        add_partitions(&state, 1, "app", producer, &[0]).await,
        vec![None]
    );
    produce(&state, None, 0, batch(&["plain"], BatchOptions::default())).await;
    let (code, offset) = produce(
        &state,
        Some("app"),
        0,
        txn_batch(producer.0, producer.1, 0, &["a", "b"]),
    )
    .await;
    assert_eq!((code, offset), (None, 1));

    let pending = fetch(&state, 0, 0, true).await;
    assert_eq!(batches_of(&pending), vec![(0, false)]);
    assert_eq!((pending.high_watermark, pending.last_stable_offset), (3, 1));
    assert_eq!(aborted_of(&pending), Some(vec![]));
    let uncommitted = fetch(&state, 0, 0, false).await;
    assert_eq!(batches_of(&uncommitted), vec![(0, false), (1, false)]);
    assert_eq!(uncommitted.last_stable_offset, 1);
    assert_eq!(aborted_of(&uncommitted), None);
    assert_eq!(latest(&state, 2, true).await, 1);
    assert_eq!(latest(&state, 2, false).await, 3);

    let ended = end(&state, 1, "app", producer, true).await;
    assert_eq!(ended.error_code, 0);
    let committed = fetch(&state, 0, 0, true).await;
    assert_eq!(
        batches_of(&committed),
        vec![(0, false), (1, false), (3, true)]
    );
    assert_eq!(
        (committed.high_watermark, committed.last_stable_offset),
        (4, 4)
    );
    assert_eq!(aborted_of(&committed), Some(vec![]));
    assert_eq!(latest(&state, 2, true).await, 4);
}

#[tokio::test]
async fn aborted_transactions_are_listed_for_the_range_a_read_committed_fetch_returns() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    add_partitions(&state, 1, "app", producer, &[0, 1]).await;
    produce(
        &state,
        Some("app"),
        0,
        txn_batch(producer.0, producer.1, 0, &["x", "y"]),
    )
    .await;
    produce(
        &state,
        Some("app"),
        1,
        txn_batch(producer.0, producer.1, 0, &["z"]),
    )
    .await;
    assert_eq!(end(&state, 1, "app", producer, false).await.error_code, 0);
    produce(&state, None, 0, batch(&["after"], BatchOptions::default())).await;

    for version in [4, 11, 12] {
        let all = fetch_at(&state, version, 0, 0, true).await;
        assert_eq!(
            batches_of(&all),
            vec![(0, false), (2, true), (3, false)],
            "v{version}"
        );
        assert_eq!(aborted_of(&all), Some(vec![(producer.0, 0)]), "v{version}");
        let after = fetch_at(&state, version, 0, 3, true).await;
        assert_eq!(aborted_of(&after), Some(vec![]), "v{version}");
    }
    let other = fetch(&state, 1, 0, true).await;
    assert_eq!(aborted_of(&other), Some(vec![(producer.0, 0)]));
    assert_eq!(other.last_stable_offset, 2);
}

#[tokio::test]
async fn a_partition_not_added_to_the_transaction_is_refused_as_kafka_refuses_it() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    add_partitions(&state, 1, "app", producer, &[0]).await;
    let records = || txn_batch(producer.0, producer.1, 0, &["x"]);
    let v7 = produce_at(&state, 7, Some("app"), 1, records()).await;
    assert_eq!(v7.0, Some(ResponseError::InvalidTxnState));
    let v10 = produce_response(&state, 10, Some("app"), 1, records()).await;
    assert_eq!(
        (error(v10.error_code), v10.error_message.as_deref()),
        (
            Some(ResponseError::InvalidTxnState),
            Some("Partition was not added to the transaction")
        )
    );
    let v11 = produce_response(&state, 11, Some("app"), 1, records()).await;
    assert_eq!(
        (error(v11.error_code), v11.error_message),
        (Some(ResponseError::TransactionAbortable), None)
    );
    let unknown = produce(&state, Some("nobody"), 0, records()).await;
    assert_eq!(unknown.0, Some(ResponseError::InvalidProducerIdMapping));
    let anonymous = produce(&state, None, 0, records()).await;
    assert_eq!(
        anonymous.0,
        Some(ResponseError::TransactionalIdAuthorizationFailed)
    );
    assert_eq!(
        state
            .topic("t")
            .unwrap()
            .partition(1)
            .unwrap()
            .log
            .lock()
            .high_watermark(),
        0
    );
}

#[tokio::test]
async fn produce_v12_adds_the_partition_to_the_transaction_itself() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    let records = txn_batch(producer.0, producer.1, 0, &["x"]);
    assert_eq!(
        produce_at(&state, 12, Some("app"), 1, records).await,
        (None, 0)
    );
    let described = state.txns.describe("app").unwrap();
    assert_eq!(described.state, "Ongoing");
    assert_eq!(described.partitions, vec![("t".to_string(), 1)]);
    let stale = txn_batch(producer.0, producer.1 - 1, 0, &["y"]);
    let fenced = produce_at(&state, 12, Some("app"), 0, stale).await;
    assert_eq!(fenced.0, Some(ResponseError::InvalidProducerEpoch));
}

#[tokio::test]
async fn a_fenced_producer_cannot_write_to_its_partitions() {
    let state = state();
    let old = init_txn(&state, "app").await;
    add_partitions(&state, 1, "app", old, &[0]).await;
    produce(&state, Some("app"), 0, txn_batch(old.0, old.1, 0, &["a"])).await;

    // A second instance aborts the open transaction first: CONCURRENT_TRANSACTIONS, then a
    // retry gets the epoch after the fencing one.
    let (_, _, code) = init(&state, 1, Some("app"), 60_000).await;
    assert_eq!(error(code), Some(ResponseError::ConcurrentTransactions));
    let aborted = fetch(&state, 0, 0, true).await;
    assert_eq!(aborted_of(&aborted), Some(vec![(old.0, 0)]));
    assert_eq!(batches_of(&aborted), vec![(0, false), (1, true)]);
    let new = init_txn(&state, "app").await;
    assert_eq!(new, (old.0, old.1 + 2));

    let zombie = produce(&state, Some("app"), 0, txn_batch(old.0, old.1, 1, &["b"])).await;
    assert_eq!(zombie.0, Some(ResponseError::InvalidProducerEpoch));
    let zombie = produce(&state, Some("app"), 1, txn_batch(old.0, old.1, 0, &["b"])).await;
    assert_eq!(zombie.0, Some(ResponseError::InvalidProducerEpoch));
}

#[tokio::test]
async fn idempotent_retries_get_their_original_offsets_and_gaps_are_refused() {
    let state = state();
    let (pid, epoch, _) = init(&state, 1, None, 0).await;
    for version in [3, 7, 9, 11] {
        // The first is written, the others are retries answered with its offset.
        let (code, first) = produce_at(
            &state,
            version,
            None,
            0,
            idempotent_batch(pid, epoch, 0, &["a", "b"]),
        )
        .await;
        assert_eq!((code, first), (None, 0), "v{version}");
    }
    assert_eq!(
        produce(&state, None, 0, idempotent_batch(pid, epoch, 2, &["c"])).await,
        (None, 2)
    );
    assert_eq!(
        produce(&state, None, 0, idempotent_batch(pid, epoch, 2, &["c"])).await,
        (None, 2)
    );
    let gap = produce(&state, None, 0, idempotent_batch(pid, epoch, 5, &["d"])).await;
    assert_eq!(gap.0, Some(ResponseError::OutOfOrderSequenceNumber));
    let stale = produce(&state, None, 0, idempotent_batch(pid, epoch - 1, 3, &["d"])).await;
    assert_eq!(stale.0, Some(ResponseError::InvalidProducerEpoch));
    assert_eq!(fetch(&state, 0, 0, false).await.high_watermark, 3);
}

#[tokio::test]
async fn transactional_offsets_are_visible_only_after_commit() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    let commit_offsets = |_version: i16| {
        let partition = TxnOffsetCommitRequestPartition::default()
            .with_partition_index(0)
            .with_committed_offset(42);
        TxnOffsetCommitRequest::default()
            .with_transactional_id(txn_id("app"))
            .with_group_id(GroupId(text("g")))
            .with_producer_id(ProducerId(producer.0))
            .with_producer_epoch(producer.1)
            .with_generation_id(-1)
            .with_topics(vec![TxnOffsetCommitRequestTopic::default()
                .with_name(TopicName(text("t")))
                .with_partitions(vec![partition])])
    };
    let committed =
        |response: TxnOffsetCommitResponse| error(response.topics[0].partitions[0].error_code);
    for version in 0..=4 {
        let not_added: TxnOffsetCommitResponse = call(
            &state,
            ApiKey::TxnOffsetCommit,
            version,
            &commit_offsets(version),
        )
        .await;
        let expected = if version < 4 {
            ResponseError::InvalidTxnState
        } else {
            ResponseError::TransactionAbortable
        };
        assert_eq!(committed(not_added), Some(expected), "v{version}");
    }

    let add = AddOffsetsToTxnRequest::default()
        .with_transactional_id(txn_id("app"))
        .with_producer_id(ProducerId(producer.0))
        .with_producer_epoch(producer.1)
        .with_group_id(GroupId(text("g")));
    let added: AddOffsetsToTxnResponse = call(&state, ApiKey::AddOffsetsToTxn, 1, &add).await;
    assert_eq!(added.error_code, 0);
    for version in versions(ApiKey::TxnOffsetCommit) {
        let response: TxnOffsetCommitResponse = call(
            &state,
            ApiKey::TxnOffsetCommit,
            version,
            &commit_offsets(version),
        )
        .await;
        assert_eq!(committed(response), None, "v{version}");
    }

    let fetch_offset = |require_stable: bool| {
        OffsetFetchRequest::default()
            .with_group_id(GroupId(text("g")))
            .with_topics(Some(vec![OffsetFetchRequestTopic::default()
                .with_name(TopicName(text("t")))
                .with_partition_indexes(vec![0])]))
            .with_require_stable(require_stable)
    };
    let offset = |response: OffsetFetchResponse| {
        let p = &response.topics[0].partitions[0];
        (p.committed_offset, error(p.error_code))
    };
    let plain: OffsetFetchResponse =
        call(&state, ApiKey::OffsetFetch, 4, &fetch_offset(false)).await;
    assert_eq!(offset(plain), (-1, None));
    let stable: OffsetFetchResponse =
        call(&state, ApiKey::OffsetFetch, 7, &fetch_offset(true)).await;
    assert_eq!(
        offset(stable),
        (-1, Some(ResponseError::UnstableOffsetCommit))
    );

    assert_eq!(end(&state, 1, "app", producer, true).await.error_code, 0);
    let after: OffsetFetchResponse =
        call(&state, ApiKey::OffsetFetch, 7, &fetch_offset(true)).await;
    assert_eq!(offset(after), (42, None));
}

#[tokio::test]
async fn txn_offset_commit_v5_adds_the_group_to_the_transaction_itself() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    let request = |epoch: i16| {
        TxnOffsetCommitRequest::default()
            .with_transactional_id(txn_id("app"))
            .with_group_id(GroupId(text("g5")))
            .with_producer_id(ProducerId(producer.0))
            .with_producer_epoch(epoch)
            .with_generation_id(-1)
            .with_topics(vec![TxnOffsetCommitRequestTopic::default()
                .with_name(TopicName(text("t")))
                .with_partitions(vec![TxnOffsetCommitRequestPartition::default()
                    .with_partition_index(1)
                    .with_committed_offset(9)])])
    };
    let response: TxnOffsetCommitResponse =
        call(&state, ApiKey::TxnOffsetCommit, 5, &request(producer.1)).await;
    assert_eq!(response.topics[0].partitions[0].error_code, 0);
    assert_eq!(state.txns.describe("app").unwrap().groups, vec!["g5"]);
    let stale: TxnOffsetCommitResponse =
        call(&state, ApiKey::TxnOffsetCommit, 5, &request(producer.1 - 1)).await;
    assert_eq!(
        error(stale.topics[0].partitions[0].error_code),
        Some(ResponseError::InvalidProducerEpoch)
    );
    assert_eq!(end(&state, 4, "app", producer, true).await.error_code, 0);
    let offsets = state
        .groups
        .fetch_offsets("g5", Some(vec![("t".into(), vec![1])]), true);
    assert_eq!(offsets[0].1[0].offset, 9);
}

#[tokio::test]
async fn aborted_transactional_offsets_are_dropped() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    state
        .txns
        .add(
            "app",
            producer.0,
            producer.1,
            Vec::new(),
            vec!["g".into()],
            now_ms(),
        )
        .unwrap();
    let partition = TxnOffsetCommitRequestPartition::default()
        .with_partition_index(0)
        .with_committed_offset(7);
    let request = TxnOffsetCommitRequest::default()
        .with_transactional_id(txn_id("app"))
        .with_group_id(GroupId(text("g")))
        .with_producer_id(ProducerId(producer.0))
        .with_producer_epoch(producer.1)
        .with_topics(vec![TxnOffsetCommitRequestTopic::default()
            .with_name(TopicName(text("t")))
            .with_partitions(vec![partition])]);
    let response: TxnOffsetCommitResponse =
        call(&state, ApiKey::TxnOffsetCommit, 1, &request).await;
    assert_eq!(response.topics[0].partitions[0].error_code, 0);
    assert_eq!(end(&state, 1, "app", producer, false).await.error_code, 0);
    let offsets = state
        .groups
        .fetch_offsets("g", Some(vec![("t".into(), vec![0])]), true);
    assert_eq!((offsets[0].1[0].offset, offsets[0].1[0].error), (-1, None));
}

#[tokio::test]
async fn a_transaction_left_open_past_its_timeout_is_aborted_and_its_producer_fenced() {
    let state = state();
    let (pid, epoch, _) = init(&state, 1, Some("slow"), 1_000).await;
    add_partitions(&state, 1, "slow", (pid, epoch), &[0]).await;
    produce(&state, Some("slow"), 0, txn_batch(pid, epoch, 0, &["x"])).await;
    let started = state.txns.describe("slow").unwrap().start_ms;
    assert_eq!(
        abort_timed_out(&state, started + 1_000),
        0,
        "not yet past the timeout"
    );
    assert_eq!(abort_timed_out(&state, started + 1_001), 1);

    let data = fetch(&state, 0, 0, true).await;
    assert_eq!(aborted_of(&data), Some(vec![(pid, 0)]));
    assert_eq!(data.last_stable_offset, 2);
    let records = data.records.clone().unwrap();
    let marker = validate_batches(&records).unwrap()[1].0;
    assert!(marker.is_control());
    assert_eq!(
        marker.producer_epoch,
        epoch + 1,
        "the abort marker carries the fencing epoch"
    );

    let described = state.txns.describe("slow").unwrap();
    assert_eq!(
        (described.state, described.epoch),
        ("CompleteAbort", epoch + 1)
    );
    let ended = end(&state, 1, "slow", (pid, epoch), true).await;
    assert_eq!(
        error(ended.error_code),
        Some(ResponseError::InvalidProducerEpoch)
    );
    let zombie = produce(&state, Some("slow"), 0, txn_batch(pid, epoch, 1, &["y"])).await;
    assert_eq!(zombie.0, Some(ResponseError::InvalidProducerEpoch));
    let fenced = init(&state, 4, Some("slow"), 1_000).await;
    assert_eq!((fenced.0, fenced.1), (pid, epoch + 2));
}

#[tokio::test]
async fn the_broker_aborts_timed_out_transactions_on_its_own() {
    let state = Arc::new(state());
    let shutdown = tokio_util::sync::CancellationToken::new();
    let timer = tokio::spawn(super::run_timeouts(
        state.clone(),
        Duration::from_millis(10),
        shutdown.clone(),
    ));
    let (pid, epoch, _) = init(&state, 1, Some("slow"), 1).await;
    add_partitions(&state, 1, "slow", (pid, epoch), &[0]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while state.txns.describe("slow").unwrap().state != "CompleteAbort" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the transaction was never aborted"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state.txns.describe("slow").unwrap().epoch, epoch + 1);
    shutdown.cancel();
    timer.await.unwrap();
}

#[tokio::test]
async fn requests_during_an_end_get_concurrent_transactions() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    add_partitions(&state, 1, "app", producer, &[0]).await;
    let EndOutcome::Write(plan) =
        state
            .txns
            .end("app", producer.0, producer.1, true, false, now_ms())
    else {
        panic!("an open transaction ends by writing markers");
    };
    assert_eq!(state.txns.describe("app").unwrap().state, "PrepareCommit");
    let concurrent = Some(ResponseError::ConcurrentTransactions);
    assert_eq!(
        add_partitions(&state, 1, "app", producer, &[1]).await,
        vec![concurrent]
    );
    assert_eq!(
        error(end(&state, 1, "app", producer, true).await.error_code),
        concurrent
    );
    assert_eq!(
        error(end(&state, 1, "app", producer, false).await.error_code),
        Some(ResponseError::InvalidTxnState)
    );
    assert_eq!(
        error(init(&state, 1, Some("app"), 60_000).await.2),
        concurrent
    );
    let first_write = produce(
        &state,
        Some("app"),
        1,
        txn_batch(producer.0, producer.1, 0, &["x"]),
    )
    .await;
    assert_eq!(first_write.0, Some(ResponseError::NotEnoughReplicas));

    write_markers(&state, &plan, now_ms());
    assert_eq!(state.txns.describe("app").unwrap().state, "CompleteCommit");
    assert_eq!(
        end(&state, 1, "app", producer, true).await.error_code,
        0,
        "a retried commit"
    );
    assert_eq!(
        error(end(&state, 1, "app", producer, false).await.error_code),
        Some(ResponseError::InvalidTxnState)
    );
}

#[tokio::test]
async fn ending_with_no_transaction_open_is_an_invalid_state() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    let ended = end(&state, 1, "app", producer, true).await;
    assert_eq!(
        error(ended.error_code),
        Some(ResponseError::InvalidTxnState)
    );
    let unknown = end(&state, 1, "nobody", producer, true).await;
    assert_eq!(
        error(unknown.error_code),
        Some(ResponseError::InvalidProducerIdMapping)
    );
}

#[tokio::test]
async fn end_txn_v5_bumps_the_epoch_of_every_transaction() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    add_partitions(&state, 3, "app", producer, &[0]).await;
    produce_at(
        &state,
        11,
        Some("app"),
        0,
        txn_batch(producer.0, producer.1, 0, &["a"]),
    )
    .await;
    let ended = end(&state, 5, "app", producer, true).await;
    assert_eq!(
        (ended.error_code, ended.producer_id.0, ended.producer_epoch),
        (0, producer.0, producer.1 + 1)
    );
    let retried = end(&state, 5, "app", producer, true).await;
    assert_eq!(
        (retried.error_code, retried.producer_epoch),
        (0, producer.1 + 1)
    );
    let next = (producer.0, producer.1 + 1);
    add_partitions(&state, 3, "app", next, &[0]).await;
    let (code, offset) = produce_at(
        &state,
        11,
        Some("app"),
        0,
        txn_batch(next.0, next.1, 0, &["b"]),
    )
    .await;
    assert_eq!((code, offset), (None, 2));
    let stale = add_partitions(&state, 3, "app", producer, &[1]).await;
    assert_eq!(stale, vec![Some(ResponseError::ProducerFenced)]);
}

#[tokio::test]
async fn add_partitions_v4_verifies_batches_of_transactions() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    assert_eq!(
        add_partitions(&state, 4, "app", producer, &[0]).await,
        vec![None]
    );
    let topic = AddPartitionsToTxnTopic::default()
        .with_name(TopicName(text("t")))
        .with_partitions(vec![0, 1]);
    let verify = AddPartitionsToTxnTransaction::default()
        .with_transactional_id(txn_id("app"))
        .with_producer_id(ProducerId(producer.0))
        .with_producer_epoch(producer.1)
        .with_verify_only(true)
        .with_topics(vec![topic.clone()]);
    let unknown = verify.clone().with_transactional_id(txn_id("nobody"));
    for version in [4, 5] {
        let request = AddPartitionsToTxnRequest::default()
            .with_transactions(vec![verify.clone(), unknown.clone()]);
        let response: AddPartitionsToTxnResponse =
            call(&state, ApiKey::AddPartitionsToTxn, version, &request).await;
        let codes: Vec<Vec<Option<ResponseError>>> = response
            .results_by_transaction
            .iter()
            .map(|t| {
                t.topic_results[0]
                    .results_by_partition
                    .iter()
                    .map(|p| error(p.partition_error_code))
                    .collect()
            })
            .collect();
        assert_eq!(
            codes,
            vec![
                vec![None, Some(ResponseError::TransactionAbortable)],
                vec![Some(ResponseError::InvalidProducerIdMapping); 2]
            ],
            "v{version}"
        );
    }
    let missing = AddPartitionsToTxnTopic::default()
        .with_name(TopicName(text("missing")))
        .with_partitions(vec![0]);
    let request = AddPartitionsToTxnRequest::default()
        .with_v3_and_below_transactional_id(txn_id("app"))
        .with_v3_and_below_producer_id(ProducerId(producer.0))
        .with_v3_and_below_producer_epoch(producer.1)
        .with_v3_and_below_topics(vec![topic, missing]);
    let response: AddPartitionsToTxnResponse =
        call(&state, ApiKey::AddPartitionsToTxn, 1, &request).await;
    let codes: Vec<i16> = response
        .results_by_topic_v3_and_below
        .iter()
        .flat_map(|t| {
            t.results_by_partition
                .iter()
                .map(|p| p.partition_error_code)
        })
        .collect();
    let not_attempted = ResponseError::OperationNotAttempted.code();
    assert_eq!(
        codes,
        vec![
            not_attempted,
            not_attempted,
            ResponseError::UnknownTopicOrPartition.code()
        ]
    );
}

#[tokio::test]
async fn admin_views_describe_transactions_and_producers_at_every_version() {
    let state = state();
    let producer = init_txn(&state, "app").await;
    init_txn(&state, "idle").await;
    add_partitions(&state, 1, "app", producer, &[1]).await;
    state
        .txns
        .add(
            "app",
            producer.0,
            producer.1,
            Vec::new(),
            vec!["test-group".into()],
            now_ms(),
        )
        .unwrap();
    produce(
        &state,
        Some("app"),
        1,
        txn_batch(producer.0, producer.1, 0, &["a", "b"]),
    )
    .await;

    for version in versions(ApiKey::DescribeTransactions) {
        let request = DescribeTransactionsRequest::default()
            .with_transactional_ids(vec![txn_id("app"), txn_id("nope")]);
        let response: DescribeTransactionsResponse =
            call(&state, ApiKey::DescribeTransactions, version, &request).await;
        let app = &response.transaction_states[0];
        assert_eq!(app.transaction_state.as_str(), "Ongoing");
        assert_eq!(
            (
                app.producer_id.0,
                app.producer_epoch,
                app.transaction_timeout_ms
            ),
            (producer.0, producer.1, 60_000)
        );
        assert!(app.transaction_start_time_ms > 0);
        let topics: Vec<(String, Vec<i32>)> = app
            .topics
            .iter()
            .map(|t| (t.topic.to_string(), t.partitions.clone()))
            .collect();
        assert_eq!(
            topics,
            vec![
                ("__consumer_offsets".to_string(), vec![12]),
                ("t".to_string(), vec![1])
            ]
        );
        assert_eq!(
            error(response.transaction_states[1].error_code),
            Some(ResponseError::TransactionalIdNotFound)
        );
    }

    for version in versions(ApiKey::ListTransactions) {
        let request = ListTransactionsRequest::default()
            .with_state_filters(vec![text("Ongoing"), text("Bogus")])
            .with_duration_filter(-1);
        let response: ListTransactionsResponse =
            call(&state, ApiKey::ListTransactions, version, &request).await;
        let ids: Vec<String> = response
            .transaction_states
            .iter()
            .map(|t| t.transactional_id.to_string())
            .collect();
        assert_eq!(ids, vec!["app".to_string()], "v{version}");
        assert_eq!(response.unknown_state_filters, vec![text("Bogus")]);
        let everything: ListTransactionsResponse = call(
            &state,
            ApiKey::ListTransactions,
            version,
            &ListTransactionsRequest::default().with_duration_filter(-1),
        )
        .await;
        assert_eq!(everything.transaction_states.len(), 2);
    }
    let by_pattern = ListTransactionsRequest::default()
        .with_duration_filter(-1)
        .with_transactional_id_pattern(Some(text("id.*")));
    let response: ListTransactionsResponse =
        call(&state, ApiKey::ListTransactions, 2, &by_pattern).await;
    let ids: Vec<String> = response
        .transaction_states
        .iter()
        .map(|t| t.transactional_id.to_string())
        .collect();
    assert_eq!(ids, vec!["idle".to_string()]);
    let invalid = by_pattern.with_transactional_id_pattern(Some(text("(")));
    let response: ListTransactionsResponse =
        call(&state, ApiKey::ListTransactions, 2, &invalid).await;
    assert_eq!(
        error(response.error_code),
        Some(ResponseError::InvalidRegularExpression)
    );

    for version in versions(ApiKey::DescribeProducers) {
        let request = DescribeProducersRequest::default()
            .with_topics(vec![TopicRequest::default()
                .with_name(TopicName(text("t")))
                .with_partition_indexes(vec![1, 9])]);
        let response: DescribeProducersResponse =
            call(&state, ApiKey::DescribeProducers, version, &request).await;
        let partitions = &response.topics[0].partitions;
        let active = &partitions[0].active_producers;
        assert_eq!(active.len(), 1);
        assert_eq!(
            (
                active[0].producer_id.0,
                active[0].producer_epoch,
                active[0].last_sequence
            ),
            (producer.0, i32::from(producer.1), 1)
        );
        assert_eq!(active[0].current_txn_start_offset, 0);
        assert_eq!(
            error(partitions[1].error_code),
            Some(ResponseError::UnknownTopicOrPartition)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_read_committed_fetch_waiting_for_data_wakes_on_commit() {
    let state = Arc::new(state());
    let producer = init_txn(&state, "app").await;
    add_partitions(&state, 1, "app", producer, &[0]).await;
    produce(
        &state,
        Some("app"),
        0,
        txn_batch(producer.0, producer.1, 0, &["a"]),
    )
    .await;
    let waiting = {
        let state = state.clone();
        tokio::spawn(async move {
            let request = fetch_request(&state, 0, 0, true).with_max_wait_ms(30_000);
            let response: FetchResponse = call(&state, ApiKey::Fetch, 11, &request).await;
            response.responses[0].partitions[0].clone()
        })
    };
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished(), "nothing is committed yet");
    // The clock is paused and only moves when every task waits: a fetch woken by the commit
    // answers before it moves, one left to its deadline after.
    let before = tokio::time::Instant::now();
    end(&state, 1, "app", producer, true).await;
    let data = waiting.await.unwrap();
    assert_eq!(
        tokio::time::Instant::now(),
        before,
        "the fetch waited for its deadline"
    );
    assert_eq!(batches_of(&data), vec![(0, false), (1, true)]);
}

#[tokio::test]
async fn add_offsets_and_end_txn_answer_every_version() {
    for version in versions(ApiKey::AddOffsetsToTxn) {
        let state = state();
        let producer = init_txn(&state, "app").await;
        let request = AddOffsetsToTxnRequest::default()
            .with_transactional_id(txn_id("app"))
            .with_producer_id(ProducerId(producer.0))
            .with_producer_epoch(producer.1)
            .with_group_id(GroupId(text("g")));
        let added: AddOffsetsToTxnResponse =
            call(&state, ApiKey::AddOffsetsToTxn, version, &request).await;
        assert_eq!(added.error_code, 0, "v{version}");
        let stale = request.with_producer_epoch(producer.1 - 1);
        let fenced: AddOffsetsToTxnResponse =
            call(&state, ApiKey::AddOffsetsToTxn, version, &stale).await;
        let expected = if version < 2 {
            ResponseError::InvalidProducerEpoch
        } else {
            ResponseError::ProducerFenced
        };
        assert_eq!(error(fenced.error_code), Some(expected), "v{version}");
    }
    for version in versions(ApiKey::EndTxn) {
        let state = state();
        let producer = init_txn(&state, "app").await;
        add_partitions(&state, 1, "app", producer, &[0]).await;
        let ended = end(&state, version, "app", producer, false).await;
        assert_eq!(ended.error_code, 0, "v{version}");
        let expected_epoch = if version >= 5 {
            producer.1 + 1
        } else {
            producer.1
        };
        assert_eq!(
            state.txns.describe("app").unwrap().epoch,
            expected_epoch,
            "v{version}"
        );
    }
}
