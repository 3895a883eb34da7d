//! A PostgreSQL database of a test's own: created with a unique name on the server at
//! `STEPWISE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`, which `tests/run`
//! starts), and dropped when the test ends, whether it passed or not. Where no server listens
//! there, the tests skip, unless `STEPWISE_TEST_REQUIRE_POSTGRES` is set.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::OnceLock;
use std::time::Duration;

use tokio_postgres::NoTls;
use tokio_postgres::config::Host;

/// Set (to `1`) to fail rather than skip the PostgreSQL tests when no server listens.
pub const REQUIRE: &str = "STEPWISE_TEST_REQUIRE_POSTGRES";

/// The server tests create their databases on, without a database name.
pub fn server_url() -> String {
    std::env::var("STEPWISE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// A database that lives as long as this value.
pub struct TestDatabase {
    /// The URL to give `--store`.
    pub url: String,
    name: String,
}

impl TestDatabase {
    /// Creates an empty database with a name no other test uses; `None`, the test skipped, when
    /// no server listens (see [`REQUIRE`]).
    pub async fn create_or_skip() -> Option<TestDatabase> {
        if let Some(missing) = unreachable() {
            super::skip_unless_required(REQUIRE, missing);
            return None;
        }
        let name = format!("stepwise_test_{}", uuid::Uuid::new_v4().simple());
        admin(&format!("CREATE DATABASE {name}")).await;
        Some(TestDatabase {
            url: format!("{}/{name}", server_url()),
            name,
        })
    }
}

/// Why the server cannot be reached, if nothing listens where [`server_url`] says; probed once
/// per process. Only the connection is probed: a server that refuses the tests' user is a
/// failure to see, not a reason to skip.
fn unreachable() -> Option<&'static str> {
    static UNREACHABLE: OnceLock<Option<String>> = OnceLock::new();
    UNREACHABLE
        .get_or_init(|| {
            let url = server_url();
            let config: tokio_postgres::Config = url
                .parse()
                .unwrap_or_else(|e| panic!("STEPWISE_TEST_POSTGRES={url} is not a URL: {e}"));
            let port = config.get_ports().first().copied().unwrap_or(5432);
            let listening = match config.get_hosts().first() {
                Some(Host::Tcp(host)) => {
                    (host.as_str(), port).to_socket_addrs().is_ok_and(|mut a| {
                        a.any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(3)).is_ok())
                    })
                }
                Some(Host::Unix(dir)) => dir.join(format!(".s.PGSQL.{port}")).exists(),
                None => false,
            };
            (!listening).then(|| format!("PostgreSQL is not reachable at {url}"))
        })
        .as_deref()
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread
        // with a runtime of its own. FORCE closes the connections the store still holds.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|runtime| runtime.block_on(admin(&sql)))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

/// Runs `sql` on the server's `postgres` database.
async fn admin(sql: &str) {
    let url = format!("{}/postgres", server_url());
    let (client, connection) = tokio_postgres::connect(&url, NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!("these tests need PostgreSQL at {url} (tests/run starts it): {e}")
        });
    let driver = tokio::spawn(connection);
    client
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("`{sql}` failed: {e:?}"));
    drop(client);
    let _ = driver.await;
}
