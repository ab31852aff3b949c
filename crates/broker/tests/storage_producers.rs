//! Producer state survives a broker restart on the same log directory, clean or not: an
//! idempotent producer's retry of its last batch is answered with the original offset and not
//! written again, its next sequence is accepted, and a gap is refused; new producer ids never
//! repeat one handed out before the restart; a transactional id keeps its producer id across a
//! restart with a bumped epoch, which fences the instance from before it; and a producer whose
//! batches DeleteRecords removed is still known after a restart (producer state snapshots).

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use bytes::BytesMut;
use ferrokafka_broker::{Broker, BrokerConfig};
use ferrokafka_wire::records::{encode_batch, BatchOptions, RecordRef};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, InitProducerIdRequest, InitProducerIdResponse, ProduceRequest, ProduceResponse,
    ProducerId, TopicName, TransactionalId,
};
use kafka_protocol::protocol::StrBytes;

fn config(dir: &Path) -> BrokerConfig {
    let properties = [("log.dirs".to_string(), dir.display().to_string())].into();
    BrokerConfig::from_properties(properties).unwrap()
}

/// InitProducerId v4 for `transactional_id` (idempotent when `None`): (error, id, epoch).
async fn init_producer_id(broker: &Broker, transactional_id: Option<&str>) -> (i16, i64, i16) {
    let request = InitProducerIdRequest::default()
        .with_transactional_id(
            transactional_id.map(|id| TransactionalId(StrBytes::from_string(id.to_string()))),
        )
        .with_transaction_timeout_ms(60_000)
        .with_producer_id(ProducerId(-1))
        .with_producer_epoch(-1);
    let mut stream = support::connect(broker).await;
    let response: InitProducerIdResponse =
        support::round_trip(&mut stream, ApiKey::InitProducerId, 4, 1, &request).await;
    (
        response.error_code,
        response.producer_id.0,
        response.producer_epoch,
    )
}

/// Produces one idempotent batch of `count` records to `t`-0 (acks=all) and returns the error
/// code and base offset.
async fn produce(
    broker: &Broker,
    producer_id: i64,
    epoch: i16,
    seq: i32,
    count: usize,
) -> (i16, i64) {
    produce_batch(broker, producer_id, epoch, seq, count, false).await
}

/// Produces one batch, transactional (for the transactional id `tx`) or not.
async fn produce_batch(
    broker: &Broker,
    producer_id: i64,
    epoch: i16,
    seq: i32,
    count: usize,
    transactional: bool,
) -> (i16, i64) {
    let values: Vec<String> = (0..count).map(|i| format!("v{seq}-{i}")).collect();
    let records: Vec<RecordRef> = values
        .iter()
        .map(|v| RecordRef {
            key: None,
            value: Some(v.as_bytes()),
            headers: &[],
            timestamp: 1_000,
        })
        .collect();
    let mut buf = BytesMut::new();
    let options = BatchOptions {
        producer_id,
        producer_epoch: epoch,
        base_sequence: seq,
        transactional,
        ..BatchOptions::default()
    };
    encode_batch(&mut buf, &records, &options).unwrap();
    let request = ProduceRequest::default()
        .with_transactional_id(
            transactional.then(|| TransactionalId(StrBytes::from_static_str("tx"))),
        )
        .with_acks(-1)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_static_str("t")))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(buf.freeze()))])]);
    let mut stream = support::connect(broker).await;
    let response: ProduceResponse =
        support::round_trip(&mut stream, ApiKey::Produce, 9, 1, &request).await;
    let partition = &response.responses[0].partition_responses[0];
    (partition.error_code, partition.base_offset)
}

fn high_watermark(broker: &Broker) -> i64 {
    let topic = broker.state().topic("t").unwrap();
    let partition = topic.partition(0).unwrap();
    let log = partition.log.lock();
    log.high_watermark()
}

/// Stops `broker`; an unclean stop then removes the clean shutdown marker, so the next start
/// recovers the directory as after a crash.
async fn stop(broker: Broker, dir: &Path, clean: bool) {
    broker.shutdown().await;
    drop(broker);
    if !clean {
        std::fs::remove_file(dir.join(".clean_shutdown")).unwrap();
    }
}

