//! A live progress line for the perf tools: rewritten in place a few times a second while
//! standard output is a terminal, and wiped before any other line is printed there. Nothing is
//! written when standard output is not a terminal, so piped output holds Kafka's lines only.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the line is rewritten.
const EVERY: Duration = Duration::from_millis(250);

/// The progress line's state.
pub struct Progress {
    enabled: bool,
    shown: bool,
    last: Option<Instant>,
}

impl Progress {
    /// A progress line, shown only when standard output is a terminal.
    pub fn new() -> Progress {
        Progress {
            enabled: std::io::stdout().is_terminal(),
            shown: false,
            last: None,
        }
    }

    /// Rewrites the line with `text()` unless it was rewritten very recently.
    pub fn update(&mut self, text: impl FnOnce() -> String) {
        if !self.enabled || self.last.is_some_and(|last| last.elapsed() < EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        let mut stdout = std::io::stdout().lock();
        let _ = write!(stdout, "\r\x1b[K{}", text());
        let _ = stdout.flush();
        self.shown = true;
    }

    /// Wipes the line, so the next output starts at the beginning of an empty line.
    pub fn clear(&mut self) {
        if self.shown {
            let mut stdout = std::io::stdout().lock();
            let _ = write!(stdout, "\r\x1b[K");
            let _ = stdout.flush();
            self.shown = false;
        }
    }
}
