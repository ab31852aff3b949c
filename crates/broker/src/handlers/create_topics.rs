//! CreateTopics: validates each topic the way Kafka's controller does (name, existence,
//! configs, then partitions and replication or a manual assignment, all against this single
//! broker), creates it unless `validate_only`, and from v5 reports its partition count,
//! replication factor and configs. Names repeated in one request are refused.

use std::collections::{BTreeMap, HashMap};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use crate::dispatch::Ctx;
use crate::state::{validate_topic_name, State};
use crate::topic_config;

type Refusal = (ResponseError, String);

/// What a valid topic will be created with.
struct Plan {
    partitions: i32,
    configs: BTreeMap<String, String>,
}

pub async fn handle(ctx: &Ctx<'_>, request: CreateTopicsRequest) -> CreateTopicsResponse {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for topic in &request.topics {
        *counts.entry(topic.name.as_str()).or_default() += 1;
    }
    let mut results = Vec::new();
    let mut duplicates = Vec::new();
    for topic in &request.topics {
        if counts[topic.name.as_str()] > 1 {
            if !duplicates.contains(&topic.name) {
                duplicates.push(topic.name.clone());
            }
            continue;
        }
        let outcome = plan(ctx.state, topic).and_then(|plan| {
            if !request.validate_only {
                ctx.state
                    .create_topic(&topic.name, plan.partitions, plan.configs.clone())
                    .map(|created| (plan, created.id))
            } else {
                Ok((plan, Uuid::new_v4()))
            }
        });
        results.push(match outcome {
            Ok((plan, id)) => created(ctx, topic, plan, id),
            Err(refusal) => refused(topic.name.clone(), refusal),
        });
    }
    for name in duplicates {
        let refusal = (
            ResponseError::InvalidRequest,
            "Duplicate topic name.".to_string(),
        );
        results.push(refused(name, refusal));
    }
    CreateTopicsResponse::default().with_topics(results)
}

fn plan(state: &State, topic: &CreatableTopic) -> Result<Plan, Refusal> {
    let name = topic.name.as_str();
    validate_topic_name(name)?;
    if name == "__cluster_metadata" {
        return Err((
            ResponseError::InvalidRequest,
            "Creation of internal topic __cluster_metadata is prohibited.".to_string(),
        ));
    }
    if state.topic(name).is_some() {
        return Err((
            ResponseError::TopicAlreadyExists,
            format!("Topic '{name}' already exists."),
        ));
    }
    let configs = configs(topic)?;
    let partitions = if topic.assignments.is_empty() {
        partitions_and_replication(state, topic)?
    } else {
        manual_assignment(state, topic)?
    };
    Ok(Plan {
        partitions,
        configs,
    })
}

fn configs(topic: &CreatableTopic) -> Result<BTreeMap<String, String>, Refusal> {
    let nulls: Vec<&str> = topic
        .configs
        .iter()
        .filter(|c| c.value.is_none())
        .map(|c| c.name.as_str())
        .collect();
    if !nulls.is_empty() {
        return Err((
            ResponseError::InvalidConfig,
            format!(
                "Null value not supported for topic configs: {}",
                nulls.join(",")
            ),
        ));
    }
    let configs = topic
        .configs
        .iter()
        .map(|c| {
            (
                c.name.to_string(),
                c.value.as_deref().unwrap_or_default().to_string(),
            )
        })
        .collect();
    topic_config::checked(configs).map_err(|m| (ResponseError::InvalidConfig, m))
}

/// The partition count for a topic without a manual assignment (-1 means the broker default).
fn partitions_and_replication(state: &State, topic: &CreatableTopic) -> Result<i32, Refusal> {
    if topic.replication_factor < -1 || topic.replication_factor == 0 {
        return Err((
            ResponseError::InvalidReplicationFactor,
            "Replication factor must be larger than 0, or -1 to use the default value.".to_string(),
        ));
    }
    if topic.num_partitions < -1 || topic.num_partitions == 0 {
        return Err((
            ResponseError::InvalidPartitions,
            "Number of partitions was set to an invalid non-positive value.".to_string(),
        ));
    }
    let replication = if topic.replication_factor == -1 {
        default_replication_factor(state)
    } else {
        i32::from(topic.replication_factor)
    };
    check_replication(replication)?;
    Ok(if topic.num_partitions == -1 {
        state.config.num_partitions
    } else {
        topic.num_partitions
    })
}

fn default_replication_factor(state: &State) -> i32 {
    state.with_config_layers(|layers| {
        layers
            .get("default.replication.factor")
            .and_then(|(v, _)| v.trim().parse().ok())
            .unwrap_or(1)
    })
}

