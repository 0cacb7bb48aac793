//! Progress bars for long phases, and a record of how long each took.

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use xinrong_scorecard::Progress;

/// One bar per phase on stderr (hidden when stderr is not a terminal), plus phase timings.
pub struct Bars {
    quiet: bool,
    current: Mutex<Option<(String, ProgressBar, Instant)>>,
    timings: Mutex<Vec<(String, Duration)>>,
}

impl Bars {
    pub fn new(quiet: bool) -> Self {
        Bars {
            quiet,
            current: Mutex::new(None),
            timings: Mutex::new(Vec::new()),
        }
    }

    /// Closes the running phase and returns every phase with its duration.
    pub fn finish(&self) -> Vec<(String, Duration)> {
        self.close();
        self.timings.lock().expect("lock").clone()
    }

    /// A spinner-less phase timed from now, for work outside the engine (reading files).
    pub fn start(&self, name: &str) {
        self.phase(name, 0);
    }

    fn close(&self) {
        if let Some((name, bar, t0)) = self.current.lock().expect("lock").take() {
            bar.finish_and_clear();
            self.timings
                .lock()
                .expect("lock")
                .push((name, t0.elapsed()));
        }
    }
}

impl Progress for Bars {
    fn phase(&self, name: &str, total: u64) {
        self.close();
        let bar = if self.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(total)
        };
        let template = if total > 0 {
            "{msg:>22} [{bar:30}] {pos}/{len} ({elapsed})"
        } else {
            "{msg:>22} {spinner} ({elapsed})"
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(name.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.current.lock().expect("lock") = Some((name.to_string(), bar, Instant::now()));
    }

    fn inc(&self, n: u64) {
        if let Some((_, bar, _)) = self.current.lock().expect("lock").as_ref() {
            bar.inc(n);
        }
    }
}
