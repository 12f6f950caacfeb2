//! The test PostgreSQL and the two primitives the multi-host journal stands on (issue 22):
//! `FOR UPDATE SKIP LOCKED` claims that skip each other's rows (leases), and a unique
//! constraint that turns a second intent into error 23505 (no duplicate mutations), even
//! when the two inserts race from two connections.

use std::net::TcpStream;
use std::time::Duration;

use deadpool_postgres::{Config, Pool, Runtime};
use pont_test_pg::PgServer;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls};

fn server() -> PgServer {
    PgServer::start().unwrap_or_else(|e| panic!("cannot start the test PostgreSQL: {e}"))
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    rt.expect("a tokio runtime")
        .block_on(async { bounded(f).await })
}

/// No statement here should wait for long: a hang is a failure, not a slow test.
async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("the test took over 30 s")
}

fn pool(url: &str) -> Pool {
    let cfg = Config {
        url: Some(url.to_owned()),
        ..Config::default()
    };
    cfg.create_pool(Some(Runtime::Tokio1), NoTls)
        .expect("a deadpool-postgres pool")
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

#[test]
fn a_server_starts_answers_sql_and_is_gone_after_drop() {
    let pg = server();
    let (port, data) = (pg.port(), pg.data_dir());
    assert!(
        pg.url().starts_with("postgres://postgres@127.0.0.1:"),
        "{}",
        pg.url()
    );
    let url = pg.create_database("pont_journal").expect("createdb");
    let (version, db): (String, String) = block_on(async {
        let client = connect(&url).await;
        let row = client
            .query_one("SELECT version(), current_database()", &[])
            .await
            .unwrap();
        (row.get(0), row.get(1))
    });
    assert!(version.starts_with("PostgreSQL "), "{version}");
    assert_eq!(db, "pont_journal");
    assert!(data.join("PG_VERSION").is_file());
    drop(pg);
    assert!(!data.exists(), "the data directory outlived the server");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port {port} still answers"
    );
}

#[test]
fn bad_database_names_and_missing_binaries_are_clear_errors() {
    let empty = tempfile::tempdir().unwrap();
    let err = PgServer::start_from(empty.path()).expect_err("no initdb there");
    assert!(err.contains("`postgresql` package"), "{err}");
    assert!(err.contains("initdb"), "{err}");
    let pg = server();
    for bad in [
        "",
        "x; DROP DATABASE postgres",
        "Upper",
        "9lives",
        &"a".repeat(64),
    ] {
        let err = pg.create_database(bad).expect_err(bad);
        assert!(err.starts_with("bad database name"), "{bad:?}: {err}");
    }
}

/// The claim a lease needs: the oldest unleased (or expired) item, locked so that a second
/// claimer skips it instead of waiting, leased in the same statement.
const CLAIM: &str = "UPDATE queue SET holder = $1, lease_until = now() + interval '30 seconds' \
    WHERE id = (SELECT id FROM queue WHERE lease_until IS NULL OR lease_until < now() \
                ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
    RETURNING id";

