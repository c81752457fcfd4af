//! `#[rate_limit]` on real axum servers over loopback, with real HTTP requests.

use std::time::Duration;

use axum::Router;
use axum::extract::Query;
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fastex::limiter::rate_limit_headers;
use fastex::{RateLimitResult, rate_limit};
use fastex_tests::{Reply, TestClient, TestServer, memory_backend};

#[rate_limit(times = 3, seconds = 60)]
async fn basic() -> &'static str {
    "ok"
}

#[rate_limit(times = 5, minutes = 1)]
#[rate_limit(times = 1, milliseconds = 1_000)]
async fn stacked() -> &'static str {
    "ok"
}

#[rate_limit(times = 2, milliseconds = 900)]
async fn short_window() -> &'static str {
    "ok"
}

async fn by_user(parts: &Parts) -> String {
    parts
        .headers
        .get("x-user")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("anonymous")
        .to_owned()
}

async fn teapot(_parts: &Parts, result: &RateLimitResult) -> Response {
    let body = format!("slow down, {} ms", result.retry_after_ms);
    (StatusCode::IM_A_TEAPOT, [("x-limited-by", "fastex")], body).into_response()
}

#[rate_limit(times = 2, seconds = 60, key = by_user, callback = teapot)]
async fn user() -> &'static str {
    "ok"
}

#[derive(serde::Deserialize)]
struct Fail {
    fail: Option<bool>,
}

#[rate_limit(times = 2, seconds = 60)]
async fn fallible(Query(query): Query<Fail>, uri: Uri) -> Result<String, StatusCode> {
    if query.fail == Some(true) {
        return Err(StatusCode::BAD_REQUEST);
    }
    let path = uri
        .path()
        .strip_prefix('/')
        .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(format!("reached {path}"))
}

#[rate_limit(times = 50, hours = 1)]
async fn crowd() -> &'static str {
    "ok"
}

#[rate_limit(times = 3, minutes = 1)]
async fn paced() -> &'static str {
    "ok"
}

fn app() -> Router {
    Router::new()
        .route("/basic", get(basic))
        .route("/stacked", get(stacked))
        .route("/short", get(short_window))
        .route("/user", get(user))
        .route("/fallible", get(fallible))
        .route("/crowd", get(crowd))
        .merge(
            Router::new()
                .route("/paced", get(paced))
                .layer(axum::middleware::from_fn(rate_limit_headers)),
        )
}

async fn server() -> TestServer {
    memory_backend().await;
    TestServer::start(app()).await
}

fn statuses(replies: &[Reply]) -> Vec<u16> {
    replies.iter().map(|reply| reply.status.as_u16()).collect()
}

async fn get_n(client: &TestClient, url: &str, n: usize) -> Vec<Reply> {
    let mut replies = Vec::with_capacity(n);
    for _ in 0..n {
        replies.push(client.get(url).await);
    }
    replies
}

