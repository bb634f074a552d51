//! Users, logins and the audit log end to end: `civmap user …` writes the accounts of a
//! state directory or of PostGIS, a running `civmap serve` signs those users in, a user
//! removed from the command line loses their token at once, and the audit log refuses
//! every edit in the database itself.

mod common;
#[path = "common/pg.rs"]
mod pg;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{bin, Server};
use serde_json::{json, Value};

/// `civmap ARGS` with `stdin` piped in.
fn civmap_with_stdin(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run civmap");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "civmap failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn login(server: &Server, name: &str, password: &str) -> (u16, Value) {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/auth/token", server.base))
        .json(&json!({"name": name, "password": password}))
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

fn me(server: &Server, token: &str) -> u16 {
    reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/me", server.base))
        .bearer_auth(token)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn users_added_and_removed_from_the_command_line_sign_in_and_out_of_a_running_server() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_str().unwrap();
    let pw = "planner password 1\n";
    ok(&civmap_with_stdin(
        &[
            "user",
            "add",
            "li.planner",
            "--role",
            "planner",
            "--password-stdin",
            "--state",
            dir,
        ],
        pw,
    ));
    // a weak password, a bad name, a district on a planner: refused with the reason
    for (args, needle) in [
        (
            vec![
                "user",
                "add",
                "short",
                "--role",
                "planner",
                "--password-stdin",
            ],
            "at least 10",
        ),
        (
            vec![
                "user",
                "add",
                "bad name",
                "--role",
                "planner",
                "--password-stdin",
            ],
            "name",
        ),
        (
            vec![
                "user",
                "add",
                "p2",
                "--role",
                "planner",
                "--district",
                "330106000000",
                "--password-stdin",
            ],
            "only a surveyor",
        ),
        (
            vec![
                "user",
                "add",
                "li.planner",
                "--role",
                "admin",
                "--password-stdin",
            ],
            "already exists",
        ),
    ] {
        let mut args = args.clone();
        args.extend(["--state", dir]);
        let pw = if needle == "at least 10" {
            "short\n"
        } else {
            pw
        };
        let o = civmap_with_stdin(&args, pw);
        assert!(!o.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // the password is never on the command line
    let o = civmap_with_stdin(
        &[
            "user",
            "add",
            "x",
            "--role",
            "planner",
            "--password",
            "p",
            "--state",
            dir,
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(2));
    let listed = ok(&civmap_with_stdin(&["user", "list", "--state", dir], ""));
    assert!(listed.starts_with("li.planner\tplanner\t-\t"), "{listed}");
    let db = std::fs::read(state.path().join("accounts.sqlite")).unwrap();
    assert!(
        !db.windows(b"planner password 1".len())
            .any(|w| w == b"planner password 1"),
        "the password itself must not be stored"
    );

    let server = Server::start(&[], &[("CIVMAP_STATE_DIR", Path::new(dir))]);
    let (s, v) = login(&server, "li.planner", "planner password 1");
    assert_eq!(s, 200, "{v}");
    let token = v["token"].as_str().unwrap().to_owned();
    assert_eq!(me(&server, &token), 200);
    assert_eq!(login(&server, "li.planner", "wrong password!!").0, 401);
    // removed from the command line while the server runs: the token dies at once
    ok(&civmap_with_stdin(
        &["user", "remove", "li.planner", "--state", dir],
        "",
    ));
    assert_eq!(me(&server, &token), 401);
    assert_eq!(login(&server, "li.planner", "planner password 1").0, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn postgis_keeps_users_and_an_audit_log_that_refuses_every_edit() {
    let db = pg::TestDb::create().await;
    let url = db.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        ok(&civmap_with_stdin(
            &[
                "user",
                "add",
                "wang",
                "--role",
                "surveyor",
                "--district",
                "330106000000",
                "--password-stdin",
                "--db",
                &url,
            ],
            "surveyor password\n",
        ));
        ok(&civmap_with_stdin(&["user", "list", "--db", &url], ""))
    })
    .await
    .unwrap();
    assert!(out.starts_with("wang\tsurveyor\t330106000000\t"), "{out}");
    let c = db.client().await;
    let hash: String = c
        .query_one(
            "SELECT password_hash FROM civmap.users WHERE name = 'wang'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let row = c
        .query_one(
            "SELECT who, action, target, after->>'role' FROM civmap.audit ORDER BY id DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    let (who, action, target, role): (String, String, String, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert!(who.starts_with("cli:"), "{who}");
    assert_eq!(
        (action.as_str(), target.as_str(), role.as_str()),
        ("user.add", "user:wang", "surveyor")
    );
    // append-only, whoever asks
    for edit in [
        "UPDATE civmap.audit SET who = 'someone else'",
        "DELETE FROM civmap.audit",
        "TRUNCATE civmap.audit",
    ] {
        let e = c.batch_execute(edit).await.expect_err(edit);
        assert!(
            e.to_string().contains("append-only") || format!("{e:?}").contains("append-only"),
            "{edit}: {e:?}"
        );
    }
    let n: i64 = c
        .query_one("SELECT count(*) FROM civmap.audit", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    // a user's sessions go with the user
    c.batch_execute(
        "INSERT INTO civmap.sessions (token_sha256, user_name, expires_at)
         VALUES (sha256('t'), 'wang', now() + interval '1 hour')",
    )
    .await
    .unwrap();
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        ok(&civmap_with_stdin(
            &["user", "remove", "wang", "--db", &url],
            "",
        ))
    })
    .await
    .unwrap();
    let n: i64 = c
        .query_one("SELECT count(*) FROM civmap.sessions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}
