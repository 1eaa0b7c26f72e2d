//! `lastwill broker --auth FILE --will-authorization MODEL`: a bad auth
//! file stops the broker with the file and line, and the will model needs
//! a file to act on.
#![allow(clippy::unwrap_used)]

use std::process::Command;

fn lastwill() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lastwill"))
}

#[test]
fn a_bad_auth_file_is_reported_with_its_line() {
    let dir = std::env::temp_dir().join(format!("lastwill-auth-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.auth");
    std::fs::write(&file, "allow-anonymous true\nuser u p\ntopic wrte x/#\n").unwrap();
    let out = lastwill()
        .args(["broker", "--listen", "127.0.0.1:0", "--auth"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = format!("{}:3: unknown access `wrte`", file.display());
    assert!(stderr.contains(&want), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn will_authorization_needs_an_auth_file() {
    let out = lastwill()
        .args(["broker", "--listen", "127.0.0.1:0"])
        .args(["--will-authorization", "publish"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--auth"), "{stderr}");
}