#[test]
fn skip_locked_claims_never_hand_one_row_to_two_hosts() {
    let pg = server();
    let url = pg.create_database("leases").unwrap();
    block_on(async {
        let pool = pool(&url);
        let setup = pool.get().await.unwrap();
        setup
            .batch_execute(
                "CREATE TABLE queue (id bigint PRIMARY KEY, holder text, lease_until timestamptz);
                 INSERT INTO queue (id) VALUES (1), (2), (3);",
            )
            .await
            .unwrap();
        let (mut a, mut b) = (pool.get().await.unwrap(), pool.get().await.unwrap());
        let ta = a.transaction().await.unwrap();
        let tb = b.transaction().await.unwrap();
        // A holds row 1 inside its open transaction; B neither waits for it nor takes it.
        let first: i64 = ta.query_one(CLAIM, &[&"host-a"]).await.unwrap().get(0);
        let second: i64 = tb.query_one(CLAIM, &[&"host-b"]).await.unwrap().get(0);
        assert_eq!((first, second), (1, 2));
        // Without SKIP LOCKED, row 1 really is locked: NOWAIT fails with 55P03.
        let err = setup
            .query("SELECT id FROM queue WHERE id = 1 FOR UPDATE NOWAIT", &[])
            .await
            .expect_err("row 1 is locked by host A");
        assert_eq!(err.code(), Some(&SqlState::LOCK_NOT_AVAILABLE), "{err}");
        ta.commit().await.unwrap();
        tb.commit().await.unwrap();
        // Committed leases keep their rows: a third host gets row 3, then nothing.
        let third: i64 = setup.query_one(CLAIM, &[&"host-c"]).await.unwrap().get(0);
        assert_eq!(third, 3);
        assert!(
            setup
                .query_opt(CLAIM, &[&"host-c"])
                .await
                .unwrap()
                .is_none()
        );
        // Host A dies: once its lease has expired, another host recovers its item.
        setup
            .execute(
                "UPDATE queue SET lease_until = now() - interval '1 second' WHERE id = 1",
                &[],
            )
            .await
            .unwrap();
        let recovered = setup.query_one(CLAIM, &[&"host-c"]).await.unwrap();
        assert_eq!(recovered.get::<_, i64>(0), 1);
        let holder: String = setup
            .query_one("SELECT holder FROM queue WHERE id = 1", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(holder, "host-c");
    });
}

const INTENT: &str = "INSERT INTO intents (robot, dossier, episode, operation) \
    VALUES ($1, $2, $3, $4) RETURNING id";

#[test]
fn a_second_intent_for_one_operation_is_unique_violation_23505() {
    let pg = server();
    let url = pg.create_database("intents").unwrap();
    block_on(async {
        let (a, mut b) = (connect(&url).await, connect(&url).await);
        a.batch_execute(
            "CREATE TABLE intents (id bigserial PRIMARY KEY, robot text NOT NULL,
                 dossier bigint NOT NULL, episode bigint NOT NULL, operation text NOT NULL,
                 CONSTRAINT intents_once UNIQUE (robot, dossier, episode, operation));",
        )
        .await
        .unwrap();
        let key: (&str, i64, i64, &str) = ("instruire", 4242, 1, "accepter");
        let params: [&(dyn ToSql + Sync); 4] = [&key.0, &key.1, &key.2, &key.3];
        a.query_one(INTENT, &params).await.unwrap();
        let err = b
            .query_one(INTENT, &params)
            .await
            .expect_err("a duplicate intent");
        assert_eq!(err.code(), Some(&SqlState::UNIQUE_VIOLATION), "{err}");
        assert_eq!(err.code().unwrap().code(), "23505");
        let db = err.as_db_error().expect("a server error");
        assert_eq!(db.constraint(), Some("intents_once"));
        // Another episode of the same dossier is a different intent.
        let next: (&str, i64, i64, &str) = ("instruire", 4242, 2, "accepter");
        b.query_one(INTENT, &[&next.0, &next.1, &next.2, &next.3])
            .await
            .unwrap();

        // The cross-host race: B's insert waits on A's uncommitted row, then loses with 23505.
        let race: (&str, i64, i64, &str) = ("instruire", 7, 1, "refuser");
        let ta = b.transaction().await.unwrap();
        ta.query_one(INTENT, &[&race.0, &race.1, &race.2, &race.3])
            .await
            .unwrap();
        let loser = tokio::spawn(async move {
            a.query_one(INTENT, &[&race.0, &race.1, &race.2, &race.3])
                .await
                .map(drop)
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            !loser.is_finished(),
            "the second insert must wait for the first transaction"
        );
        ta.commit().await.unwrap();
        let err = loser.await.unwrap().expect_err("the racing intent");
        assert_eq!(err.code(), Some(&SqlState::UNIQUE_VIOLATION), "{err}");
    });
}
