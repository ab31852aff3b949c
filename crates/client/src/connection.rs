//! One connection to one broker: requests are pipelined (many in flight, or at most
//! `max_in_flight`, kafkajs's `maxInFlightRequests`, the others waiting their turn in the
//! connection's queue), responses are matched to requests in order (Kafka answers each connection
//! in request order), and the API versions are negotiated with ApiVersions when the connection
//! opens.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures::StreamExt;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use parking_lot::Mutex;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_util::codec::FramedRead;

use crate::error::{Error, Result};
use crate::observer::{now_ms, ObserverHandle, RequestEvent};
use crate::versions::ApiVersionTable;

/// The ApiVersions version tried first; older brokers answer it with their own list (KIP-511).
const API_VERSIONS_FIRST: i16 = 3;
/// Largest response frame accepted.
const MAX_RESPONSE_BYTES: usize = 1 << 30;
/// Frames from this size up are written from their own buffer; smaller ones are gathered into
/// one, so a burst of small requests costs one system call and a large one no copy.
const LARGE_FRAME: usize = 64 << 10;

/// How to open a connection.
#[derive(Debug, Clone)]
pub struct ConnectionOptions {
    pub client_id: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Where request events go, if anywhere.
    pub observer: Option<ObserverHandle>,
    /// Requests written and not yet answered at most; the others wait in the connection's
    /// queue. `None`: no limit.
    pub max_in_flight: Option<usize>,
}

impl Default for ConnectionOptions {
    /// kafkajs's defaults: connectionTimeout 1000 ms, requestTimeout 30000 ms.
    fn default() -> Self {
        ConnectionOptions {
            client_id: "kafkajs".to_string(),
            connect_timeout: Duration::from_millis(1000),
            request_timeout: Duration::from_millis(30_000),
            observer: None,
            max_in_flight: None,
        }
    }
}

/// A request waiting for its response.
struct Pending {
    correlation_id: i32,
    reply: oneshot::Sender<Result<Bytes>>,
    /// Set when the request's events are observed.
    timing: Option<Arc<Timing>>,
}

/// When an observed request was created and written, in ms since the epoch.
struct Timing {
    api: ApiKey,
    version: i16,
    created_at: i64,
    sent_at: AtomicI64,
}

/// Requests waiting for responses, in the order they were written, or why there can be none.
#[derive(Default)]
struct InFlight {
    queue: VecDeque<Pending>,
    closed: Option<Error>,
}

/// What the reader task, the writer task and the senders share.
#[derive(Default)]
struct Shared {
    in_flight: Mutex<InFlight>,
    closed: AtomicBool,
    /// Wakes the writer: a response freed an in-flight slot, or the connection closed.
    freed: Notify,
}

impl Shared {
    /// Registers a request about to be written; fails it at once if the connection is closed.
    fn expect(&self, pending: Pending) {
        let mut in_flight = self.in_flight.lock();
        match &in_flight.closed {
            Some(error) => {
                let _ = pending.reply.send(Err(error.clone()));
            }
            None => in_flight.queue.push_back(pending),
        }
    }

    /// Requests written and not answered yet.
    fn in_flight(&self) -> usize {
        self.in_flight.lock().queue.len()
    }

    /// The error every request fails with once the connection closed.
    fn closed_with(&self) -> Option<Error> {
        self.in_flight.lock().closed.clone()
    }

    fn fail_all(&self, error: Error) {
        let mut in_flight = self.in_flight.lock();
        self.closed.store(true, Ordering::Release);
        for pending in in_flight.queue.drain(..) {
            let _ = pending.reply.send(Err(error.clone()));
        }
        in_flight.closed.get_or_insert(error);
        drop(in_flight);
        self.freed.notify_one();
    }
}

/// A frame to write, and where its response goes (none for acks=0 produce).
struct Outgoing {
    frame: BytesMut,
    pending: Option<Pending>,
}

