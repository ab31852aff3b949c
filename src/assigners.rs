//! Custom partition assigners, which live in JavaScript: `JsAssigners` answers the consumer's
//! membership code (their JoinGroup protocols, and the assignment when this member leads) by
//! calling one JavaScript function through a thread-safe function and awaiting the promise it
//! returns. What an assigner throws comes back as the outcome's `error`; JavaScript keeps the
//! thrown value itself to report it.

use std::sync::Arc;

use bytes::Bytes;
use ferrokafka_client::consumer::{AssignmentRequest, CustomAssignors, EncodedAssignment};
use ferrokafka_client::Error as ClientError;
use ferrokafka_client::TopicMetadata;
use futures::future::BoxFuture;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;

/// One partition in kafkajs's `PartitionMetadata` shape.
#[napi(object)]
pub struct JsAssignerPartition {
    pub partition_error_code: i32,
    pub partition_id: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline_replicas: Vec<i32>,
}

/// A topic's partitions, for `cluster.findTopicPartitionMetadata`.
#[napi(object)]
pub struct JsTopicMetadata {
    pub topic: String,
    pub partitions: Vec<JsAssignerPartition>,
}

impl From<&TopicMetadata> for JsTopicMetadata {
    fn from(topic: &TopicMetadata) -> Self {
        JsTopicMetadata {
            topic: topic.name.clone(),
            partitions: topic
                .partitions
                .iter()
                .map(|p| JsAssignerPartition {
                    partition_error_code: p.error_code.into(),
                    partition_id: p.partition,
                    leader: p.leader,
                    replicas: p.replicas.clone(),
                    isr: p.isr.clone(),
                    offline_replicas: p.offline_replicas.clone(),
                })
                .collect(),
        }
    }
}

/// A group member in kafkajs's `GroupMember` shape.
#[napi(object)]
pub struct JsGroupMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub member_metadata: Buffer,
}

/// What JavaScript is asked: `kind` is `protocols` (every custom assigner's `protocol({
/// topics })`) or `assign` (the assigner `name`'s `assign({ members, topics })`, with the
/// partition metadata of the group's topics).
#[napi(object)]
pub struct AssignerCall {
    pub kind: String,
    pub topics: Vec<String>,
    pub name: Option<String>,
    pub members: Option<Vec<JsGroupMember>>,
    pub metadata: Option<Vec<JsTopicMetadata>>,
}

/// A JoinGroup protocol as an assigner's `protocol()` returns it.
#[napi(object)]
pub struct JsProtocol {
    pub name: String,
    pub metadata: Buffer,
}

/// One member's encoded assignment.
#[napi(object)]
pub struct JsMemberAssignment {
    pub member_id: String,
    pub member_assignment: Buffer,
}

/// JavaScript's answer: the protocols, the assignments, or what the assigner threw.
#[napi(object)]
pub struct AssignerOutcome {
    pub protocols: Option<Vec<JsProtocol>>,
    pub assignments: Option<Vec<JsMemberAssignment>>,
    pub error: Option<String>,
}

type ClientResult<T> = std::result::Result<T, ClientError>;

type CallJs =
    ThreadsafeFunction<AssignerCall, Promise<AssignerOutcome>, AssignerCall, Status, false, true>;

/// The custom assigners of one consumer, reached through the JavaScript function given at
/// construction. The function does not keep Node alive: a running consumer does.
pub struct JsAssigners {
    call: Arc<CallJs>,
}

impl JsAssigners {
    pub fn new(callback: Function<'_, AssignerCall, Promise<AssignerOutcome>>) -> Result<Self> {
        let call = callback
            .build_threadsafe_function::<AssignerCall>()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsAssigners {
            call: Arc::new(call),
        })
    }

    /// Asks JavaScript; an assigner's throw is `Error::Assignor { thrown: true }`.
    fn ask(&self, call: AssignerCall) -> BoxFuture<'static, ClientResult<AssignerOutcome>> {
        let js = self.call.clone();
        Box::pin(async move {
            let failed = |e: napi::Error| ClientError::Assignor {
                message: format!("the partition assigner could not be called: {}", e.reason),
                thrown: false,
                retriable: false,
            };
            let outcome = js
                .call_async(call)
                .await
                .map_err(failed)?
                .await
                .map_err(failed)?;
            match outcome.error {
                Some(message) => Err(ClientError::Assignor {
                    message,
                    thrown: true,
                    retriable: false,
                }),
                None => Ok(outcome),
            }
        })
    }
}

fn bytes_of(buffer: Buffer) -> Bytes {
    Bytes::from(buffer.to_vec())
}

impl CustomAssignors for JsAssigners {
    fn protocols(
        &self,
        topics: Vec<String>,
    ) -> BoxFuture<'static, ClientResult<Vec<(String, Bytes)>>> {
        let asked = self.ask(AssignerCall {
            kind: "protocols".to_string(),
            topics,
            name: None,
            members: None,
            metadata: None,
        });
        Box::pin(async move {
            Ok(asked
                .await?
                .protocols
                .unwrap_or_default()
                .into_iter()
                .map(|p| (p.name, bytes_of(p.metadata)))
                .collect())
        })
    }

    fn assign(
        &self,
        request: AssignmentRequest,
    ) -> BoxFuture<'static, ClientResult<Vec<EncodedAssignment>>> {
        let asked = self.ask(AssignerCall {
            kind: "assign".to_string(),
            topics: request.topics,
            name: Some(request.assignor),
            members: Some(
                request
                    .members
                    .into_iter()
                    .map(|m| JsGroupMember {
                        member_id: m.member_id,
                        group_instance_id: m.group_instance_id,
                        member_metadata: Buffer::from(m.metadata.to_vec()),
                    })
                    .collect(),
            ),
            metadata: Some(request.metadata.iter().map(JsTopicMetadata::from).collect()),
        });
        Box::pin(async move {
            Ok(asked
                .await?
                .assignments
                .unwrap_or_default()
                .into_iter()
                .map(|a| (a.member_id, bytes_of(a.member_assignment)))
                .collect())
        })
    }
}