#[tokio::test]
async fn a_limit_admits_times_then_answers_429_with_headers() {
    let server = server().await;
    let client = TestClient::from("127.0.0.10");
    let replies = get_n(&client, &server.url("/basic"), 4).await;
    assert_eq!(statuses(&replies), [200, 200, 200, 429]);
    assert_eq!(replies[0].body, "ok");
    let limited = &replies[3];
    assert_eq!(limited.body, r#"{"detail":"Too Many Requests"}"#);
    assert_eq!(limited.header("content-type"), Some("application/json"));
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((59..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(limited.header("ratelimit-limit"), Some("3"));
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    let reset: u64 = limited.header("ratelimit-reset").unwrap().parse().unwrap();
    assert!((59..=60).contains(&reset), "RateLimit-Reset {reset}");
}

#[tokio::test]
async fn each_client_address_has_its_own_budget() {
    let server = server().await;
    let url = server.url("/basic");
    let (first, second) = (TestClient::from("127.0.0.2"), TestClient::from("127.0.0.3"));
    assert_eq!(
        statuses(&get_n(&first, &url, 4).await),
        [200, 200, 200, 429]
    );
    assert_eq!(
        statuses(&get_n(&second, &url, 4).await),
        [200, 200, 200, 429]
    );
}

#[tokio::test]
async fn a_forged_forwarded_for_header_does_not_reset_the_limit() {
    let server = server().await;
    let url = server.url("/basic");
    let client = TestClient::from("127.0.0.4");
    assert_eq!(statuses(&get_n(&client, &url, 3).await), [200, 200, 200]);
    for forged in ["1.2.3.4", "5.6.7.8, 9.9.9.9"] {
        let reply = client
            .get_with(&url, &[("x-forwarded-for", forged), ("x-real-ip", forged)])
            .await;
        assert_eq!(
            reply.status,
            StatusCode::TOO_MANY_REQUESTS,
            "forged {forged}"
        );
    }
}

#[tokio::test]
async fn stacked_limits_are_all_or_nothing() {
    let server = server().await;
    let url = server.url("/stacked");
    let client = TestClient::from("127.0.0.5");
    // One per second and five per minute: a burst passes one request at a time. Had the
    // refused ones counted against the per-minute limit, it would be spent after the first
    // burst.
    let mut admitted = 0;
    for round in 0..5 {
        let replies = get_n(&client, &url, 3).await;
        assert_eq!(statuses(&replies), [200, 429, 429], "round {round}");
        assert!(replies[1].header("retry-after").is_some());
        admitted += 1;
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    assert_eq!(admitted, 5);
    let spent = client.get(&url).await;
    assert_eq!(spent.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        spent.header("ratelimit-limit"),
        Some("5"),
        "the per-minute limit decides now"
    );
}

#[tokio::test]
async fn a_millisecond_window_expires() {
    let server = server().await;
    let url = server.url("/short");
    let client = TestClient::from("127.0.0.6");
    assert_eq!(statuses(&get_n(&client, &url, 3).await), [200, 200, 429]);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(statuses(&get_n(&client, &url, 3).await), [200, 200, 429]);
}

#[tokio::test]
async fn a_custom_key_and_callback_replace_identity_and_answer() {
    let server = server().await;
    let url = server.url("/user");
    let client = TestClient::from("127.0.0.7");
    let as_user = |user: &'static str| [("x-user", user)];
    for _ in 0..2 {
        assert_eq!(
            client.get_with(&url, &as_user("alice")).await.status,
            StatusCode::OK
        );
    }
    let limited = client.get_with(&url, &as_user("alice")).await;
    assert_eq!(limited.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(limited.header("x-limited-by"), Some("fastex"));
    assert!(limited.body.starts_with("slow down, "), "{}", limited.body);
    // Same address, another user: its own budget.
    assert_eq!(
        client.get_with(&url, &as_user("bob")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn return_and_question_mark_still_work_in_a_limited_handler() {
    let server = server().await;
    let client = TestClient::from("127.0.0.8");
    let reached = client.get(&server.url("/fallible")).await;
    assert_eq!(
        (reached.status, reached.body.as_str()),
        (StatusCode::OK, "reached fallible")
    );
    let failed = client.get(&server.url("/fallible?fail=true")).await;
    assert_eq!(failed.status, StatusCode::BAD_REQUEST);
    let limited = client.get(&server.url("/fallible")).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "early returns count too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_requests_admit_exactly_fifty() {
    let server = server().await;
    let url = server.url("/crowd");
    let client = TestClient::from("127.0.0.9");
    let requests = (0..200).map(|_| {
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move { client.get(&url).await.status })
    });
    let mut ok = 0;
    let mut limited = 0;
    for request in requests.collect::<Vec<_>>() {
        match request.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, limited), (50, 150));
}

#[tokio::test]
async fn without_connect_info_the_answer_names_the_fix() {
    memory_backend().await;
    let server = TestServer::start_without_connect_info(app()).await;
    let reply = TestClient::from("127.0.0.11")
        .get(&server.url("/basic"))
        .await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        reply
            .body
            .contains("into_make_service_with_connect_info::<std::net::SocketAddr>()"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn the_headers_middleware_tells_admitted_clients_how_much_is_left() {
    let server = server().await;
    let client = TestClient::from("127.0.0.12");
    let replies = get_n(&client, &server.url("/paced"), 4).await;
    assert_eq!(statuses(&replies), [200, 200, 200, 429]);
    let remaining: Vec<_> = replies
        .iter()
        .map(|reply| reply.header("ratelimit-remaining"))
        .collect();
    assert_eq!(remaining, [Some("2"), Some("1"), Some("0"), Some("0")]);
    for reply in &replies {
        assert_eq!(reply.header("ratelimit-limit"), Some("3"));
        let reset: u64 = reply.header("ratelimit-reset").unwrap().parse().unwrap();
        assert!((59..=60).contains(&reset), "RateLimit-Reset {reset}");
    }
    assert!(
        replies[0].header("retry-after").is_none(),
        "only refusals say when to retry"
    );

    let without = TestClient::from("127.0.0.12")
        .get(&server.url("/basic"))
        .await;
    assert_eq!(without.status, StatusCode::OK);
    assert_eq!(
        without.header("ratelimit-limit"),
        None,
        "no middleware, no headers on a 200"
    );
}
