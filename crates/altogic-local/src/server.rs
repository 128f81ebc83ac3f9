//! The connection loop: HTTP/1.1 with the limits a public server needs and `axum::serve` does not
//! offer. A client gets `header_timeout` to send a request head (slow heads are cut), each request
//! gets `request_timeout` from head to answer (slow bodies get a 408, set in the router), a
//! kept-alive connection is closed after `idle_timeout` without a request, at most
//! `max_connections` are open at once (further clients wait in the kernel's backlog), and one
//! client network (an IPv4 address, an IPv6 /64) holds at most `max_per_client` of them, and never
//! more than an eighth of all.
//!
//! A few networks must not be able to fill the server with connections that never finish a
//! request head (each under its own cap, together at the global one): when every slot is taken,
//! a new connection of a network under its cap takes the slot of the connection that has waited
//! longest without a request in flight, a half-sent head or an idle keep-alive. A client that is
//! being answered is never cut.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Semaphore};
use tower::ServiceExt;

#[derive(Debug, Clone)]
pub struct ConnLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    /// 0: no per-client cap.
    pub max_per_client: usize,
    /// Peers the per-client cap does not apply to (trusted proxies carry many clients).
    pub exempt: Vec<crate::net::IpNet>,
}

/// Open connections per client network.
#[derive(Default)]
struct PerClient(Mutex<HashMap<String, usize>>);

/// One open connection of a client network; counted down when dropped.
struct ClientSlot {
    counts: Arc<PerClient>,
    key: String,
}

