//! AlterConfigs: replaces the whole set of config overrides of a topic, or the dynamic configs
//! of this broker (resource name = node id) or of the cluster default (""), after the checks
//! Kafka makes; `validate_only` checks without changing anything. The checks and the
//! application are shared with IncrementalAlterConfigs.

use std::collections::BTreeMap;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse};
use kafka_protocol::protocol::StrBytes;

use crate::broker_config::{self, ConfigType};
use crate::dispatch::Ctx;
use crate::handlers::describe_configs::{BROKER, TOPIC};
use crate::state::{validate_topic_name, State};
use crate::topic_config;

pub(crate) type Refusal = (ResponseError, String);

fn refuse<T>(error: ResponseError, message: impl Into<String>) -> Result<T, Refusal> {
    Err((error, message.into()))
}

/// The resource a config change is for.
pub(crate) enum Target {
    Topic(String),
    /// This broker's own dynamic configs.
    Broker,
    /// The cluster-wide dynamic broker defaults.
    ClusterDefault,
}

/// Checks made before any value is looked at: the resource appears once, names no config
/// twice, and is a topic or this broker.
pub(crate) fn target(
    state: &State,
    resource_type: i8,
    name: &str,
    repeated: bool,
    config_names: &[&str],
) -> Result<Target, Refusal> {
    if repeated {
        return refuse(
            ResponseError::InvalidRequest,
            "Each resource must appear at most once.",
        );
    }
    let mut sorted = config_names.to_vec();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return refuse(
            ResponseError::InvalidRequest,
            "Error due to duplicate config keys",
        );
    }
    match resource_type {
        TOPIC => Ok(Target::Topic(name.to_string())),
        BROKER if name.is_empty() => Ok(Target::ClusterDefault),
        BROKER => {
            let Ok(id) = name.parse::<i32>() else {
                return refuse(
                    ResponseError::InvalidRequest,
                    format!("Node id must be an integer, but it is: {name}"),
                );
            };
            let node = state.config.node_id;
            if id != node {
                return refuse(
                    ResponseError::InvalidRequest,
                    format!("Unexpected broker id, expected {node}, but received {name}"),
                );
            }
            Ok(Target::Broker)
        }
        other => refuse(
            ResponseError::InvalidRequest,
            format!("Unknown resource type {other}"),
        ),
    }
}

/// Refuses null values for the configs in `nulls`.
pub(crate) fn refuse_nulls(nulls: &[&str]) -> Result<(), Refusal> {
    if nulls.is_empty() {
        return Ok(());
    }
    refuse(
        ResponseError::InvalidRequest,
        format!("Null value not supported for : {}", nulls.join(", ")),
    )
}

/// The configs the target holds now (a topic's overrides, or a dynamic broker layer).
pub(crate) fn current(state: &State, target: &Target) -> BTreeMap<String, String> {
    match target {
        Target::Topic(name) => match state.topic(name) {
            Some(topic) => topic.configs(),
            None => BTreeMap::new(),
        },
        Target::Broker => state.dynamic_configs.read().clone(),
        Target::ClusterDefault => state.dynamic_default_configs.read().clone(),
    }
}

/// Validates `configs` as the target's new complete set and, unless `validate_only`,
/// installs it.
pub(crate) fn replace(
    state: &State,
    target: &Target,
    configs: BTreeMap<String, String>,
    validate_only: bool,
) -> Result<(), Refusal> {
    match target {
        Target::Topic(name) => {
            if name.is_empty() {
                return refuse(
                    ResponseError::InvalidRequest,
                    "Default topic resources are not allowed.",
                );
            }
            validate_topic_name(name)?;
            let configs =
                topic_config::checked(configs).map_err(|m| (ResponseError::InvalidConfig, m))?;
            let Some(topic) = state.topic(name) else {
                return refuse(
                    ResponseError::UnknownTopicOrPartition,
                    format!("The topic '{name}' does not exist."),
                );
            };
            if !validate_only {
                topic.set_configs(configs);
            }
        }
        Target::Broker | Target::ClusterDefault => {
            check_broker_configs(&configs)?;
            if !validate_only {
                let layer = match target {
                    Target::Broker => &state.dynamic_configs,
                    _ => &state.dynamic_default_configs,
                };
                *layer.write() = configs;
            }
        }
    }
    Ok(())
}

