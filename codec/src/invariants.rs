//! The decoder's contract as a checkable function, shared by the property
//! tests and the cargo-fuzz targets so both hold the codec to the same rules.

use bytes::BytesMut;

use crate::decode::{decode, decode_packet};
use crate::encode::encode_to_bytes;
use crate::limits::Limits;
use crate::types::ProtocolVersion;

/// A broken promise of the decoder, described for a fuzzer's crash report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("codec invariant broken: {0}")]
pub struct InvariantViolation(pub String);

/// Feeds `bytes` to the streaming decoder and checks what it promises:
/// - "need more" and errors leave the buffer untouched;
/// - every error names a rule;
/// - an accepted packet consumed a prefix that [`decode_packet`] accepts alone;
/// - the packet re-encodes to bytes that decode to the same packet.
///
/// Panics only if the decoder itself panics.
pub fn check_decode(bytes: &[u8], version: ProtocolVersion) -> Result<(), InvariantViolation> {
    let fail = |what: String| Err(InvariantViolation(what));
    let limits = Limits::default();
    let mut buf = BytesMut::from(bytes);
    match decode(&mut buf, version, &limits) {
        Ok(None) if buf[..] != *bytes => fail("Ok(None) consumed bytes".into()),
        Ok(None) => Ok(()),
        Err(error) if buf[..] != *bytes => fail(format!("error {error:?} consumed bytes")),
        Err(error) if error.rule().is_empty() => fail(format!("error {error:?} names no rule")),
        Err(_) => Ok(()),
        Ok(Some(packet)) => {
            let consumed = bytes.len() - buf.len();
            let Some(frame) = bytes.get(..consumed) else {
                return fail("consumed more than the input".into());
            };
            if bytes.get(consumed..) != Some(&buf[..]) {
                return fail("the rest of the buffer is not the rest of the input".into());
            }
            match decode_packet(frame, version, &limits) {
                Ok(alone) if alone == packet => {}
                other => return fail(format!("decode_packet on the frame gave {other:?}")),
            }
            let again = match encode_to_bytes(&packet, version) {
                Ok(again) => again,
                Err(error) => {
                    return fail(format!("accepted {packet:?} cannot be re-encoded: {error}"))
                }
            };
            match decode_packet(&again, version, &limits) {
                Ok(round) if round == packet => Ok(()),
                other => fail(format!("re-encoded {packet:?} decodes to {other:?}")),
            }
        }
    }
}
