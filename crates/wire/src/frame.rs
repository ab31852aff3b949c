//! Length-prefixed framing: every Kafka request and response is an int32 size followed by that
//! many bytes. The codec checks the size before allocating anything for the frame.

use tokio_util::codec::LengthDelimitedCodec;

/// Kafka's default `socket.request.max.bytes`: 100 MiB.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 100 * 1024 * 1024;

/// A codec for Kafka frames whose length prefix may not exceed `max_frame_bytes`.
///
/// A larger prefix makes the decoder fail before it reserves any buffer space.
pub fn codec(max_frame_bytes: usize) -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_type::<u32>()
        .max_frame_length(max_frame_bytes)
        .new_codec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{BufMut, BytesMut};
    use tokio_util::codec::Decoder;

    #[test]
    fn decodes_a_frame_and_rejects_an_oversized_prefix() {
        let mut codec = codec(16);
        let mut buf = BytesMut::new();
        buf.put_u32(3);
        buf.put_slice(b"abc");
        assert_eq!(&codec.decode(&mut buf).unwrap().unwrap()[..], b"abc");

        let mut huge = BytesMut::new();
        huge.put_u32(u32::MAX);
        assert!(codec.decode(&mut huge).is_err());
        assert!(huge.capacity() < 1024);
    }
}
