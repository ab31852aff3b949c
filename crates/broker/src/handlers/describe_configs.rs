//! DescribeConfigs: a topic's configs (overrides, broker-supplied defaults and Kafka's
//! defaults) or the broker's (resource name = this node id, or "" for the dynamic cluster-wide
//! defaults), each with its source, sensitivity, read-only flag, and on request its synonyms
//! and (v3+) type and documentation.

use std::collections::BTreeSet;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::protocol::StrBytes;

use crate::broker_config::{self, ConfigSource, ConfigType, Layers, Synonym};
use crate::dispatch::Ctx;
use crate::state::validate_topic_name;
use crate::topic_config;

/// Config resource types (Kafka's `ConfigResource.Type` ids).
pub const TOPIC: i8 = 2;
pub const BROKER: i8 = 4;

/// Kafka's name for a config resource type, as its error messages spell it.
pub fn resource_type_name(resource_type: i8) -> &'static str {
    match resource_type {
        2 => "TOPIC",
        3 => "GROUP",
        4 => "BROKER",
        8 => "BROKER_LOGGER",
        16 => "CLIENT_METRICS",
        _ => "UNKNOWN",
    }
}

/// One config as DescribeConfigs reports it.
struct Entry {
    name: String,
    value: Option<String>,
    read_only: bool,
    source: ConfigSource,
    kind: ConfigType,
    synonyms: Vec<Synonym>,
    doc: Option<&'static str>,
}

type Refusal = (ResponseError, Option<String>);

pub async fn handle(ctx: &Ctx<'_>, request: DescribeConfigsRequest) -> DescribeConfigsResponse {
    let results = request
        .resources
        .iter()
        .map(|resource| {
            // Kafka leaves the message at its schema default, "", unless it has one to give.
            let result = DescribeConfigsResult::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone());
            match entries(ctx, resource) {
                Ok(entries) => result.with_configs(
                    entries
                        .into_iter()
                        .filter(|e| wanted(resource, &e.name))
                        .map(|e| encode(ctx, &request, e))
                        .collect(),
                ),
                Err((error, message)) => result
                    .with_error_code(error.code())
                    .with_error_message(Some(StrBytes::from_string(message.unwrap_or_default()))),
            }
        })
        .collect();
    DescribeConfigsResponse::default().with_results(results)
}

fn wanted(resource: &DescribeConfigsResource, name: &str) -> bool {
    match &resource.configuration_keys {
        Some(keys) if !keys.is_empty() => keys.iter().any(|k| k.as_str() == name),
        _ => true,
    }
}

fn entries(ctx: &Ctx<'_>, resource: &DescribeConfigsResource) -> Result<Vec<Entry>, Refusal> {
    let name = resource.resource_name.as_str();
    match resource.resource_type {
        TOPIC => topic_entries(ctx, name),
        BROKER if name.is_empty() => Ok(ctx.state.with_config_layers(cluster_default_entries)),
        BROKER => {
            check_broker_name(ctx, name)?;
            Ok(ctx.state.with_config_layers(broker_entries))
        }
        other => Err((
            ResponseError::InvalidRequest,
            Some(format!(
                "Unsupported resource type: {}",
                resource_type_name(other)
            )),
        )),
    }
}

fn check_broker_name(ctx: &Ctx<'_>, name: &str) -> Result<(), Refusal> {
    let id: i32 = name.parse().map_err(|_| {
        (
            ResponseError::InvalidRequest,
            Some(format!("Broker id must be an integer, but it is: {name}")),
        )
    })?;
    let node = ctx.state.config.node_id;
    if id != node {
        return Err((
            ResponseError::InvalidRequest,
            Some(format!(
                "Unexpected broker id, expected {node} or empty string, but received {name}"
            )),
        ));
    }
    Ok(())
}

