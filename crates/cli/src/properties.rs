//! Reading Java `.properties` files such as Kafka's server.properties: `key=value` or
//! `key: value` lines, `#` and `!` comments, and backslash line continuations.

use std::collections::BTreeMap;

/// Parses properties text into a sorted map; later keys win.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut logical = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if logical.is_empty()
            && (trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!'))
        {
            continue;
        }
        if let Some(continued) = trimmed.strip_suffix('\\') {
            logical.push_str(continued);
            continue;
        }
        logical.push_str(trimmed);
        let entry = std::mem::take(&mut logical);
        let split = entry.find(['=', ':']).unwrap_or(entry.len());
        let key = entry[..split].trim();
        let value = entry.get(split + 1..).unwrap_or("").trim();
        if !key.is_empty() {
            out.insert(key.to_string(), value.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kafka_style_properties() {
        let props = parse(
            "# comment\n! other\nnode.id=1\nlisteners = PLAINTEXT://:9092\nlog.dirs: /tmp/a,\\\n  /tmp/b\n\nempty=\n",
        );
        assert_eq!(props["node.id"], "1");
        assert_eq!(props["listeners"], "PLAINTEXT://:9092");
        assert_eq!(props["log.dirs"], "/tmp/a,/tmp/b");
        assert_eq!(props["empty"], "");
        assert_eq!(props.len(), 4);
    }
}
