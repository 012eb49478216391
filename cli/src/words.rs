//! Splitting a shell line into words, with `'…'`, `"…"` and backslash quoting.

use crate::error::{CliError, CliResult};

/// The words of `line`; an unclosed quote is an error.
pub fn split(line: &str) -> CliResult<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' | '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some('\\') if c == '"' => w.push(chars.next().unwrap_or('\\')),
                        Some(other) => w.push(other),
                        None => return Err(CliError::usage(format!("unclosed {c} quote"))),
                    }
                }
            }
            '\\' => word
                .get_or_insert_with(String::new)
                .push(chars.next().unwrap_or('\\')),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            split(r#"VM.set_name_label  web "my vm" 'it''s' a\ b """#).unwrap(),
            ["VM.set_name_label", "web", "my vm", "its", "a b", ""]
        );
        assert!(split("a \"open").is_err());
    }
}
