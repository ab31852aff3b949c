//! One client connection: frames are read and handled one at a time, as Kafka does, and the
//! responses are written in request order by a writer that coalesces them into few syscalls.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

use crate::dispatch;
use crate::state::State;

/// Responses waiting for the writer; reading pauses when this many are queued.
const QUEUED_RESPONSES: usize = 64;
/// Coalesced responses are flushed once this many bytes are buffered.
const WRITE_BATCH_BYTES: usize = 256 * 1024;

/// Serves one connection until the peer closes it, sends something unparseable, or the broker
/// shuts down.
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    state: Arc<State>,
    shutdown: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let (read_half, write_half) = stream.into_split();
    let mut frames = FramedRead::new(
        read_half,
        ferrokafka_wire::frame::codec(state.config.max_request_bytes),
    );
    let (responses, queued) = mpsc::channel::<BytesMut>(QUEUED_RESPONSES);
    let reader = async move {
        loop {
            let frame = tokio::select! {
                _ = shutdown.cancelled() => break,
                frame = frames.next() => frame,
            };
            let frame = match frame {
                Some(Ok(frame)) => frame.freeze(),
                Some(Err(error)) => {
                    tracing::debug!(%peer, %error, "closing connection: bad frame");
                    break;
                }
                None => break,
            };
            let handled = tokio::select! {
                _ = shutdown.cancelled() => break,
                handled = dispatch::handle(&state, peer, frame) => handled,
            };
            match handled {
                Ok(Some(response)) => {
                    if responses.send(response).await.is_err() {
                        break;
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(%peer, %error, "closing connection");
                    break;
                }
            }
        }
    };
    tokio::join!(reader, write_responses(write_half, queued));
}

async fn write_responses(mut socket: OwnedWriteHalf, mut queued: mpsc::Receiver<BytesMut>) {
    while let Some(mut out) = queued.recv().await {
        while out.len() < WRITE_BATCH_BYTES {
            match queued.try_recv() {
                Ok(next) => out.extend_from_slice(&next),
                Err(_) => break,
            }
        }
        if socket.write_all(&out).await.is_err() {
            return;
        }
    }
    let _ = socket.shutdown().await;
}
