//! Numbers as Java's `printf` prints them in Kafka's tools: fixed decimals, with `NaN` and
//! `Infinity` where a rate divides by a zero duration.

/// `value` with `decimals` digits after the point (Java's `%.Nf`).
pub fn fixed(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        format!("{value:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_java() {
        assert_eq!(fixed(1.0 / 3.0, 4), "0.3333");
        assert_eq!(fixed(2.5, 6), "2.500000");
        assert_eq!(fixed(f64::INFINITY, 4), "Infinity");
        assert_eq!(fixed(f64::NAN, 2), "NaN");
    }
}
