//! The JUnit XML is well-formed XML 1.0 and consistent with itself, checked
//! by a small reader (no XML crate): balanced tags, quoted attributes, only
//! known entities, no characters XML 1.0 forbids.
#![allow(clippy::unwrap_used)]

mod common;

use lastwill_report::{to_junit, Verdict};

#[derive(Debug)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    /// Nesting depth: 0 for the root.
    depth: usize,
}

/// Checks `&...;` references and forbidden characters in text or an
/// attribute value, and returns the text with references resolved.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(['&', '<']) {
        assert_ne!(&rest[i..i + 1], "<", "raw '<' in {s:?}");
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find(';')
            .unwrap_or_else(|| panic!("unterminated reference in {s:?}"))
            + i;
        let name = &rest[i + 1..end];
        let c = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ if name.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&name[2..], 16).unwrap()).unwrap()
            }
            _ if name.starts_with('#') => char::from_u32(name[1..].parse().unwrap()).unwrap(),
            _ => panic!("unknown entity &{name}; in {s:?}"),
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    for c in out.chars() {
        let allowed = matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..);
        assert!(allowed, "character {c:?} is not allowed in XML 1.0");
    }
    out
}

/// Reads the document into its elements (in document order) and the text
/// content of each, asserting well-formedness along the way.
fn read(xml: &str) -> (Vec<Element>, Vec<String>) {
    let mut rest = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        .expect("XML declaration");
    let (mut elements, mut texts, mut stack) = (Vec::new(), Vec::new(), Vec::<String>::new());
    let mut roots = 0;
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        let text = unescape(&rest[..lt]);
        if stack.is_empty() {
            assert!(text.trim().is_empty(), "text outside the root: {text:?}");
        } else if !text.trim().is_empty() {
            texts.push(text);
        }
        rest = &rest[lt..];
        if rest.is_empty() {
            break;
        }
        let gt = rest.find('>').expect("unclosed tag");
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched close tag");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = &tag[..name_end];
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "tag name {name:?}"
        );
        let mut attrs = Vec::new();
        let mut a = tag[name_end..].trim_start();
        while !a.is_empty() {
            let eq = a.find("=\"").expect("attribute without =\"");
            let key = &a[..eq];
            let close = a[eq + 2..].find('"').expect("unterminated attribute") + eq + 2;
            assert!(
                attrs.iter().all(|(k, _)| k != key),
                "duplicate attribute {key}"
            );
            attrs.push((key.to_string(), unescape(&a[eq + 2..close])));
            a = a[close + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        elements.push(Element {
            name: name.to_string(),
            attrs,
            depth: stack.len(),
        });
        if !self_closing {
            stack.push(name.to_string());
        }
    }
    assert!(stack.is_empty(), "unclosed elements {stack:?}");
    assert_eq!(roots, 1, "exactly one root element");
    (elements, texts)
}

fn attr<'a>(e: &'a Element, key: &str) -> &'a str {
    e.attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{} has no {key}", e.name))
}

#[test]
fn well_formed_and_consistent() {
    let report = common::fixture();
    let xml = to_junit(&report);
    let (elements, texts) = read(&xml);
    assert_eq!(elements[0].name, "testsuites");
    let suites: Vec<&Element> = elements.iter().filter(|e| e.name == "testsuite").collect();
    assert_eq!(
        suites.iter().map(|s| attr(s, "name")).collect::<Vec<_>>(),
        ["lastwill MQTT 3.1.1", "lastwill MQTT 5.0"]
    );
    let cases: Vec<&Element> = elements.iter().filter(|e| e.name == "testcase").collect();
    assert_eq!(cases.len(), report.results.len());
    assert_eq!(
        attr(&elements[0], "tests"),
        report.results.len().to_string()
    );
    assert_eq!(attr(cases[0], "classname"), "lastwill.3.1.1.triggers");
    assert_eq!(attr(cases[0], "name"), "will.trigger.keep-alive-expiry");

    let count = |name: &str| elements.iter().filter(|e| e.name == name).count();
    let verdicts = |v: Verdict| report.results.iter().filter(|r| r.verdict == v).count();
    assert_eq!(count("failure"), verdicts(Verdict::Fail));
    assert_eq!(count("error"), verdicts(Verdict::Error));
    assert_eq!(count("skipped"), verdicts(Verdict::Skip));
    assert_eq!(count("system-out"), verdicts(Verdict::Warn));

    // Escaped text reads back as the original, control character aside.
    let failure = elements.iter().find(|e| e.name == "failure").unwrap();
    assert_eq!(
        attr(failure, "message"),
        report.results[1].reason.replace('\u{1}', "\u{2401}")
    );
    assert_eq!(attr(failure, "type"), "MQTT-3.1.2-8");
    assert!(texts
        .iter()
        .any(|t| t.contains("observed: nothing\nthen the watcher disconnected")));
    assert!(texts
        .iter()
        .any(|t| t.starts_with("WARNING (MQTT-3.1.3-9)")));
    let root = elements.iter().find(|e| e.depth == 0).unwrap();
    assert_eq!(
        attr(root, "name"),
        format!("lastwill {}", report.target.name)
    );
}

#[test]
fn reader_rejects_broken_xml() {
    let broken = [
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a><b></a></b>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>x & y</a>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>\u{1}</a>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/><b/>",
    ];
    for xml in broken {
        assert!(
            std::panic::catch_unwind(|| read(xml)).is_err(),
            "accepted {xml:?}"
        );
    }
}