impl PerClient {
    fn take(self: &Arc<Self>, key: String, max: usize) -> Option<ClientSlot> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let open = counts.entry(key.clone()).or_insert(0);
        if max > 0 && *open >= max {
            return None;
        }
        *open += 1;
        Some(ClientSlot { counts: self.clone(), key })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = counts.get_mut(&self.key) {
            *open -= 1;
            if *open == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// The open connections, so that the longest-waiting one without a request in flight can be closed
/// when every slot is taken.
#[derive(Default)]
struct Open {
    next_id: AtomicU64,
    connections: Mutex<HashMap<u64, Arc<Activity>>>,
}

impl Open {
    fn add(self: &Arc<Self>, activity: Arc<Activity>) -> OpenEntry {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.connections.lock().unwrap_or_else(|e| e.into_inner()).insert(id, activity);
        OpenEntry { open: self.clone(), id }
    }

    /// Tells the connection that has waited longest without a request in flight to close.
    fn evict_longest_waiting(&self) {
        let connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        let victim = connections.values().filter(|a| a.in_flight.load(Ordering::SeqCst) == 0 && !a.evicting.load(Ordering::SeqCst)).min_by_key(|a| a.waiting_since_ms.load(Ordering::Relaxed));
        if let Some(activity) = victim {
            activity.evicting.store(true, Ordering::SeqCst);
            activity.evict.notify_one();
        }
    }
}

/// A connection's place in [`Open`], given up when the connection ends.
struct OpenEntry {
    open: Arc<Open>,
    id: u64,
}

impl Drop for OpenEntry {
    fn drop(&mut self) {
        self.open.connections.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.id);
    }
}

/// The per-network cap: as configured, and never more than an eighth of all connections, so that
/// a handful of networks cannot hold every slot between them.
pub fn per_client_cap(max_connections: usize, max_per_client: usize) -> usize {
    if max_per_client == 0 {
        return 0;
    }
    max_per_client.min(max_connections / 8).max(1)
}

/// Serves `router` until `shutdown` fires, then lets open requests finish (10 s at most).
pub async fn serve(listener: TcpListener, router: Router, limits: ConnLimits, shutdown: oneshot::Receiver<()>) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_client = Arc::new(PerClient::default());
    let open = Arc::new(Open::default());
    let max_per_client = per_client_cap(limits.max_connections.max(1), limits.max_per_client);
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    tokio::pin!(shutdown);
    'serve: loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Direct peers only: behind a trusted proxy every client shares the proxy's address.
        let cap = if limits.exempt.iter().any(|net| net.contains(peer.ip())) { 0 } else { max_per_client };
        let Some(slot) = per_client.take(crate::net::limit_key(peer.ip()), cap) else {
            drop(stream);
            continue;
        };
        // A slot: a free one, or the one of the connection that has waited longest without a
        // request. With none to take (all are being answered), the next clients wait in the
        // kernel's backlog until one finishes.
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => loop {
                open.evict_longest_waiting();
                tokio::select! {
                    permit = permits.clone().acquire_owned() => break permit.expect("semaphore never closed"),
                    // The one told to close may have just received a request: choose again.
                    _ = tokio::time::sleep(Duration::from_millis(100)) => continue,
                    _ = &mut shutdown => break 'serve,
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let entry = open.add(activity.clone());
        let io = TokioIo::new(Tracked { inner: stream, activity: activity.clone() });
        let service = connection_service(router.clone(), peer, activity.clone());
        let connection = graceful.watch(http.serve_connection(io, service));
        let idle = limits.idle_timeout;
        tokio::spawn(async move {
            let _held = (permit, slot, entry);
            tokio::select! {
                result = connection => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                _ = activity.idle_for(idle) => tracing::debug!("idle connection closed"),
                _ = activity.evicted() => tracing::debug!("connection without a request closed to make room"),
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still open after 10 s of shutdown were cut");
    }
}

/// The router for one connection: it sees the peer address, and the connection counts the
/// requests in flight (a request waiting for a password hash is not an idle connection).
fn connection_service(
    router: Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
) -> impl hyper::service::Service<hyper::Request<Incoming>, Response = axum::response::Response, Error = std::convert::Infallible, Future = impl Send> + Clone
{
    hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let guard = InFlight::new(activity.clone());
        let router = router.clone();
        async move {
            let response = router.oneshot(request.map(axum::body::Body::new)).await;
            drop(guard);
            response
        }
    })
}

/// When the connection last moved bytes, how many of its requests are being answered, and since
/// when it has waited without one (its start, or its last answer).
struct Activity {
    started: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
    /// Milliseconds after [`SERVER_EPOCH`]: comparable across connections.
    waiting_since_ms: AtomicU64,
    /// Told to close (see [`Open::evict_longest_waiting`]).
    evict: tokio::sync::Notify,
    evicting: std::sync::atomic::AtomicBool,
}

/// A common origin for the connections' waiting times.
static SERVER_EPOCH: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

fn epoch_ms() -> u64 {
    SERVER_EPOCH.elapsed().as_millis() as u64
}

impl Activity {
    fn new() -> Self {
        Activity { started: Instant::now(), last_ms: AtomicU64::new(0), in_flight: AtomicUsize::new(0), waiting_since_ms: AtomicU64::new(epoch_ms()), evict: Default::default(), evicting: Default::default() }
    }

    /// Resolves when the connection is told to close while no request of it is being answered (a
    /// request that arrived meanwhile keeps it).
    async fn evicted(&self) {
        loop {
            self.evict.notified().await;
            if self.in_flight.load(Ordering::SeqCst) == 0 {
                return;
            }
            self.evicting.store(false, Ordering::SeqCst);
        }
    }

    fn touch(&self) {
        self.last_ms.store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Resolves once the connection has had no request in flight and no traffic for `limit`.
    async fn idle_for(&self, limit: Duration) {
        let step = (limit / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
        loop {
            tokio::time::sleep(step).await;
            let quiet = self.started.elapsed().saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)));
            if self.in_flight.load(Ordering::SeqCst) == 0 && quiet >= limit {
                return;
            }
        }
    }
}

struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.waiting_since_ms.store(epoch_ms(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A TCP stream that records when bytes moved.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
