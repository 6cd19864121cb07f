//! The `forgekey` command line, run as operators run it: the built binary
//! on a fresh data folder (SQLite), its output and exit status.
#![cfg(feature = "ssr")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A data folder and the binary that works on it.
struct Forgekey {
    data: tempfile::TempDir,
}

/// What one command did.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Forgekey {
    fn new() -> Self {
        Self {
            data: tempfile::tempdir().unwrap(),
        }
    }

    fn data_dir(&self) -> &Path {
        self.data.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_forgekey"));
        command
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("FORGEKEY_SECRET")
            .env_remove("FORGEKEY_PUBLIC_URL")
            .env("RUST_LOG", "warn");
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        Run::of(self.command(args).output().unwrap())
    }

    /// Runs with `input` on standard input (passwords).
    fn run_with_input(&self, args: &[&str], input: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        Run::of(child.wait_with_output().unwrap())
    }

    /// `token create` for root with `scopes`, expiring in `days`.
    fn create_token(&self, name: &str, scopes: &str, days: i64) -> Run {
        let expires = in_days(days);
        self.run(&[
            "token",
            "create",
            "--user",
            "root",
            "--name",
            name,
            "--scopes",
            scopes,
            "--expires-at",
            &expires,
        ])
    }

    fn create_user(&self, name: &str, email: &str) -> Run {
        self.run_with_input(
            &[
                "user",
                "create",
                "--username",
                name,
                "--email",
                email,
                "--password-stdin",
            ],
            "a-strong-password\n",
        )
    }
}

