//! `--tls-ca` and `--tls-insecure`: how `lastwill run` (and `fuzz`) trust
//! an `mqtts://` broker. Shared by the subcommands that take `--broker`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use lastwill::tls::ClientTls;

#[derive(Debug, Args)]
pub struct TlsArgs {
    /// PEM file of the CA(s) to trust for an `mqtts://HOST:PORT` broker;
    /// the broker's certificate must name HOST.
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,

    /// For `mqtts://`: accept any certificate for any name. Not verified at
    /// all (only the handshake signatures are checked): anyone on the path
    /// can stand in for the broker. Prefer --tls-ca.
    #[arg(long, conflicts_with = "tls_ca")]
    tls_insecure: bool,
}

impl TlsArgs {
    /// The client configuration, or `None` when neither flag is given.
    pub fn client(&self) -> anyhow::Result<Option<ClientTls>> {
        ClientTls::from_options(self.tls_ca.as_deref(), self.tls_insecure)
            .context("--tls-ca / --tls-insecure")
    }
}
