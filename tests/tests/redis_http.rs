//! `#[fastex::main]` with `REDIS_URL`, end to end: the `redis_app` program on a real
//! `redis-server`, over real HTTP, while Redis runs, has not started yet, or dies.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use fastex_tests::{RedisServer, Reply, TestClient};

/// Generous bounds that only catch a hang or a recovery that never comes; the tests never
/// assert how fast anything is.
const DEADLINE: Duration = Duration::from_secs(10);

/// The `redis_app` program, killed when the test ends.
struct App {
    child: Child,
    address: String,
    output: Arc<Mutex<String>>,
}

impl App {
    /// Starts the app with only `env` (and `PATH`) in its environment, and waits until it
    /// listens.
    fn start(env: &[(&str, &str)]) -> App {
        let mut command = Command::new(env!("CARGO_BIN_EXE_redis_app"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("APP_PORT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the app starts");
        let output = Arc::new(Mutex::new(String::new()));
        let (listening, address) = mpsc::channel();
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("stdout")),
            Box::new(child.stderr.take().expect("stderr")),
        ];
        // Read both streams to the end so the app never blocks on a full pipe.
        for stream in streams {
            let (output, listening) = (Arc::clone(&output), listening.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(address) = line.strip_prefix("listening on http://") {
                        let _ = listening.send(address.to_owned());
                    }
                    let mut output = output.lock().unwrap();
                    output.push_str(&line);
                    output.push('\n');
                }
            });
        }
        drop(listening);
        let mut app = App {
            child,
            address: String::new(),
            output,
        };
        app.address = address
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|_| panic!("the app did not listen:\n{}", app.output()));
        app
    }

    fn url(&self) -> String {
        format!("http://{}/limited", self.address)
    }

    /// Everything the app printed so far.
    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Waits until the app has printed `needle`, failing after [`DEADLINE`].
    async fn printed(&self, needle: &str) {
        let deadline = Instant::now() + DEADLINE;
        while !self.output().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "the app never printed {needle:?}:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// One request, which must be answered without a 5xx and without hanging.
    async fn get(&self, client: &TestClient) -> Reply {
        let reply = tokio::time::timeout(DEADLINE, client.get(&self.url()))
            .await
            .unwrap_or_else(|_| panic!("the app hung:\n{}", self.output()));
        assert!(
            !reply.status.is_server_error(),
            "{} {}\n{}",
            reply.status,
            reply.body,
            self.output()
        );
        reply
    }

    async fn statuses(&self, client: &TestClient, n: usize) -> Vec<u16> {
        let mut statuses = Vec::with_capacity(n);
        for _ in 0..n {
            statuses.push(self.get(client).await.status.as_u16());
        }
        statuses
    }

    /// Sends requests until one gets `status`, failing after [`DEADLINE`]; every answer on
    /// the way must be a 200 or a 429.
    async fn until(&self, client: &TestClient, status: StatusCode) -> Reply {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let reply = self.get(client).await;
            if reply.status == status {
                return reply;
            }
            assert!(
                matches!(reply.status, StatusCode::OK | StatusCode::TOO_MANY_REQUESTS),
                "{} {}",
                reply.status,
                reply.body
            );
            assert!(
                Instant::now() < deadline,
                "no {status} within {DEADLINE:?}:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> TestClient {
    TestClient::from("127.0.0.1")
}

#[tokio::test]
async fn limits_are_counted_in_redis_and_answered_with_429() {
    let server = RedisServer::start();
    let app = App::start(&[("REDIS_URL", &server.url())]);
    let client = client();
    let replies = [
        app.get(&client).await,
        app.get(&client).await,
        app.get(&client).await,
    ];
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses, [200, 200, 429], "{}", app.output());
    assert_eq!(replies[0].body, "ok");
    let limited = &replies[2];
    assert_eq!(limited.body, r#"{"detail":"Too Many Requests"}"#);
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((59..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(limited.header("ratelimit-limit"), Some("2"));
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));

    let mut redis = server.connection();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("limiter:*")
        .query(&mut redis)
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let key = &keys[0];
    assert!(key.ends_with("::limited:0:{127.0.0.1}"), "{key}");
    let ttl: i64 = redis::cmd("PTTL").arg(key).query(&mut redis).unwrap();
    assert!((1..=120_000).contains(&ttl), "the key expires: PTTL {ttl}");
    let output = app.output();
    assert!(output.contains("rate limiter ready"), "{output}");
}

#[tokio::test]
async fn the_app_starts_with_redis_down_answers_by_fallback_then_limits_once_it_is_up() {
    let mut server = RedisServer::unstarted(&["--requirepass", "s3cret-pw"]);
    let url = format!("redis://:s3cret-pw@127.0.0.1:{}/0", server.port());
    let app = App::start(&[("REDIS_URL", &url)]);
    let client = client();
    // The default fallback mode, allow: more than the limit's 2 pass.
    assert_eq!(app.statuses(&client, 5).await, [200; 5], "{}", app.output());
    app.printed("Redis cannot be reached").await;

    server.restart();
    let limited = app.until(&client, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(limited.header("ratelimit-limit"), Some("2"));
    assert_eq!(app.statuses(&client, 2).await, [429, 429]);
    app.printed("limiting resumes").await;
    let output = app.output();
    assert_eq!(
        output.matches("Redis cannot be reached").count(),
        1,
        "warned once:\n{output}"
    );
    assert!(output.contains(":***@127.0.0.1"), "{output}");
    assert!(
        !output.contains("s3cret-pw"),
        "a log shows the password:\n{output}"
    );
}

#[tokio::test]
async fn the_deny_fallback_mode_refuses_while_redis_is_down() {
    let mut server = RedisServer::unstarted(&[]);
    let app = App::start(&[("REDIS_URL", &server.url()), ("FALLBACK_MODE", "deny")]);
    let client = client();
    for _ in 0..3 {
        let reply = app.get(&client).await;
        assert_eq!(
            reply.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            app.output()
        );
        assert_eq!(reply.header("retry-after"), Some("60"));
    }

    server.restart();
    app.until(&client, StatusCode::OK).await;
}

#[tokio::test]
async fn killing_redis_under_a_running_app_falls_back_then_limits_again_after_a_restart() {
    let mut server = RedisServer::start();
    let app = App::start(&[("REDIS_URL", &server.url())]);
    let client = client();
    assert_eq!(app.statuses(&client, 3).await, [200, 200, 429]);

    server.kill();
    assert_eq!(
        app.statuses(&client, 5).await,
        [200; 5],
        "answered by the fallback mode, allow"
    );

    // Restarted empty: the first two pass, then the limit holds again.
    server.restart();
    app.until(&client, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(app.statuses(&client, 2).await, [429, 429]);
}