impl Run {
    fn of(output: Output) -> Self {
        Self {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Succeeded; its standard output.
    fn out(&self) -> &str {
        assert!(self.ok, "failed: {}{}", self.stdout, self.stderr);
        &self.stdout
    }

    /// Failed with exactly one line on standard error containing `want`.
    fn refused_with(&self, want: &str) {
        assert!(!self.ok, "succeeded: {}", self.stdout);
        assert_eq!(self.stderr.lines().count(), 1, "{}", self.stderr);
        assert!(self.stderr.contains(want), "{}", self.stderr);
    }
}

/// `YYYY-MM-DD`, `days` from today (UTC).
fn in_days(days: i64) -> String {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    forgekey::domain::lifetime::iso(date)
}

fn repository(data: &Path, id: i64) -> PathBuf {
    data.join("repositories").join(format!("{id}.git"))
}

#[test]
fn users_the_secret_file_and_help() {
    let fk = Forgekey::new();
    let root = fk.create_user("root", "root@example.com");
    assert!(root.out().contains("administrator"), "{}", root.stdout);
    fk.create_user("Root", "other@example.com")
        .refused_with("already been taken");
    let list = fk.run(&["user", "list"]);
    assert!(list.out().contains("root@example.com"));
    assert!(list.out().lines().next().unwrap().contains("2FA"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(fk.data_dir().join("secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(fk.run(&["--help"]).out().contains("serve"));
    fk.run(&["user", "disable-two-factor", "--user", "root"])
        .refused_with("does not have two-factor authentication enabled");
    // Never the last administrator; any other account.
    fk.run(&["user", "block", "--user", "root"])
        .refused_with("at least one administrator");
    fk.create_user("eve", "eve@example.com").out();
    // A new password from standard input, for instances without mail.
    let reset = [
        "user",
        "reset-password",
        "--user",
        "eve",
        "--password-stdin",
    ];
    fk.run_with_input(&reset, "short\n")
        .refused_with("too short");
    let done = fk.run_with_input(&reset, "another-long-password\n");
    assert!(
        done.out().contains("Password reset for 'eve'"),
        "{}",
        done.stdout
    );
    let audited = fk.run(&["audit", "list", "--action", "password_reset"]);
    assert!(audited.out().contains("eve"), "{}", audited.stdout);
    let blocked = fk.run(&["user", "block", "--user", "eve"]);
    assert!(
        blocked.out().contains("'eve' is blocked"),
        "{}",
        blocked.stdout
    );
}

#[test]
fn tokens_are_created_listed_revoked_and_unrevoked() {
    let fk = Forgekey::new();
    fk.create_user("root", "root@example.com").out();
    let created = fk.create_token("ci", "api,read_user", 30);
    // The secret is the last line, and only there.
    let secret = created.out().lines().last().unwrap().to_owned();
    assert!(
        secret.starts_with("fkpat-") && secret.len() == 55,
        "{secret}"
    );
    let list = fk.run(&["token", "list", "--user", "root"]);
    let line = list.out().lines().find(|l| l.contains(" ci ")).unwrap();
    assert!(
        line.contains("api,read_user") && line.ends_with("active"),
        "{line}"
    );
    assert!(!list.out().contains("fkpat-"));

    let create = |name: &str, scopes: &str, expires: &str| {
        fk.run(&[
            "token",
            "create",
            "--user",
            name,
            "--name",
            "x",
            "--scopes",
            scopes,
            "--expires-at",
            expires,
        ])
    };
    create("root", "api,everything", "2030-01-01").refused_with("Unknown scope 'everything'");
    create("nobody", "api", "2030-01-01").refused_with("no user named 'nobody'");
    create("root", "api", "31/12/2026").refused_with("YYYY-MM-DD");
    create("root", "api", "2099-01-01").refused_with("at most 365 days");
    // Where it may be used from, checked as in the browser.
    let from = |ips: &str| {
        fk.run(&[
            "token",
            "create",
            "--user",
            "root",
            "--name",
            "office",
            "--scopes",
            "api",
            "--allowed-ips",
            ips,
        ])
    };
    let limited = from("192.0.2.0/24,2001:db8::/32");
    assert!(
        limited
            .out()
            .contains(", usable only from 192.0.2.0/24, 2001:db8::/32. It is shown only once:"),
        "{}",
        limited.stdout
    );
    from("the office").refused_with("the is not an IP address or CIDR range");
    // And the projects it may reach: ones that exist.
    fk.run(&[
        "token",
        "create",
        "--user",
        "root",
        "--name",
        "site",
        "--scopes",
        "api",
        "--projects",
        "root/nope",
    ])
    .refused_with("There is no project root/nope that you can reach.");
    // Without a date, the longest lifetime allowed (GitLab 16).
    let year = fk.run(&[
        "token", "create", "--user", "root", "--name", "y", "--scopes", "api",
    ]);
    let a_year = time::OffsetDateTime::now_utc().date() + time::Duration::days(365);
    let a_year = forgekey::domain::token::expires_at(a_year).unix_timestamp();
    assert!(
        year.out().contains(&format!(
            "expiring {}",
            forgekey::domain::instant::date(a_year)
        )),
        "{}",
        year.stdout
    );

    // A description, as GitLab 17.7 has, bounded as in the browser.
    let describe = |text: &str| {
        fk.run(&[
            "token",
            "create",
            "--user",
            "root",
            "--name",
            "d",
            "--scopes",
            "api",
            "--description",
            text,
        ])
    };
    describe(&"d".repeat(256)).refused_with("The description is too long");
    assert!(describe("Backs up nightly").out().contains("Created"));

    // The tokens behind secrets found somewhere, one a line; revoked on request.
    let secret = describe("Found in a paste")
        .out()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let input = format!("{secret}\n\nnot-a-token\nfkpat-{}\n", "x".repeat(10));
    let found = fk.run_with_input(&["token", "find"], &input);
    let lines: Vec<&str> = found.out().lines().collect();
    assert_eq!(lines.len(), 3, "{}", found.stdout);
    assert!(
        lines[0].starts_with("line 1: root's token d (id "),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with(": active"), "{}", lines[0]);
    assert_eq!(lines[1], "line 3: not a Forgekey token");
    assert_eq!(lines[2], "line 4: no such token");
    assert!(!found.stdout.contains(&secret[6..]));
    let revoked = fk.run_with_input(&["token", "find", "--revoke"], &secret);
    assert!(
        revoked.out().ends_with("active, revoked now\n"),
        "{}",
        revoked.stdout
    );
    let again = fk.run_with_input(&["token", "find", "--revoke"], &secret);
    assert!(again.out().ends_with(": revoked\n"), "{}", again.stdout);

    assert!(fk.run(&["token", "revoke", "1"]).out().contains("Revoked"));
    let list = fk.run(&["token", "list", "--user", "root"]);
    assert!(list.out().contains("revoked"));
    fk.run(&["token", "revoke", "999"])
        .refused_with("no token with id 999");
    assert!(fk
        .run(&["token", "unrevoke", "1"])
        .out()
        .contains("Unrevoked"));
    let list = fk.run(&["token", "list", "--user", "root"]);
    let line = list
        .out()
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap();
    assert!(line.ends_with("active"), "{line}");
    fk.run(&["token", "unrevoke", "1"])
        .refused_with("The token is not revoked");
}

#[test]
fn projects_get_a_repository() {
    let fk = Forgekey::new();
    fk.create_user("root", "root@example.com").out();
    let created = fk.run(&["project", "create", "--user", "root", "--name", "My Tool"]);
    assert!(created.out().contains("root/my-tool"), "{}", created.stdout);
    assert!(repository(fk.data_dir(), 1).join("HEAD").is_file());
    fk.run(&["project", "create", "--user", "root", "--name", "my tool"])
        .refused_with("Path has already been taken");
    let list = fk.run(&["project", "list", "--user", "root"]);
    assert!(list.out().contains("root/my-tool"));
}

#[test]
fn settings_and_a_lowered_limit_that_asks_for_confirmation() {
    let fk = Forgekey::new();
    fk.create_user("root", "root@example.com").out();
    let set = fk.run(&["settings", "set", "--git-password-auth", "off"]);
    assert!(set
        .out()
        .lines()
        .any(|l| l.starts_with("git-password-auth") && l.ends_with(" off")));
    fk.run(&["settings", "set", "--token-max-lifetime-days", "0"])
        .refused_with("from 1 to 365");
    fk.create_token("long", "api", 30).out();
    fk.run(&["settings", "set", "--token-max-lifetime-days", "7"])
        .refused_with(
            "A limit of 7 days revokes 1 active token of 1 user now, and mails their owners. \
             Add --confirm",
        );
    let days = |fk: &Forgekey| {
        fk.run(&["settings", "show"])
            .out()
            .lines()
            .find(|l| l.starts_with("token-max-lifetime-days"))
            .unwrap()
            .split_whitespace()
            .last()
            .unwrap()
            .to_owned()
    };
    assert_eq!(days(&fk), "365", "nothing changed");
    let set = fk.run(&[
        "settings",
        "set",
        "--token-max-lifetime-days",
        "7",
        "--confirm",
    ]);
    assert!(
        set.out().contains("Revoked 1 token expiring beyond"),
        "{}",
        set.stdout
    );
    assert_eq!(days(&fk), "7");
    // Without a date: the limit (now 7 days) while an expiry is required,
    // none only while administrators allow tokens without one.
    let forever = [
        "token", "create", "--user", "root", "--name", "forever", "--scopes", "api",
    ];
    let week = time::OffsetDateTime::now_utc().date() + time::Duration::days(7);
    let week = forgekey::domain::token::expires_at(week).unix_timestamp();
    assert!(fk.run(&forever).out().contains(&format!(
        "expiring {}",
        forgekey::domain::instant::date(week)
    )));
    fk.run(&["settings", "set", "--token-expiry-required", "off"])
        .out();
    assert!(fk.run(&forever).out().contains("expiring never"));
}

#[test]
fn daily_jobs_by_hand() {
    let fk = Forgekey::new();
    fk.create_user("root", "root@example.com").out();
    fk.create_token("soon", "api", 3).out();
    // A token expiring in 3 days is notified once.
    let first = fk.run(&["jobs", "run", "expiring-soon"]);
    assert!(
        first.out().contains("Sent 1 mails about 1 tokens"),
        "{}",
        first.stdout
    );
    let again = fk.run(&["jobs", "run", "expiring-soon"]);
    assert!(again.out().contains("Sent 0 mails"), "{}", again.stdout);
    fk.run(&["token", "revoke", "1"]).out();
    let later = (time::OffsetDateTime::now_utc() + time::Duration::days(40))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let purged = fk.run(&["jobs", "run", "purge-revoked", "--at", &later]);
    assert!(
        purged.out().contains("Deleted 1 revoked tokens"),
        "{}",
        purged.stdout
    );
    fk.run(&["jobs", "run", "purge-revoked", "--at", "yesterday"])
        .refused_with("RFC 3339");

    // Unused tokens: off by default; on, a token unused for the period is
    // first warned of, and revoked a week later.
    fk.create_token("idle", "api", 300).out();
    fk.run(&["settings", "set", "--unused-token-revoke-days", "7"])
        .refused_with("14 to 3650 days");
    let set = fk.run(&["settings", "set", "--unused-token-revoke-days", "30"]);
    assert!(
        set.out()
            .lines()
            .any(|l| l.starts_with("unused-token-revoke-days") && l.ends_with(" 30")),
        "{}",
        set.stdout
    );
    let at = |days: i64| {
        (time::OffsetDateTime::now_utc() + time::Duration::days(days))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let warned = fk.run(&["jobs", "run", "revoke-unused", "--at", &at(31)]);
    assert!(
        warned
            .out()
            .contains("Warned of 1 unused tokens and revoked 0, in 1 mails."),
        "{}",
        warned.stdout
    );
    let revoked = fk.run(&["jobs", "run", "revoke-unused", "--at", &at(38)]);
    assert!(
        revoked
            .out()
            .contains("Warned of 0 unused tokens and revoked 1, in 1 mails."),
        "{}",
        revoked.stdout
    );
}

#[test]
fn the_audit_log_records_the_command_line() {
    let fk = Forgekey::new();
    fk.create_user("root", "root@example.com").out();
    fk.create_token("ci", "api", 30).out();
    fk.run(&["token", "revoke", "1"]).out();
    let created = fk.run(&["audit", "list", "--action", "user_created"]);
    assert!(created
        .out()
        .lines()
        .any(|l| l.contains("command line") && l.contains("administrator")));
    let revoked = fk.run(&[
        "audit",
        "list",
        "--actor",
        "command line",
        "--action",
        "token_revoked",
    ]);
    assert!(revoked.out().contains("token 'ci'"), "{}", revoked.stdout);
    fk.run(&["audit", "list", "--action", "nonsense"])
        .refused_with("Unknown action 'nonsense'");
}

#[test]
fn another_server_secret_is_refused_before_anything_runs() {
    let fk = Forgekey::new();
    fk.create_user("root", "root@example.com").out();
    // A second instance given the same data but its own secret (here, the
    // environment's instead of the data folder's file).
    let other = Run::of(
        fk.command(&["user", "list"])
            .env("FORGEKEY_SECRET", "ab".repeat(64))
            .output()
            .unwrap(),
    );
    other.refused_with("first used with another server secret");
    assert!(
        !other.stderr.contains(&"ab".repeat(64)),
        "the secret is never printed"
    );
    // The right one still works.
    assert!(fk.run(&["user", "list"]).out().contains("root"));
}

#[test]
fn logs_can_be_one_json_object_a_line() {
    let fk = Forgekey::new();
    fk.create_user("root", "root@example.com").out();
    let out = Run::of(
        fk.command(&["--log-format", "json", "user", "list"])
            .env("RUST_LOG", "debug")
            .output()
            .unwrap(),
    );
    assert!(out.ok, "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().filter(|l| !l.is_empty()).collect();
    assert!(!lines.is_empty(), "debug logs something");
    for line in lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            v["level"].is_string() && v["timestamp"].is_string(),
            "{line}"
        );
    }
}

#[test]
fn backups_are_written_once_and_name_the_secret_to_keep() {
    let fk = Forgekey::new();
    fk.create_user("root", "root@example.com").out();
    let to = fk.data_dir().join("copy.db");
    let to = to.to_str().unwrap();
    let done = fk.run(&["backup", "--to", to]);
    assert!(
        done.out().contains("Keep the server secret"),
        "{}",
        done.stdout
    );
    assert!(std::fs::metadata(to).unwrap().len() > 0);
    fk.run(&["backup", "--to", to])
        .refused_with("already exists");
}

#[test]
fn the_container_registry_is_turned_on_and_its_configuration_printed() {
    let fk = Forgekey::new();
    fk.create_user("root", "root@example.com").out();
    let status = fk.run(&["registry", "status"]);
    assert_eq!(status.out(), "enabled: no\nhost: \n");
    // Its scopes wait for it.
    fk.create_token("ci", "read_registry", 30)
        .refused_with("available only when the container registry is enabled");

    fk.run(&["registry", "enable", "--host", "bad host"])
        .refused_with("host or host:port");
    let on = fk.run(&["registry", "enable", "--host", "Registry.Example.com:5050"]);
    assert_eq!(on.out(), "enabled: yes\nhost: registry.example.com:5050\n");
    fk.create_token("ci", "read_registry,write_registry", 30)
        .out();

    let config = fk.run(&[
        "registry",
        "config",
        "--forgekey-url",
        "https://keys.example.com",
    ]);
    let yaml = config.out();
    let data = fk.data_dir().display().to_string();
    for line in [
        "    realm: \"https://keys.example.com/jwt/auth\"".to_owned(),
        "    service: \"container_registry\"".to_owned(),
        "    issuer: \"forgekey\"".to_owned(),
        format!("    rootcertbundle: \"{data}/registry-auth.crt\""),
        format!("    rootdirectory: \"{data}/registry\""),
        "  addr: \"127.0.0.1:5050\"".to_owned(),
    ] {
        assert!(yaml.lines().any(|l| l == line), "{line} in\n{yaml}");
    }
    // The key is made once, private; the certificate is the registry's.
    let key = fk.data_dir().join("registry-auth.key");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let cert = std::fs::read_to_string(fk.data_dir().join("registry-auth.crt")).unwrap();
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
    // The same secret, the same configuration.
    assert_eq!(
        fk.run(&[
            "registry",
            "config",
            "--forgekey-url",
            "https://keys.example.com"
        ])
        .out(),
        yaml
    );

    let off = fk.run(&["registry", "disable"]);
    assert_eq!(off.out(), "enabled: no\nhost: registry.example.com:5050\n");
    let audit = fk.run(&["audit", "list", "--action", "settings_changed"]);
    assert!(
        audit
            .out()
            .contains("container registry: off → on (registry.example.com:5050)"),
        "{}",
        audit.out()
    );
}