/// Kafka's checks of a dynamic broker config set: only dynamic configs (or names Kafka does
/// not know), with values of the right type.
fn check_broker_configs(configs: &BTreeMap<String, String>) -> Result<(), Refusal> {
    let fixed: Vec<&str> = configs
        .keys()
        .map(String::as_str)
        .filter(|name| broker_config::lookup(name).is_some_and(|d| !d.dynamic))
        .collect();
    if !fixed.is_empty() {
        return refuse(
            ResponseError::InvalidRequest,
            format!(
                "Cannot update these configs dynamically: Set({})",
                fixed.join(", ")
            ),
        );
    }
    for (name, value) in configs {
        let kind = broker_config::kind(name);
        let trimmed = value.trim();
        let problem = match kind {
            ConfigType::Boolean
                if !trimmed.eq_ignore_ascii_case("true")
                    && !trimmed.eq_ignore_ascii_case("false") =>
            {
                Some("Expected value to be either true or false".to_string())
            }
            ConfigType::Int if trimmed.parse::<i32>().is_err() => {
                Some("Not a number of type INT".to_string())
            }
            ConfigType::Short if trimmed.parse::<i16>().is_err() => {
                Some("Not a number of type SHORT".to_string())
            }
            ConfigType::Long if trimmed.parse::<i64>().is_err() => {
                Some("Not a number of type LONG".to_string())
            }
            ConfigType::Double if trimmed.parse::<f64>().is_err() => {
                Some("Not a number of type DOUBLE".to_string())
            }
            _ => None,
        };
        if let Some(problem) = problem {
            return refuse(
                ResponseError::InvalidRequest,
                format!("Invalid value {value} for configuration {name}: {problem}"),
            );
        }
    }
    Ok(())
}

/// The response entry for one resource.
pub(crate) fn outcome(result: Result<(), Refusal>) -> (i16, Option<StrBytes>) {
    match result {
        Ok(()) => (0, None),
        Err((error, message)) => (error.code(), Some(StrBytes::from_string(message))),
    }
}

/// For each resource (type, name), whether the request names it more than once; Kafka refuses
/// every copy of a repeated resource.
pub(crate) fn repeated_resources(keys: &[(i8, &str)]) -> Vec<bool> {
    keys.iter()
        .map(|key| keys.iter().filter(|k| *k == key).count() > 1)
        .collect()
}

