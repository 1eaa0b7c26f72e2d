//! An independent reader of the pcap files `write_pcap` produces, used to
//! check them field by field: written from the file format and RFC 791/793,
//! not from the writer.
#![allow(clippy::unwrap_used)]

#[derive(Debug)]
pub struct Segment {
    pub ts_sec: u32,
    pub ts_usec: u32,
    pub src: ([u8; 4], u16),
    pub dst: ([u8; 4], u16),
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: Vec<u8>,
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// One's-complement sum; a region whose checksum field is correct sums to 0xffff.
fn ones_sum(data: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    for chunk in data.chunks(2) {
        let hi = u64::from(chunk[0]) << 8;
        sum += hi | chunk.get(1).map_or(0, |&b| u64::from(b));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Parses the whole file, asserting every header field and checksum.
pub fn parse(file: &[u8]) -> Vec<Segment> {
    assert!(file.len() >= 24, "no global header");
    assert_eq!(
        le32(&file[0..4]),
        0xa1b2_c3d4,
        "magic (microsecond, little-endian)"
    );
    assert_eq!(u16::from_le_bytes([file[4], file[5]]), 2, "major version");
    assert_eq!(u16::from_le_bytes([file[6], file[7]]), 4, "minor version");
    let snaplen = le32(&file[16..20]);
    assert_eq!(le32(&file[20..24]), 101, "LINKTYPE_RAW");
    let mut at = 24;
    let mut segments = Vec::new();
    while at < file.len() {
        let record = &file[at..];
        assert!(record.len() >= 16, "truncated record header");
        let (ts_sec, ts_usec, incl, orig) = (
            le32(record),
            le32(&record[4..]),
            le32(&record[8..]) as usize,
            le32(&record[12..]) as usize,
        );
        assert!(ts_usec < 1_000_000);
        assert_eq!(incl, orig, "nothing truncated");
        assert!(incl as u32 <= snaplen);
        let ip = &record[16..16 + incl];
        assert_eq!(ip[0], 0x45, "IPv4 without options");
        assert_eq!(be16(&ip[2..]) as usize, incl, "IP total length");
        assert_eq!(ip[9], 6, "protocol TCP");
        assert_eq!(ones_sum(&ip[..20]), 0xffff, "IPv4 header checksum");
        let tcp = &ip[20..];
        assert_eq!(tcp[12] >> 4, 5, "TCP header without options");
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&ip[12..20]);
        pseudo.extend_from_slice(&[0, 6]);
        pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
        pseudo.extend_from_slice(tcp);
        assert_eq!(ones_sum(&pseudo), 0xffff, "TCP checksum");
        segments.push(Segment {
            ts_sec,
            ts_usec,
            src: (ip[12..16].try_into().unwrap(), be16(tcp)),
            dst: (ip[16..20].try_into().unwrap(), be16(&tcp[2..])),
            seq: be32(&tcp[4..]),
            ack: be32(&tcp[8..]),
            flags: tcp[13],
            payload: tcp[20..].to_vec(),
        });
        at += 16 + incl;
    }
    segments
}

fn flags(f: u8) -> String {
    let names = [
        (0x02, "SYN"),
        (0x01, "FIN"),
        (0x04, "RST"),
        (0x08, "PSH"),
        (0x10, "ACK"),
    ];
    names
        .iter()
        .filter(|(bit, _)| f & bit != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(",")
}

/// tcpdump-like lines with sequence numbers relative to each side's SYN.
pub fn listing(segments: &[Segment]) -> String {
    // Initial sequence numbers per direction (sender, receiver): the
    // broker's end is the same in every stream.
    type End = ([u8; 4], u16);
    let mut isn: Vec<((End, End), u32)> = Vec::new();
    let mut out = String::new();
    for s in segments {
        if s.flags & 0x02 != 0 {
            isn.push(((s.src, s.dst), s.seq));
        }
        let base = |from, to| {
            isn.iter()
                .find(|(e, _)| *e == (from, to))
                .map_or(0, |(_, n)| *n)
        };
        let rel_ack = if s.flags & 0x10 != 0 {
            s.ack.wrapping_sub(base(s.dst, s.src))
        } else {
            0
        };
        let ip = |(a, p): ([u8; 4], u16)| format!("{}.{}.{}.{}:{p}", a[0], a[1], a[2], a[3]);
        out.push_str(&format!(
            "{}.{:06} {} > {} [{}] seq={} ack={} len={}\n",
            s.ts_sec,
            s.ts_usec,
            ip(s.src),
            ip(s.dst),
            flags(s.flags),
            s.seq.wrapping_sub(base(s.src, s.dst)),
            rel_ack,
            s.payload.len()
        ));
    }
    out
}
