//! Escaping shared by the renderings. Report text comes from brokers and
//! scenario files, so any of it may hold markup or bytes a format cannot
//! carry; every renderer routes user text through here and nowhere else.

/// The character shown in place of one that XML 1.0 cannot hold at all,
/// not even as a character reference (`&#1;` is ill-formed). C0 controls map
/// to their Unicode "control picture" (U+2400 + code), so a reader still sees
/// which byte it was; the two noncharacters map to U+FFFD.
fn visible_substitute(c: char) -> Option<char> {
    match c {
        '\t' | '\n' | '\r' => None,
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
        '\u{fffe}' | '\u{ffff}' => Some('\u{fffd}'),
        _ => None,
    }
}

/// Escapes text for XML or HTML element content or a double- or
/// single-quoted attribute value. Tabs, newlines and carriage returns become
/// character references so attribute-value normalisation (which turns them
/// into spaces) and end-of-line handling (which drops `\r`) keep them; in
/// element content `\n` and `\t` are left as they are for readability.
pub(crate) fn xml(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            _ => out.push(visible_substitute(c).unwrap_or(c)),
        }
    }
    out
}

/// Element content (XML or HTML).
pub(crate) fn text(text: &str) -> String {
    xml(text, false)
}

/// A quoted attribute value (XML or HTML).
pub(crate) fn attr(text: &str) -> String {
    xml(text, true)
}

/// Escapes text for one cell of a GitHub-flavoured Markdown table: `|`
/// would end the cell and a newline the row, so they become `\|` and
/// `<br>`. Inline markup characters are backslash-escaped and `<`/`&` become
/// entities so a broker's reason can neither format nor inject HTML.
pub(crate) fn markdown_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push(' '),
            _ => out.push(visible_substitute(c).unwrap_or(c)),
        }
    }
    out
}

/// Turns arbitrary text into something safe as an HTML `id`/fragment or a
/// file name: ASCII letters, digits, `.`, `_` and `-` are kept, anything
/// else becomes `_`. Scenario ids are already of this shape in practice.
pub(crate) fn slug(text: &str) -> String {
    let slug: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // `.` and `..` would name directories, not files.
    if slug.chars().all(|c| c == '.') {
        format!("_{slug}")
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_controls() {
        assert_eq!(
            text("a<b & \"c\" 'd'\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;\u{2401}"
        );
        assert_eq!(attr("x\ny\tz\r"), "x&#10;y&#9;z&#13;");
        assert_eq!(text("x\ny"), "x\ny");
        assert_eq!(text("\u{ffff}"), "\u{fffd}");
    }

    #[test]
    fn markdown_cells_cannot_break_tables() {
        assert_eq!(
            markdown_cell("a|b\r\nc\n<i>&*"),
            "a\\|b<br>c<br>&lt;i&gt;&amp;\\*"
        );
    }

    #[test]
    fn slugs_are_file_names() {
        assert_eq!(slug("will.trigger/x y"), "will.trigger_x_y");
        assert_eq!(slug(".."), "_..");
    }
}
