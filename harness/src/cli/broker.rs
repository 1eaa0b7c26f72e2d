//! `lastwill broker`: the reference broker as a standalone TCP server.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use lastwill_broker::bridge::{BridgeConfig, BridgeStream, Dialing};
use lastwill_broker::server::ws::WsListener;
use lastwill_broker::{bind, BrokerConfig, Fault, FaultSet, ServerConfig};
use lastwill_codec::QoS;

type TlsConfig = std::sync::Arc<tokio_rustls::rustls::ServerConfig>;

#[derive(Debug, Args)]
pub struct BrokerArgs {
    /// Address to listen on: `HOST:PORT` (TCP), `ws://HOST:PORT/PATH`
    /// (MQTT over WebSocket, subprotocol `mqtt`) or `mqtts://HOST:PORT`
    /// (MQTT over TLS; see --tls-cert); repeat for several listeners. Port 0
    /// picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:1883", value_parser = parse_listen)]
    listen: Vec<Listen>,

    #[command(flatten)]
    tls: super::broker_tls::BrokerTlsArgs,

    /// Bridge to another broker at `tcp://HOST:PORT` or `ws://HOST:PORT/PATH`:
    /// a client pair forwarding `--bridge-topic` filters both ways, loops
    /// cut by No Local; see lastwill_broker::bridge.
    #[arg(long, value_name = "ADDR")]
    bridge: Option<String>,

    /// Topic filter the bridge forwards (repeatable; default `#`).
    #[arg(long, value_name = "FILTER", requires = "bridge")]
    bridge_topic: Vec<String>,

    /// The bridge's client identifier on both brokers.
    #[arg(long, value_name = "ID", default_value = lastwill_broker::bridge::DEFAULT_CLIENT_ID, requires = "bridge")]
    bridge_client_id: String,

    /// Break one will rule on purpose (repeatable); see --list-faults.
    #[arg(long = "fault", value_name = "NAME", value_parser = super::parse_fault)]
    faults: Vec<Fault>,

    /// List the faults that --fault accepts, with the rule each one breaks, and exit.
    #[arg(long)]
    list_faults: bool,

    /// Largest packet accepted, in bytes; larger ones get reason code 0x95.
    #[arg(long, value_name = "BYTES")]
    max_packet_size: Option<u32>,

    /// Highest QoS the broker supports (0, 1 or 2); a will above it gets CONNACK 0x9B.
    #[arg(long, value_name = "QOS", value_parser = parse_qos)]
    max_qos: Option<QoS>,

    /// Declare retained messages unavailable; a retained will gets CONNACK 0x9A.
    #[arg(long)]
    no_retain: bool,

    /// Server Keep Alive sent in every 5.0 CONNACK, overriding the client's value.
    #[arg(long, value_name = "SECONDS")]
    server_keep_alive: Option<u16>,

    /// Cap on the Session Expiry Interval the broker grants, in seconds.
    #[arg(long, value_name = "SECONDS")]
    max_session_expiry: Option<u32>,

    /// Close connections that send no CONNECT within this many seconds.
    #[arg(long, value_name = "SECONDS")]
    connect_timeout: Option<u64>,

    /// Connected clients allowed at once; one more gets CONNACK 0x97
    /// (3.1.1: 0x03). Default: no cap.
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,

    /// Connections allowed to wait for CONNECT at once (default 1024, 0 for
    /// no cap); a new one beyond it closes the oldest waiting one.
    #[arg(long, value_name = "N")]
    max_pending: Option<usize>,

    /// Bytes queued unwritten to one client past which QoS 0 to it is
    /// dropped and QoS 1/2 held (default 8 MiB).
    #[arg(long, value_name = "BYTES")]
    max_outbound_bytes: Option<usize>,

    /// Messages one session may hold unsent (default 10000); a connected
    /// client over it is closed as a slow consumer (5.0 DISCONNECT 0x97).
    #[arg(long, value_name = "N")]
    max_queued_messages: Option<usize>,

    /// Receive Maximum advertised to 5.0 clients (default 65535): a client
    /// with more QoS 2 PUBLISH unreleased gets DISCONNECT 0x93.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    receive_maximum: Option<u16>,

