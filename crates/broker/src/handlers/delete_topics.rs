//! DeleteTopics: deletes topics named in the request (v1-v5), or named or identified by id
//! (v6), as Kafka's controller does: unknown names get UNKNOWN_TOPIC_OR_PARTITION, unknown ids
//! UNKNOWN_TOPIC_ID, repeated names or ids INVALID_REQUEST; `delete.topic.enable=false` refuses
//! every deletion.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use crate::dispatch::Ctx;

/// A topic the request refers to, by name or by id.
#[derive(Clone, PartialEq)]
enum Wanted {
    Name(TopicName),
    Id(Uuid),
}

pub async fn handle(ctx: &Ctx<'_>, request: DeleteTopicsRequest) -> DeleteTopicsResponse {
    let mut results = Vec::new();
    let mut wanted = Vec::new();
    for name in request.topic_names {
        wanted.push(Wanted::Name(name));
    }
    for topic in request.topics {
        match (topic.name, topic.topic_id.is_nil()) {
            (None, true) => results.push(result(
                ctx,
                None,
                Uuid::nil(),
                ResponseError::InvalidRequest,
                Some("Neither topic name nor id were specified."),
            )),
            (None, false) => wanted.push(Wanted::Id(topic.topic_id)),
            (Some(name), true) => wanted.push(Wanted::Name(name)),
            (Some(name), false) => results.push(result(
                ctx,
                Some(name),
                topic.topic_id,
                ResponseError::InvalidRequest,
                Some("You may not specify both topic name and topic id."),
            )),
        }
    }
    let enabled = ctx
        .state
        .with_config_layers(|layers| layers.get("delete.topic.enable").map(|(v, _)| v))
        .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
    let mut reported: Vec<Wanted> = Vec::new();
    for topic in &wanted {
        if reported.contains(topic) {
            continue;
        }
        reported.push(topic.clone());
        let repeated = wanted.iter().filter(|w| *w == topic).count() > 1;
        results.push(delete(ctx, topic, repeated, enabled));
    }
    DeleteTopicsResponse::default().with_responses(results)
}

fn delete(ctx: &Ctx<'_>, topic: &Wanted, repeated: bool, enabled: bool) -> DeletableTopicResult {
    let (name, id) = match topic {
        Wanted::Name(name) => (Some(name.clone()), Uuid::nil()),
        Wanted::Id(id) => (None, *id),
    };
    if repeated {
        let message = match topic {
            Wanted::Name(_) => "Duplicate topic name.",
            Wanted::Id(_) => "Duplicate topic id.",
        };
        return result(ctx, name, id, ResponseError::InvalidRequest, Some(message));
    }
    if !enabled {
        return if ctx.version < 3 {
            result(
                ctx,
                name,
                id,
                ResponseError::InvalidRequest,
                Some("Topic deletion is disabled."),
            )
        } else {
            result(ctx, name, id, ResponseError::TopicDeletionDisabled, None)
        };
    }
    let found = match topic {
        Wanted::Name(name) => ctx.state.topic(name),
        Wanted::Id(id) => ctx.state.topic_by_id(*id),
    };
    let Some(found) = found else {
        let error = match topic {
            Wanted::Name(_) => ResponseError::UnknownTopicOrPartition,
            Wanted::Id(_) => ResponseError::UnknownTopicId,
        };
        let message = match topic {
            Wanted::Name(_) => "This server does not host this topic-partition.",
            Wanted::Id(_) => "This server does not host this topic ID.",
        };
        return result(ctx, name, id, error, Some(message));
    };
    ctx.state.delete_topic(&found.name);
    let name = TopicName(StrBytes::from_string(found.name.clone()));
    DeletableTopicResult::default()
        .with_name(Some(name))
        .with_topic_id(if ctx.version >= 6 {
            found.id
        } else {
            Uuid::nil()
        })
        .with_error_message(None)
}

fn result(
    ctx: &Ctx<'_>,
    name: Option<TopicName>,
    id: Uuid,
    error: ResponseError,
    message: Option<&str>,
) -> DeletableTopicResult {
    let mut result = DeletableTopicResult::default()
        .with_name(name)
        .with_error_code(error.code())
        .with_error_message(None);
    if ctx.version >= 5 {
        result.error_message = message.map(|m| StrBytes::from_string(m.to_string()));
    }
    if ctx.version >= 6 {
        result.topic_id = id;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::test_support::{ctx_at, encodes_at_every_version, state, versions};
    use crate::state::State;
    use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
    use kafka_protocol::messages::ApiKey;
    use std::collections::BTreeMap;

    fn name(n: &str) -> TopicName {
        TopicName(StrBytes::from_string(n.to_string()))
    }

    async fn delete_names(state: &State, version: i16, names: &[&str]) -> DeleteTopicsResponse {
        let request = DeleteTopicsRequest::default()
            .with_topic_names(names.iter().map(|n| name(n)).collect());
        let response = handle(&ctx_at(state, version), request).await;
        encodes_at_every_version(ApiKey::DeleteTopics, version, &response);
        response
    }

    #[tokio::test]
    async fn deletes_by_name_and_reports_unknown_ones() {
        for version in versions(ApiKey::DeleteTopics).filter(|v| *v < 6) {
            let state = state();
            state.create_topic("gone", 1, BTreeMap::new()).unwrap();
            let response = delete_names(&state, version, &["gone", "never"]).await;
            let codes: Vec<_> = response.responses.iter().map(|r| r.error_code).collect();
            assert_eq!(
                codes,
                vec![0, ResponseError::UnknownTopicOrPartition.code()]
            );
            assert!(state.topic("gone").is_none());
        }
    }

    #[tokio::test]
    async fn v6_deletes_by_id() {
        let state = state();
        let id = state.create_topic("by-id", 1, BTreeMap::new()).unwrap().id;
        let unknown = Uuid::new_v4();
        let request = DeleteTopicsRequest::default().with_topics(vec![
            DeleteTopicState::default().with_topic_id(id),
            DeleteTopicState::default().with_topic_id(unknown),
            DeleteTopicState::default()
                .with_name(Some(name("x")))
                .with_topic_id(unknown),
        ]);
        let response = handle(&ctx_at(&state, 6), request).await;
        encodes_at_every_version(ApiKey::DeleteTopics, 6, &response);
        let outcomes: Vec<_> = response
            .responses
            .iter()
            .map(|r| {
                (
                    r.name.as_ref().map(|n| n.as_str().to_string()),
                    r.error_code,
                )
            })
            .collect();
        assert_eq!(
            outcomes,
            vec![
                (Some("x".to_string()), ResponseError::InvalidRequest.code()),
                (Some("by-id".to_string()), 0),
                (None, ResponseError::UnknownTopicId.code()),
            ]
        );
        assert!(state.topic("by-id").is_none());
    }

    #[tokio::test]
    async fn repeated_names_are_refused() {
        let state = state();
        state.create_topic("twice", 1, BTreeMap::new()).unwrap();
        let response = delete_names(&state, 5, &["twice", "twice"]).await;
        assert_eq!(response.responses.len(), 1);
        assert_eq!(
            response.responses[0].error_code,
            ResponseError::InvalidRequest.code()
        );
        assert!(state.topic("twice").is_some());
    }
}
