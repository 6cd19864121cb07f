//! The container registry's token server: `GET /jwt/auth` as Distribution's
//! token specification asks it (in process, both databases), and a real
//! Docker Distribution registry with skopeo pushing and pulling through it.

use super::support::{app, both_backends, enable_registry, registry_state, Reply, Rest, T0};
use crate::domain::instant::date_of;
use crate::domain::registry::RegistrySettings;
use crate::server::clock::ManualClock;
use crate::server::db::users::User;
use crate::server::services::audit::Actor;
use crate::server::services::{accounts, projects, registry, tokens};
use crate::server::state::AppState;
use axum::Router;
use base64::Engine;
use serde_json::{json, Value};

const PASSWORD: &str = "secret-password";

async fn user(st: &AppState, name: &str) -> User {
    accounts::register(st, name, &format!("{name}@example.com"), PASSWORD, false)
        .await
        .unwrap()
}

/// A token of `u`'s with `scopes`, valid for 30 days from the clock.
async fn token(st: &AppState, u: &User, scopes: &[&str]) -> String {
    let expires = crate::domain::lifetime::iso(date_of(st.now()) + time::Duration::days(30));
    tokens::create(st, &Actor::user(u), u, "registry", &expires, scopes)
        .await
        .unwrap()
        .secret
}

fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// `GET /jwt/auth` for `scopes`, with credentials when given.
async fn ask(app: &Router, credentials: Option<(&str, &str)>, scopes: &[&str]) -> Reply {
    let mut query = String::from("/jwt/auth?service=container_registry&client_id=docker");
    for scope in scopes {
        query.push_str("&scope=");
        query.extend(url::form_urlencoded::byte_serialize(scope.as_bytes()));
    }
    let mut request = Rest::get(app, query).sent_from([192, 0, 2, 1]);
    if let Some((user, password)) = credentials {
        request = request.header("authorization", basic(user, password));
    }
    request.send().await
}

/// The claims of the token in a 200 answer (its signature is the real
/// registry's to check, below).
fn claims(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(body["token"], body["access_token"]);
    assert_eq!(body["expires_in"], 300);
    let jwt = body["token"].as_str().unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// What a 200 answer grants: `[(name, actions)]`.
fn granted(reply: &Reply) -> Vec<(String, Vec<String>)> {
    claims(reply)["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["type"], "repository");
            let actions = a["actions"].as_array().unwrap().iter();
            (
                a["name"].as_str().unwrap().to_owned(),
                actions.map(|x| x.as_str().unwrap().to_owned()).collect(),
            )
        })
        .collect()
}

fn grant(name: &str, actions: &[&str]) -> Vec<(String, Vec<String>)> {
    vec![(
        name.to_owned(),
        actions.iter().map(|a| a.to_string()).collect(),
    )]
}

both_backends!(the_token_server_is_off_until_the_registry_is_enabled, |t| {
    let clock = ManualClock::at(T0);
    let st = registry_state(&t, &clock);
    let router = app(&t, st.clone()).await;
    let alice = user(&st, "alice").await;
    let secret = token(&st, &alice, &["api"]).await;
    let off = ask(&router, Some(("alice", &secret)), &[]).await;
    assert_eq!(off.status, 404, "{}", off.body);
    assert!(off.body.contains("not enabled"), "{}", off.body);

    enable_registry(&st, "127.0.0.1:5050").await;
    let on = ask(&router, Some(("alice", &secret)), &[]).await;
    // `docker login`: no scope, the credentials checked.
    let c = claims(&on);
    assert_eq!(c["iss"], "forgekey");
    assert_eq!(c["sub"], "alice");
    assert_eq!(c["aud"], "container_registry");
    assert_eq!(c["iat"], T0);
    assert_eq!(c["exp"], T0 + 300);
    assert_eq!(c["access"], json!([]));
    assert_eq!(on.headers["cache-control"], "no-store");

    // Another service than the registry's: not here.
    let other = Rest::get(&router, "/jwt/auth?service=dependency_proxy")
        .send()
        .await;
    assert_eq!(other.status, 404);
    // Each token is its own (`jti`).
    let again = claims(&ask(&router, Some(("alice", &secret)), &[]).await);
    assert_ne!(c["jti"], again["jti"]);
});