/// An open, negotiated connection. Cheap to share behind an `Arc`; dropping the last handle
/// closes the socket.
pub struct Connection {
    address: String,
    options: ConnectionOptions,
    outgoing: mpsc::UnboundedSender<Outgoing>,
    shared: Arc<Shared>,
    next_correlation_id: AtomicI32,
    versions: ApiVersionTable,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `address` (`host:port`) and negotiates API versions.
    pub async fn connect(address: &str, options: ConnectionOptions) -> Result<Connection> {
        let opening = async {
            let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
            let resolved: Vec<_> = tokio::net::lookup_host(address)
                .await
                .map_err(|_| Error::not_found(address, host))?
                .collect();
            TcpStream::connect(&resolved[..])
                .await
                .map_err(|e| Error::socket(address, "connect", &e))
        };
        let stream = tokio::time::timeout(options.connect_timeout, opening)
            .await
            .map_err(|_| Error::connection(address, "Connection timeout"))??;
        let _ = stream.set_nodelay(true);
        let (read_half, write_half) = stream.into_split();
        let shared = Arc::new(Shared::default());
        let (outgoing, queued) = mpsc::unbounded_channel();
        tokio::spawn(write_frames(
            write_half,
            queued,
            shared.clone(),
            WriterQueue::new(address, &options),
        ));
        tokio::spawn(read_frames(
            FramedRead::new(read_half, ferrokafka_wire::frame::codec(MAX_RESPONSE_BYTES)),
            shared.clone(),
            address.to_string(),
        ));
        let mut connection = Connection {
            address: address.to_string(),
            options,
            outgoing,
            shared,
            next_correlation_id: AtomicI32::new(0),
            versions: ApiVersionTable::default(),
        };
        connection.versions = connection.negotiate().await?;
        Ok(connection)
    }

    /// The address this connection was opened to.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The negotiated API versions.
    pub fn versions(&self) -> &ApiVersionTable {
        &self.versions
    }

    /// Whether the socket has closed; a closed connection fails every request.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Sends `request` at the newest version both sides support and waits for its response.
    pub async fn send<R: Request>(&self, request: &R) -> Result<R::Response> {
        let version = self.version_of::<R>()?;
        self.send_at(request, version).await
    }

    /// Sends `request` at `version` and waits for its response.
    pub async fn send_at<R: Request>(&self, request: &R, version: i16) -> Result<R::Response> {
        self.start::<R>(request, version)?.await
    }

    /// Sends `request` at `version` and returns its response body undecoded (header read), for
    /// the few responses some brokers send outside their schema.
    pub async fn send_for_body<R: Request>(&self, request: &R, version: i16) -> Result<Bytes> {
        let mut body = self.start_raw(request, version)?.await?;
        ResponseHeader::decode(&mut body, R::Response::header_version(version))
            .map_err(|e| Error::Encoding(e.to_string()))?;
        Ok(body)
    }

