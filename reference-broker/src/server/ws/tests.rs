//! Every order in which a peer can end a WebSocket connection, driven
//! through [`WsStream`] on both sides over real TCP.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

use super::*;

/// Far above what any of these takes on a loaded machine.
const BOUND: Duration = Duration::from_secs(10);

async fn pair() -> (WsStream<TcpStream>, WsStream<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        accept(stream, "/mqtt").await.expect("server handshake")
    });
    let stream = TcpStream::connect(addr).await.expect("connect");
    let client = connect(stream, &format!("ws://{addr}/mqtt"))
        .await
        .expect("client handshake");
    (client, server.await.expect("server task"))
}

/// How the server ends the connection after reading the client's bytes.
#[derive(Clone, Copy, Debug)]
enum End {
    /// A Close frame, then the socket is dropped (FIN, or RST when the
    /// client's Close frame is left unread).
    CloseFrame,
    /// No Close frame: a bare FIN.
    Fin,
    /// No Close frame: an RST.
    Rst,
    /// A Close frame, then read until the client's Close frame.
    CloseHandshake,
}

/// The client's side of an MQTT close (a DISCONNECT, a Close frame,
/// then reading until the end) completes whatever the server does and
/// whenever it does it: nothing waits for the close handshake or for a
/// wake-up a closed peer never sends (MQTT-6.0.0-1: the MQTT close is
/// over binary frames; the socket's end is the connection's end).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_close_order_completes() {
    let ends = [End::CloseFrame, End::Fin, End::Rst, End::CloseHandshake];
    for _ in 0..3 {
        for end in ends {
            for (server_delay, client_delay) in [(0, 0), (0, 2), (2, 0)] {
                for read_first in [false, true] {
                    let case = format!(
                        "{end:?}, server waits {server_delay} ms, client {client_delay} ms, read first {read_first}"
                    );
                    one_close(end, server_delay, client_delay, read_first, &case).await;
                }
            }
        }
    }
}

async fn bounded<T>(what: &str, case: &str, future: impl std::future::Future<Output = T>) -> T {
    match timeout(BOUND, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what} did not complete within {BOUND:?}: {case}"),
    }
}

async fn one_close(end: End, server_delay: u64, client_delay: u64, read_first: bool, case: &str) {
    let (mut client, mut server) = pair().await;
    let server = tokio::spawn(async move {
        let mut disconnect = [0; 2];
        server
            .read_exact(&mut disconnect)
            .await
            .expect("DISCONNECT");
        tokio::time::sleep(Duration::from_millis(server_delay)).await;
        match end {
            End::CloseFrame => {
                let _ = server.shutdown().await;
            }
            End::Fin => {}
            End::Rst => {
                let _ = server.get_ref().set_zero_linger();
            }
            End::CloseHandshake => {
                let _ = server.shutdown().await;
                let _ = timeout(BOUND, server.read_to_end(&mut Vec::new())).await;
            }
        }
    });
    let write = async {
        client.write_all(&[0xe0, 0x00]).await?;
        client.flush().await
    };
    let _ = bounded("the write", case, write).await;
    tokio::time::sleep(Duration::from_millis(client_delay)).await;
    let mut buf = [0; 16];
    if read_first {
        let _ = bounded("the first read", case, client.read(&mut buf)).await;
    }
    let _ = bounded("the shutdown", case, client.shutdown()).await;
    // Ends in EOF or an error, and a second read after either too.
    for _ in 0..2 {
        while let Ok(1..) = bounded("the last read", case, client.read(&mut buf)).await {}
    }
    server.await.expect("server task");
}