fn topic_entries(ctx: &Ctx<'_>, name: &str) -> Result<Vec<Entry>, Refusal> {
    validate_topic_name(name).map_err(|(e, m)| (e, Some(m)))?;
    let topic = ctx
        .state
        .topic(name)
        .ok_or((ResponseError::UnknownTopicOrPartition, None))?;
    let overrides = topic.configs();
    Ok(ctx.state.with_config_layers(|layers| {
        topic_config::describe_all(&overrides, layers)
            .into_iter()
            .map(|c| Entry {
                name: c.def.name.to_string(),
                value: Some(c.value),
                read_only: false,
                source: c.source,
                kind: c.def.kind,
                synonyms: c.synonyms,
                doc: Some(c.def.doc),
            })
            .collect()
    }))
}

fn broker_entry(layers: &Layers<'_>, name: &str, cluster_default: bool) -> Entry {
    let def = broker_config::lookup(name);
    let kind = broker_config::kind(name);
    let mut synonyms = layers.synonyms(name);
    if cluster_default {
        synonyms.retain(|s| s.source == ConfigSource::DynamicDefaultBrokerConfig);
    }
    let value = if cluster_default {
        layers.dynamic_default.get(name).cloned()
    } else {
        layers.get(name).map(|(v, _)| v)
    };
    Entry {
        name: name.to_string(),
        value: value.filter(|_| !kind.is_sensitive()),
        read_only: !def.is_some_and(|d| d.dynamic),
        source: synonyms
            .first()
            .map_or(ConfigSource::DefaultConfig, |s| s.source),
        kind,
        synonyms,
        doc: def.map(|d| d.doc.as_str()),
    }
}

fn broker_entries(layers: &Layers<'_>) -> Vec<Entry> {
    let names: BTreeSet<&str> = broker_config::all()
        .iter()
        .map(|d| d.name.as_str())
        .chain(layers.statics.keys().map(String::as_str))
        .chain(layers.dynamic_default.keys().map(String::as_str))
        .chain(layers.dynamic.keys().map(String::as_str))
        .collect();
    names
        .into_iter()
        .map(|name| broker_entry(layers, name, false))
        .collect()
}

fn cluster_default_entries(layers: &Layers<'_>) -> Vec<Entry> {
    layers
        .dynamic_default
        .keys()
        .map(|name| broker_entry(layers, name, true))
        .collect()
}