both_backends!(scopes_are_narrowed_to_what_the_token_may_do, |t| {
    let clock = ManualClock::at(T0);
    let st = registry_state(&t, &clock);
    let router = app(&t, st.clone()).await;
    enable_registry(&st, "127.0.0.1:5050").await;
    // The first account is the administrator's.
    user(&st, "root").await;
    let alice = user(&st, "alice").await;
    let bob = user(&st, "bob").await;
    for (owner, name, visibility) in [
        (&alice, "app", "private"),
        (&bob, "secret", "private"),
        (&bob, "open", "public"),
    ] {
        projects::create(&st, &Actor::user(owner), owner, name, "", visibility)
            .await
            .unwrap();
    }
    let read = token(&st, &alice, &["read_registry"]).await;
    let write = token(&st, &alice, &["write_registry"]).await;
    let api = token(&st, &alice, &["api"]).await;
    let both = "repository:alice/app/web:pull,push";

    let r = ask(&router, Some(("alice", &read)), &[both]).await;
    assert_eq!(granted(&r), grant("alice/app/web", &["pull"]));
    for secret in [&write, &api] {
        let r = ask(&router, Some(("alice", secret)), &[both]).await;
        assert_eq!(granted(&r), grant("alice/app/web", &["pull", "push"]));
    }
    // The project's own image, `*`, and an unknown action.
    let r = ask(
        &router,
        Some(("alice", &write)),
        &["repository:alice/app:*"],
    )
    .await;
    assert_eq!(granted(&r), grant("alice/app", &["pull", "push"]));
    let r = ask(
        &router,
        Some(("alice", &write)),
        &["repository:alice/app:delete"],
    )
    .await;
    assert_eq!(granted(&r), grant("alice/app", &[]));

    // Someone else's private project: nothing; a public one: pull only.
    let r = ask(
        &router,
        Some(("alice", &api)),
        &["repository:bob/secret:pull,push"],
    )
    .await;
    assert_eq!(granted(&r), grant("bob/secret", &[]));
    let r = ask(
        &router,
        Some(("alice", &api)),
        &["repository:bob/open/x:pull,push"],
    )
    .await;
    assert_eq!(granted(&r), grant("bob/open/x", &["pull"]));
    // No such project.
    let r = ask(
        &router,
        Some(("alice", &api)),
        &["repository:alice/nothing:pull"],
    )
    .await;
    assert_eq!(granted(&r), grant("alice/nothing", &[]));

    // Several scopes in one request (a cross-repository mount), the same
    // repository twice merged, other resources left out.
    let r = ask(
        &router,
        Some(("alice", &write)),
        &[
            "repository:alice/app/web:push",
            "repository:bob/open:pull",
            "repository:alice/app/web:pull",
            "registry:catalog:*",
        ],
    )
    .await;
    let mut all = granted(&r);
    all.sort();
    assert_eq!(
        all,
        vec![
            (
                "alice/app/web".to_owned(),
                vec!["pull".to_owned(), "push".to_owned()]
            ),
            ("bob/open".to_owned(), vec!["pull".to_owned()]),
        ]
    );

    // Anonymous: public pull only; the subject is empty.
    let r = ask(
        &router,
        None,
        &[
            "repository:bob/open:pull,push",
            "repository:bob/secret:pull",
        ],
    )
    .await;
    let c = claims(&r);
    assert_eq!(c["sub"], "");
    assert_eq!(
        c["access"],
        json!([
            {"type": "repository", "name": "bob/open", "actions": ["pull"]},
            {"type": "repository", "name": "bob/secret", "actions": []},
        ])
    );

    // By password (no 2FA): the whole account.
    let r = ask(&router, Some(("alice", PASSWORD)), &[both]).await;
    assert_eq!(granted(&r), grant("alice/app/web", &["pull", "push"]));
});

