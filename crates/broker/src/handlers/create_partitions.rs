//! CreatePartitions: grows topics to a larger partition count, checking the new count and any
//! manual assignment as Kafka's controller does; `validate_only` checks without growing.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::protocol::StrBytes;

use crate::dispatch::Ctx;
use crate::handlers::create_topics::check_assignment;

pub async fn handle(ctx: &Ctx<'_>, request: CreatePartitionsRequest) -> CreatePartitionsResponse {
    let mut seen = Vec::new();
    let mut results = Vec::new();
    for topic in &request.topics {
        let repeated = request
            .topics
            .iter()
            .filter(|t| t.name == topic.name)
            .count()
            > 1;
        if repeated {
            if !seen.contains(&topic.name) {
                seen.push(topic.name.clone());
                results.push(result(
                    topic,
                    Err((
                        ResponseError::InvalidRequest,
                        Some("Duplicate topic in request.".to_string()),
                    )),
                ));
            }
            continue;
        }
        results.push(result(topic, grow(ctx, topic, request.validate_only)));
    }
    CreatePartitionsResponse::default().with_results(results)
}

type Refusal = (ResponseError, Option<String>);

fn grow(
    ctx: &Ctx<'_>,
    request: &CreatePartitionsTopic,
    validate_only: bool,
) -> Result<(), Refusal> {
    let topic = ctx
        .state
        .topic(&request.name)
        .ok_or((ResponseError::UnknownTopicOrPartition, None))?;
    let current = topic.partition_count();
    let invalid = |message: String| Err((ResponseError::InvalidPartitions, Some(message)));
    if request.count == current {
        return invalid(format!("Topic already has {current} partition(s)."));
    }
    if request.count < current {
        return invalid(format!(
            "The topic {} currently has {current} partition(s); {} would not be an increase.",
            topic.name, request.count
        ));
    }
    let additional = request.count - current;
    // An empty list, which kafkajs sends when given none, means no manual assignment.
    if let Some(assignments) = request.assignments.as_ref().filter(|a| !a.is_empty()) {
        if assignments.len() as i32 != additional {
            return Err((
                ResponseError::InvalidReplicaAssignment,
                Some(format!(
                    "Attempted to add {additional} additional partition(s), but only {} assignment(s) were specified.",
                    assignments.len()
                )),
            ));
        }
        for assignment in assignments {
            let brokers: Vec<i32> = assignment.broker_ids.iter().map(|b| b.0).collect();
            check_assignment(ctx.state, &brokers, Some(1)).map_err(|(e, m)| (e, Some(m)))?;
        }
    }
    if !validate_only {
        topic.grow_to(request.count);
    }
    Ok(())
}

fn result(
    topic: &CreatePartitionsTopic,
    outcome: Result<(), Refusal>,
) -> CreatePartitionsTopicResult {
    let (error, message) = match outcome {
        Ok(()) => (None, None),
        Err((error, message)) => (Some(error), message),
    };
    CreatePartitionsTopicResult::default()
        .with_name(topic.name.clone())
        .with_error_code(error.map_or(0, |e| e.code()))
        .with_error_message(message.map(StrBytes::from_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::test_support::{ctx_at, encodes_at_every_version, state, versions};
    use kafka_protocol::messages::create_partitions_request::CreatePartitionsAssignment;
    use kafka_protocol::messages::{ApiKey, BrokerId, TopicName};
    use std::collections::BTreeMap;

    fn grow_to(name: &str, count: i32) -> CreatePartitionsTopic {
        CreatePartitionsTopic::default()
            .with_name(TopicName(StrBytes::from_string(name.to_string())))
            .with_count(count)
    }

    #[tokio::test]
    async fn grows_only_upwards() {
        for version in versions(ApiKey::CreatePartitions) {
            let state = state();
            let topic = state.create_topic("t", 2, BTreeMap::new()).unwrap();
            let other = grow_to("other", 3).with_assignments(Some(vec![
                CreatePartitionsAssignment::default().with_broker_ids(vec![BrokerId(2)]),
            ]));
            state.create_topic("other", 2, BTreeMap::new()).unwrap();
            let request = CreatePartitionsRequest::default().with_topics(vec![
                grow_to("t", 4),
                grow_to("nope", 3),
                other,
            ]);
            let response = handle(&ctx_at(&state, version), request).await;
            encodes_at_every_version(ApiKey::CreatePartitions, version, &response);
            let codes: Vec<_> = response.results.iter().map(|r| r.error_code).collect();
            assert_eq!(
                codes,
                vec![
                    0,
                    ResponseError::UnknownTopicOrPartition.code(),
                    ResponseError::InvalidReplicaAssignment.code()
                ]
            );
            assert_eq!(topic.partition_count(), 4);
            let request = CreatePartitionsRequest::default().with_topics(vec![grow_to("t", 4)]);
            let response = handle(&ctx_at(&state, version), request).await;
            assert_eq!(
                response.results[0].error_code,
                ResponseError::InvalidPartitions.code()
            );
            assert_eq!(
                response.results[0].error_message.as_deref(),
                Some("Topic already has 4 partition(s).")
            );
        }
    }

    #[tokio::test]
    async fn validate_only_leaves_the_topic_alone() {
        let state = state();
        let topic = state.create_topic("t", 1, BTreeMap::new()).unwrap();
        let request = CreatePartitionsRequest::default()
            .with_topics(vec![grow_to("t", 5)])
            .with_validate_only(true);
        let response = handle(&ctx_at(&state, 3), request).await;
        assert_eq!(response.results[0].error_code, 0);
        assert_eq!(topic.partition_count(), 1);
    }
}