pub async fn handle(ctx: &Ctx<'_>, request: AlterConfigsRequest) -> AlterConfigsResponse {
    let keys: Vec<(i8, &str)> = request
        .resources
        .iter()
        .map(|r| (r.resource_type, r.resource_name.as_str()))
        .collect();
    let responses = request
        .resources
        .iter()
        .zip(repeated_resources(&keys))
        .map(|(resource, repeated)| {
            let key = (resource.resource_type, resource.resource_name.as_str());
            let names: Vec<&str> = resource.configs.iter().map(|c| c.name.as_str()).collect();
            let result = target(ctx.state, key.0, key.1, repeated, &names).and_then(|target| {
                let nulls: Vec<&str> = resource
                    .configs
                    .iter()
                    .filter(|c| c.value.is_none())
                    .map(|c| c.name.as_str())
                    .collect();
                refuse_nulls(&nulls)?;
                let configs = resource
                    .configs
                    .iter()
                    .map(|c| {
                        (
                            c.name.to_string(),
                            c.value.as_deref().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                replace(ctx.state, &target, configs, request.validate_only)
            });
            let (code, message) = outcome(result);
            AlterConfigsResourceResponse::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone())
                .with_error_code(code)
                .with_error_message(message)
        })
        .collect();
    AlterConfigsResponse::default().with_responses(responses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::test_support::{ctx_at, encodes_at_every_version, state, versions};
    use kafka_protocol::messages::alter_configs_request::{AlterConfigsResource, AlterableConfig};
    use kafka_protocol::messages::ApiKey;

    fn resource(resource_type: i8, name: &str, configs: &[(&str, &str)]) -> AlterConfigsResource {
        AlterConfigsResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(StrBytes::from_string(name.to_string()))
            .with_configs(
                configs
                    .iter()
                    .map(|(k, v)| {
                        AlterableConfig::default()
                            .with_name(StrBytes::from_string(k.to_string()))
                            .with_value(Some(StrBytes::from_string(v.to_string())))
                    })
                    .collect(),
            )
    }

    async fn alter(
        state: &State,
        version: i16,
        resources: Vec<AlterConfigsResource>,
        validate_only: bool,
    ) -> Vec<(i16, Option<String>)> {
        let request = AlterConfigsRequest::default()
            .with_resources(resources)
            .with_validate_only(validate_only);
        let response = handle(&ctx_at(state, version), request).await;
        encodes_at_every_version(ApiKey::AlterConfigs, version, &response);
        response
            .responses
            .iter()
            .map(|r| {
                (
                    r.error_code,
                    r.error_message.as_ref().map(|m| m.to_string()),
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn replaces_all_topic_overrides() {
        for version in versions(ApiKey::AlterConfigs) {
            let state = state();
            let overrides = [("retention.ms".to_string(), "5".to_string())].into();
            let topic = state.create_topic("t", 1, overrides).unwrap();
            let outcomes = alter(
                &state,
                version,
                vec![resource(TOPIC, "t", &[("max.message.bytes", "100")])],
                false,
            )
            .await;
            assert_eq!(outcomes, vec![(0, None)]);
            assert_eq!(
                topic.configs(),
                [("max.message.bytes".to_string(), "100".to_string())].into()
            );
            assert_eq!(
                state.topic_config(&topic, "max.message.bytes").as_deref(),
                Some("100")
            );
        }
    }

    #[tokio::test]
    async fn refuses_what_kafka_refuses() {
        let state = state();
        state.create_topic("t", 1, BTreeMap::new()).unwrap();
        let outcomes = alter(
            &state,
            1,
            vec![
                resource(TOPIC, "missing", &[("retention.ms", "5")]),
                resource(TOPIC, "t", &[("retention.ms", "x")]),
                resource(TOPIC, "t", &[("no.such", "1")]),
                resource(BROKER, "1", &[("num.partitions", "3")]),
                resource(BROKER, "7", &[("log.retention.ms", "3")]),
                resource(BROKER, "", &[("log.retention.ms", "x")]),
            ],
            false,
        )
        .await;
        let expect = |e: ResponseError, m: &str| (e.code(), Some(m.to_string()));
        assert_eq!(
            outcomes,
            vec![
                expect(
                    ResponseError::UnknownTopicOrPartition,
                    "The topic 'missing' does not exist."
                ),
                expect(
                    ResponseError::InvalidRequest,
                    "Each resource must appear at most once."
                ),
                expect(
                    ResponseError::InvalidRequest,
                    "Each resource must appear at most once."
                ),
                expect(
                    ResponseError::InvalidRequest,
                    "Cannot update these configs dynamically: Set(num.partitions)"
                ),
                expect(
                    ResponseError::InvalidRequest,
                    "Unexpected broker id, expected 1, but received 7"
                ),
                expect(
                    ResponseError::InvalidRequest,
                    "Invalid value x for configuration log.retention.ms: Not a number of type LONG"
                ),
            ]
        );
        let outcomes = alter(
            &state,
            1,
            vec![resource(TOPIC, "t", &[("retention.ms", "x")])],
            false,
        )
        .await;
        assert_eq!(
            outcomes,
            vec![expect(
                ResponseError::InvalidConfig,
                "Invalid value x for configuration retention.ms: Not a number of type LONG"
            )]
        );
    }

    #[tokio::test]
    async fn sets_dynamic_broker_configs_unless_validating() {
        let state = state();
        let outcomes = alter(
            &state,
            2,
            vec![resource(BROKER, "1", &[("log.retention.ms", "60000")])],
            true,
        )
        .await;
        assert_eq!(outcomes, vec![(0, None)]);
        assert!(state.dynamic_configs.read().is_empty());
        alter(
            &state,
            2,
            vec![resource(BROKER, "1", &[("log.retention.ms", "60000")])],
            false,
        )
        .await;
        assert_eq!(
            state
                .dynamic_configs
                .read()
                .get("log.retention.ms")
                .map(String::as_str),
            Some("60000")
        );
        let topic = state.create_topic("t", 1, BTreeMap::new()).unwrap();
        assert_eq!(
            state.topic_config(&topic, "retention.ms").as_deref(),
            Some("60000")
        );
        alter(
            &state,
            2,
            vec![resource(BROKER, "", &[("message.max.bytes", "10")])],
            false,
        )
        .await;
        assert_eq!(
            state.topic_config(&topic, "max.message.bytes").as_deref(),
            Some("10")
        );
    }
}
