//! Metadata: this broker as the whole cluster (and its controller), and the requested topics,
//! auto-creating missing ones when both the request and `auto.create.topics.enable` allow it.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use crate::dispatch::Ctx;
use crate::state::{Topic, LEADER_EPOCH};

pub async fn handle(ctx: &Ctx<'_>, request: MetadataRequest) -> MetadataResponse {
    let state = ctx.state;
    let node_id = state.config.node_id;
    let broker = MetadataResponseBroker::default()
        .with_node_id(node_id.into())
        .with_host(StrBytes::from_string(state.advertised_host.clone()))
        .with_port(state.advertised_port);
    // v0 has no null topic list: an empty one means all topics.
    let all = match &request.topics {
        None => true,
        Some(topics) => ctx.version == 0 && topics.is_empty(),
    };
    let topics = if all {
        state.topics().iter().map(|t| describe(ctx, t)).collect()
    } else {
        let auto_create = ctx.version < 4 || request.allow_auto_topic_creation;
        request
            .topics
            .unwrap_or_default()
            .into_iter()
            .map(|wanted| {
                let found = match &wanted.name {
                    Some(name) if auto_create => state.auto_create(name),
                    Some(name) => state.topic(name),
                    None => state.topic_by_id(wanted.topic_id),
                };
                match found {
                    Some(topic) => describe(ctx, &topic),
                    None => missing(ctx, wanted.name, wanted.topic_id),
                }
            })
            .collect()
    };
    let mut response = MetadataResponse::default()
        .with_brokers(vec![broker])
        .with_topics(topics);
    if ctx.version >= 1 {
        response.controller_id = node_id.into();
    }
    if ctx.version >= 2 {
        response.cluster_id = Some(StrBytes::from_string(state.config.cluster_id.clone()));
    }
    response
}

fn describe(ctx: &Ctx<'_>, topic: &Topic) -> MetadataResponseTopic {
    let node_id = ctx.state.config.node_id;
    let partitions = topic
        .partitions()
        .iter()
        .map(|p| {
            let mut partition = MetadataResponsePartition::default()
                .with_partition_index(p.index)
                .with_leader_id(node_id.into())
                .with_replica_nodes(vec![node_id.into()])
                .with_isr_nodes(vec![node_id.into()]);
            if ctx.version >= 7 {
                partition.leader_epoch = LEADER_EPOCH;
            }
            partition
        })
        .collect();
    let mut described = MetadataResponseTopic::default()
        .with_name(Some(TopicName(StrBytes::from_string(topic.name.clone()))))
        .with_partitions(partitions);
    if ctx.version >= 10 {
        described.topic_id = topic.id;
    }
    described
}

fn missing(ctx: &Ctx<'_>, name: Option<TopicName>, id: Uuid) -> MetadataResponseTopic {
    let error = if name.is_none() {
        ResponseError::UnknownTopicId
    } else if name
        .as_ref()
        .is_some_and(|n| crate::state::validate_topic_name(n).is_err())
    {
        ResponseError::InvalidTopicException
    } else {
        ResponseError::UnknownTopicOrPartition
    };
    let mut topic = MetadataResponseTopic::default()
        .with_error_code(error.code())
        .with_name(name);
    if ctx.version >= 10 {
        topic.topic_id = id;
    }
    topic
}
