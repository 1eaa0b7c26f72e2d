//! A scenario's timeline as an inline SVG sequence diagram, laid out like
//! Wireshark's flow graph: times down the left, one lifeline per client
//! connection and one for the broker on the right, an arrow per packet
//! (rightwards = sent by the client, leftwards = received from the broker),
//! events as notes, and each entry's full summary in a column on the right
//! so nothing has to be truncated to fit between two lifelines.
//!
//! The SVG carries no ids (several diagrams share one page) and is styled
//! by the page's CSS classes `seq-*`.

use std::fmt::Write as _;

use crate::escape::{attr, text};
use crate::group::connection_label;
use crate::result::{Direction, TimelineEntry};

const TIME_WIDTH: usize = 72;
const LANE_WIDTH: usize = 150;
const HEAD_HEIGHT: usize = 44;
const ROW_HEIGHT: usize = 24;
/// Approximate advance of one character of the 11px monospace font.
const CHAR_WIDTH_TENTHS: usize = 66;
/// Summaries longer than this are cut in the right-hand column (the
/// tooltip and the JSON keep them whole).
const MAX_COMMENT_CHARS: usize = 140;

fn chars_width(chars: usize) -> usize {
    (chars * CHAR_WIDTH_TENTHS).div_ceil(10)
}

/// Cuts `s` to at most `max` characters, marking the cut with `…`.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// The lifelines: client connections in order of first appearance. Events
/// with an empty client (step markers) belong to no lifeline.
fn lanes(timeline: &[TimelineEntry]) -> Vec<(&str, u32)> {
    let mut lanes: Vec<(&str, u32)> = Vec::new();
    for entry in timeline {
        let key = (entry.client.as_str(), entry.connection);
        let harness_note = entry.direction == Direction::Event && entry.client.is_empty();
        if !harness_note && !lanes.contains(&key) {
            lanes.push(key);
        }
    }
    lanes
}

/// Renders the diagram; `None` for an empty timeline (nothing to draw).
pub(crate) fn sequence_diagram(timeline: &[TimelineEntry], caption: &str) -> Option<String> {
    if timeline.is_empty() {
        return None;
    }
    let lanes = lanes(timeline);
    let centre = |lane: usize| TIME_WIDTH + lane * LANE_WIDTH + LANE_WIDTH / 2;
    let broker_x = centre(lanes.len());
    let comment_x = TIME_WIDTH + (lanes.len() + 1) * LANE_WIDTH + 8;
    let longest = timeline
        .iter()
        .map(|e| e.summary.chars().count())
        .max()
        .unwrap_or(0);
    let width = comment_x + chars_width(longest.min(MAX_COMMENT_CHARS)) + 12;
    let row_y = |row: usize| HEAD_HEIGHT + ROW_HEIGHT + row * ROW_HEIGHT;
    let bottom = row_y(timeline.len() - 1) + ROW_HEIGHT;
    let height = bottom + 8;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"seq\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">",
        attr(&format!("Sequence diagram: {caption}"))
    );

    // Heads and lifelines: solid while the connection is in use, faint
    // dashes before it opens and after its last entry, so reconnects show.
    let mut heads: Vec<String> = lanes
        .iter()
        .map(|(client, connection)| format!("{client} #{connection}"))
        .collect();
    heads.push(String::from("broker"));
    for (lane, label) in heads.iter().enumerate() {
        let x = centre(lane);
        let is_broker = lane == lanes.len();
        let (first, last) = if is_broker {
            (0, timeline.len() - 1)
        } else {
            let on_lane = |e: &TimelineEntry| (e.client.as_str(), e.connection) == lanes[lane];
            let first = timeline.iter().position(on_lane).unwrap_or(0);
            let last = timeline.iter().rposition(on_lane).unwrap_or(first);
            (first, last)
        };
        let (y_first, y_last) = (row_y(first) - ROW_HEIGHT / 2, row_y(last) + ROW_HEIGHT / 2);
        let _ = writeln!(
            svg,
            "<line class=\"seq-idle\" x1=\"{x}\" y1=\"{HEAD_HEIGHT}\" x2=\"{x}\" y2=\"{bottom}\"/>\n<line class=\"seq-life\" x1=\"{x}\" y1=\"{y_first}\" x2=\"{x}\" y2=\"{y_last}\"/>"
        );
        let box_class = if is_broker {
            "seq-head seq-broker"
        } else {
            "seq-head"
        };
        let _ = writeln!(
            svg,
            "<g><title>{}</title><rect class=\"{box_class}\" x=\"{}\" y=\"8\" width=\"{}\" height=\"28\" rx=\"4\"/><text class=\"seq-name\" x=\"{x}\" y=\"26\" text-anchor=\"middle\">{}</text></g>",
            text(label),
            x - LANE_WIDTH / 2 + 8,
            LANE_WIDTH - 16,
            text(&truncate(label, 20)),
        );
    }

    for (row, entry) in timeline.iter().enumerate() {
        let y = row_y(row);
        let lane = lanes
            .iter()
            .position(|l| *l == (entry.client.as_str(), entry.connection));
        let mut tooltip = format!(
            "{} ms  {}  {}",
            entry.at_ms,
            connection_label(entry),
            entry.summary
        );
        if !entry.hex.is_empty() {
            let _ = write!(tooltip, "\n{}", entry.hex);
        }
        let _ = write!(svg, "<g><title>{}</title>", text(&tooltip));
        let _ = write!(
            svg,
            "<text class=\"seq-time\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{} ms</text>",
            TIME_WIDTH - 8,
            y + 4,
            entry.at_ms
        );
        let comment_class = match entry.direction {
            Direction::Event => "seq-comment seq-event-text",
            _ => "seq-comment",
        };
        match (entry.direction, lane) {
            (Direction::Sent | Direction::Received, Some(lane)) => {
                arrow(&mut svg, centre(lane), broker_x, y, entry);
            }
            (_, lane) => note(
                &mut svg,
                lane.map(centre),
                centre(0),
                broker_x,
                y,
                &entry.summary,
            ),
        }
        let _ = writeln!(
            svg,
            "<text class=\"{comment_class}\" x=\"{comment_x}\" y=\"{}\">{}</text></g>",
            y + 4,
            text(&truncate(&entry.summary, MAX_COMMENT_CHARS))
        );
    }
    svg.push_str("</svg>\n");
    Some(svg)
}

