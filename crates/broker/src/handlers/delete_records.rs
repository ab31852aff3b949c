//! DeleteRecords (TODO: implement).

use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};

use crate::dispatch::Ctx;

pub async fn handle(_ctx: &Ctx<'_>, _request: DeleteRecordsRequest) -> DeleteRecordsResponse {
    DeleteRecordsResponse::default()
}
