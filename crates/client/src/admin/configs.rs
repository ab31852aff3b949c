//! DescribeConfigs and AlterConfigs: broker (and broker-logger) resources go to the broker they
//! name, every other resource to the controller, as the Java and kafkajs clients do.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::alter_configs_request::{
    AlterConfigsResource as WireAlterResource, AlterableConfig,
};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::{
    AlterConfigsRequest as WireAlterConfigs, DescribeConfigsRequest as WireDescribeConfigs,
};
use serde::{Deserialize, Serialize};

use super::topics::ConfigValueEntry;
use super::{check, str_bytes, Admin};
use crate::error::Result;
use crate::retry::RetryError;

/// ConfigResourceTypes.BROKER and BROKER_LOGGER: resources answered by the named broker only.
const BROKER: i8 = 4;
const BROKER_LOGGER: i8 = 8;
/// ConfigSource.DEFAULT_CONFIG.
const DEFAULT_CONFIG: i8 = 5;

/// kafkajs's `describeConfigs` argument.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeConfigsRequest {
    pub resources: Vec<ResourceQuery>,
    #[serde(default)]
    pub include_synonyms: bool,
}

/// A resource whose configs to read; no names (or none listed) means all of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceQuery {
    #[serde(rename = "type")]
    pub resource_type: i8,
    pub name: String,
    pub config_names: Option<Vec<String>>,
}

/// A described resource, in kafkajs's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribedResource {
    pub error_code: i16,
    pub error_message: Option<String>,
    pub resource_type: i8,
    pub resource_name: String,
    pub config_entries: Vec<ConfigEntry>,
}

/// One config of a described resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigEntry {
    pub config_name: String,
    pub config_value: Option<String>,
    pub read_only: bool,
    pub is_default: bool,
    pub config_source: i8,
    pub is_sensitive: bool,
    pub config_synonyms: Vec<ConfigSynonym>,
}

/// A config's synonym (asked for with `includeSynonyms`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSynonym {
    pub config_name: String,
    pub config_value: Option<String>,
    pub config_source: i8,
}

/// kafkajs's `alterConfigs` argument.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlterConfigsRequest {
    pub resources: Vec<AlterConfigsResource>,
    #[serde(default)]
    pub validate_only: bool,
}

/// A resource and the configs to set on it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlterConfigsResource {
    #[serde(rename = "type")]
    pub resource_type: i8,
    pub name: String,
    pub config_entries: Vec<ConfigValueEntry>,
}

/// An altered resource's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlteredResource {
    pub error_code: i16,
    pub error_message: Option<String>,
    pub resource_type: i8,
    pub resource_name: String,
}

/// Where a resource's request goes: `None` for the controller, else a broker id.
fn target(resource_type: i8, name: &str) -> Option<i32> {
    if resource_type == BROKER || resource_type == BROKER_LOGGER {
        name.parse().ok()
    } else {
        None
    }
}

/// Groups items by target, in the order each target first appears.
fn by_target<T: Clone>(items: &[T], key: impl Fn(&T) -> Option<i32>) -> Vec<(Option<i32>, Vec<T>)> {
    let mut groups: Vec<(Option<i32>, Vec<T>)> = Vec::new();
    for item in items {
        let k = key(item);
        match groups.iter_mut().find(|(target, _)| *target == k) {
            Some((_, group)) => group.push(item.clone()),
            None => groups.push((k, vec![item.clone()])),
        }
    }
    groups
}

impl Admin {
    async fn config_target(
        &self,
        node: Option<i32>,
    ) -> Result<std::sync::Arc<crate::connection::Connection>> {
        match node {
            Some(id) => {
                self.cluster.refresh(&[], false).await?;
                self.cluster.connection_to_node(id).await
            }
            None => self.controller().await,
        }
    }

    /// Reads resources' configs; the first resource error fails the call.
    pub async fn describe_configs(
        &self,
        request: DescribeConfigsRequest,
    ) -> Result<Vec<DescribedResource>, RetryError> {
        let groups = by_target(&request.resources, |r| target(r.resource_type, &r.name));
        self.retrying(&[ResponseError::NotController], || async {
            let mut described = Vec::new();
            for (node, resources) in &groups {
                let connection = self.config_target(*node).await?;
                let wire = WireDescribeConfigs::default()
                    .with_include_synonyms(request.include_synonyms)
                    .with_resources(
                        resources
                            .iter()
                            .map(|r| {
                                DescribeConfigsResource::default()
                                    .with_resource_type(r.resource_type)
                                    .with_resource_name(str_bytes(&r.name))
                                    .with_configuration_keys(
                                        r.config_names
                                            .as_ref()
                                            .filter(|names| !names.is_empty())
                                            .map(|names| {
                                                names.iter().map(|n| str_bytes(n)).collect()
                                            }),
                                    )
                            })
                            .collect(),
                    );
                let response = connection.send(&wire).await?;
                for result in &response.results {
                    check(result.error_code)?;
                }
                described.extend(response.results.into_iter().map(|r| {
                    DescribedResource {
                        error_code: r.error_code,
                        error_message: r.error_message.map(|m| m.to_string()),
                        resource_type: r.resource_type,
                        resource_name: r.resource_name.to_string(),
                        config_entries: r
                            .configs
                            .into_iter()
                            .map(|c| ConfigEntry {
                                config_name: c.name.to_string(),
                                config_value: c.value.map(|v| v.to_string()),
                                read_only: c.read_only,
                                is_default: c.config_source == DEFAULT_CONFIG,
                                config_source: c.config_source,
                                is_sensitive: c.is_sensitive,
                                config_synonyms: c
                                    .synonyms
                                    .into_iter()
                                    .map(|s| ConfigSynonym {
                                        config_name: s.name.to_string(),
                                        config_value: s.value.map(|v| v.to_string()),
                                        config_source: s.source,
                                    })
                                    .collect(),
                            })
                            .collect(),
                    }
                }));
            }
            Ok(described)
        })
        .await
    }

    /// Replaces resources' configs; the first resource error fails the call.
    pub async fn alter_configs(
        &self,
        request: AlterConfigsRequest,
    ) -> Result<Vec<AlteredResource>, RetryError> {
        let groups = by_target(&request.resources, |r| target(r.resource_type, &r.name));
        self.retrying(&[ResponseError::NotController], || async {
            let mut altered = Vec::new();
            for (node, resources) in &groups {
                let connection = self.config_target(*node).await?;
                let wire = WireAlterConfigs::default()
                    .with_validate_only(request.validate_only)
                    .with_resources(
                        resources
                            .iter()
                            .map(|r| {
                                WireAlterResource::default()
                                    .with_resource_type(r.resource_type)
                                    .with_resource_name(str_bytes(&r.name))
                                    .with_configs(
                                        r.config_entries
                                            .iter()
                                            .map(|c| {
                                                AlterableConfig::default()
                                                    .with_name(str_bytes(&c.name))
                                                    .with_value(c.value.as_deref().map(str_bytes))
                                            })
                                            .collect(),
                                    )
                            })
                            .collect(),
                    );
                let response = connection.send(&wire).await?;
                for result in &response.responses {
                    check(result.error_code)?;
                }
                altered.extend(response.responses.into_iter().map(|r| AlteredResource {
                    error_code: r.error_code,
                    error_message: r.error_message.map(|m| m.to_string()),
                    resource_type: r.resource_type,
                    resource_name: r.resource_name.to_string(),
                }));
            }
            Ok(altered)
        })
        .await
    }
}
