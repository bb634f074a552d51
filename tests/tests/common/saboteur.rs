//! Makes the accounts store refuse every audit row written by `saboteur`, so that a test
//! can check that a write whose audit row fails leaves nothing behind.
//!
//! Include with `#[path = "common/saboteur.rs"] mod saboteur;`.
#![allow(dead_code)]

/// In `accounts.sqlite` at `file`.
pub fn plant_sqlite(file: &std::path::Path) {
    let conn = rusqlite::Connection::open(file).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER saboteur BEFORE INSERT ON audit WHEN NEW.who = 'saboteur'
         BEGIN SELECT RAISE(ABORT, 'test: audit refused'); END;",
    )
    .unwrap();
}

/// In PostGIS, through `c`.
pub async fn plant_pg(c: &tokio_postgres::Client) {
    c.batch_execute(
        "CREATE FUNCTION civmap.test_saboteur() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'test: audit refused'; END $$;
         CREATE TRIGGER saboteur BEFORE INSERT ON civmap.audit FOR EACH ROW
           WHEN (NEW.who = 'saboteur') EXECUTE FUNCTION civmap.test_saboteur();",
    )
    .await
    .unwrap();
}
