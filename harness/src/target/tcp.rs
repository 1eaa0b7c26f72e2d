//! A broker reached over the network, in real time: `tcp://HOST:PORT`,
//! `ws://HOST:PORT/PATH` (MQTT over WebSocket, subprotocol `mqtt`) or
//! `mqtts://HOST:PORT` (MQTT over TLS, trusting what [`ClientTls`] says).
//! Several comma-separated addresses make a multi-node target (the bridged
//! profiles): the first is node A, the second node B.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use lastwill_broker::bridge::BridgeStream;
use lastwill_broker::server::ws;
use lastwill_report::TargetInfo;
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;

use super::{Target, TargetError};
use crate::client::Transport;
use crate::tls::ClientTls;

/// One or more broker endpoints, resolved once when the run starts.
#[derive(Clone, Debug)]
pub struct TcpTarget {
    address: String,
    nodes: Vec<Endpoint>,
}

/// One node's address.
#[derive(Clone, Debug)]
struct Endpoint {
    address: String,
    addrs: Vec<SocketAddr>,
    /// `ws://...` for a WebSocket endpoint.
    ws_url: Option<String>,
    /// An `mqtts://` endpoint's TLS client and the name its certificate
    /// must carry (the address's host).
    tls: Option<(ClientTls, ServerName<'static>)>,
}

impl Endpoint {
    fn resolve(address: &str, tls: Option<&ClientTls>) -> Result<Self, TargetError> {
        let invalid = |reason: &str| TargetError::InvalidAddress {
            address: address.to_owned(),
            reason: reason.to_owned(),
        };
        let mut secure = false;
        let (host_port, ws_url) = if let Some(rest) = address.strip_prefix("tcp://") {
            (rest.trim_end_matches('/'), None)
        } else if let Some(rest) = address.strip_prefix("mqtts://") {
            secure = true;
            (rest.trim_end_matches('/'), None)
        } else if let Some(rest) = address.strip_prefix("ws://") {
            let host_port = rest.split('/').next().unwrap_or(rest);
            let url = if rest.contains('/') {
                address.to_owned()
            } else {
                format!("{address}/")
            };
            (host_port, Some(url))
        } else {
            return Err(invalid(
                "only tcp://, ws:// and mqtts:// are supported so far",
            ));
        };
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
        let tls = match (secure, tls) {
            (false, _) => None,
            (true, None) => {
                return Err(invalid(
                    "mqtts:// needs a CA to trust (--tls-ca FILE) or --tls-insecure",
                ))
            }
            (true, Some(tls)) => {
                let name = crate::tls::server_name(host).map_err(|e| invalid(&e.to_string()))?;
                Some((tls.clone(), name))
            }
        };
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|reason| TargetError::Resolve {
                address: address.to_owned(),
                reason,
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
            ws_url,
            tls,
        })
    }

    /// `tcp://ADDR`, or `mqtts://ADDR` checked against the IP address.
    fn tcp(addr: SocketAddr, tls: Option<&ClientTls>) -> Self {
        let name = ServerName::IpAddress(addr.ip().into());
        Self {
            address: format!("{}://{addr}", if tls.is_some() { "mqtts" } else { "tcp" }),
            addrs: vec![addr],
            ws_url: None,
            tls: tls.map(|tls| (tls.clone(), name)),
        }
    }

    /// Tries each resolved address in turn; the error names the endpoint.
    async fn tcp_stream(&self) -> io::Result<TcpStream> {
        let mut last = None;
        for addr in &self.addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    // Packets go out as the scenario writes them, not batched.
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
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

    async fn connect(&self) -> io::Result<Box<dyn Transport>> {
        let stream = self.tcp_stream().await?;
        if let Some((tls, name)) = &self.tls {
            return Ok(Box::new(tls.connect(name, stream, &self.address).await?));
        }
        match &self.ws_url {
            None => Ok(Box::new(stream)),
            Some(url) => {
                let ws = ws::connect(stream, url).await.map_err(|e| {
                    io::Error::new(e.kind(), format!("WebSocket handshake with {url}: {e}"))
                })?;
                Ok(Box::new(ws))
            }
        }
    }
}

impl TcpTarget {
    /// Parses and resolves `tcp://HOST:PORT` or `ws://HOST:PORT/PATH`, or
    /// several of them separated by commas (one per node). Blocking: call
    /// it before the run, not on a runtime thread. `mqtts://` needs
    /// [`Self::resolve_tls`].
    pub fn resolve(address: &str) -> Result<Self, TargetError> {
        Self::resolve_tls(address, None)
    }