/// A packet: a horizontal arrow between a client lifeline and the broker's,
/// its head on the receiving side, labelled with the packet type.
fn arrow(svg: &mut String, client_x: usize, broker_x: usize, y: usize, entry: &TimelineEntry) {
    let sent = entry.direction == Direction::Sent;
    let (class, tip, head) = if sent {
        (
            "seq-sent",
            broker_x,
            format!(
                "{},{} {},{} {},{}",
                broker_x,
                y,
                broker_x - 8,
                y - 4,
                broker_x - 8,
                y + 4
            ),
        )
    } else {
        (
            "seq-received",
            client_x,
            format!(
                "{},{} {},{} {},{}",
                client_x,
                y,
                client_x + 8,
                y - 4,
                client_x + 8,
                y + 4
            ),
        )
    };
    let tail = if sent { client_x } else { broker_x };
    let packet = entry.summary.split_whitespace().next().unwrap_or("");
    let span = broker_x - client_x;
    let _ = write!(
        svg,
        "<line class=\"{class}\" x1=\"{tail}\" y1=\"{y}\" x2=\"{tip}\" y2=\"{y}\"/><polygon class=\"{class}-head\" points=\"{head}\"/><text class=\"seq-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        client_x + span / 2,
        y - 5,
        text(&truncate(packet, span / 7))
    );
}

/// An event: a note on its connection's lifeline, or across every lifeline
/// for harness events that belong to no connection (step markers).
fn note(
    svg: &mut String,
    lane_x: Option<usize>,
    first_x: usize,
    broker_x: usize,
    y: usize,
    summary: &str,
) {
    let (left, right) = match lane_x {
        Some(x) => (x - LANE_WIDTH / 2 + 6, x + LANE_WIDTH / 2 - 6),
        None => (first_x - LANE_WIDTH / 2 + 6, broker_x + LANE_WIDTH / 2 - 6),
    };
    let width = right - left;
    let fits = (width - 8) * 10 / CHAR_WIDTH_TENTHS;
    let _ = write!(
        svg,
        "<rect class=\"seq-note\" x=\"{left}\" y=\"{}\" width=\"{width}\" height=\"{}\" rx=\"3\"/><text class=\"seq-note-text\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        y - ROW_HEIGHT / 2 + 3,
        ROW_HEIGHT - 6,
        left + width / 2,
        y + 4,
        text(&truncate(summary, fits))
    );
}
