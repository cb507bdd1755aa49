//! How the CLI talks to people and scripts: progress on stderr (a spinner on a terminal, plain
//! lines otherwise), and either a human summary or one JSON object on stdout.

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Exit status of a command whose answer is no (an invalid proof, a failed row, nothing
/// recorded): the question was answered, unlike an error, which exits with [`ERROR`].
pub const NO: ExitCode = ExitCode::FAILURE;

/// Exit status of a command that could not answer (bad arguments, a refused file, no network).
pub const ERROR: u8 = 2;

/// Output mode of one command run.
#[derive(Clone, Copy, Debug)]
pub struct Reporter {
    /// Print one JSON object instead of prose.
    pub json: bool,
}

impl Reporter {
    /// Runs `work` as a named step with progress indication; returns its result and duration.
    pub fn step<T, E>(&self, label: &str, work: impl FnOnce() -> Result<T, E>) -> Result<(T, Duration), E> {
        let start = Instant::now();
        let spinner = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"));
            bar.set_message(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        if spinner.is_none() && !self.json {
            note(format_args!("{label}…"));
        }
        let result = work();
        let elapsed = start.elapsed();
        if let Some(bar) = spinner {
            bar.finish_and_clear();
        }
        if result.is_ok() && !self.json {
            note(format_args!("✓ {label} ({:.2} s)", elapsed.as_secs_f64()));
        }
        result.map(|v| (v, elapsed))
    }

    /// Prints the command's result, `value` as JSON or the human lines; exit status 0.
    pub fn finish<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce() -> Vec<String>,
    ) -> anyhow::Result<ExitCode> {
        self.answer(true, value, human)
    }

    /// Prints the command's answer as [`Reporter::finish`] does; exit status 0 if it is yes (a
    /// valid proof, every row proven), [`NO`] if it is no. An error is neither: it exits 2.
    pub fn answer<T: Serialize>(
        &self,
        yes: bool,
        value: &T,
        human: impl FnOnce() -> Vec<String>,
    ) -> anyhow::Result<ExitCode> {
        let lines = if self.json { vec![serde_json::to_string(value)?] } else { human() };
        let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
        // The answer is the command's result, so failing to deliver it is an error (a full disk,
        // a closed pipe), where `println!` would panic.
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .context("writing the answer to stdout")?;
        Ok(if yes { ExitCode::SUCCESS } else { NO })
    }

    /// A warning on stderr (kept out of JSON output).
    pub fn warn(&self, message: &str) {
        note(format_args!("warning: {message}"));
    }
}

/// A line on stderr, best effort: progress, warnings and error reports must not turn a full disk
/// or a closed pipe into a panic, as `eprintln!` would.
pub fn note(line: impl Display) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// One line describing a circuit plan: k, rows and columns.
pub fn plan_summary(plan: &loopx_circuits::CircuitPlan) -> String {
    format!(
        "circuit   k = {}: {} pool rows, {} strip rows (range bits, multiplexers); {} advice and {} fixed columns",
        plan.shape.k,
        plan.pool_rows,
        plan.strip_rows,
        plan.advice_columns,
        plan.fixed_columns
    )
}
