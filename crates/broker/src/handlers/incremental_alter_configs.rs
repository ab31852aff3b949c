//! IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT individual configs of a topic or
//! of this broker's (or the cluster default's) dynamic configs, with Kafka's checks; list
//! operations apply only to LIST configs and start from the current value or the default.

use std::collections::BTreeMap;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::incremental_alter_configs_request::AlterConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};

use crate::broker_config::{self, ConfigType};
use crate::dispatch::Ctx;
use crate::handlers::alter_configs::{
    current, outcome, refuse_nulls, repeated_resources, replace, target, Refusal, Target,
};
use crate::topic_config;

const SET: i8 = 0;
const DELETE: i8 = 1;
const APPEND: i8 = 2;
const SUBTRACT: i8 = 3;

pub async fn handle(
    ctx: &Ctx<'_>,
    request: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
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
            let (code, message) = outcome(alter(ctx, resource, repeated, request.validate_only));
            AlterConfigsResourceResponse::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone())
                .with_error_code(code)
                .with_error_message(message)
        })
        .collect();
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

fn alter(
    ctx: &Ctx<'_>,
    resource: &AlterConfigsResource,
    repeated: bool,
    validate_only: bool,
) -> Result<(), Refusal> {
    let names: Vec<&str> = resource.configs.iter().map(|c| c.name.as_str()).collect();
    let target = target(
        ctx.state,
        resource.resource_type,
        &resource.resource_name,
        repeated,
        &names,
    )?;
    let nulls: Vec<&str> = resource
        .configs
        .iter()
        .filter(|c| c.config_operation != DELETE && c.value.is_none())
        .map(|c| c.name.as_str())
        .collect();
    refuse_nulls(&nulls)?;
    let mut configs = current(ctx.state, &target);
    for config in &resource.configs {
        let name = config.name.as_str();
        let value = config.value.as_deref().unwrap_or_default();
        match config.config_operation {
            SET => {
                configs.insert(name.to_string(), value.to_string());
            }
            DELETE => {
                configs.remove(name);
            }
            op @ (APPEND | SUBTRACT) => {
                let start = list_start(&target, name, op, &configs)?;
                let mut items: Vec<String> = start
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                for item in value.split(',') {
                    if op == APPEND && !items.iter().any(|i| i == item) {
                        items.push(item.to_string());
                    } else if op == SUBTRACT {
                        items.retain(|i| i != item);
                    }
                }
                configs.insert(name.to_string(), items.join(","));
            }
            other => {
                return Err((
                    ResponseError::InvalidRequest,
                    format!("Unknown operations type {other}"),
                ));
            }
        }
    }
    replace(ctx.state, &target, configs, validate_only)
}

