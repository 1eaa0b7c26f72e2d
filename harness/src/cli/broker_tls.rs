//! `lastwill broker --listen mqtts://HOST:PORT`: where the TLS listener's
//! certificate comes from.
//!
//! Decision: `--tls-cert FILE --tls-key FILE` (PEM) serve that pair. With
//! neither, the broker makes a throwaway CA and a server certificate for
//! `localhost`, `127.0.0.1` and `::1` when it starts (`tls::certs`), and
//! `--tls-write-ca FILE` writes the CA's PEM so that a client can trust it
//! (`lastwill run --broker mqtts://127.0.0.1:PORT --tls-ca FILE`); without
//! it, only `--tls-insecure` clients can connect. A key is never written
//! anywhere the broker was not told to write.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use lastwill::tls::certs::TestCerts;
use lastwill_broker::server::tls::{self, TlsListener};
use lastwill_broker::MemoryConnector;
use tokio_rustls::rustls::ServerConfig;

#[derive(Debug, Args)]
pub struct BrokerTlsArgs {
    /// PEM certificate chain (leaf first) for `mqtts://` listeners; with
    /// --tls-key. Without both, a certificate is generated at start.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// Write the CA of the generated certificate here (PEM), for clients to
    /// trust (`lastwill run --tls-ca FILE`).
    #[arg(long, value_name = "FILE", conflicts_with = "tls_cert")]
    tls_write_ca: Option<PathBuf>,
}

impl BrokerTlsArgs {
    /// The server configuration, loaded or generated (see the module
    /// documentation).
    pub fn server_config(&self) -> anyhow::Result<Arc<ServerConfig>> {
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            return tls::server_config_from_files(cert, key).with_context(|| {
                format!("--tls-cert {} --tls-key {}", cert.display(), key.display())
            });
        }
        let certs = TestCerts::generate().context("generating a TLS certificate")?;
        match &self.tls_write_ca {
            Some(path) => {
                std::fs::write(path, &certs.ca_pem)
                    .with_context(|| format!("--tls-write-ca {}", path.display()))?;
                tracing::info!(ca = %path.display(), "tls: generated a certificate for localhost");
            }
            None => tracing::warn!(
                "tls: generated a certificate whose CA is written nowhere (--tls-write-ca FILE); \
                 clients must use --tls-insecure"
            ),
        }
        tls::server_config(certs.cert_pem.as_bytes(), certs.key_pem.as_bytes())
            .context("loading the generated TLS certificate")
    }
}

/// Binds each `mqtts://` listener and serves it through `connector`; prints
/// `listening mqtts://ADDR` for each (scripts read the port back).
pub async fn spawn_listeners(
    addrs: &[SocketAddr],
    config: Option<Arc<ServerConfig>>,
    connector: &MemoryConnector,
) -> anyhow::Result<()> {
    let Some(config) = config else {
        return Ok(());
    };
    for addr in addrs {
        let listener = TlsListener::bind(*addr, Arc::clone(&config))
            .await
            .with_context(|| format!("binding mqtts://{addr}"))?;
        println!("listening {}", listener.url());
        tokio::spawn(listener.serve(connector.clone()));
    }
    Ok(())
}