    /// Queues `request` at `version` at once, so requests started one after another go out in
    /// that order, and returns the future of its response.
    pub fn start<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<impl Future<Output = Result<R::Response>> + Send + 'static> {
        let response = self.start_raw(request, version)?;
        Ok(async move {
            let mut body = response.await?;
            ResponseHeader::decode(&mut body, R::Response::header_version(version))
                .map_err(|e| Error::Encoding(e.to_string()))?;
            R::Response::decode(&mut body, version).map_err(|e| Error::Encoding(e.to_string()))
        })
    }

    /// Like [`Connection::start`], resolving with the undecoded response (header included).
    /// Reports the request to the observer, if one listens.
    fn start_raw<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<impl Future<Output = Result<Bytes>> + Send + 'static> {
        let api = api_key::<R>();
        let (reply, response) = oneshot::channel();
        let observer = self.options.observer.clone().filter(|o| o.enabled());
        let timing = observer.as_ref().map(|_| {
            let created_at = now_ms();
            Arc::new(Timing {
                api,
                version,
                created_at,
                sent_at: AtomicI64::new(created_at),
            })
        });
        let correlation_id = self.enqueue(request, version, Some(reply), timing.clone())?;
        let timeout = self.options.request_timeout;
        let timed_out = self.timed_out(api, version);
        let closed = self.closed();
        let (broker, client_id) = (self.address.clone(), self.options.client_id.clone());
        let report = move |size: Option<usize>| {
            let (Some(observer), Some(timing)) = (&observer, &timing) else {
                return;
            };
            let sent_at = timing.sent_at.load(Ordering::Relaxed);
            let event = RequestEvent {
                broker,
                client_id,
                correlation_id,
                size: size.unwrap_or(0),
                created_at: timing.created_at,
                sent_at,
                pending_duration: sent_at - timing.created_at,
                duration: now_ms() - sent_at,
                api: timing.api,
                api_version: timing.version,
            };
            match size {
                Some(_) => observer.request(event),
                None => observer.request_timeout(event),
            }
        };
        Ok(async move {
            match tokio::time::timeout(timeout, response).await {
                Ok(body) => {
                    let body = body.map_err(|_| closed)??;
                    report(Some(body.len()));
                    Ok(body)
                }
                Err(_) => {
                    report(None);
                    Err(timed_out)
                }
            }
        })
    }

    /// Sends a request that gets no response (Produce with acks=0).
    pub fn send_without_response<R: Request>(&self, request: &R) -> Result<()> {
        let version = self.version_of::<R>()?;
        self.enqueue(request, version, None, None).map(|_| ())
    }

    /// The negotiated version for `R`.
    pub fn version_of<R: Request>(&self) -> Result<i16> {
        let api = api_key::<R>();
        self.versions.version(api).ok_or(Error::UnsupportedApi(api))
    }

    fn enqueue<R: Request>(
        &self,
        request: &R,
        version: i16,
        reply: Option<oneshot::Sender<Result<Bytes>>>,
        timing: Option<Arc<Timing>>,
    ) -> Result<i32> {
        if self.is_closed() {
            return Err(self.closed());
        }
        let correlation_id = self.next_correlation_id.fetch_add(1, Ordering::Relaxed);
        let frame = encode_request(request, version, correlation_id, &self.options.client_id)?;
        let pending = reply.map(|reply| Pending {
            correlation_id,
            reply,
            timing,
        });
        self.outgoing
            .send(Outgoing { frame, pending })
            .map_err(|_| self.closed())?;
        Ok(correlation_id)
    }

    fn closed(&self) -> Error {
        Error::closed(&self.address)
    }

    fn timed_out(&self, api: ApiKey, version: i16) -> Error {
        Error::RequestTimeout {
            broker: self.address.clone(),
            api,
            version,
            timeout_ms: self.options.request_timeout.as_millis() as u64,
        }
    }

    /// ApiVersions v3 first. A broker that does not know v3 answers UNSUPPORTED_VERSION with its
    /// list in a v0 body (KIP-511), which is used as is; when that body does not decode (the
    /// librdkafka mock cluster writes it in another layout), the request is repeated at v0.
    async fn negotiate(&self) -> Result<ApiVersionTable> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("ferrokafka"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let mut body = self.api_versions(&request, API_VERSIONS_FIRST).await?;
        let unsupported = body.len() >= 2
            && i16::from_be_bytes([body[0], body[1]]) == ResponseError::UnsupportedVersion.code();
        let response = if unsupported {
            match ApiVersionsResponse::decode(&mut body.clone(), 0) {
                Ok(listed) if !listed.api_keys.is_empty() => listed,
                _ => {
                    let mut body = self.api_versions(&request, 0).await?;
                    ApiVersionsResponse::decode(&mut body, 0)
                        .map_err(|e| Error::Encoding(e.to_string()))?
                }
            }
        } else {
            ApiVersionsResponse::decode(&mut body, API_VERSIONS_FIRST)
                .map_err(|e| Error::Encoding(e.to_string()))?
        };
        if response.error_code != 0 && !unsupported {
            return Err(Error::from_code(response.error_code, None).expect("nonzero code"));
        }
        Ok(ApiVersionTable::negotiate(&response.api_keys))
    }

    /// Sends ApiVersions at `version` and returns the response body (its header is always v0).
    async fn api_versions(&self, request: &ApiVersionsRequest, version: i16) -> Result<Bytes> {
        let mut body = self.start_raw(request, version)?.await?;
        body.advance(4);
        Ok(body)
    }
}

