//! End-to-end test support: real axum servers on loopback and a real HTTP client that can
//! send from any loopback address (all of 127.0.0.0/8 is loopback), so tests can play
//! several clients, and real `redis-server` processes.

mod redis_server;

pub use redis_server::RedisServer;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::HeaderMap;
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;

use fastex::limiter::backend::LimiterBackend;
use fastex::limiter::backend::memory::{InMemoryLimiterBackend, MemoryLimiterBackendConnectConfig};

/// A server running `router` on a free loopback port until the test ends.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Serves `router` with `ConnectInfo<SocketAddr>`, as the README tells users to.
    pub async fn start(router: Router) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            axum::serve(listener, service).await.expect("serve");
        });
        TestServer { addr, task }
    }

    /// Serves `router` without `ConnectInfo`: the mistake the guard must explain.
    pub async fn start_without_connect_info(router: Router) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        TestServer { addr, task }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a request got back.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Reply {
    /// A header's value as text, `None` when absent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("ASCII header"))
    }
}

/// An HTTP/1 client whose connections come from one loopback address.
#[derive(Debug, Clone)]
pub struct TestClient {
    inner: Client<HttpConnector, Empty<Bytes>>,
}

impl TestClient {
    /// A client sending from `source`, e.g. `"127.0.0.2"`.
    pub fn from(source: &str) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_local_address(Some(source.parse::<IpAddr>().expect("an IP address")));
        TestClient {
            inner: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// `GET url`.
    pub async fn get(&self, url: &str) -> Reply {
        self.get_with(url, &[]).await
    }

    /// `GET url` with extra headers.
    pub async fn get_with(&self, url: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Empty::new()).expect("a valid request");
        let response = self
            .inner
            .request(request)
            .await
            .expect("the server answers");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("a body").to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8(body.to_vec()).expect("a UTF-8 body"),
        }
    }
}

/// Configures one connected in-memory backend as the default for this test binary, once.
pub async fn memory_backend() -> Arc<InMemoryLimiterBackend> {
    static BACKEND: OnceLock<Arc<InMemoryLimiterBackend>> = OnceLock::new();
    let backend = BACKEND
        .get_or_init(|| {
            let config = MemoryLimiterBackendConnectConfig {
                max_keys: 1_000_000,
                ..MemoryLimiterBackendConnectConfig::default()
            };
            let backend = Arc::new(InMemoryLimiterBackend::new(config).expect("valid config"));
            fastex::limiter::configure_limiter(backend.clone());
            backend
        })
        .clone();
    if !backend.is_connected() {
        backend.connect().await.expect("memory backend connects");
    }
    backend
}
