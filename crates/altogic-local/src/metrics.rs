//! Prometheus metrics, `GET /_local/v1/metrics` behind `--metrics-token`.
//!
//! One recorder per server (not the process-wide one of the `metrics` macros: a process can run
//! several servers, the app and the tests do), rendered by metrics-exporter-prometheus in the
//! Prometheus text format. Labels are route templates and fixed words, never an id, an address or
//! a token.

use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use subtle::ConstantTimeEq;

use crate::error::{codes, AppError};
use crate::AppState;

const HTTP_REQUESTS: &str = "altogic_http_requests_total";
const HTTP_DURATION: &str = "altogic_http_request_duration_seconds";
const SIGN_INS: &str = "altogic_sign_ins_total";
const HASH_QUEUE: &str = "altogic_hash_queue_depth";
const SHED: &str = "altogic_shed_total";
const MAIL: &str = "altogic_mail_total";
const SESSIONS: &str = "altogic_sessions";

/// Seconds: from a cached read to a queue of password hashes.
const DURATION_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

static METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// How a password sign-in (or its second step) ended.
#[derive(Clone, Copy)]
pub enum SignIn {
    Ok,
    Failed,
    Throttled,
    MfaRequired,
}

impl SignIn {
    fn label(self) -> &'static str {
        match self {
            SignIn::Ok => "ok",
            SignIn::Failed => "failed",
            SignIn::Throttled => "throttled",
            SignIn::MfaRequired => "mfa_required",
        }
    }
}

/// What became of a mail: kept in the dev mailbox only, handed to the SMTP server, or refused by it.
#[derive(Clone, Copy)]
pub enum Mail {
    Captured,
    Sent,
    Failed,
}

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_string()), &DURATION_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let metrics = Metrics { recorder, handle };
        for (name, help) in [
            (HTTP_REQUESTS, "HTTP requests answered, by route template and status."),
            (HTTP_DURATION, "Time to answer an HTTP request, by route template."),
            (SIGN_INS, "Password sign-ins and second steps, by result."),
            (HASH_QUEUE, "Password hashes waiting for a core."),
            (SHED, "Requests refused because the server was overloaded (503)."),
            (MAIL, "Mails, by result: captured (dev mailbox only), sent, failed."),
            (SESSIONS, "Live sessions."),
        ] {
            let key = metrics::KeyName::from_const_str(name);
            match name {
                HTTP_DURATION => metrics.recorder.describe_histogram(key, Some(metrics::Unit::Seconds), help.into()),
                HASH_QUEUE | SESSIONS => metrics.recorder.describe_gauge(key, None, help.into()),
                _ => metrics.recorder.describe_counter(key, None, help.into()),
            }
        }
        // Always in the scrape, even before the first refusal.
        metrics.counter(SHED, Vec::new()).increment(0);
        metrics
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> metrics::Counter {
        self.recorder.register_counter(&Key::from_parts(name, labels), &METADATA)
    }

    /// One request: its answer's status, or `canceled` when it got none (timed out, its client
    /// gone, a panic), and whether it was shed.
    pub fn request(&self, route: &str, status: &str, shed: bool, took: Duration) {
        let route = Label::new("route", route.to_string());
        self.counter(HTTP_REQUESTS, vec![route.clone(), Label::new("status", status.to_string())]).increment(1);
        self.recorder.register_histogram(&Key::from_parts(HTTP_DURATION, vec![route]), &METADATA).record(took.as_secs_f64());
        if shed {
            self.counter(SHED, Vec::new()).increment(1);
        }
    }

    pub fn sign_in(&self, result: SignIn) {
        self.counter(SIGN_INS, vec![Label::new("result", result.label())]).increment(1);
    }

    pub fn mail(&self, result: Mail) {
        let label = match result {
            Mail::Captured => "captured",
            Mail::Sent => "sent",
            Mail::Failed => "failed",
        };
        self.counter(MAIL, vec![Label::new("result", label)]).increment(1);
    }

    /// The text a scrape gets, with the gauges read now.
    pub fn render(&self, hash_queue: usize, sessions: i64) -> String {
        self.recorder.register_gauge(&Key::from_static_name(HASH_QUEUE), &METADATA).set(hash_queue as f64);
        self.recorder.register_gauge(&Key::from_static_name(SESSIONS), &METADATA).set(sessions as f64);
        self.handle.render()
    }
}

/// Counts every answered request by its route template (`/_storage/{env}/{bucket}/{id}`, never
/// the ids in it); a request no route matched counts as `unmatched`.
pub async fn track(State(state): State<AppState>, matched: Option<MatchedPath>, request: Request, next: Next) -> Response {
    let route = matched.as_ref().map(MatchedPath::as_str).unwrap_or("unmatched").to_string();
    let mut pending = Pending { state: state.clone(), route, started: std::time::Instant::now(), done: false };
    let response = next.run(request).await;
    pending.done = true;
    let shed = response.extensions().get::<crate::error::Shed>().is_some();
    state.metrics.request(&pending.route, response.status().as_str(), shed, pending.started.elapsed());
    response
}

/// A request whose answer never came back through [`track`] (the timeout dropped it, its client
/// went away, a handler panicked) is counted when it is dropped.
struct Pending {
    state: AppState,
    route: String,
    started: std::time::Instant,
    done: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            self.state.metrics.request(&self.route, "canceled", false, self.started.elapsed());
        }
    }
}

/// `GET /_local/v1/metrics`: only with `--metrics-token`, and only for `Authorization: Bearer` it.
pub async fn scrape(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_deref().filter(|t| !t.is_empty()) else {
        return AppError::not_found(codes::RESOURCE_NOT_FOUND, "No such endpoint.").into_response();
    };
    let presented = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).unwrap_or("");
    if !bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        return AppError::new(StatusCode::UNAUTHORIZED, codes::INVALID_METRICS_TOKEN, "The metrics need 'Authorization: Bearer <metrics token>'.").into_response();
    }
    let sessions = match state.store.live_sessions(state.clock.now()).await {
        Ok(n) => n,
        Err(e) => return AppError::from(e).into_response(),
    };
    let body = state.metrics.render(state.hasher.waiting(), sessions);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}
