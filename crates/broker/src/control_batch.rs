//! Transaction markers in Kafka's control record format: a batch with the transactional and
//! control attributes, the producer's id and epoch, base sequence -1 and one record whose key is
//! `{version: int16 = 0, type: int16}` (0 abort, 1 commit) and whose value is
//! `{version: int16 = 0, coordinator_epoch: int32}`.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use crate::producer_state::{Marker, NO_SEQUENCE};

const ABORT: i16 = 0;
const COMMIT: i16 = 1;

/// The marker's batch, ready for the log (base offset 0 until the log assigns one).
pub fn encode(marker: &Marker) -> Bytes {
    let mut key = BytesMut::with_capacity(4);
    key.put_i16(0);
    key.put_i16(if marker.commit { COMMIT } else { ABORT });
    let mut value = BytesMut::with_capacity(6);
    value.put_i16(0);
    value.put_i32(marker.coordinator_epoch);
    let record = Record {
        transactional: true,
        control: true,
        delete_horizon: false,
        partition_leader_epoch: 0,
        producer_id: marker.producer_id,
        producer_epoch: marker.epoch,
        timestamp_type: TimestampType::Creation,
        offset: 0,
        sequence: NO_SEQUENCE,
        timestamp: marker.timestamp,
        key: Some(key.freeze()),
        value: Some(value.freeze()),
        headers: IndexMap::new(),
    };
    let mut out = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut out,
        [&record],
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .expect("an uncompressed control batch always encodes");
    out.freeze()
}

/// The marker a control batch from the log holds, if it is a commit or abort marker.
pub fn decode(batch: &Bytes) -> Option<Marker> {
    let mut data = batch.clone();
    let records = RecordBatchDecoder::decode(&mut data).ok()?.records;
    let record = records.first().filter(|r| r.control)?;
    let mut key = record.key.clone()?;
    let mut value = record.value.clone()?;
    if key.remaining() < 4 || value.remaining() < 6 {
        return None;
    }
    let commit = match (key.get_i16(), key.get_i16()) {
        (_, ABORT) => false,
        (_, COMMIT) => true,
        _ => return None,
    };
    value.get_i16();
    Some(Marker {
        producer_id: record.producer_id,
        epoch: record.producer_epoch,
        coordinator_epoch: value.get_i32(),
        commit,
        timestamp: record.timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrokafka_wire::record_batch::validate_batches;
    use kafka_protocol::records::RecordBatchDecoder;

    #[test]
    fn markers_are_valid_control_batches() {
        for commit in [true, false] {
            let marker = Marker {
                producer_id: 42,
                epoch: 3,
                coordinator_epoch: 7,
                commit,
                timestamp: 1_700_000_000_000,
            };
            let bytes = encode(&marker);
            let batches = validate_batches(&bytes).unwrap();
            let header = batches[0].0;
            assert!(header.is_control() && header.is_transactional());
            assert_eq!(
                (
                    header.producer_id,
                    header.producer_epoch,
                    header.base_sequence
                ),
                (42, 3, -1)
            );
            assert_eq!(header.record_count, 1);
            let mut data = bytes.clone();
            let records = RecordBatchDecoder::decode(&mut data).unwrap().records;
            let mut key = records[0].key.clone().unwrap();
            assert_eq!((key.get_i16(), key.get_i16()), (0, i16::from(commit)));
            let mut value = records[0].value.clone().unwrap();
            assert_eq!((value.get_i16(), value.get_i32()), (0, 7));
            assert_eq!(decode(&bytes), Some(marker));
        }
    }
}
