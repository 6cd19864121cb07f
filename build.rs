//! Whether the database tests also run on PostgreSQL: only where a server
//! is named (`FORGEKEY_TEST_PG_URL`, which scripts/test.sh always sets).
//! Without one, `cargo test` runs every test on SQLite and lists the
//! PostgreSQL runs as ignored, saying why.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(forgekey_test_pg)");
    println!("cargo::rerun-if-env-changed=FORGEKEY_TEST_PG_URL");
    if std::env::var_os("FORGEKEY_TEST_PG_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=forgekey_test_pg");
    }
}