fn api_key<R: Request>() -> ApiKey {
    ApiKey::try_from(R::KEY).expect("every request type has a known key")
}

fn encode_request<R: Request>(
    request: &R,
    version: i16,
    correlation_id: i32,
    client_id: &str,
) -> Result<BytesMut> {
    let header = RequestHeader::default()
        .with_request_api_key(R::KEY)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_string(client_id.to_string())));
    let header_version = R::header_version(version);
    let encoding = |e: anyhow::Error| Error::Encoding(e.to_string());
    let size = header.compute_size(header_version).map_err(encoding)?
        + request.compute_size(version).map_err(encoding)?;
    let mut frame = BytesMut::with_capacity(4 + size);
    frame.put_u32(size as u32);
    header
        .encode(&mut frame, header_version)
        .map_err(encoding)?;
    request.encode(&mut frame, version).map_err(encoding)?;
    Ok(frame)
}

/// The requests waiting for an in-flight slot, and whom to tell how many there are.
struct WriterQueue {
    waiting: VecDeque<Outgoing>,
    limit: usize,
    address: String,
    client_id: String,
    observer: Option<ObserverHandle>,
}

impl WriterQueue {
    fn new(address: &str, options: &ConnectionOptions) -> WriterQueue {
        WriterQueue {
            waiting: VecDeque::new(),
            limit: options.max_in_flight.unwrap_or(usize::MAX).max(1),
            address: address.to_string(),
            client_id: options.client_id.clone(),
            observer: options.observer.clone(),
        }
    }

    /// Whether `frame` may be written now: it expects no response, or a slot is free.
    fn may_write(&self, frame: &Outgoing, shared: &Shared) -> bool {
        frame.pending.is_none() || self.limit == usize::MAX || shared.in_flight() < self.limit
    }

    /// Reports the queue's size, as kafkajs does each time a request has to wait and when the
    /// waiting requests fail together.
    fn report(&self, size: usize) {
        if let Some(observer) = self.observer.as_ref().filter(|o| o.enabled()) {
            observer.queue_size(&self.address, &self.client_id, size);
        }
    }

    /// Fails every waiting request with `error`.
    fn fail(&mut self, error: &Error) {
        if self.waiting.is_empty() {
            return;
        }
        for frame in self.waiting.drain(..) {
            if let Some(pending) = frame.pending {
                let _ = pending.reply.send(Err(error.clone()));
            }
        }
        self.report(0);
    }
}

async fn write_frames(
    mut socket: OwnedWriteHalf,
    mut queued: mpsc::UnboundedReceiver<Outgoing>,
    shared: Arc<Shared>,
    mut queue: WriterQueue,
) {
    let mut chunks: Vec<BytesMut> = Vec::new();
    loop {
        let freed = shared.freed.notified();
        tokio::pin!(freed);
        freed.as_mut().enable();
        if let Some(error) = shared.closed_with() {
            queue.fail(&error);
            return;
        }
        let blocked = queue
            .waiting
            .front()
            .is_some_and(|f| !queue.may_write(f, &shared));
        let already_waiting = queue.waiting.len();
        if already_waiting == 0 || blocked {
            tokio::select! {
                next = queued.recv() => match next {
                    Some(frame) => queue.waiting.push_back(frame),
                    None => return,
                },
                _ = &mut freed, if blocked => {}
            }
        }
        while let Ok(frame) = queued.try_recv() {
            queue.waiting.push_back(frame);
        }
        let arrived = queue.waiting.len() - already_waiting;
        let mut written = 0usize;
        let mut bytes = 0usize;
        let mut limited = false;
        while let Some(front) = queue.waiting.front() {
            if bytes >= 1 << 20 {
                break;
            }
            if !queue.may_write(front, &shared) {
                limited = true;
                break;
            }
            let Outgoing { frame, pending } = queue.waiting.pop_front().expect("a front frame");
            if let Some(pending) = pending {
                if let Some(timing) = &pending.timing {
                    timing.sent_at.store(now_ms(), Ordering::Relaxed);
                }
                shared.expect(pending);
            }
            bytes += frame.len();
            match chunks.last_mut() {
                Some(last) if last.len() < LARGE_FRAME && frame.len() < LARGE_FRAME => {
                    last.extend_from_slice(&frame)
                }
                _ => chunks.push(frame),
            }
            written += 1;
        }
        if limited {
            // Requests that arrived now and must wait (those waiting before go out first).
            let queued_now = arrived - written.saturating_sub(already_waiting).min(arrived);
            let left = queue.waiting.len();
            for size in left + 1 - queued_now..=left {
                queue.report(size);
            }
        }
        if chunks.is_empty() {
            continue;
        }
        if let Err(error) = write_chunks(&mut socket, &mut chunks).await {
            let error = Error::socket(&queue.address, "write", &error);
            shared.fail_all(error.clone());
            queue.fail(&error);
            return;
        }
    }
}

