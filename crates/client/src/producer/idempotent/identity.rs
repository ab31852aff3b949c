//! The producer id and epoch an idempotent producer writes into its record batches, and
//! InitProducerId, which assigns them: a fresh id, the id of a transactional id (fencing older
//! producers with the same transactional id), or the next epoch of the current id (KIP-360).

use kafka_protocol::messages::{InitProducerIdRequest, ProducerId, TransactionalId};
use kafka_protocol::protocol::StrBytes;

use crate::connection::Connection;
use crate::error::{Error, Result};

/// A producer id and epoch; [`ProducerIdentity::NONE`] until InitProducerId assigns one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerIdentity {
    pub id: i64,
    pub epoch: i16,
}

impl ProducerIdentity {
    pub const NONE: ProducerIdentity = ProducerIdentity { id: -1, epoch: -1 };

    pub fn is_assigned(&self) -> bool {
        self.id >= 0
    }
}

/// The first InitProducerId version that carries the current id and epoch, so the broker bumps
/// the epoch instead of assigning a new id.
const EPOCH_BUMP_VERSION: i16 = 3;

/// Sends InitProducerId on `connection`: for `transactional_id` (to its transaction
/// coordinator) or for a plain idempotent producer (to any broker). With `current`, a broker
/// that knows KIP-360 bumps that id's epoch; older ones assign a new id.
pub async fn init_producer_id(
    connection: &Connection,
    transactional_id: Option<&str>,
    transaction_timeout_ms: i32,
    current: Option<ProducerIdentity>,
) -> Result<ProducerIdentity> {
    let version = connection.version_of::<InitProducerIdRequest>()?;
    let mut request = InitProducerIdRequest::default()
        .with_transactional_id(
            transactional_id.map(|id| TransactionalId(StrBytes::from_string(id.to_string()))),
        )
        .with_transaction_timeout_ms(transaction_timeout_ms);
    if let Some(current) = current.filter(|_| version >= EPOCH_BUMP_VERSION) {
        request.producer_id = ProducerId(current.id);
        request.producer_epoch = current.epoch;
    }
    let response = connection.send_at(&request, version).await?;
    if let Some(error) = Error::from_transaction_code(response.error_code) {
        return Err(error);
    }
    Ok(ProducerIdentity {
        id: response.producer_id.0,
        epoch: response.producer_epoch,
    })
}