async fn idempotent_retry_after_restart(clean: bool) {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(config(dir.path())).await.unwrap();
    broker
        .state()
        .create_topic("t", 1, BTreeMap::new())
        .unwrap();
    let (error, producer_id, epoch) = init_producer_id(&broker, None).await;
    assert_eq!((error, epoch), (0, 0));
    assert_eq!(produce(&broker, producer_id, epoch, 0, 3).await, (0, 0));
    assert_eq!(produce(&broker, producer_id, epoch, 3, 2).await, (0, 3));
    stop(broker, dir.path(), clean).await;

    let broker = Broker::start(config(dir.path())).await.unwrap();
    assert_eq!(high_watermark(&broker), 5);
    assert_eq!(produce(&broker, producer_id, epoch, 3, 2).await, (0, 3));
    assert_eq!(
        high_watermark(&broker),
        5,
        "the retry was not written again"
    );
    assert_eq!(produce(&broker, producer_id, epoch, 0, 3).await, (0, 0));
    assert_eq!(
        produce(&broker, producer_id, epoch, 6, 1).await.0,
        ResponseError::OutOfOrderSequenceNumber.code()
    );
    assert_eq!(produce(&broker, producer_id, epoch, 5, 1).await, (0, 5));
    let (error, next_id, _) = init_producer_id(&broker, None).await;
    assert_eq!(error, 0);
    assert!(next_id > producer_id, "{next_id} repeats an id from before");
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotent_retry_after_a_clean_restart_is_deduplicated() {
    idempotent_retry_after_restart(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotent_retry_after_an_unclean_restart_is_deduplicated() {
    idempotent_retry_after_restart(false).await;
}

fn stable_offsets(broker: &Broker) -> (i64, i64) {
    let topic = broker.state().topic("t").unwrap();
    let partition = topic.partition(0).unwrap();
    let log = partition.log.lock();
    (log.last_stable_offset(), log.high_watermark())
}

async fn transactional_id_after_restart(clean: bool) {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(config(dir.path())).await.unwrap();
    broker
        .state()
        .create_topic("t", 1, BTreeMap::new())
        .unwrap();
    let (error, producer_id, epoch) = init_producer_id(&broker, Some("tx")).await;
    assert_eq!((error, epoch), (0, 0));
    let now = ferrokafka_broker::txn::now_ms();
    let t0 = vec![("t".to_string(), 0)];
    broker
        .state()
        .txns
        .add("tx", producer_id, 0, t0.clone(), Vec::new(), now)
        .unwrap();
    assert_eq!(
        produce_batch(&broker, producer_id, 0, 0, 2, true).await,
        (0, 0)
    );
    assert_eq!(stable_offsets(&broker), (0, 2));
    stop(broker, dir.path(), clean).await;

    let broker = Broker::start(config(dir.path())).await.unwrap();
    assert_eq!(
        stable_offsets(&broker),
        (3, 3),
        "the open transaction was aborted with a marker"
    );
    assert_eq!(
        init_producer_id(&broker, Some("tx")).await,
        (0, producer_id, 1),
        "the same producer id at a bumped epoch"
    );
    assert_eq!(
        broker
            .state()
            .txns
            .add("tx", producer_id, 0, t0.clone(), Vec::new(), now),
        Err(ResponseError::ProducerFenced),
        "the instance from before the restart is fenced"
    );
    assert_eq!(
        produce_batch(&broker, producer_id, 0, 2, 1, true).await.0,
        ResponseError::InvalidProducerEpoch.code()
    );
    let (error, other, _) = init_producer_id(&broker, None).await;
    assert_eq!(error, 0);
    assert!(other > producer_id, "{other} repeats an id from before");
    broker.shutdown().await;

    let broker = Broker::start(config(dir.path())).await.unwrap();
    assert_eq!(
        init_producer_id(&broker, Some("tx")).await,
        (0, producer_id, 2)
    );
    let (_, newest, _) = init_producer_id(&broker, None).await;
    assert!(newest > other, "{newest} repeats an id handed out before");
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transactional_id_keeps_its_producer_id_across_a_clean_restart() {
    transactional_id_after_restart(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transactional_id_keeps_its_producer_id_across_an_unclean_restart() {
    transactional_id_after_restart(false).await;
}

async fn producer_state_outlives_its_batches(clean: bool) {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(config(dir.path())).await.unwrap();
    let configs = [("segment.bytes".to_string(), "14".to_string())].into();
    broker.state().create_topic("t", 1, configs).unwrap();
    let (_, producer_id, epoch) = init_producer_id(&broker, None).await;
    for seq in 0..5 {
        assert_eq!(
            produce(&broker, producer_id, epoch, seq, 1).await,
            (0, i64::from(seq))
        );
    }
    let (_, other, _) = init_producer_id(&broker, None).await;
    assert_eq!(produce(&broker, other, 0, 0, 1).await, (0, 5));
    {
        let topic = broker.state().topic("t").unwrap();
        let partition = topic.partition(0).unwrap();
        let mut log = partition.log.lock();
        assert_eq!(log.delete_before(5), Ok(5));
        assert_eq!(log.disk().unwrap().segment_count(), 1);
    }
    stop(broker, dir.path(), clean).await;

    let broker = Broker::start(config(dir.path())).await.unwrap();
    assert_eq!(high_watermark(&broker), 6);
    assert_eq!(
        produce(&broker, producer_id, epoch, 4, 1).await,
        (0, 4),
        "a retry of a batch DeleteRecords removed is still recognised"
    );
    assert_eq!(high_watermark(&broker), 6);
    assert_eq!(
        produce(&broker, producer_id, epoch, 7, 1).await.0,
        ResponseError::OutOfOrderSequenceNumber.code()
    );
    assert_eq!(produce(&broker, producer_id, epoch, 5, 1).await, (0, 6));
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_state_outlives_deleted_batches_across_a_clean_restart() {
    producer_state_outlives_its_batches(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_state_outlives_deleted_batches_across_an_unclean_restart() {
    producer_state_outlives_its_batches(false).await;
}