fn encode(
    ctx: &Ctx<'_>,
    request: &DescribeConfigsRequest,
    entry: Entry,
) -> DescribeConfigsResourceResult {
    let sensitive = entry.kind.is_sensitive();
    let synonyms = if request.include_synonyms {
        entry
            .synonyms
            .into_iter()
            .map(|s| {
                DescribeConfigsSynonym::default()
                    .with_name(StrBytes::from_string(s.name))
                    .with_value((!sensitive).then(|| StrBytes::from_string(s.value)))
                    .with_source(s.source as i8)
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut result = DescribeConfigsResourceResult::default()
        .with_name(StrBytes::from_string(entry.name))
        .with_value(entry.value.map(StrBytes::from_string))
        .with_read_only(entry.read_only)
        .with_config_source(entry.source as i8)
        .with_is_sensitive(sensitive)
        .with_synonyms(synonyms);
    if ctx.version >= 3 {
        result.config_type = entry.kind as i8;
        result.documentation = entry
            .doc
            .filter(|_| request.include_documentation)
            .map(|d| StrBytes::from_string(d.to_string()));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::test_support::{ctx_at, encodes_at_every_version, state, versions};
    use crate::state::State;
    use kafka_protocol::messages::ApiKey;
    use std::collections::BTreeMap;

    fn resource(resource_type: i8, name: &str, keys: Option<&[&str]>) -> DescribeConfigsResource {
        DescribeConfigsResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(StrBytes::from_string(name.to_string()))
            .with_configuration_keys(keys.map(|k| {
                k.iter()
                    .map(|s| StrBytes::from_string(s.to_string()))
                    .collect()
            }))
    }

    async fn describe(
        state: &State,
        version: i16,
        resources: Vec<DescribeConfigsResource>,
    ) -> DescribeConfigsResponse {
        let request = DescribeConfigsRequest::default()
            .with_resources(resources)
            .with_include_synonyms(true)
            .with_include_documentation(true);
        let response = handle(&ctx_at(state, version), request).await;
        encodes_at_every_version(ApiKey::DescribeConfigs, version, &response);
        response
    }

    #[tokio::test]
    async fn describes_topic_overrides_and_defaults() {
        for version in versions(ApiKey::DescribeConfigs) {
            let state = state();
            let overrides = [("retention.ms".to_string(), "1000".to_string())].into();
            state.create_topic("t", 1, overrides).unwrap();
            let response = describe(&state, version, vec![resource(TOPIC, "t", None)]).await;
            let configs = &response.results[0].configs;
            assert_eq!(configs.len(), topic_config::TOPIC_CONFIGS.len());
            let retention = configs
                .iter()
                .find(|c| c.name.as_str() == "retention.ms")
                .unwrap();
            assert_eq!(retention.value.as_deref(), Some("1000"));
            assert_eq!(retention.config_source, ConfigSource::TopicConfig as i8);
            let max = configs
                .iter()
                .find(|c| c.name.as_str() == "max.message.bytes")
                .unwrap();
            assert_eq!(max.config_source, ConfigSource::DefaultConfig as i8);
            assert_eq!(max.synonyms[0].name.as_str(), "message.max.bytes");
            if version >= 3 {
                assert_eq!(max.config_type, ConfigType::Int as i8);
                assert!(max.documentation.as_ref().is_some_and(|d| !d.is_empty()));
            }
        }
    }

    #[tokio::test]
    async fn filters_names_and_reports_unknown_topics() {
        let state = state();
        state.create_topic("t", 1, BTreeMap::new()).unwrap();
        let response = describe(
            &state,
            4,
            vec![
                resource(TOPIC, "t", Some(&["cleanup.policy", "no.such"])),
                resource(TOPIC, "missing", None),
                resource(TOPIC, "bad name", None),
            ],
        )
        .await;
        assert_eq!(response.results[0].configs.len(), 1);
        assert_eq!(
            response.results[1].error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
        assert_eq!(response.results[1].error_message.as_deref(), Some(""));
        assert_eq!(
            response.results[2].error_code,
            ResponseError::InvalidTopicException.code()
        );
    }

    #[tokio::test]
    async fn describes_this_broker_and_refuses_others() {
        let state = state();
        state
            .dynamic_configs
            .write()
            .insert("log.retention.ms".into(), "5".into());
        let response = describe(
            &state,
            4,
            vec![
                resource(
                    BROKER,
                    "1",
                    Some(&[
                        "log.retention.ms",
                        "num.partitions",
                        "ssl.key.password",
                        "node.id",
                    ]),
                ),
                resource(BROKER, "7", None),
                resource(BROKER, "x", None),
                resource(BROKER, "", None),
            ],
        )
        .await;
        let configs = &response.results[0].configs;
        let get = |n: &str| configs.iter().find(|c| c.name.as_str() == n).unwrap();
        assert_eq!(get("log.retention.ms").value.as_deref(), Some("5"));
        assert_eq!(
            get("log.retention.ms").config_source,
            ConfigSource::DynamicBrokerConfig as i8
        );
        assert!(!get("log.retention.ms").read_only);
        assert!(get("num.partitions").read_only);
        assert_eq!(
            get("num.partitions").config_source,
            ConfigSource::DefaultConfig as i8
        );
        assert_eq!(
            get("node.id").config_source,
            ConfigSource::StaticBrokerConfig as i8
        );
        assert!(get("ssl.key.password").is_sensitive);
        assert_eq!(
            response.results[1].error_code,
            ResponseError::InvalidRequest.code()
        );
        assert_eq!(
            response.results[1].error_message.as_deref(),
            Some("Unexpected broker id, expected 1 or empty string, but received 7")
        );
        assert_eq!(
            response.results[2].error_message.as_deref(),
            Some("Broker id must be an integer, but it is: x")
        );
        assert_eq!(response.results[3].error_code, 0);
        // A fresh Kafka 4 cluster has exactly one cluster-wide default: min.insync.replicas.
        let defaults: Vec<_> = response.results[3]
            .configs
            .iter()
            .map(|c| (c.name.as_str(), c.value.as_deref(), c.config_source))
            .collect();
        assert_eq!(defaults, [("min.insync.replicas", Some("1"), 3)]);
    }
}
