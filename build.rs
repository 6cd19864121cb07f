//! Whether the database tests also run on PostgreSQL: only where a server
//! is named (`FORGEKEY_TEST_PG_URL`, which scripts/test.sh always sets).
//! Without one, `cargo test` runs every test on SQLite and lists the
//! PostgreSQL runs as ignored, saying why. And a changed migration
//! rebuilds the crate that embeds it.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(forgekey_test_pg)");
    println!("cargo::rerun-if-env-changed=FORGEKEY_TEST_PG_URL");
    // `sqlx::migrate!` embeds the migrations at compile time; cargo does not
    // see them as sources, so a changed or added migration must rebuild.
    println!("cargo::rerun-if-changed=migrations");
    if std::env::var_os("FORGEKEY_TEST_PG_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=forgekey_test_pg");
    }
}