/// One broker can hold one replica of each partition.
pub(crate) fn check_replication(replication: i32) -> Result<(), Refusal> {
    if replication <= 0 {
        return Err((
            ResponseError::InvalidReplicationFactor,
            format!(
                "Unable to replicate the partition {replication} time(s): Invalid replication factor {replication}: the replication factor must be positive."
            ),
        ));
    }
    if replication > 1 {
        return Err((
            ResponseError::InvalidReplicationFactor,
            format!(
                "Unable to replicate the partition {replication} time(s): The target replication factor of {replication} cannot be reached because only 1 broker(s) are registered."
            ),
        ));
    }
    Ok(())
}

/// The partition count for a topic created with a manual assignment.
fn manual_assignment(state: &State, topic: &CreatableTopic) -> Result<i32, Refusal> {
    if topic.replication_factor != -1 {
        return Err((
            ResponseError::InvalidRequest,
            "A manual partition assignment was specified, but replication factor was not set to -1."
                .to_string(),
        ));
    }
    if topic.num_partitions != -1 {
        return Err((
            ResponseError::InvalidRequest,
            "A manual partition assignment was specified, but numPartitions was not set to -1."
                .to_string(),
        ));
    }
    let mut seen = Vec::new();
    let mut replication = None;
    for assignment in &topic.assignments {
        if seen.contains(&assignment.partition_index) {
            return Err((
                ResponseError::InvalidReplicaAssignment,
                format!(
                    "Found multiple manual partition assignments for partition {}",
                    assignment.partition_index
                ),
            ));
        }
        let brokers: Vec<i32> = assignment.broker_ids.iter().map(|b| b.0).collect();
        check_assignment(state, &brokers, replication)?;
        replication = Some(brokers.len());
        seen.push(assignment.partition_index);
    }
    let count = seen.len() as i32;
    if (0..count).any(|i| !seen.contains(&i)) {
        return Err((
            ResponseError::InvalidReplicaAssignment,
            "partitions should be a consecutive 0-based integer sequence".to_string(),
        ));
    }
    Ok(count)
}

/// Kafka's checks of one partition's manual replica list.
pub(crate) fn check_assignment(
    state: &State,
    brokers: &[i32],
    replication: Option<usize>,
) -> Result<(), Refusal> {
    let refuse = |message: String| Err((ResponseError::InvalidReplicaAssignment, message));
    if brokers.is_empty() {
        return refuse(
            "The manual partition assignment includes an empty replica list.".to_string(),
        );
    }
    let mut sorted = brokers.to_vec();
    sorted.sort_unstable();
    let mut previous = None;
    for broker in sorted {
        if broker != state.config.node_id {
            return refuse(format!(
                "The manual partition assignment includes broker {broker}, but no such broker is registered."
            ));
        }
        if previous == Some(broker) {
            return refuse(format!(
                "The manual partition assignment includes the broker {broker} more than once."
            ));
        }
        previous = Some(broker);
    }
    match replication {
        Some(expected) if expected != brokers.len() => refuse(format!(
            "The manual partition assignment includes a partition with {} replica(s), but this is not consistent with previous partitions, which have {expected} replica(s).",
            brokers.len()
        )),
        _ => Ok(()),
    }
}

fn created(ctx: &Ctx<'_>, topic: &CreatableTopic, plan: Plan, id: Uuid) -> CreatableTopicResult {
    let mut result = CreatableTopicResult::default()
        .with_name(topic.name.clone())
        .with_error_message(None);
    if ctx.version >= 5 {
        let configs = ctx.state.with_config_layers(|layers| {
            topic_config::describe_all(&plan.configs, layers)
                .into_iter()
                .map(|c| {
                    CreatableTopicConfigs::default()
                        .with_name(StrBytes::from_static_str(c.def.name))
                        .with_value(Some(StrBytes::from_string(c.value)))
                        .with_read_only(false)
                        .with_config_source(c.source as i8)
                        .with_is_sensitive(false)
                })
                .collect()
        });
        result = result
            .with_num_partitions(plan.partitions)
            .with_replication_factor(1)
            .with_configs(Some(configs));
    }
    if ctx.version >= 7 {
        result = result.with_topic_id(id);
    }
    result
}

