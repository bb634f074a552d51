//! Progress bars on stderr, drawn only when stderr is a terminal (a log file gets no
//! control characters).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar with `template`, hidden when stderr is not a terminal.
pub fn bar(template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// A spinner with a message, hidden when stderr is not a terminal.
pub fn spinner() -> ProgressBar {
    let bar = self::bar("{spinner} {msg} {elapsed}");
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
