//! What the examples share: serving an app on a free loopback port and a small HTTP client
//! that shows what came back.

use std::net::SocketAddr;

use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::header::HeaderMap;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpListener;

/// Serves `app` on `addr` (port 0 picks a free one) with the peer address available to
/// fastex, and returns the address it listens on.
pub async fn serve_in_background(app: Router, addr: &str) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, service).await {
            tracing::error!(%error, "server stopped");
        }
    });
    Ok(local)
}

/// One response, as the examples print it.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Reply {
    /// A header's value, or `-` when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("-")
    }
}

/// A plain HTTP/1 client.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: Client<HttpConnector, Empty<Bytes>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient {
            inner: Client::builder(TokioExecutor::new()).build_http(),
        }
    }
}

impl HttpClient {
    /// `GET url` with `headers`.
    pub async fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Reply, Box<dyn std::error::Error + Send + Sync>> {
        let mut request = Request::get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self.inner.request(request.body(Empty::new())?).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::routing::get;

    use super::*;

    #[tokio::test]
    async fn the_helpers_serve_and_fetch_over_loopback() {
        let app = Router::new().route(
            "/",
            get(|| async { ([("x-served-by", "example")], "hello") }),
        );
        let addr = serve_in_background(app, "127.0.0.1:0").await.unwrap();
        let reply = HttpClient::default()
            .get(&format!("http://{addr}/"), &[])
            .await
            .unwrap();
        assert_eq!((reply.status, reply.body.as_str()), (200, "hello"));
        assert_eq!(reply.header("x-served-by"), "example");
        assert_eq!(reply.header("x-missing"), "-");
    }
}