both_backends!(refused_credentials_are_401_and_count_toward_the_ban, |t| {
    let clock = ManualClock::at(T0);
    let st = registry_state(&t, &clock);
    let router = app(&t, st.clone()).await;
    enable_registry(&st, "127.0.0.1:5050").await;
    let alice = user(&st, "alice").await;
    let repository_only = token(&st, &alice, &["read_repository", "read_api"]).await;
    let revoked = token(&st, &alice, &["write_registry"]).await;
    let revoked_id = tokens::list(&st, alice.id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.scopes.iter().any(|s| s.as_str() == "write_registry"))
        .unwrap()
        .id;
    tokens::revoke(&st, &Actor::user(&alice), alice.id, revoked_id)
        .await
        .unwrap();

    for (user, secret) in [
        ("alice", repository_only.as_str()),
        ("alice", &revoked),
        ("alice", "wrong-password"),
    ] {
        let r = ask(
            &router,
            Some((user, secret)),
            &["repository:alice/app:pull"],
        )
        .await;
        assert_eq!(r.status, 401, "{}", r.body);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["errors"][0]["code"], "UNAUTHORIZED");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("HTTP Basic: Access denied"),
            "{}",
            r.body
        );
    }

    // A blocked user's token, and an expired one: refused.
    let dan = user(&st, "dan").await;
    let dans = token(&st, &dan, &["read_registry"]).await;
    assert_eq!(ask(&router, Some(("dan", &dans)), &[]).await.status, 200);
    // (alice, the first account, is the administrator.)
    crate::server::tests::support::block(&st, &alice, dan.id).await;
    assert_eq!(ask(&router, Some(("dan", &dans)), &[]).await.status, 401);

    // A 2FA user's password: refused with GitLab's hint to use a token.
    let (carol, _, _) =
        crate::server::tests::two_factor::enrol(&st, user(&st, "carol").await).await;
    clock.advance(crate::domain::two_factor::STEP_SECONDS);
    let r = ask(&router, Some(("carol", PASSWORD)), &[]).await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("required to use a token"), "{}", r.body);
    let carols = token(&st, &carol, &["read_registry"]).await;
    assert_eq!(
        ask(&router, Some(("carol", &carols)), &[]).await.status,
        200
    );

    // Ten failures from an address (five above) ban it, whatever it sends
    // next.
    for _ in 0..5 {
        assert_eq!(
            ask(&router, Some(("alice", "guess")), &[]).await.status,
            401
        );
    }
    let banned = ask(&router, Some(("carol", &carols)), &[]).await;
    assert_eq!(banned.status, 429, "{}", banned.body);
    assert!(banned.headers.contains_key("retry-after"));
});

both_backends!(expired_tokens_are_refused, |t| {
    let clock = ManualClock::at(T0);
    let st = registry_state(&t, &clock);
    let router = app(&t, st.clone()).await;
    enable_registry(&st, "127.0.0.1:5050").await;
    let alice = user(&st, "alice").await;
    // Valid for 30 days: until 00:00 UTC on its expiry date.
    let secret = token(&st, &alice, &["read_registry"]).await;
    clock.advance(30 * 86_400 - 1);
    assert_eq!(
        ask(&router, Some(("alice", &secret)), &[]).await.status,
        200
    );
    clock.advance(1);
    let expired = ask(&router, Some(("alice", &secret)), &[]).await;
    assert_eq!(expired.status, 401, "{}", expired.body);
});

both_backends!(registry_scopes_are_offered_only_while_enabled, |t| {
    let clock = ManualClock::at(T0);
    let st = registry_state(&t, &clock);
    let alice = user(&st, "alice").await;
    let expires = "2026-02-01";
    let refused = tokens::create(
        &st,
        &Actor::user(&alice),
        &alice,
        "r",
        expires,
        &["read_registry"],
    )
    .await;
    let Err(crate::server::services::ServiceError::Invalid(errors)) = refused else {
        panic!("read_registry accepted with the registry off: {refused:?}");
    };
    assert!(errors[0]
        .message
        .contains("only when the container registry is enabled"));

    enable_registry(&st, "127.0.0.1:5050").await;
    let kept = tokens::create(
        &st,
        &Actor::user(&alice),
        &alice,
        "r",
        expires,
        &["write_registry"],
    )
    .await
    .unwrap();
    // Turned off again: the token keeps its scope (and works again once
    // the registry is back).
    let off = RegistrySettings {
        enabled: false,
        host: "127.0.0.1:5050".to_owned(),
    };
    registry::configure(&st, &Actor::command_line(), &off)
        .await
        .unwrap();
    let listed = tokens::list(&st, alice.id).await.unwrap();
    let token = listed.iter().find(|t| t.id == kept.token.id).unwrap();
    assert_eq!(
        token.scopes,
        vec![crate::domain::scope::Scope::WriteRegistry]
    );
    let (events, _) = crate::server::services::audit::list(&st, &Default::default(), 0, 10)
        .await
        .unwrap();
    assert!(events
        .iter()
        .any(|e| e.details == "container registry: on (127.0.0.1:5050) → off (127.0.0.1:5050)"));
});