    /// Users and topic ACLs from FILE (format: lastwill_broker::auth::file;
    /// scenarios/auth/fixture.auth is the suite's fixture). Without it every
    /// client and topic is allowed.
    #[arg(long, value_name = "FILE")]
    auth: Option<std::path::PathBuf>,

    /// Where a will's topic is authorized (catalogue E7): `connect` refuses
    /// the CONNECT (0x87 / 3.1.1 code 5), `publish` drops the will when due.
    #[arg(
        long,
        value_name = "MODEL",
        default_value = "connect",
        requires = "auth"
    )]
    will_authorization: lastwill_broker::auth::WillAuthorization,
}

/// A listener: plain TCP, MQTT over WebSocket or MQTT over TLS.
#[derive(Clone, Debug)]
enum Listen {
    Tcp(SocketAddr),
    Ws(SocketAddr, String),
    Tls(SocketAddr),
}

fn parse_listen(text: &str) -> Result<Listen, String> {
    if let Some(addr) = text.strip_prefix("mqtts://") {
        return addr
            .trim_end_matches('/')
            .parse()
            .map(Listen::Tls)
            .map_err(|e| format!("`{text}`: {e} (expected mqtts://HOST:PORT)"));
    }
    let Some(rest) = text.strip_prefix("ws://") else {
        let addr = text.strip_prefix("tcp://").unwrap_or(text);
        return addr
            .parse()
            .map(Listen::Tcp)
            .map_err(|e| format!("`{text}`: {e} (expected HOST:PORT or ws://HOST:PORT/PATH)"));
    };
    let (addr, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    let addr = addr
        .parse()
        .map_err(|e| format!("`{text}`: {e} (expected ws://HOST:PORT/PATH)"))?;
    Ok(Listen::Ws(addr, path.to_owned()))
}

fn parse_qos(text: &str) -> Result<QoS, String> {
    text.parse::<u8>()
        .ok()
        .and_then(QoS::from_u8)
        .ok_or_else(|| format!("`{text}` is not a QoS; use 0, 1 or 2"))
}

pub fn run(args: BrokerArgs) -> anyhow::Result<ExitCode> {
    if args.list_faults {
        print_faults();
        return Ok(ExitCode::SUCCESS);
    }
    super::logging::init("info");
    // No libc binding (the workspace forbids unsafe), so the soft limit on
    // open files cannot be raised from here: say so when it is low.
    if let Some(limit) = lastwill::bench::file_limit().filter(|&n| n < 16_384) {
        tracing::warn!("open-file soft limit is {limit}; run `ulimit -n 20000` first to serve more connections");
    }
    let mut config = server_config(&args);
    if let Some(path) = &args.auth {
        let rules = lastwill_broker::auth::AuthRules::load(path)?;
        config.broker.auth = Some(std::sync::Arc::new(rules));
        config.broker.will_authorization = args.will_authorization;
    }
    let ws: Vec<(SocketAddr, String)> = args
        .listen
        .iter()
        .filter_map(|l| match l {
            Listen::Ws(addr, path) => Some((*addr, path.clone())),
            Listen::Tcp(_) | Listen::Tls(_) => None,
        })
        .collect();
    let tls: Vec<SocketAddr> = args
        .listen
        .iter()
        .filter_map(|l| match l {
            Listen::Tls(addr) => Some(*addr),
            Listen::Tcp(_) | Listen::Ws(..) => None,
        })
        .collect();
    let tls_config = if tls.is_empty() {
        None
    } else {
        Some(args.tls.server_config()?)
    };
    let bridge = args.bridge.clone().map(|address| {
        let topics = if args.bridge_topic.is_empty() {
            vec!["#".to_owned()]
        } else {
            args.bridge_topic.clone()
        };
        (
            address,
            BridgeConfig {
                client_id: args.bridge_client_id.clone(),
                topics,
                faults: config.broker.faults,
                ..BridgeConfig::default()
            },
        )
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(serve(config, ws, (tls, tls_config), bridge))?;
    Ok(ExitCode::SUCCESS)
}

fn print_faults() {
    let width = Fault::ALL.iter().map(|f| f.name().len()).max().unwrap_or(0);
    for fault in Fault::ALL {
        println!("{:width$}  {}", fault.name(), fault.description());
    }
}

fn server_config(args: &BrokerArgs) -> ServerConfig {
    let mut broker = BrokerConfig {
        faults: args.faults.iter().copied().collect::<FaultSet>(),
        ..BrokerConfig::default()
    };
    if let Some(size) = args.max_packet_size {
        broker.max_packet_size = size;
    }
    if let Some(qos) = args.max_qos {
        broker.max_qos = qos;
    }
    if args.no_retain {
        broker.retain_available = false;
    }
    if args.server_keep_alive.is_some() {
        broker.server_keep_alive = args.server_keep_alive;
    }
    if args.max_session_expiry.is_some() {
        broker.max_session_expiry = args.max_session_expiry;
    }
    if let Some(seconds) = args.connect_timeout {
        broker.connect_timeout = Duration::from_secs(seconds);
    }
    limit_flags(args, &mut broker);
    ServerConfig {
        listen: args
            .listen
            .iter()
            .filter_map(|l| match l {
                Listen::Tcp(addr) => Some(*addr),
                Listen::Ws(..) | Listen::Tls(_) => None,
            })
            .collect(),
        broker,
    }
}

async fn serve(
    config: ServerConfig,
    ws: Vec<(SocketAddr, String)>,
    tls: (Vec<SocketAddr>, Option<TlsConfig>),
    bridge: Option<(String, BridgeConfig)>,
) -> anyhow::Result<()> {
    let requested = config.listen.clone();
    let faults = config.broker.faults;
    let server = bind(config)
        .await
        .with_context(|| format!("binding {requested:?}"))?;
    for addr in server.local_addrs() {
        // One plain line per listener on stdout, so scripts that asked for
        // port 0 can read the port back.
        println!("listening tcp://{addr}");
    }
    // WebSocket listeners and the bridge reach the broker through its
    // in-memory connector; they end with the runtime.
    for (addr, path) in ws {
        let listener = WsListener::bind(addr, &path)
            .await
            .with_context(|| format!("binding ws://{addr}{path}"))?;
        println!("listening {}", listener.url());
        tokio::spawn(listener.serve(server.memory_connector()));
    }
    super::broker_tls::spawn_listeners(&tls.0, tls.1, &server.memory_connector()).await?;
    if let Some((address, config)) = bridge {
        let remote = lastwill::target::TcpTarget::resolve(&address)
            .with_context(|| format!("--bridge {address}"))?;
        let local = server.memory_connector();
        tracing::info!(remote = %address, topics = ?config.topics, "bridging");
        let dial_remote = move || -> Dialing {
            let remote = remote.clone();
            Box::pin(async move { remote.dial_stream().await })
        };
        let dial_local = move || -> Dialing {
            let stream = local.connect();
            Box::pin(async move { stream.map(|s| Box::new(s) as Box<dyn BridgeStream>) })
        };
        tokio::spawn(lastwill_broker::bridge::run(
            config,
            dial_remote,
            dial_local,
        ));
    }
    for fault in faults.iter() {
        tracing::warn!(
            fault = fault.name(),
            "fault injected: {}",
            fault.description()
        );
    }
    server
        .run(shutdown_signal())
        .await
        .context("running the broker")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on the first Ctrl-C or SIGTERM; the broker then publishes the
/// wills that are due at shutdown (catalogue E8) and closes every connection.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}

/// The flags of `lastwill_broker::core::limits`.
fn limit_flags(args: &BrokerArgs, broker: &mut BrokerConfig) {
    if args.max_connections.is_some() {
        broker.max_connections = args.max_connections;
    }
    if let Some(max) = args.max_pending {
        broker.max_pending_connections = (max > 0).then_some(max);
    }
    if let Some(bytes) = args.max_outbound_bytes {
        broker.max_outbound_bytes = bytes;
    }
    if let Some(count) = args.max_queued_messages {
        broker.max_queued_messages = count;
    }
    if let Some(max) = args.receive_maximum {
        broker.receive_maximum = max;
    }
}
