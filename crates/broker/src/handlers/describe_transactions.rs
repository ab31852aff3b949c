//! DescribeTransactions: each transactional id's state, producer id and epoch, timeout, start
//! time and the partitions of its open transaction; a group whose offsets it commits shows as
//! the group's __consumer_offsets partition, as on Kafka. Unknown ids get
//! TRANSACTIONAL_ID_NOT_FOUND.

use std::collections::BTreeMap;

use kafka_protocol::messages::describe_transactions_response::{TopicData, TransactionState};
use kafka_protocol::messages::{
    DescribeTransactionsRequest, DescribeTransactionsResponse, ProducerId, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::txn::DescribedTxn;

/// Kafka's internal topic holding group offsets.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";
/// Kafka's default `offsets.topic.num.partitions`.
const DEFAULT_OFFSETS_PARTITIONS: i32 = 50;

/// The __consumer_offsets partition Kafka keeps `group`'s offsets in: the group id's Java hash
/// code, made non-negative, modulo the partition count.
pub fn offsets_partition(group: &str, partitions: i32) -> i32 {
    let hash = group.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    });
    (hash & 0x7fff_ffff) % partitions.max(1)
}

fn topics(ctx: &Ctx<'_>, txn: &DescribedTxn) -> Vec<TopicData> {
    let offsets_partitions = ctx
        .state
        .config
        .property("offsets.topic.num.partitions")
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_OFFSETS_PARTITIONS);
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (topic, partition) in &txn.partitions {
        by_topic.entry(topic).or_default().push(*partition);
    }
    for group in &txn.groups {
        let partition = offsets_partition(group, offsets_partitions);
        let partitions = by_topic.entry(OFFSETS_TOPIC).or_default();
        if !partitions.contains(&partition) {
            partitions.push(partition);
        }
    }
    by_topic
        .into_iter()
        .map(|(topic, partitions)| {
            TopicData::default()
                .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partitions(partitions)
        })
        .collect()
}

pub async fn handle(
    ctx: &Ctx<'_>,
    request: DescribeTransactionsRequest,
) -> DescribeTransactionsResponse {
    let states = request
        .transactional_ids
        .into_iter()
        .map(|id| {
            let state = TransactionState::default().with_transactional_id(id.clone());
            match ctx.state.txns.describe(id.as_str()) {
                Err(error) => state.with_error_code(error.code()),
                Ok(txn) => state
                    .with_topics(topics(ctx, &txn))
                    .with_transaction_state(StrBytes::from_static_str(txn.state))
                    .with_transaction_timeout_ms(txn.timeout_ms)
                    .with_transaction_start_time_ms(txn.start_ms)
                    .with_producer_id(ProducerId(txn.producer_id))
                    .with_producer_epoch(txn.epoch),
            }
        })
        .collect();
    DescribeTransactionsResponse::default().with_transaction_states(states)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_map_to_kafkas_offsets_partitions() {
        // Java: "test-group".hashCode() == 627841412, and 627841412 % 50 == 12.
        assert_eq!(offsets_partition("test-group", 50), 12);
        // A negative hash code: -1322913723 & 0x7fffffff == 824569925, % 50 == 25.
        assert_eq!(offsets_partition("my-consumer-group-é", 50), 25);
        assert_eq!(offsets_partition("anything", 1), 0);
        assert_eq!(offsets_partition("", 50), 0);
    }
}