both_backends!(token_use_at_the_registry_is_recorded, |t| {
    let clock = ManualClock::at(T0);
    let st = registry_state(&t, &clock);
    let router = app(&t, st.clone()).await;
    enable_registry(&st, "127.0.0.1:5050").await;
    let alice = user(&st, "alice").await;
    let secret = token(&st, &alice, &["read_registry"]).await;
    clock.advance(60);
    assert_eq!(
        ask(&router, Some(("alice", &secret)), &[]).await.status,
        200
    );
    // Recorded in the background, off the request path.
    let mut recorded = None;
    for _ in 0..50 {
        recorded = tokens::list(&st, alice.id).await.unwrap()[0].last_used_at;
        if recorded.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(recorded, Some(T0 + 60));
});

/// A small OCI image in an OCI layout directory (what `skopeo copy oci:…`
/// reads): one layer holding `hello.txt` with `content`.
pub(super) fn oci_image(dir: &std::path::Path, tag: &str, content: &[u8]) {
    use sha2::{Digest, Sha256};
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let digest = hex::encode(Sha256::digest(bytes));
        std::fs::write(blobs.join(&digest), bytes).unwrap();
        (format!("sha256:{digest}"), bytes.len())
    };
    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("hello.txt"), content).unwrap();
    let tar = files.path().join("layer.tar");
    let made = std::process::Command::new("tar")
        .args(["--owner=0", "--group=0", "--mtime=@0", "-C"])
        .arg(files.path())
        .arg("-cf")
        .arg(&tar)
        .arg("hello.txt")
        .status()
        .unwrap();
    assert!(made.success());
    let (layer, layer_size) = put(&std::fs::read(&tar).unwrap());
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [layer]},
    });
    let (config, config_size) = put(config.to_string().as_bytes());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size}],
    });
    let (manifest, manifest_size) = put(manifest.to_string().as_bytes());
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest,
            "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// The manifest digest an OCI layout's index names for `tag`.
fn manifest_of(dir: &std::path::Path, tag: &str) -> String {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let entry = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap();
    entry["digest"].as_str().unwrap().to_owned()
}