    /// [`Self::resolve`], with `mqtts://HOST:PORT` endpoints connecting
    /// through `tls`.
    pub fn resolve_tls(address: &str, tls: Option<&ClientTls>) -> Result<Self, TargetError> {
        let nodes = address
            .split(',')
            .map(|a| Endpoint::resolve(a.trim(), tls))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            address: address.to_owned(),
            nodes,
        })
    }

    /// A target for an address already known, e.g. a test broker on port 0.
    pub fn from_addr(addr: SocketAddr) -> Self {
        Self::from_addrs(&[addr])
    }

    /// One TCP node per address, in order (a launched multi-node profile).
    pub fn from_addrs(addrs: &[SocketAddr]) -> Self {
        Self::from_addrs_tls(addrs, None)
    }

    /// [`Self::from_addrs`], over TLS through `tls` when given (a launched
    /// profile with `tls: generate`).
    pub fn from_addrs_tls(addrs: &[SocketAddr], tls: Option<&ClientTls>) -> Self {
        let nodes: Vec<Endpoint> = addrs.iter().map(|a| Endpoint::tcp(*a, tls)).collect();
        let address = nodes
            .iter()
            .map(|n| n.address.as_str())
            .collect::<Vec<_>>()
            .join(",");
        Self { address, nodes }
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    /// A connection to the first node as a bridge stream (`lastwill broker
    /// --bridge`).
    pub async fn dial_stream(&self) -> io::Result<Box<dyn BridgeStream>> {
        let node = self
            .nodes
            .first()
            .ok_or_else(|| io::Error::other("no address"))?;
        let stream = node.tcp_stream().await?;
        if let Some((tls, name)) = &node.tls {
            return Ok(Box::new(tls.connect(name, stream, &node.address).await?));
        }
        match &node.ws_url {
            None => Ok(Box::new(stream)),
            Some(url) => Ok(Box::new(ws::connect(stream, url).await?)),
        }
    }
}

impl Target for TcpTarget {
    async fn connect(&self) -> io::Result<Box<dyn Transport>> {
        self.connect_node(0).await
    }

    async fn connect_node(&self, node: usize) -> io::Result<Box<dyn Transport>> {
        match self.nodes.get(node) {
            Some(endpoint) => endpoint.connect().await,
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} has no node {}", self.address, node + 1),
            )),
        }
    }

    fn nodes(&self) -> usize {
        self.nodes.len()
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
        assert_eq!(
            target.nodes[0].addrs,
            ["127.0.0.1:1883".parse().expect("addr")]
        );
        assert!(TcpTarget::resolve("tcp://[::1]:1884").is_ok());
        let ws = TcpTarget::resolve("ws://127.0.0.1:8080/mqtt").expect("ws");
        assert_eq!(
            ws.nodes[0].ws_url.as_deref(),
            Some("ws://127.0.0.1:8080/mqtt")
        );
        let error = TcpTarget::resolve("mqtts://127.0.0.1:8883").expect_err("no trust");
        assert!(error.to_string().contains("--tls-ca"), "{error}");
        let insecure = crate::tls::ClientTls::insecure().expect("insecure");
        let tls = TcpTarget::resolve_tls("mqtts://localhost:8883", Some(&insecure)).expect("tls");
        assert!(matches!(
            &tls.nodes[0].tls,
            Some((_, ServerName::DnsName(_)))
        ));
        let two = TcpTarget::resolve("tcp://127.0.0.1:1,tcp://127.0.0.1:2").expect("two");
        assert_eq!(two.nodes(), 2);
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
