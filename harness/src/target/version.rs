//! The version of a launched broker, for reports: the profile's
//! `version_command`, run with a time limit, and the first word of its
//! output that is shaped like a version number.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::launched::placeholders;
use super::profile::LoadedProfile;

/// The broker's version as `PRODUCT VERSION`, from `version_command`'s
/// output (its first word that looks like a version: a digit, or `v` and a
/// digit, then digits and dots). `None` if the profile has no such command
/// or it printed no version within 10 s.
pub fn broker_version(profile: &LoadedProfile, work: &Path) -> Option<String> {
    let argv = profile.profile.version_command.as_ref()?;
    let values = placeholders(profile, work, 0);
    let mut parts = argv.iter().map(|a| values.expand(&a.value));
    let program = parts.next()?;
    let program = if program.starts_with("./") || program.starts_with("../") {
        profile.dir.join(program)
    } else {
        PathBuf::from(program)
    };
    let output = run_with_timeout(
        Command::new(program).args(parts).current_dir(&profile.dir),
        Duration::from_secs(10),
    )?;
    let version = version_word(&output)?;
    Some(format!("{} {version}", profile.product()))
}

/// stdout then stderr of a command, or `None` if it could not run or did
/// not end in time (it is killed then).
fn run_with_timeout(command: &mut Command, timeout: Duration) -> Option<String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let output = child.wait_with_output().ok()?;
    Some(format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// The first word of `text` shaped like a version number.
pub fn version_word(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .map(|w| w.trim_end_matches(['.', ':', ';']))
        .map(|w| w.strip_prefix('v').unwrap_or(w))
        .find(|w| {
            w.starts_with(|c: char| c.is_ascii_digit())
                && w.contains('.')
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '+')
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::version_word;

    #[test]
    fn versions_are_found_in_what_brokers_print() {
        let cases = [
            (
                "mosquitto version 2.0.11\n\nmosquitto is an MQTT v5.0/v3.1.1 broker.",
                "2.0.11",
            ),
            ("0.12.1\n", "0.12.1"),
            ("rumqttd 0.20.0", "0.20.0"),
            ("lastwill 0.1.0", "0.1.0"),
            ("aedes 1.2.0 on node v20.20.2", "1.2.0"),
        ];
        for (text, version) in cases {
            assert_eq!(version_word(text).as_deref(), Some(version), "{text}");
        }
        assert_eq!(version_word("no version here"), None);
    }
}
