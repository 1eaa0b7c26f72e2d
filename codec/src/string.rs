//! [`MqttString`]: the value of every UTF-8 Encoded String (§1.5.4) a
//! packet carries: topic names and filters, client identifiers, user names,
//! string properties and User Properties.
//!
//! These are short in practice, and a server decodes one or more per
//! packet. Held as a `String`, each cost an allocation and a free, which
//! profiling of the mixed-stream benchmark put at about a fifth of decode
//! time. An `MqttString` holds up to [`MqttString::INLINE_CAPACITY`] bytes in
//! place and falls back to the heap above that, so the common packet decodes
//! without allocating for its strings, and a stored will or retained message
//! carries its topic in the same allocation as the rest of it.
//!
//! It reads as a `str` ([`Deref`], [`AsRef`], [`Borrow`]), compares and hashes
//! like one (so it can key a map looked up by `&str`), and converts from and
//! into `String`.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use arrayvec::ArrayString;

/// A UTF-8 string that stores short values inline. Its content is whatever
/// the decoder accepted (MQTT-1.5.4-1/-2 are the decoder's checks); values
/// built by hand are not checked, so a suite can send malformed ones.
#[derive(Clone)]
pub struct MqttString(Repr);

#[derive(Clone)]
enum Repr {
    Inline(ArrayString<{ MqttString::INLINE_CAPACITY }>),
    Heap(Box<str>),
}

impl MqttString {
    /// Longest value held without a heap allocation, in bytes. With its
    /// length and the variant tag the whole value is 40 bytes, two words
    /// more than a `String`, which needs a heap block of its own (at least
    /// 32 bytes) besides. Every packet that holds one grows with it: at
    /// 48 bytes (40 inline) decoding the mixed stream measured some 6 %
    /// slower in both versions, so longer topics pay one allocation instead.
    pub const INLINE_CAPACITY: usize = 32;

    /// An empty string (no allocation).
    pub const fn new() -> Self {
        Self(Repr::Inline(ArrayString::new_const()))
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(text) => text.as_str(),
            Repr::Heap(text) => text,
        }
    }

    /// Whether the value lives in a heap allocation of its own.
    pub fn is_heap_allocated(&self) -> bool {
        matches!(self.0, Repr::Heap(_))
    }

    pub fn into_string(self) -> String {
        match self.0 {
            Repr::Inline(text) => text.as_str().to_owned(),
            Repr::Heap(text) => text.into_string(),
        }
    }
}

impl Default for MqttString {
    fn default() -> Self {
        Self::new()
    }
}

impl From<&str> for MqttString {
    /// Built in place: the inline buffer is filled where the value will
    /// live, not in a temporary that is then moved (each move of the
    /// freshly written bytes stalled on store forwarding).
    #[inline]
    fn from(text: &str) -> Self {
        let mut value = Self::new();
        if let Repr::Inline(inline) = &mut value.0 {
            if inline.try_push_str(text).is_ok() {
                return value;
            }
        }
        Self(Repr::Heap(text.into()))
    }
}

impl From<String> for MqttString {
    /// Short values move inline (the `String`'s buffer is freed); long ones
    /// keep the buffer.
    fn from(text: String) -> Self {
        match ArrayString::from(&text) {
            Ok(inline) => Self(Repr::Inline(inline)),
            Err(_) => Self(Repr::Heap(text.into_boxed_str())),
        }
    }
}

impl From<&String> for MqttString {
    fn from(text: &String) -> Self {
        Self::from(text.as_str())
    }
}

impl From<Box<str>> for MqttString {
    fn from(text: Box<str>) -> Self {
        match ArrayString::from(&text) {
            Ok(inline) => Self(Repr::Inline(inline)),
            Err(_) => Self(Repr::Heap(text)),
        }
    }
}

impl From<&MqttString> for MqttString {
    fn from(text: &MqttString) -> Self {
        text.clone()
    }
}

impl From<MqttString> for String {
    fn from(text: MqttString) -> Self {
        text.into_string()
    }
}

impl From<&MqttString> for String {
    fn from(text: &MqttString) -> Self {
        text.as_str().to_owned()
    }
}

impl std::str::FromStr for MqttString {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(text))
    }
}

impl Deref for MqttString {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for MqttString {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for MqttString {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<str> for MqttString {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for MqttString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for MqttString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

/// Equality, order and hash are the text's, whichever way it is stored.
impl PartialEq for MqttString {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for MqttString {}

impl PartialOrd for MqttString {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MqttString {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for MqttString {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

macro_rules! eq_with_text {
    ($($other:ty),*) => {$(
        impl PartialEq<$other> for MqttString {
            fn eq(&self, other: &$other) -> bool {
                self.as_str() == AsRef::<str>::as_ref(other)
            }
        }

        impl PartialEq<MqttString> for $other {
            fn eq(&self, other: &MqttString) -> bool {
                AsRef::<str>::as_ref(self) == other.as_str()
            }
        }
    )*};
}

eq_with_text!(str, &str, String);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn short_values_stay_inline_and_long_ones_go_to_the_heap() {
        let fits = "a".repeat(MqttString::INLINE_CAPACITY);
        let over = "a".repeat(MqttString::INLINE_CAPACITY + 1);
        assert!(!MqttString::from(fits.as_str()).is_heap_allocated());
        assert!(MqttString::from(over.as_str()).is_heap_allocated());
        assert!(MqttString::from(over.clone()).is_heap_allocated());
        assert_eq!(MqttString::from(over.clone()), over);
        assert_eq!(MqttString::from(fits.clone()).into_string(), fits);
    }

    #[test]
    fn it_is_two_words_bigger_than_a_string() {
        assert_eq!(std::mem::size_of::<MqttString>(), 40);
        assert_eq!(std::mem::size_of::<Option<MqttString>>(), 40);
    }

    #[test]
    fn equality_order_and_hash_are_the_texts() {
        let long = "x/".repeat(40);
        let inline = MqttString::from("a/b");
        assert_eq!(inline, "a/b");
        assert_eq!("a/b", inline);
        assert_eq!(inline, String::from("a/b"));
        let (short, heap) = (MqttString::from("a"), MqttString::from(long.as_str()));
        assert_eq!(short.cmp(&heap), "a".cmp(long.as_str()));
        assert_eq!(heap.cmp(&short), long.as_str().cmp("a"));
        let mut map = HashMap::new();
        map.insert(MqttString::from(long.as_str()), 1);
        map.insert(inline, 2);
        assert_eq!(map.get(long.as_str()), Some(&1));
        assert_eq!(map.get("a/b"), Some(&2));
        assert_eq!(format!("{:?}", MqttString::from("q\"")), "\"q\\\"\"");
    }

    #[test]
    fn multibyte_text_is_kept_whole() {
        let text = "é".repeat(MqttString::INLINE_CAPACITY / 2 + 1);
        let value = MqttString::from(text.as_str());
        assert!(value.is_heap_allocated());
        assert_eq!(value.as_str(), text);
        let value = MqttString::from("héllo/wörld");
        assert!(!value.is_heap_allocated());
        assert_eq!(value.chars().count(), 11);
    }
}