/// The list an APPEND or SUBTRACT starts from: the current value, else the config's default.
fn list_start(
    target: &Target,
    name: &str,
    op: i8,
    configs: &BTreeMap<String, String>,
) -> Result<String, Refusal> {
    let verb = if op == APPEND { "APPEND" } else { "SUBTRACT" };
    let default = match target {
        Target::Topic(_) => match topic_config::lookup(name) {
            Some(def) if def.kind == ConfigType::List => def.default.to_string(),
            _ => {
                return Err((
                    ResponseError::InvalidConfig,
                    format!("Can't {verb} to key {name} because its type is not LIST."),
                ))
            }
        },
        Target::Broker | Target::ClusterDefault => match broker_config::lookup(name) {
            None => {
                return Err((
                    ResponseError::InvalidConfig,
                    format!("Unknown config name: {name}"),
                ))
            }
            Some(def) if def.kind != ConfigType::List => {
                let verb = if op == APPEND { "append" } else { "subtract" };
                return Err((
                    ResponseError::InvalidConfig,
                    format!("Config value {verb} is not allowed for config key: {name}"),
                ));
            }
            Some(def) => def.default.clone().unwrap_or_default(),
        },
    };
    Ok(configs.get(name).cloned().unwrap_or(default))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::describe_configs::{BROKER, TOPIC};
    use crate::handlers::test_support::{ctx_at, encodes_at_every_version, state, versions};
    use crate::state::State;
    use kafka_protocol::messages::incremental_alter_configs_request::AlterableConfig;
    use kafka_protocol::messages::ApiKey;
    use kafka_protocol::protocol::StrBytes;

    fn op(name: &str, operation: i8, value: Option<&str>) -> AlterableConfig {
        AlterableConfig::default()
            .with_name(StrBytes::from_string(name.to_string()))
            .with_config_operation(operation)
            .with_value(value.map(|v| StrBytes::from_string(v.to_string())))
    }

    async fn alter(
        state: &State,
        version: i16,
        resource_type: i8,
        name: &str,
        ops: Vec<AlterableConfig>,
    ) -> (i16, Option<String>) {
        let request = IncrementalAlterConfigsRequest::default().with_resources(vec![
            AlterConfigsResource::default()
                .with_resource_type(resource_type)
                .with_resource_name(StrBytes::from_string(name.to_string()))
                .with_configs(ops),
        ]);
        let response = handle(&ctx_at(state, version), request).await;
        encodes_at_every_version(ApiKey::IncrementalAlterConfigs, version, &response);
        let r = &response.responses[0];
        (
            r.error_code,
            r.error_message.as_ref().map(|m| m.to_string()),
        )
    }

    #[tokio::test]
    async fn list_operations_work_like_kafka() {
        for version in versions(ApiKey::IncrementalAlterConfigs) {
            let state = state();
            let topic = state.create_topic("t", 1, BTreeMap::new()).unwrap();
            let policy = |t: &crate::state::Topic| t.configs().get("cleanup.policy").cloned();
            assert_eq!(
                alter(
                    &state,
                    version,
                    TOPIC,
                    "t",
                    vec![op("cleanup.policy", APPEND, Some("compact"))]
                )
                .await
                .0,
                0
            );
            assert_eq!(policy(&topic).as_deref(), Some("delete,compact"));
            alter(
                &state,
                version,
                TOPIC,
                "t",
                vec![op("cleanup.policy", SUBTRACT, Some("delete"))],
            )
            .await;
            assert_eq!(policy(&topic).as_deref(), Some("compact"));
            alter(
                &state,
                version,
                TOPIC,
                "t",
                vec![op("cleanup.policy", SUBTRACT, Some("compact"))],
            )
            .await;
            assert_eq!(policy(&topic).as_deref(), Some(""));
            alter(
                &state,
                version,
                TOPIC,
                "t",
                vec![
                    op("cleanup.policy", DELETE, None),
                    op("retention.ms", SET, Some("9")),
                ],
            )
            .await;
            assert_eq!(
                topic.configs(),
                [("retention.ms".to_string(), "9".to_string())].into()
            );
            let refused = alter(
                &state,
                version,
                TOPIC,
                "t",
                vec![op("retention.ms", APPEND, Some("5"))],
            )
            .await;
            assert_eq!(
                refused,
                (
                    ResponseError::InvalidConfig.code(),
                    Some(
                        "Can't APPEND to key retention.ms because its type is not LIST."
                            .to_string()
                    )
                )
            );
        }
    }

    #[tokio::test]
    async fn refuses_unknown_topics_and_configs() {
        let state = state();
        state.create_topic("t", 1, BTreeMap::new()).unwrap();
        let missing = alter(
            &state,
            1,
            TOPIC,
            "nope",
            vec![op("retention.ms", SET, Some("5"))],
        )
        .await;
        assert_eq!(
            missing,
            (
                ResponseError::UnknownTopicOrPartition.code(),
                Some("The topic 'nope' does not exist.".to_string())
            )
        );
        let unknown = alter(&state, 1, TOPIC, "t", vec![op("no.such", SET, Some("5"))]).await;
        assert_eq!(
            unknown,
            (
                ResponseError::InvalidConfig.code(),
                Some("Unknown topic config name: no.such".to_string())
            )
        );
        let null = alter(&state, 1, TOPIC, "t", vec![op("retention.ms", SET, None)]).await;
        assert_eq!(
            null,
            (
                ResponseError::InvalidRequest.code(),
                Some("Null value not supported for : retention.ms".to_string())
            )
        );
        assert_eq!(
            alter(&state, 1, TOPIC, "t", vec![op("no.such", DELETE, None)])
                .await
                .0,
            0
        );
    }

    #[tokio::test]
    async fn changes_dynamic_broker_configs() {
        let state = state();
        assert_eq!(
            alter(
                &state,
                1,
                BROKER,
                "1",
                vec![op("log.retention.ms", SET, Some("100"))]
            )
            .await
            .0,
            0
        );
        assert_eq!(
            alter(
                &state,
                1,
                BROKER,
                "1",
                vec![op("message.max.bytes", SET, Some("50"))]
            )
            .await
            .0,
            0
        );
        assert_eq!(
            alter(
                &state,
                1,
                BROKER,
                "1",
                vec![op("log.retention.ms", DELETE, None)]
            )
            .await
            .0,
            0
        );
        assert_eq!(
            state.dynamic_configs.read().clone(),
            [("message.max.bytes".to_string(), "50".to_string())].into()
        );
        let fixed = alter(
            &state,
            1,
            BROKER,
            "1",
            vec![op("num.partitions", SET, Some("3"))],
        )
        .await;
        assert_eq!(
            fixed.1.as_deref(),
            Some("Cannot update these configs dynamically: Set(num.partitions)")
        );
        let other = alter(
            &state,
            1,
            BROKER,
            "2",
            vec![op("log.retention.ms", SET, Some("3"))],
        )
        .await;
        assert_eq!(other.0, ResponseError::InvalidRequest.code());
    }
}
