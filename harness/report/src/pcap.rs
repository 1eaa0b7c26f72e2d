//! A scenario's traffic as a classic pcap file, so Wireshark's MQTT
//! dissector (which claims TCP port 1883) decodes exactly the bytes the
//! harness saw. The harness records MQTT packets, not TCP segments, so the
//! TCP around them is synthesised: each (client, connection) becomes one
//! stream from `127.0.0.<n>:<ephemeral>` to `127.0.0.1:1883`, opened by a
//! three-way handshake when it is first used, with sequence and
//! acknowledgement numbers that account for every byte, and closed with
//! FIN or RST where the timeline's events say so.
//!
//! Frames are raw IPv4 (`LINKTYPE_RAW`): no made-up MAC addresses.

use crate::result::{Direction, ScenarioResult, TimelineEntry, Transport};

/// pcap link type for packets that begin with an IPv4 or IPv6 header.
pub const LINKTYPE_RAW: u32 = 101;
/// The broker's side of every stream.
pub const BROKER_IP: [u8; 4] = [127, 0, 0, 1];
/// MQTT's registered port, the one Wireshark's dissector is bound to.
pub const BROKER_PORT: u16 = 1883;
/// Largest TCP payload that fits an IPv4 packet with 20-byte IP and TCP
/// headers; longer MQTT packets are split, and Wireshark reassembles them.
const MAX_SEGMENT: usize = 65_535 - 40;
const FIRST_EPHEMERAL_PORT: u16 = 49_152;

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

/// Which end of a connection did something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    Client,
    Broker,
}

/// What a timeline event means for the synthetic TCP stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportEvent {
    /// The connection was established.
    Opened,
    /// One side closed: `abort` for RST, else FIN.
    Closed { by: Peer, abort: bool },
}

/// What an event does to the synthetic TCP stream: read from the entry's
/// typed [`Transport`], never from its prose, so a step marker such as
/// `step 4: close` or a note such as `write failed: ...` is never taken for
/// a FIN or an RST.
pub fn transport_event(transport: Option<Transport>) -> Option<TransportEvent> {
    let closed = |by, abort| Some(TransportEvent::Closed { by, abort });
    match transport? {
        Transport::Opened => Some(TransportEvent::Opened),
        Transport::ClientFin => closed(Peer::Client, false),
        Transport::ClientRst => closed(Peer::Client, true),
        Transport::BrokerFin => closed(Peer::Broker, false),
        Transport::BrokerRst => closed(Peer::Broker, true),
    }
}

