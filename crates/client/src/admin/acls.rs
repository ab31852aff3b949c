//! CreateAcls, DescribeAcls and DeleteAcls, sent to the controller. A broker without an
//! authorizer answers them with SECURITY_DISABLED, which fails the call as it does in kafkajs.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::delete_acls_request::DeleteAclsFilter;
use kafka_protocol::messages::{CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest};
use kafka_protocol::protocol::StrBytes;
use serde::{Deserialize, Serialize};

use super::{check, str_bytes, Admin};
use crate::retry::RetryError;

/// One ACL binding, as kafkajs's `createAcls` takes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AclEntry {
    pub resource_type: i8,
    pub resource_name: String,
    pub resource_pattern_type: i8,
    pub principal: String,
    pub host: String,
    pub operation: i8,
    pub permission_type: i8,
}

/// An ACL filter (`describeAcls`, `deleteAcls`); absent strings match anything.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AclFilter {
    pub resource_type: i8,
    pub resource_name: Option<String>,
    pub resource_pattern_type: i8,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: i8,
    pub permission_type: i8,
}

/// A resource and its ACLs in `describeAcls`'s result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AclResource {
    pub resource_type: i8,
    pub resource_name: String,
    pub resource_pattern_type: i8,
    pub acls: Vec<AclRule>,
}

/// One ACL of a resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AclRule {
    pub principal: String,
    pub host: String,
    pub operation: i8,
    pub permission_type: i8,
}

/// A filter's result in `deleteAcls`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteAclsFilterResult {
    pub error_code: i16,
    pub error_message: Option<String>,
    pub matching_acls: Vec<MatchingAcl>,
}

/// An ACL a filter deleted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchingAcl {
    pub error_code: i16,
    pub error_message: Option<String>,
    pub resource_type: i8,
    pub resource_name: String,
    pub resource_pattern_type: i8,
    pub principal: String,
    pub host: String,
    pub operation: i8,
    pub permission_type: i8,
}

fn optional(value: &Option<String>) -> Option<StrBytes> {
    value.as_deref().map(str_bytes)
}

impl Admin {
    /// Creates ACLs; the first failed creation fails the call.
    pub async fn create_acls(&self, acl: Vec<AclEntry>) -> Result<(), RetryError> {
        let request = CreateAclsRequest::default().with_creations(
            acl.iter()
                .map(|a| {
                    AclCreation::default()
                        .with_resource_type(a.resource_type)
                        .with_resource_name(str_bytes(&a.resource_name))
                        .with_resource_pattern_type(a.resource_pattern_type)
                        .with_principal(str_bytes(&a.principal))
                        .with_host(str_bytes(&a.host))
                        .with_operation(a.operation)
                        .with_permission_type(a.permission_type)
                })
                .collect(),
        );
        self.retrying(&[ResponseError::NotController], || async {
            let response = self.controller().await?.send(&request).await?;
            for result in &response.results {
                check(result.error_code)?;
            }
            Ok(())
        })
        .await
    }

    /// The ACLs matching `filter`, by resource.
    pub async fn describe_acls(&self, filter: AclFilter) -> Result<Vec<AclResource>, RetryError> {
        let request = DescribeAclsRequest::default()
            .with_resource_type_filter(filter.resource_type)
            .with_resource_name_filter(optional(&filter.resource_name))
            .with_pattern_type_filter(filter.resource_pattern_type)
            .with_principal_filter(optional(&filter.principal))
            .with_host_filter(optional(&filter.host))
            .with_operation(filter.operation)
            .with_permission_type(filter.permission_type);
        let response = self
            .retrying(&[ResponseError::NotController], || async {
                let response = self.controller().await?.send(&request).await?;
                check(response.error_code)?;
                Ok(response)
            })
            .await?;
        Ok(response
            .resources
            .into_iter()
            .map(|r| AclResource {
                resource_type: r.resource_type,
                resource_name: r.resource_name.to_string(),
                resource_pattern_type: r.pattern_type,
                acls: r
                    .acls
                    .into_iter()
                    .map(|a| AclRule {
                        principal: a.principal.to_string(),
                        host: a.host.to_string(),
                        operation: a.operation,
                        permission_type: a.permission_type,
                    })
                    .collect(),
            })
            .collect())
    }

    /// Deletes the ACLs matching each filter; any filter or ACL error fails the call.
    pub async fn delete_acls(
        &self,
        filters: Vec<AclFilter>,
    ) -> Result<Vec<DeleteAclsFilterResult>, RetryError> {
        let request = DeleteAclsRequest::default().with_filters(
            filters
                .iter()
                .map(|f| {
                    DeleteAclsFilter::default()
                        .with_resource_type_filter(f.resource_type)
                        .with_resource_name_filter(optional(&f.resource_name))
                        .with_pattern_type_filter(f.resource_pattern_type)
                        .with_principal_filter(optional(&f.principal))
                        .with_host_filter(optional(&f.host))
                        .with_operation(f.operation)
                        .with_permission_type(f.permission_type)
                })
                .collect(),
        );
        let response = self
            .retrying(&[ResponseError::NotController], || async {
                let response = self.controller().await?.send(&request).await?;
                for result in &response.filter_results {
                    check(result.error_code)?;
                }
                for acl in response
                    .filter_results
                    .iter()
                    .flat_map(|r| &r.matching_acls)
                {
                    check(acl.error_code)?;
                }
                Ok(response)
            })
            .await?;
        Ok(response
            .filter_results
            .into_iter()
            .map(|r| DeleteAclsFilterResult {
                error_code: r.error_code,
                error_message: r.error_message.map(|m| m.to_string()),
                matching_acls: r
                    .matching_acls
                    .into_iter()
                    .map(|a| MatchingAcl {
                        error_code: a.error_code,
                        error_message: a.error_message.map(|m| m.to_string()),
                        resource_type: a.resource_type,
                        resource_name: a.resource_name.to_string(),
                        resource_pattern_type: a.pattern_type,
                        principal: a.principal.to_string(),
                        host: a.host.to_string(),
                        operation: a.operation,
                        permission_type: a.permission_type,
                    })
                    .collect(),
            })
            .collect())
    }
}
