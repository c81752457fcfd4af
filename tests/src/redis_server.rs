//! Real `redis-server` processes for tests: one per test group, on a free port, never the
//! machine's shared Redis on 6379. Tests kill and restart them to inject faults.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` this test owns; killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    tls: bool,
    extra_args: Vec<String>,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free loopback port; panics with the fix when `redis-server` is
    /// missing, so that Redis tests fail rather than pass without running.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a server with extra arguments, e.g. `["--requirepass", "secret"]`.
    pub fn start_with(extra_args: &[&str]) -> Self {
        let mut server = Self::unstarted(extra_args);
        server.restart();
        server
    }

    /// A server on a reserved free port that is not running yet: to test an application
    /// that starts before its Redis.
    pub fn unstarted(extra_args: &[&str]) -> Self {
        RedisServer {
            port: free_port(),
            tls: false,
            extra_args: extra_args.iter().map(|arg| (*arg).to_owned()).collect(),
            dir: tempfile::tempdir().expect("a temporary directory"),
            child: None,
        }
    }

    /// Starts a server that speaks only TLS, with a self-signed certificate made by
    /// `openssl` for this server alone.
    pub fn start_tls() -> Self {
        let mut server = Self::unstarted(&[]);
        let dir = server.dir.path();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=localhost", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl makes the test certificate");
        assert!(made.success(), "openssl could not make a certificate");
        let (cert, key) = (cert.display().to_string(), key.display().to_string());
        server.extra_args = vec![
            "--tls-port".into(),
            server.port.to_string(),
            "--tls-cert-file".into(),
            cert.clone(),
            "--tls-key-file".into(),
            key,
            "--tls-ca-cert-file".into(),
            cert,
            "--tls-auth-clients".into(),
            "no".into(),
        ];
        server.tls = true;
        server.restart();
        server
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/0`; for a TLS server `rediss://…/0#insecure`, as its
    /// certificate is self-signed.
    pub fn url(&self) -> String {
        if self.tls {
            format!("rediss://127.0.0.1:{}/0#insecure", self.port)
        } else {
            format!("redis://127.0.0.1:{}/0", self.port)
        }
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty, and waits until it answers.
    pub fn restart(&mut self) {
        self.kill();
        // A TLS server listens on its --tls-port only.
        let plain_port = if self.tls {
            "0".to_owned()
        } else {
            self.port.to_string()
        };
        let child = Command::new(redis_server_binary())
            .args(["--port", &plain_port, "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(&self.extra_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start redis-server: {error}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on port {} in 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A plain synchronous connection for the test's own commands.
    pub fn connection(&self) -> redis::Connection {
        let url = match self
            .extra_args
            .iter()
            .position(|arg| arg == "--requirepass")
        {
            Some(at) => format!(
                "redis://:{}@127.0.0.1:{}/0",
                self.extra_args[at + 1],
                self.port
            ),
            None => self.url(),
        };
        redis::Client::open(url)
            .and_then(|client| client.get_connection())
            .expect("a connection to the test's redis-server")
    }

    /// How many times `command` ran, from `INFO commandstats`.
    pub fn calls(&self, command: &str) -> u64 {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut self.connection())
            .expect("INFO");
        let prefix = format!("cmdstat_{}:calls=", command.to_ascii_lowercase());
        info.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|rest| rest.split(',').next())
            .map_or(0, |calls| calls.parse().expect("a count"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

fn redis_server_binary() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("redis-server"))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("redis-server is not installed: the Redis tests need it (apt-get install -y redis-server); they never skip")
    })
}
