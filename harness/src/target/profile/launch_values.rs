//! What a loaded profile yields when a broker is launched from it: the
//! values its placeholders stand for, and its settings with their defaults.

use std::path::PathBuf;
use std::time::Duration;

use super::LoadedProfile;
use crate::scenario::Version;
use crate::tls::certs;

/// The values placeholders stand for in one launch.
#[derive(Clone, Debug)]
pub struct Placeholders {
    pub port: u16,
    pub config: PathBuf,
    pub dir: PathBuf,
    pub work: PathBuf,
    pub this_program: PathBuf,
}

impl Placeholders {
    pub fn expand(&self, text: &str) -> String {
        text.replace("{port}", &self.port.to_string())
            .replace("{config}", &self.config.display().to_string())
            .replace("{dir}", &self.dir.display().to_string())
            .replace("{work}", &self.work.display().to_string())
            .replace("{self}", &self.this_program.display().to_string())
            .replace("{cafile}", &self.in_work(certs::CA_FILE))
            .replace("{certfile}", &self.in_work(certs::CERT_FILE))
            .replace("{keyfile}", &self.in_work(certs::KEY_FILE))
    }

    /// `{work}/NAME` as text (a generated certificate's path).
    fn in_work(&self, name: &str) -> String {
        self.work.join(name).display().to_string()
    }
}

impl LoadedProfile {
    pub fn name(&self) -> &str {
        &self.profile.name.value
    }

    /// The broker product's name for reports.
    pub fn product(&self) -> &str {
        self.profile
            .product
            .as_deref()
            .unwrap_or(&self.profile.name.value)
    }

    pub fn ready_timeout(&self) -> Duration {
        self.profile
            .ready
            .timeout
            .value
            .to_duration()
            .unwrap_or(Duration::from_secs(10))
    }

    pub fn versions(&self) -> &[Version] {
        &self.profile.versions.value
    }

    /// The expectations file, resolved against the profile's directory.
    pub fn expectations_path(&self) -> Option<PathBuf> {
        self.profile
            .expectations
            .as_ref()
            .map(|e| self.dir.join(&e.value))
    }

    /// The program to run: `{self}` expanded, `./x` and `../x` resolved
    /// against the profile's directory, anything else as written (looked up
    /// on PATH when it has no `/`).
    pub fn program(&self, values: &Placeholders) -> PathBuf {
        let expanded = values.expand(&self.profile.command.value);
        if expanded.starts_with("./") || expanded.starts_with("../") {
            self.dir.join(expanded)
        } else {
            PathBuf::from(expanded)
        }
    }

    /// True for a container profile (`image` instead of `command`).
    pub fn is_container(&self) -> bool {
        self.profile.image.is_some()
    }

    /// The broker's port inside the container (container profiles).
    pub fn container_port(&self) -> u16 {
        self.profile
            .container_port
            .as_ref()
            .map_or(1883, |p| p.value)
    }

    /// What `install` says, as a hint appended to launch errors.
    pub fn install_hint(&self) -> String {
        match &self.profile.install {
            Some(hint) => format!("\nto install it: {}", hint.trim()),
            None => String::new(),
        }
    }
}
