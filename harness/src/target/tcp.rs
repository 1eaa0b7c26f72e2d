//! A broker reached over TCP, in real time.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use lastwill_report::TargetInfo;
use tokio::net::TcpStream;

use super::{Target, TargetError};
use crate::client::Transport;

/// `tcp://HOST:PORT`, resolved once when the run starts.
#[derive(Clone, Debug)]
pub struct TcpTarget {
    address: String,
    addrs: Vec<SocketAddr>,
}

impl TcpTarget {
    /// Parses and resolves `tcp://HOST:PORT` (blocking: call it before the
    /// run, not on a runtime thread).
    pub fn resolve(address: &str) -> Result<Self, TargetError> {
        let invalid = |reason: &str| TargetError::InvalidAddress {
            address: address.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = address
            .strip_prefix("tcp://")
            .ok_or_else(|| invalid("only tcp:// is supported so far"))?;
        let host_port = rest.trim_end_matches('/');
        let (host, port) = host_port
            .rsplit_once(':')
            .ok_or_else(|| invalid("no port"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| invalid("the port is not a number"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(invalid("no host"));
        }
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|source| TargetError::Resolve {
                address: address.to_owned(),
                source,
            })?
            .collect();
        if addrs.is_empty() {
            return Err(TargetError::NoAddress {
                address: address.to_owned(),
            });
        }
        Ok(Self {
            address: address.to_owned(),
            addrs,
        })
    }

    /// A target for an address already known, e.g. a test broker on port 0.
    pub fn from_addr(addr: SocketAddr) -> Self {
        Self {
            address: format!("tcp://{addr}"),
            addrs: vec![addr],
        }
    }

    pub fn address(&self) -> &str {
        &self.address
    }
}

impl Target for TcpTarget {
    /// Tries each resolved address in turn; the error names the target.
    async fn connect(&self) -> io::Result<Box<dyn Transport>> {
        let mut last = None;
        for addr in &self.addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    // Packets go out as the scenario writes them, not batched.
                    let _ = stream.set_nodelay(true);
                    return Ok(Box::new(stream));
                }
                Err(error) => last = Some(error),
            }
        }
        let error = last.unwrap_or_else(|| io::Error::other("no address"));
        Err(io::Error::new(
            error.kind(),
            format!("cannot connect to {}: {error}", self.address),
        ))
    }

    fn info(&self) -> TargetInfo {
        TargetInfo {
            name: self.address.clone(),
            address: self.address.clone(),
            broker: None,
            virtual_time: false,
            faults: Vec::new(),
        }
    }

    fn virtual_time(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_or_say_why_not() {
        let target = TcpTarget::resolve("tcp://127.0.0.1:1883").expect("valid");
        assert_eq!(target.addrs, ["127.0.0.1:1883".parse().expect("addr")]);
        assert!(TcpTarget::resolve("tcp://[::1]:1884").is_ok());
        for bad in [
            "127.0.0.1:1883",
            "tcp://127.0.0.1",
            "tcp://:1883",
            "tcp://h:port",
        ] {
            assert!(
                matches!(
                    TcpTarget::resolve(bad),
                    Err(TargetError::InvalidAddress { .. })
                ),
                "{bad}"
            );
        }
        let error = TcpTarget::resolve("tcp://no-such-host.invalid:1883").expect_err("unknown");
        assert!(
            error.to_string().contains("no-such-host.invalid"),
            "{error}"
        );
    }
}
