//! Certificates for tests and for target profiles with `tls: generate`: a
//! throwaway CA and a server certificate it signs, valid for `localhost`
//! and `127.0.0.1` (and `::1`), so a broker started on loopback can be
//! verified like a real one, hostname check included. Generated with rcgen
//! (ECDSA P-256 on ring) in a few milliseconds, fresh for every run: no
//! key is checked in and none outlives the run's directory.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The names the server certificate is valid for.
pub const SERVER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// File names [`generate_into`] writes.
pub const CA_FILE: &str = "ca.pem";
pub const CERT_FILE: &str = "server-cert.pem";
pub const KEY_FILE: &str = "server-key.pem";

/// A CA and a server certificate with its key, as PEM text.
#[derive(Clone, Debug)]
pub struct TestCerts {
    /// The CA's certificate: what a client trusts (`--tls-ca`).
    pub ca_pem: String,
    /// The server's certificate (leaf only; the CA is the trust anchor).
    pub cert_pem: String,
    /// The server's private key, PKCS#8.
    pub key_pem: String,
}

/// Where [`generate_into`] wrote the three files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Why certificates could not be made or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    #[error("cannot generate a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl TestCerts {
    /// A new CA and a server certificate for [`SERVER_NAMES`].
    pub fn generate() -> Result<Self, CertError> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        // A name of its own per CA: a client holding another run's CA then
        // fails with "unknown issuer", not with a signature that does not
        // verify under a same-named CA.
        let tag: String = ca_key
            .public_key_raw()
            .iter()
            .skip(1)
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("lastwill test CA {tag}"));
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate()?;
        let names: Vec<String> = SERVER_NAMES.iter().map(|n| (*n).to_owned()).collect();
        let mut server_params = CertificateParams::new(names)?;
        server_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        server_params.use_authority_key_identifier_extension = true;
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = server_params.signed_by(&server_key, &issuer)?;
        Ok(Self {
            ca_pem: ca_cert.pem(),
            cert_pem: server_cert.pem(),
            key_pem: server_key.serialize_pem(),
        })
    }

    /// Writes the three PEM files into `dir` (created if needed) as
    /// [`CA_FILE`], [`CERT_FILE`] and [`KEY_FILE`].
    pub fn write_into(&self, dir: &Path) -> Result<CertFiles, CertError> {
        let write = |path: PathBuf, text: &str| {
            std::fs::write(&path, text)
                .map(|()| path.clone())
                .map_err(|source| CertError::Write { path, source })
        };
        std::fs::create_dir_all(dir).map_err(|source| CertError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(CertFiles {
            ca: write(dir.join(CA_FILE), &self.ca_pem)?,
            cert: write(dir.join(CERT_FILE), &self.cert_pem)?,
            key: write(dir.join(KEY_FILE), &self.key_pem)?,
        })
    }
}

/// A new CA and server certificate written into `dir`.
pub fn generate_into(dir: &Path) -> Result<CertFiles, CertError> {
    TestCerts::generate()?.write_into(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_are_pem_a_broker_can_load() {
        let dir = std::env::temp_dir().join(format!("lastwill-certs-{}", std::process::id()));
        let files = generate_into(&dir).expect("generate");
        let read = |p: &Path| std::fs::read(p).expect("read");
        assert!(String::from_utf8_lossy(&read(&files.ca)).contains("BEGIN CERTIFICATE"));
        lastwill_broker::server::tls::server_config(&read(&files.cert), &read(&files.key))
            .expect("a server config from the generated pair");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
