//! The `disconnect` step's client side (DISCONNECT, then FIN) over ws://
//! against the reference broker's WebSocket listener, many clients at once.
//! The broker closes as soon as it reads the DISCONNECT, so its close races
//! with the client's FIN command; the race once hung the step until its
//! hard limit (trigger.at-most-once [5.0] in CI). The old code hung about
//! once in 100,000 to 200,000 steps on a loaded 2-core machine, so the default rounds
//! here only guard the path; `LASTWILL_WS_DISCONNECT_ROUNDS=3000` (and
//! a CPU hog beside it) is the stress run that caught it.

use std::time::Duration;

use lastwill::client::{Client, Scene, Wait};
use lastwill_broker::server::ws::{self, WsListener};
use lastwill_broker::{bind, BrokerConfig, ServerConfig};
use lastwill_codec::{Connect, Disconnect, Packet, ProtocolVersion, ReasonCode};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

/// Far above what a step takes on a loaded machine, below the step hard
/// limit (35 s) the hang ran into.
const BOUND: Duration = Duration::from_secs(20);

/// Clients connecting and disconnecting at once, per round.
const CLIENTS: usize = 16;

async fn connect_and_disconnect(url: String, client_id: String) -> Result<(), String> {
    let addr = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let ws = ws::connect(stream, &url).await.map_err(|e| e.to_string())?;
    let scene = Scene::new();
    let mut client = Client::new("device", ProtocolVersion::V5, scene.clone());
    client.attach(Box::new(ws));
    let mut connect = Connect::new(ProtocolVersion::V5, client_id);
    connect.properties.session_expiry_interval = Some(0);
    client
        .send(&Packet::Connect(Box::new(connect)))
        .await
        .map_err(|e| e.to_string())?;
    let connack = client
        .wait_for(Instant::now() + BOUND, |state| {
            state.connections[0].received.first().map(|_| ())
        })
        .await;
    if !matches!(connack, Wait::Got(())) {
        return Err(format!("no CONNACK: {:#?}", scene.timeline()));
    }
    // The disconnect step, as steps.rs runs it.
    let step = async {
        client
            .send(&Packet::Disconnect(Disconnect::new(ReasonCode(0))))
            .await?;
        let _ = client.fin().await;
        Ok::<(), lastwill::client::ClientError>(())
    };
    match timeout(BOUND, step).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!("{error}: {:#?}", scene.timeline())),
        Err(_) => Err(format!(
            "the disconnect step did not finish within {BOUND:?}: {:#?}",
            scene.timeline()
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_steps_over_ws_always_finish() {
    let server = bind(ServerConfig {
        listen: vec!["127.0.0.1:0".parse().expect("address")],
        broker: BrokerConfig::default(),
    })
    .await
    .expect("bind");
    let listener = WsListener::bind("127.0.0.1:0".parse().expect("address"), "/mqtt")
        .await
        .expect("bind ws");
    let url = listener.url();
    tokio::spawn(listener.serve(server.memory_connector()));
    tokio::spawn(server.run(std::future::pending()));
    let rounds: usize = std::env::var("LASTWILL_WS_DISCONNECT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    for round in 0..rounds {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                tokio::spawn(connect_and_disconnect(
                    url.clone(),
                    format!("ws-{round}-{i}"),
                ))
            })
            .collect();
        for client in clients {
            if let Err(error) = client.await.expect("client task") {
                panic!("round {round}: {error}");
            }
        }
    }
}