/// What `hello.txt` holds in the one layer of an OCI layout's image
/// `tag` (compressed or not).
fn layer_text(dir: &std::path::Path, tag: &str) -> String {
    let blob = |digest: &str| {
        dir.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let read = |path: std::path::PathBuf| -> Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let manifest = read(blob(&manifest_of(dir, tag)));
    let layer = blob(manifest["layers"][0]["digest"].as_str().unwrap());
    // GNU tar reads gzip and plain archives alike.
    let out = std::process::Command::new("tar")
        .arg("-xOf")
        .arg(layer)
        .arg("hello.txt")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A real registry client: skopeo, with a home of its own (no stored
/// credentials) and a plain-HTTP registry.
pub(super) struct Skopeo {
    home: tempfile::TempDir,
}

impl Skopeo {
    pub(super) fn new() -> Self {
        assert!(
            which("skopeo"),
            "skopeo is not installed: scripts/setup.sh installs it (FORGEKEY_SETUP_TESTS=1)"
        );
        Self {
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// `skopeo copy from to`, with `credentials` (user:password) for the
    /// registry side; whether it worked, and what it said.
    pub(super) async fn copy(
        &self,
        from: &str,
        to: &str,
        credentials: Option<&str>,
    ) -> (bool, String) {
        let mut command = tokio::process::Command::new("skopeo");
        command
            .env("HOME", self.home.path())
            .env("XDG_RUNTIME_DIR", self.home.path())
            .args(["--insecure-policy", "copy", "--quiet", "--digestfile"])
            .arg(self.digest_file())
            .args(["--src-tls-verify=false", "--dest-tls-verify=false"]);
        if let Some(credentials) = credentials {
            let side = if to.starts_with("docker://") {
                "--dest-creds"
            } else {
                "--src-creds"
            };
            command.arg(side).arg(credentials);
        } else {
            let side = if to.starts_with("docker://") {
                "--dest-no-creds"
            } else {
                "--src-no-creds"
            };
            command.arg(side);
        }
        let out = command.arg(from).arg(to).output().await.unwrap();
        let said = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        (out.status.success(), said)
    }
}

impl Skopeo {
    fn digest_file(&self) -> std::path::PathBuf {
        self.home.path().join("pushed.digest")
    }

    /// The manifest digest the last push wrote.
    pub(super) fn pushed_digest(&self) -> String {
        std::fs::read_to_string(self.digest_file())
            .unwrap()
            .trim()
            .to_owned()
    }
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// A free loopback port (for the registry to listen on).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether something listens on `addr` within `seconds`.
async fn listening(addr: std::net::SocketAddr, seconds: u64) -> bool {
    for _ in 0..seconds * 10 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// Forgekey and a real registry (Debian's docker-registry, Distribution
/// 2.8) started by Forgekey's supervisor, on the system clock: the
/// registry checks each token's times and signature itself.
pub(super) struct RealRegistry {
    pub st: AppState,
    /// Where images are named: `127.0.0.1:<port>`.
    pub host: String,
    pub work: tempfile::TempDir,
    supervisor: Option<crate::server::registry::process::Supervisor>,
    log: std::path::PathBuf,
}

impl RealRegistry {
    pub(super) async fn start(t: &super::support::TestDb) -> Self {
        assert!(
            which("docker-registry"),
            "docker-registry is not installed: scripts/setup.sh installs it (FORGEKEY_SETUP_TESTS=1)"
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let clock = ManualClock::at(now);
        let st = registry_state(t, &clock);
        let forgekey = super::git::serve(app(t, st.clone()).await).await;
        let work = tempfile::tempdir().unwrap();
        let key = st.registry_key.clone().unwrap();
        let layout = crate::server::registry::process::Layout::in_data_dir(
            work.path(),
            ([127, 0, 0, 1], free_port()).into(),
            &format!("http://{forgekey}"),
            "a test secret".to_owned(),
        );
        std::fs::write(&layout.certificate, &key.certificate).unwrap();
        let listen = layout.listen;
        let host = listen.to_string();
        enable_registry(&st, &host).await;
        let log = work.path().join("registry.log");
        let supervisor = crate::server::registry::process::supervise(
            st.clone(),
            "docker-registry".into(),
            layout,
            work.path().join("registry.yml"),
            log.clone(),
        );
        let registry = Self {
            st,
            host,
            work,
            supervisor: Some(supervisor),
            log,
        };
        assert!(
            listening(listen, 20).await,
            "the registry did not start:\n{}",
            registry.log()
        );
        registry
    }

    pub(super) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(super) fn image(&self, path: &str) -> String {
        format!("docker://{}/{path}", self.host)
    }

    pub(super) async fn stop(mut self) {
        let addr: std::net::SocketAddr = self.host.parse().unwrap();
        if let Some(supervisor) = self.supervisor.take() {
            supervisor.stop().await;
        }
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "the registry stopped with Forgekey"
        );
    }
}

both_backends!(skopeo_pushes_and_pulls_through_a_real_registry, |t| {
    let registry = RealRegistry::start(&t).await;
    let st = &registry.st;
    // The first account is the administrator's.
    user(st, "root").await;
    let alice = user(st, "alice").await;
    let bob = user(st, "bob").await;
    for (name, visibility) in [("app", "private"), ("site", "public")] {
        projects::create(st, &Actor::user(&alice), &alice, name, "", visibility)
            .await
            .unwrap();
    }
    let write = token(st, &alice, &["write_registry"]).await;
    let read = token(st, &alice, &["read_registry"]).await;
    let bobs = token(st, &bob, &["api"]).await;
    let no_registry = token(st, &alice, &["read_api", "read_repository"]).await;
    let skopeo = Skopeo::new();
    let image = registry.work.path().join("image");
    oci_image(&image, "1", b"hello from forgekey\n");
    let source = format!("oci:{}:1", image.display());
    let as_alice = |secret: &str| format!("alice:{secret}");

    // Pushed with write_registry, pulled back: the same image.
    let (ok, said) = skopeo
        .copy(
            &source,
            &registry.image("alice/app/web:1"),
            Some(&as_alice(&write)),
        )
        .await;
    assert!(ok, "push: {said}\n{}", registry.log());
    let back = registry.work.path().join("back");
    let (ok, said) = skopeo
        .copy(
            &registry.image("alice/app/web:1"),
            &format!("oci:{}:1", back.display()),
            Some(&as_alice(&read)),
        )
        .await;
    assert!(ok, "pull: {said}");
    // The image pulled is the one pushed (skopeo compressed its layer on
    // the way in: the digest is the registry's manifest's).
    let pushed = skopeo.pushed_digest();
    assert!(pushed.starts_with("sha256:"), "{pushed}");
    assert_eq!(manifest_of(&back, "1"), pushed);
    assert_eq!(layer_text(&back, "1"), "hello from forgekey\n");

    // read_registry pulls but cannot push.
    let (ok, said) = skopeo
        .copy(
            &source,
            &registry.image("alice/app/web:2"),
            Some(&as_alice(&read)),
        )
        .await;
    assert!(!ok, "read_registry pushed: {said}");
    assert!(
        said.contains("denied") || said.contains("unauthorized"),
        "{said}"
    );
    // Another user's private project: refused.
    let elsewhere = format!("oci:{}:1", registry.work.path().join("bob").display());
    let (ok, said) = skopeo
        .copy(
            &registry.image("alice/app/web:1"),
            &elsewhere,
            Some(&format!("bob:{bobs}")),
        )
        .await;
    assert!(!ok, "bob pulled alice's private image: {said}");
    // No registry scope: the credentials themselves are refused.
    let (ok, said) = skopeo
        .copy(
            &registry.image("alice/app/web:1"),
            &elsewhere,
            Some(&as_alice(&no_registry)),
        )
        .await;
    assert!(!ok, "{said}");

    // Anonymous: a public project's image, not a private one's.
    let (ok, said) = skopeo
        .copy(
            &source,
            &registry.image("alice/site:latest"),
            Some(&as_alice(&write)),
        )
        .await;
    assert!(ok, "{said}");
    let anonymous = registry.work.path().join("anonymous");
    let (ok, said) = skopeo
        .copy(
            &registry.image("alice/site:latest"),
            &format!("oci:{}:1", anonymous.display()),
            None,
        )
        .await;
    assert!(ok, "anonymous pull of a public image: {said}");
    assert_eq!(layer_text(&anonymous, "1"), "hello from forgekey\n");
    let (ok, said) = skopeo
        .copy(&registry.image("alice/app/web:1"), &elsewhere, None)
        .await;
    assert!(!ok, "anonymous pull of a private image: {said}");

    // Revoked: refused at once.
    let write_id = tokens::list(st, alice.id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.scopes.iter().any(|s| s.as_str() == "write_registry"))
        .unwrap()
        .id;
    tokens::revoke(st, &Actor::user(&alice), alice.id, write_id)
        .await
        .unwrap();
    let (ok, said) = skopeo
        .copy(
            &source,
            &registry.image("alice/app/web:3"),
            Some(&as_alice(&write)),
        )
        .await;
    assert!(!ok, "a revoked token pushed: {said}");

    // A 2FA user's password: refused; their token works.
    let (carol, _, _) = crate::server::tests::two_factor::enrol(st, user(st, "carol").await).await;
    projects::create(st, &Actor::user(&carol), &carol, "tools", "", "private")
        .await
        .unwrap();
    let (ok, said) = skopeo
        .copy(
            &source,
            &registry.image("carol/tools:1"),
            Some(&format!("carol:{PASSWORD}")),
        )
        .await;
    assert!(!ok, "a 2FA user's password pushed: {said}");
    let carols = token(st, &carol, &["write_registry"]).await;
    let (ok, said) = skopeo
        .copy(
            &source,
            &registry.image("carol/tools:1"),
            Some(&format!("carol:{carols}")),
        )
        .await;
    assert!(ok, "{said}");

    registry.stop().await;
});