fn refused(name: TopicName, (error, message): Refusal) -> CreatableTopicResult {
    CreatableTopicResult::default()
        .with_name(name)
        .with_error_code(error.code())
        .with_error_message(Some(StrBytes::from_string(message)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::test_support::{ctx_at, encodes_at_every_version, state, versions};
    use kafka_protocol::messages::create_topics_request::{
        CreatableReplicaAssignment, CreatableTopicConfig,
    };
    use kafka_protocol::messages::{ApiKey, BrokerId};

    fn topic(name: &str, partitions: i32, replication: i16) -> CreatableTopic {
        CreatableTopic::default()
            .with_name(TopicName(StrBytes::from_string(name.to_string())))
            .with_num_partitions(partitions)
            .with_replication_factor(replication)
    }

    async fn create(
        state: &State,
        version: i16,
        topics: Vec<CreatableTopic>,
        validate_only: bool,
    ) -> CreateTopicsResponse {
        let request = CreateTopicsRequest::default()
            .with_topics(topics)
            .with_validate_only(validate_only);
        let response = handle(&ctx_at(state, version), request).await;
        encodes_at_every_version(ApiKey::CreateTopics, version, &response);
        response
    }

    fn outcome(r: &CreatableTopicResult) -> (i16, Option<&str>) {
        (r.error_code, r.error_message.as_deref())
    }

    #[tokio::test]
    async fn creates_with_broker_defaults_and_reports_configs() {
        let state = state();
        let response = create(&state, 7, vec![topic("orders", -1, -1)], false).await;
        let result = &response.topics[0];
        assert_eq!(outcome(result), (0, None));
        assert_eq!(result.num_partitions, 1);
        assert_eq!(result.replication_factor, 1);
        assert_eq!(result.topic_id, state.topic("orders").unwrap().id);
        let configs = result.configs.as_ref().unwrap();
        assert_eq!(configs.len(), topic_config::TOPIC_CONFIGS.len());
        assert!(configs
            .iter()
            .any(|c| c.name.as_str() == "max.message.bytes"
                && c.value.as_deref() == Some("1048588")
                && c.config_source == 5));
    }

    #[tokio::test]
    async fn every_version_encodes() {
        for version in versions(ApiKey::CreateTopics) {
            let state = state();
            create(
                &state,
                version,
                vec![topic("a", 2, 1), topic("a", 1, 1), topic("bad name", 1, 1)],
                false,
            )
            .await;
        }
    }

    #[tokio::test]
    async fn refuses_what_kafka_refuses() {
        let state = state();
        state.create_topic("taken", 1, BTreeMap::new()).unwrap();
        let mut with_config = topic("cfg", 1, 1);
        with_config.configs = vec![CreatableTopicConfig::default()
            .with_name(StrBytes::from_static_str("retention.ms"))
            .with_value(Some(StrBytes::from_static_str("soon")))];
        let response = create(
            &state,
            5,
            vec![
                topic("taken", 1, 1),
                topic("rf", 1, 3),
                topic("zero", 0, 1),
                topic("bad name", 1, 1),
                with_config,
                topic("dup", 1, 1),
                topic("dup", 1, 1),
            ],
            false,
        )
        .await;
        let outcomes: Vec<_> = response
            .topics
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    t.error_code,
                    t.error_message.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            outcomes,
            vec![
                ("taken", ResponseError::TopicAlreadyExists.code(), "Topic 'taken' already exists."),
                ("rf", ResponseError::InvalidReplicationFactor.code(), "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered."),
                ("zero", ResponseError::InvalidPartitions.code(), "Number of partitions was set to an invalid non-positive value."),
                ("bad name", ResponseError::InvalidTopicException.code(), "Topic name is invalid: 'bad name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"),
                ("cfg", ResponseError::InvalidConfig.code(), "Invalid value soon for configuration retention.ms: Not a number of type LONG"),
                ("dup", ResponseError::InvalidRequest.code(), "Duplicate topic name."),
            ]
        );
        assert_eq!(response.topics[1].num_partitions, -1);
        assert!(state.topic("dup").is_none());
    }

    #[tokio::test]
    async fn validate_only_creates_nothing() {
        let state = state();
        let response = create(&state, 7, vec![topic("maybe", 3, 1)], true).await;
        assert_eq!(response.topics[0].error_code, 0);
        assert_eq!(response.topics[0].num_partitions, 3);
        assert!(state.topic("maybe").is_none());
    }

    #[tokio::test]
    async fn manual_assignments_must_name_this_broker_consistently() {
        let state = state();
        let assign = |name: &str, parts: &[(i32, &[i32])]| {
            let mut t = topic(name, -1, -1);
            t.assignments = parts
                .iter()
                .map(|(p, brokers)| {
                    CreatableReplicaAssignment::default()
                        .with_partition_index(*p)
                        .with_broker_ids(brokers.iter().map(|b| BrokerId(*b)).collect())
                })
                .collect();
            t
        };
        let response = create(
            &state,
            7,
            vec![
                assign("ok", &[(0, &[1]), (1, &[1])]),
                assign("other", &[(0, &[2])]),
                assign("twice", &[(0, &[1, 1])]),
                assign("gap", &[(0, &[1]), (2, &[1])]),
                assign("empty", &[(0, &[])]),
            ],
            false,
        )
        .await;
        let codes: Vec<_> = response.topics.iter().map(|t| t.error_code).collect();
        let bad = ResponseError::InvalidReplicaAssignment.code();
        assert_eq!(codes, vec![0, bad, bad, bad, bad]);
        assert_eq!(state.topic("ok").unwrap().partition_count(), 2);
        let mut with_count = assign("count", &[(0, &[1])]);
        with_count.num_partitions = 1;
        let response = create(&state, 7, vec![with_count], false).await;
        assert_eq!(
            response.topics[0].error_code,
            ResponseError::InvalidRequest.code()
        );
    }
}
