//! A PostgreSQL database of a test's own: created with a unique name on the server at
//! `STEPWISE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`, which `tests/run`
//! starts), and dropped when the test ends, whether it passed or not.

use tokio_postgres::NoTls;

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
    /// Creates an empty database with a name no other test uses.
    pub async fn create() -> TestDatabase {
        let name = format!("stepwise_test_{}", uuid::Uuid::new_v4().simple());
        admin(&format!("CREATE DATABASE {name}")).await;
        TestDatabase {
            url: format!("{}/{name}", server_url()),
            name,
        }
    }
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