/// Writes every chunk, in order, with as few system calls as the socket allows; `chunks` is
/// empty once it returns `Ok`.
async fn write_chunks(socket: &mut OwnedWriteHalf, chunks: &mut Vec<BytesMut>) -> io::Result<()> {
    let mut first = 0;
    while first < chunks.len() {
        let slices: Vec<IoSlice<'_>> = chunks[first..].iter().map(|c| IoSlice::new(c)).collect();
        let mut written = socket.write_vectored(&slices).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        while written > 0 {
            let chunk = &mut chunks[first];
            let step = written.min(chunk.len());
            chunk.advance(step);
            written -= step;
            if chunk.is_empty() {
                first += 1;
            }
        }
    }
    chunks.clear();
    Ok(())
}

async fn read_frames(
    mut frames: FramedRead<tokio::net::tcp::OwnedReadHalf, tokio_util::codec::LengthDelimitedCodec>,
    shared: Arc<Shared>,
    address: String,
) {
    let error = loop {
        let frame = match frames.next().await {
            Some(Ok(frame)) => frame.freeze(),
            Some(Err(error)) => break Error::socket(&address, "read", &error),
            None => break Error::closed(&address),
        };
        if frame.len() < 4 {
            break Error::Encoding("response shorter than its header".to_string());
        }
        let correlation_id = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
        let Some(pending) = shared.in_flight.lock().queue.pop_front() else {
            break Error::Encoding(format!("unexpected response {correlation_id}"));
        };
        shared.freed.notify_one();
        if pending.correlation_id != correlation_id {
            let error = Error::Encoding(format!(
                "response {correlation_id} does not match request {}",
                pending.correlation_id
            ));
            let _ = pending.reply.send(Err(error.clone()));
            break error;
        }
        let _ = pending.reply.send(Ok(frame));
    };
    shared.fail_all(error);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    #[tokio::test]
    async fn chunks_larger_than_the_socket_buffer_arrive_whole_and_in_order() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (client, accepted) = tokio::join!(TcpStream::connect(address), listener.accept());
        let (_read, mut write) = client.unwrap().into_split();
        let (mut server, _) = accepted.unwrap();
        let mut chunks: Vec<BytesMut> = [10, 8 << 20, 3, 100_000]
            .iter()
            .enumerate()
            .map(|(i, &size)| (0..size).map(|j| (i * 31 + j % 251) as u8).collect())
            .collect();
        let expected: Vec<u8> = chunks.iter().flat_map(|c| c.to_vec()).collect();
        let length = expected.len();
        let reader = tokio::spawn(async move {
            let mut received = vec![0; length];
            server.read_exact(&mut received).await.unwrap();
            received
        });
        write_chunks(&mut write, &mut chunks).await.unwrap();
        assert!(chunks.is_empty());
        assert!(reader.await.unwrap() == expected);
    }
}
