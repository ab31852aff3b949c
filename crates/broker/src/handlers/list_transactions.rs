//! ListTransactions: every transactional id with its producer id and state, filtered as Kafka
//! filters: by state names (names Kafka does not know are echoed back as unknown), by producer
//! id, by running longer than a duration (v1+), and by a regular expression the whole id must
//! match (v2+; an invalid one gets INVALID_REGULAR_EXPRESSION).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::list_transactions_response::TransactionState;
use kafka_protocol::messages::{
    ListTransactionsRequest, ListTransactionsResponse, ProducerId, TransactionalId,
};
use kafka_protocol::protocol::StrBytes;
use regex::Regex;

use crate::dispatch::Ctx;
use crate::txn::{self, metadata::KAFKA_STATE_NAMES};

pub async fn handle(ctx: &Ctx<'_>, request: ListTransactionsRequest) -> ListTransactionsResponse {
    let pattern = match request.transactional_id_pattern.as_deref() {
        Some(pattern) if ctx.version >= 2 && !pattern.is_empty() => {
            match Regex::new(&format!("^(?:{pattern})$")) {
                Ok(regex) => Some(regex),
                Err(_) => {
                    return ListTransactionsResponse::default()
                        .with_error_code(ResponseError::InvalidRegularExpression.code())
                }
            }
        }
        _ => None,
    };
    let (known, unknown): (Vec<_>, Vec<_>) = request
        .state_filters
        .iter()
        .partition(|name| KAFKA_STATE_NAMES.contains(&name.as_str()));
    let duration = if ctx.version >= 1 {
        request.duration_filter
    } else {
        -1
    };
    let now = txn::now_ms();
    let states = ctx
        .state
        .txns
        .all()
        .into_iter()
        .filter(|t| {
            (request.producer_id_filters.is_empty()
                || request
                    .producer_id_filters
                    .contains(&ProducerId(t.producer_id)))
                && (request.state_filters.is_empty()
                    || known.iter().any(|name| name.as_str() == t.state))
                && (duration < 0 || now - t.start_ms > duration)
                && pattern
                    .as_ref()
                    .is_none_or(|p| p.is_match(&t.transactional_id))
        })
        .map(|t| {
            TransactionState::default()
                .with_transactional_id(TransactionalId(StrBytes::from_string(t.transactional_id)))
                .with_producer_id(ProducerId(t.producer_id))
                .with_transaction_state(StrBytes::from_static_str(t.state))
        })
        .collect();
    ListTransactionsResponse::default()
        .with_unknown_state_filters(unknown.into_iter().cloned().collect())
        .with_transaction_states(states)
}
