#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    forgekey::server::cli::main().await
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The front end is the wasm library (`hydrate`); this binary is the server.
}