/// Decodes the timeline's hex (whitespace tolerated); `None` if malformed.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    digits
        .chunks(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// One synthetic TCP connection and where its byte counts stand.
struct Stream {
    client: String,
    connection: u32,
    client_ip: [u8; 4],
    client_port: u16,
    /// Next sequence number each side sends.
    client_seq: u32,
    broker_seq: u32,
    client_closed: bool,
    broker_closed: bool,
}

struct Writer {
    out: Vec<u8>,
    ip_id: u16,
    streams: Vec<Stream>,
    clients: Vec<String>,
}

/// The pcap file for one scenario result. Entries whose hex does not
/// decode are left out rather than guessed at; events that are not
/// transport events (step markers) have no place in a capture.
/// Timestamps are `at_ms` after the Unix epoch, as the result holds no
/// wall-clock start; Wireshark's relative times read correctly.
pub fn write_pcap(result: &ScenarioResult) -> Vec<u8> {
    let mut writer = Writer {
        out: Vec::new(),
        ip_id: 0,
        streams: Vec::new(),
        clients: Vec::new(),
    };
    writer.global_header();
    for entry in &result.timeline {
        writer.entry(entry);
    }
    writer.out
}

impl Writer {
    fn global_header(&mut self) {
        self.out.extend_from_slice(&0xa1b2_c3d4_u32.to_le_bytes()); // microsecond timestamps
        self.out.extend_from_slice(&2u16.to_le_bytes());
        self.out.extend_from_slice(&4u16.to_le_bytes());
        self.out.extend_from_slice(&0i32.to_le_bytes()); // GMT offset
        self.out.extend_from_slice(&0u32.to_le_bytes()); // timestamp accuracy
        self.out.extend_from_slice(&65_535u32.to_le_bytes()); // snapshot length
        self.out.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
    }

    fn entry(&mut self, entry: &TimelineEntry) {
        match entry.direction {
            Direction::Sent | Direction::Received => {
                let Some(bytes) = decode_hex(&entry.hex).filter(|b| !b.is_empty()) else {
                    return;
                };
                let stream = self.stream(entry);
                let from = if entry.direction == Direction::Sent {
                    Peer::Client
                } else {
                    Peer::Broker
                };
                for chunk in bytes.chunks(MAX_SEGMENT) {
                    self.segment(stream, from, PSH | ACK, chunk, entry.at_ms);
                }
            }
            Direction::Event => match transport_event(entry.transport) {
                Some(TransportEvent::Opened) => {
                    self.stream(entry);
                }
                Some(TransportEvent::Closed { by, abort }) => {
                    let stream = self.stream(entry);
                    let s = &self.streams[stream];
                    let already = match by {
                        Peer::Client => s.client_closed,
                        Peer::Broker => s.broker_closed,
                    };
                    if abort {
                        self.segment(stream, by, RST | ACK, &[], entry.at_ms);
                        let s = &mut self.streams[stream];
                        (s.client_closed, s.broker_closed) = (true, true);
                    } else if !already {
                        self.segment(stream, by, FIN | ACK, &[], entry.at_ms);
                    }
                }
                None => {}
            },
        }
    }

    /// The stream for the entry's connection, opened (with its handshake
    /// at the entry's time) on first use. Each client gets its own address
    /// and each connection its own port, as reconnects would.
    fn stream(&mut self, entry: &TimelineEntry) -> usize {
        if let Some(i) = self
            .streams
            .iter()
            .position(|s| s.client == entry.client && s.connection == entry.connection)
        {
            return i;
        }
        let client = match self.clients.iter().position(|c| *c == entry.client) {
            Some(i) => i,
            None => {
                self.clients.push(entry.client.clone());
                self.clients.len() - 1
            }
        };
        let index = self.streams.len();
        // 127.0.0.2 onwards; past 250 clients the third octet counts up.
        let client_ip = [127, 0, (client / 250) as u8, (client % 250) as u8 + 2];
        let port = FIRST_EPHEMERAL_PORT.wrapping_add((index % 16_384) as u16);
        // Fixed, distinct initial sequence numbers keep the file deterministic.
        let seed = (index as u32).wrapping_mul(0x0100_0000);
        self.streams.push(Stream {
            client: entry.client.clone(),
            connection: entry.connection,
            client_ip,
            client_port: port,
            client_seq: 0x1000_0000u32.wrapping_add(seed),
            broker_seq: 0x7000_0000u32.wrapping_add(seed),
            client_closed: false,
            broker_closed: false,
        });
        self.segment(index, Peer::Client, SYN, &[], entry.at_ms);
        self.segment(index, Peer::Broker, SYN | ACK, &[], entry.at_ms);
        self.segment(index, Peer::Client, ACK, &[], entry.at_ms);
        index
    }

    /// Writes one TCP segment and advances the sender's sequence number by
    /// what the segment occupies (payload bytes, plus one for SYN or FIN).
    fn segment(&mut self, stream: usize, from: Peer, flags: u8, payload: &[u8], at_ms: u64) {
        let s = &self.streams[stream];
        let (client, broker) = ((s.client_ip, s.client_port), (BROKER_IP, BROKER_PORT));
        let (src, dst, seq, ack) = match from {
            Peer::Client => (client, broker, s.client_seq, s.broker_seq),
            Peer::Broker => (broker, client, s.broker_seq, s.client_seq),
        };
        // The client's first SYN acknowledges nothing yet.
        let ack = if flags & ACK != 0 { ack } else { 0 };
        let packet = ipv4_tcp(src, dst, seq, ack, flags, payload, self.ip_id);
        self.ip_id = self.ip_id.wrapping_add(1);
        self.record(&packet, at_ms);

        let used = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        let s = &mut self.streams[stream];
        let (seq, closed) = match from {
            Peer::Client => (&mut s.client_seq, &mut s.client_closed),
            Peer::Broker => (&mut s.broker_seq, &mut s.broker_closed),
        };
        *seq = seq.wrapping_add(used);
        if flags & FIN != 0 {
            *closed = true;
        }
    }

    fn record(&mut self, packet: &[u8], at_ms: u64) {
        let seconds = u32::try_from(at_ms / 1000).unwrap_or(u32::MAX);
        let micros = (at_ms % 1000) as u32 * 1000;
        let len = packet.len() as u32;
        for field in [seconds, micros, len, len] {
            self.out.extend_from_slice(&field.to_le_bytes());
        }
        self.out.extend_from_slice(packet);
    }
}

/// An IPv4 packet carrying one TCP segment without options, checksums set.
fn ipv4_tcp(
    (src_ip, src_port): ([u8; 4], u16),
    (dst_ip, dst_port): ([u8; 4], u16),
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
    ip_id: u16,
) -> Vec<u8> {
    let tcp_len = 20 + payload.len();
    let total = 20 + tcp_len;
    let mut p = Vec::with_capacity(total);
    p.push(0x45); // version 4, header of 5 words
    p.push(0); // DSCP/ECN
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&ip_id.to_be_bytes());
    p.extend_from_slice(&0x4000u16.to_be_bytes()); // don't fragment
    p.push(64); // TTL
    p.push(6); // TCP
    p.extend_from_slice(&[0, 0]); // checksum, below
    p.extend_from_slice(&src_ip);
    p.extend_from_slice(&dst_ip);
    let ip_sum = checksum(&[&p[..20]]);
    p[10..12].copy_from_slice(&ip_sum.to_be_bytes());

    p.extend_from_slice(&src_port.to_be_bytes());
    p.extend_from_slice(&dst_port.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ack.to_be_bytes());
    p.push(5 << 4); // data offset: 5 words
    p.push(flags);
    p.extend_from_slice(&65_535u16.to_be_bytes()); // window
    p.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    p.extend_from_slice(payload);
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&src_ip);
    pseudo.extend_from_slice(&dst_ip);
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(tcp_len as u16).to_be_bytes());
    let tcp_sum = checksum(&[&pseudo, &p[20..]]);
    p[36..38].copy_from_slice(&tcp_sum.to_be_bytes());
    p
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`,
/// each of which except the last must have even length.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for part in parts {
        for pair in part.chunks(2) {
            let word = u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]);
            sum += u32::from(word);
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// `will.trigger.keep-alive-expiry-5.0.pcap`: the file name `write_all`
/// uses, safe on every file system.
pub fn pcap_file_name(result: &ScenarioResult) -> String {
    format!(
        "{}-{}.pcap",
        crate::escape::slug(&result.id),
        crate::escape::slug(&result.version)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_typed_transport_only() {
        let closed = |by, abort| Some(TransportEvent::Closed { by, abort });
        assert_eq!(
            transport_event(Some(Transport::ClientFin)),
            closed(Peer::Client, false)
        );
        assert_eq!(
            transport_event(Some(Transport::ClientRst)),
            closed(Peer::Client, true)
        );
        assert_eq!(
            transport_event(Some(Transport::BrokerFin)),
            closed(Peer::Broker, false)
        );
        assert_eq!(
            transport_event(Some(Transport::BrokerRst)),
            closed(Peer::Broker, true)
        );
        assert_eq!(
            transport_event(Some(Transport::Opened)),
            Some(TransportEvent::Opened)
        );
        assert_eq!(transport_event(None), None);
    }

    #[test]
    fn hex_and_checksum() {
        assert_eq!(decode_hex("e0 00"), Some(vec![0xe0, 0]));
        assert_eq!(decode_hex("e"), None);
        assert_eq!(decode_hex("zz"), None);
        // RFC 1071's worked example: 0001 f203 f4f5 f6f7 sums to ddf2.
        assert_eq!(
            checksum(&[&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]]),
            !0xddf2
        );
    }
}
