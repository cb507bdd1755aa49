//! Batch input files, read as a stream of rows (one line at a time, so memory does not grow
//! with the file):
//!
//! - JSON Lines: `{"wallet": "0x…", "features": [f1, …]}` (the model's order) or
//!   `{"wallet": "0x…", "features": {"name": value, …}}` (by the model's schema);
//! - CSV with a header `wallet,<feature names>`: columns are matched by name to the schema's
//!   order, or taken in order when the model has no schema. One record per line; fields may be
//!   double-quoted (`""` inside quotes is a quote).
//!
//! - a directory of issuer credentials (`loopx credential issue --inputs … -o DIR`): each
//!   `*.json` file, in name order, is one row that proves the credential's committed features
//!   with its salt (see [`Opening`]).
//!
//! Rows are numbered from 1 over the data rows (blank lines and the CSV header do not count), the
//! numbering that error reports, the manifest and [`Shard`](super::Shard) use. A row that does
//! not parse is reported as a [`FailedRow`] and the stream goes on; only an unreadable file or an
//! unusable CSV header stops it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use halo2curves::bn256::Fr;
use loopx_credentials::Address;
use loopx_models::{ModelPackage, Schema};
use serde_json::Value;

use crate::error::{BatchError, Result};
use crate::{credentials, FailedRow, Shard};
use loopx_prover::parse_wallet;

/// The layout of a batch input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// One JSON object per line.
    JsonLines,
    /// Comma-separated values with a header.
    Csv,
    /// A directory of credential files.
    Credentials,
}

impl InputFormat {
    /// The format a path implies: a directory holds credentials, `.csv` is CSV, anything else
    /// (`.jsonl`, `.ndjson`, …) JSON Lines.
    pub fn of_path(path: &Path) -> Self {
        if path.is_dir() {
            return InputFormat::Credentials;
        }
        match path.extension() {
            Some(ext) if ext.eq_ignore_ascii_case("csv") => InputFormat::Csv,
            _ => InputFormat::JsonLines,
        }
    }
}

/// A batch input file.
#[derive(Clone, Debug)]
pub struct BatchInput {
    path: PathBuf,
    format: InputFormat,
    issuer: Option<Address>,
}

/// One parsed data row: the wallet and its float features in the model's order.
#[derive(Clone, Debug, PartialEq)]
pub struct WalletRow {
    /// 1-based data row number.
    pub row: usize,
    /// The wallet the proof is bound to.
    pub wallet: [u8; 20],
    /// Float features, in the model's order (not yet range-checked).
    pub values: Vec<f64>,
    /// For a credential row, the commitment's opening to prove (instead of a fresh salt).
    pub opening: Option<Opening>,
}

/// What a credential's owner proves: the committed, canonically encoded features and the
/// issuer's salt, so the proof's commitment is the one the issuer signed.
#[derive(Clone, Debug, PartialEq)]
pub struct Opening {
    /// The encoded features (the model's quantized inputs).
    pub features: Vec<i64>,
    /// The commitment's salt.
    pub salt: Fr,
}

/// What a row must hold: the features of a schema (by name), or a bare count (in order) for a
/// model compiled without one.
#[derive(Clone, Copy, Debug)]
pub struct FeatureLayout<'a> {
    /// The schema naming the features, if any.
    pub schema: Option<&'a Schema>,
    /// The number of features.
    pub features: usize,
}

impl<'a> From<&'a ModelPackage> for FeatureLayout<'a> {
    fn from(package: &'a ModelPackage) -> Self {
        FeatureLayout { schema: package.schema.as_ref(), features: package.features() }
    }
}

impl<'a> From<&'a Schema> for FeatureLayout<'a> {
    fn from(schema: &'a Schema) -> Self {
        FeatureLayout { schema: Some(schema), features: schema.len() }
    }
}

/// A data row as read: parsed, or why it could not be.
pub type InputRow = std::result::Result<WalletRow, FailedRow>;

impl BatchInput {
    /// An input file, its format chosen by [`InputFormat::of_path`].
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let format = InputFormat::of_path(&path);
        BatchInput { path, format, issuer: None }
    }

    /// An input file of an explicit format.
    pub fn with_format(path: impl Into<PathBuf>, format: InputFormat) -> Self {
        BatchInput { path: path.into(), format, issuer: None }
    }

    /// A directory of credentials; with `issuer`, credentials signed by anyone else are failed rows.
    pub fn credentials(dir: impl Into<PathBuf>, issuer: Option<Address>) -> Self {
        BatchInput { path: dir.into(), format: InputFormat::Credentials, issuer }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its format.
    pub fn format(&self) -> InputFormat {
        self.format
    }

    /// Counts the data rows (one streaming pass; nothing is parsed).
    pub fn count_rows(&self) -> Result<usize> {
        if self.format == InputFormat::Credentials {
            return Ok(credentials::list(&self.path)?.len());
        }
        let mut lines = Lines::open(&self.path)?;
        let mut rows = 0usize;
        while let Some(line) = lines.next_nonblank()? {
            drop(line);
            rows += 1;
        }
        Ok(match self.format {
            InputFormat::Csv => rows.saturating_sub(1),
            InputFormat::JsonLines | InputFormat::Credentials => rows,
        })
    }

    /// Opens the file for reading the rows of `shard` for `package` (rows of other shards are
    /// counted, not parsed). Fails if the file cannot be opened or, for CSV, if the header does
    /// not name the wallet and the model's features.
    pub fn rows<'a>(&self, layout: impl Into<FeatureLayout<'a>>, shard: Shard) -> Result<RowReader<'a>> {
        let layout = layout.into();
        let source = match self.format {
            InputFormat::Credentials => {
                Source::Credentials(credentials::CredentialRows::open(&self.path, self.issuer)?)
            }
            InputFormat::JsonLines => Source::Lines { lines: Lines::open(&self.path)?, columns: None },
            InputFormat::Csv => {
                let mut lines = Lines::open(&self.path)?;
                let columns =
                    csv_columns(lines.next_nonblank()?, layout).map_err(|reason| self.invalid(&reason))?;
                Source::Lines { lines, columns: Some(columns) }
            }
        };
        Ok(RowReader { source, layout, shard, row: 0 })
    }

    /// Parses the whole file's content held in memory (`bytes`, as if read from this file), every
    /// row, the way [`BatchInput::rows`] reads the file: the same line splitting, CSV header and
    /// row parsers. Fails only on an unusable CSV header.
    pub fn parse_bytes<'a>(
        &self,
        bytes: &[u8],
        layout: impl Into<FeatureLayout<'a>>,
    ) -> Result<Vec<InputRow>> {
        let layout = layout.into();
        let mut lines = bytes
            .split_inclusive(|b| *b == b'\n')
            .enumerate()
            .filter_map(|(i, line)| clean_line(line, i == 0));
        let columns = match self.format {
            InputFormat::JsonLines => None,
            InputFormat::Csv => {
                Some(csv_columns(lines.next(), layout).map_err(|reason| self.invalid(&reason))?)
            }
            InputFormat::Credentials => {
                return Err(self.invalid("a credentials directory is not a byte stream"))
            }
        };
        Ok(lines.enumerate().map(|(i, line)| parse_line(i + 1, line, columns.as_ref(), layout)).collect())
    }

    fn invalid(&self, reason: &str) -> BatchError {
        BatchError::Input { path: self.path.clone(), reason: reason.to_string() }
    }
}

/// The rows of one shard of an input file, in order. Yields `Err` only when the file cannot be read; a bad
/// row is an `Ok(Err(FailedRow))`.
#[derive(Debug)]
pub struct RowReader<'a> {
    source: Source,
    layout: FeatureLayout<'a>,
    shard: Shard,
    row: usize,
}

impl Iterator for RowReader<'_> {
    type Item = Result<InputRow>;

    fn next(&mut self) -> Option<Self::Item> {
        let (lines, columns) = match &mut self.source {
            Source::Credentials(files) => {
                let path = loop {
                    let path = files.next()?;
                    self.row += 1;
                    if self.shard.contains(self.row) {
                        break path;
                    }
                };
                return Some(Ok(files.parse(self.row, &path, self.layout)));
            }
            Source::Lines { lines, columns } => (lines, columns),
        };
        let line = loop {
            match lines.next_nonblank() {
                Ok(Some(line)) => {
                    self.row += 1;
                    if self.shard.contains(self.row) {
                        break line;
                    }
                }
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            }
        };
        Some(Ok(parse_line(self.row, line, columns.as_ref(), self.layout)))
    }
}

/// Where a reader's rows come from.
#[derive(Debug)]
enum Source {
    /// A JSON Lines or CSV file.
    Lines { lines: Lines, columns: Option<CsvColumns> },
    /// A directory of credentials.
    Credentials(credentials::CredentialRows),
}

/// The CSV columns named by the first non-blank line, if any.
fn csv_columns(
    header: Option<std::result::Result<String, ()>>,
    layout: FeatureLayout<'_>,
) -> std::result::Result<CsvColumns, String> {
    let header = header.ok_or("the CSV file is empty")?;
    let header = header.map_err(|_| "the CSV header is not valid UTF-8")?;
    CsvColumns::from_header(&header, layout)
}

/// Parses data row number `row` (a CSV record when `columns` is given, else a JSON line).
fn parse_line(
    row: usize,
    line: std::result::Result<String, ()>,
    columns: Option<&CsvColumns>,
    layout: FeatureLayout<'_>,
) -> InputRow {
    match line {
        Err(_) => Err(FailedRow::new(row, None, "the line is not valid UTF-8")),
        Ok(text) => match columns {
            Some(columns) => columns.parse(row, &text),
            None => parse_json_row(row, &text, layout),
        },
    }
}

/// One raw line (with its line end): `None` when blank, else its text without the line end (and
/// without a leading UTF-8 BOM on the `first` line), `Err(())` when it is not UTF-8.
fn clean_line(raw: &[u8], first: bool) -> Option<std::result::Result<String, ()>> {
    let bytes = if first { raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw) } else { raw };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.trim_end_matches(['\n', '\r']).to_string()),
        Err(_) => Err(()),
    })
}

/// Non-blank lines of a file, without their line ends (and without a leading UTF-8 BOM).
#[derive(Debug)]
struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    buf: Vec<u8>,
    first: bool,
}

impl Lines {
    fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| BatchError::io("open", path, e))?;
        Ok(Lines { path: path.to_path_buf(), reader: BufReader::new(file), buf: Vec::new(), first: true })
    }

    /// The next non-blank line: `Ok(Some(Err(())))` when it is not UTF-8.
    fn next_nonblank(&mut self) -> Result<Option<std::result::Result<String, ()>>> {
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| BatchError::io("read", &self.path, e))?;
            if n == 0 {
                return Ok(None);
            }
            if let Some(line) = clean_line(&self.buf, std::mem::take(&mut self.first)) {
                return Ok(Some(line));
            }
        }
    }
}

/// `{"wallet": "0x…", "features": [...] | {...}}`.
fn parse_json_row(row: usize, text: &str, layout: FeatureLayout<'_>) -> InputRow {
    let fail = |wallet: Option<String>, reason: String| FailedRow::new(row, wallet, reason);
    let value: Value = serde_json::from_str(text).map_err(|e| fail(None, json_reason(&e)))?;
    let Value::Object(object) = value else {
        return Err(fail(None, "expected a JSON object {\"wallet\": …, \"features\": …}".into()));
    };
    let wallet_text = match object.get("wallet") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(fail(None, format!("`wallet` is {other}, not a string"))),
        None => return Err(fail(None, "the row has no `wallet`".into())),
    };
    let wallet = parse_wallet(&wallet_text).map_err(|e| fail(Some(wallet_text.clone()), e.to_string()))?;
    let fail = |reason: String| FailedRow::new(row, Some(wallet_text.clone()), reason);
    let values = match object.get("features") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| v.as_f64().ok_or_else(|| fail(format!("feature {i} is {v}, not a number"))))
            .collect::<std::result::Result<Vec<f64>, _>>()?,
        Some(Value::Object(named)) => {
            let Some(schema) = layout.schema else {
                return Err(fail(
                    "features by name need a model compiled with a schema; give a list in the model's order"
                        .into(),
                ));
            };
            // The input module owns the name → order mapping; hand it the same document shape
            // `loopx prove` reads so both commands accept and reject the same rows.
            let document = serde_json::json!({ "features": named }).to_string();
            loopx_models::parse_input_row(&document, &format!("row {row}"), Some(schema), layout.features)
                .map_err(|e| fail(e.to_string()))?
        }
        Some(other) => {
            return Err(fail(format!("`features` is {other}, not a list or an object of name → value")))
        }
        None => return Err(fail("the row has no `features`".into())),
    };
    Ok(WalletRow { row, wallet, values, opening: None })
}

/// serde_json's message without its "at line 1 column N" (each row is one line).
fn json_reason(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
    format!("malformed JSON at column {}: {message}", e.column())
}

/// Where the wallet and each model feature sit in a CSV record.
#[derive(Debug)]
struct CsvColumns {
    /// Number of fields a record must have.
    width: usize,
    /// Index of the `wallet` field.
    wallet: usize,
    /// For each model feature, in the model's order: its field index and name.
    features: Vec<(usize, String)>,
}

impl CsvColumns {
    fn from_header(header: &str, layout: FeatureLayout<'_>) -> std::result::Result<Self, String> {
        let names = split_csv(header)?;
        let names: Vec<&str> = names.iter().map(|n| n.trim()).collect();
        let position = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
        let wallet = position("wallet").ok_or("the CSV header has no `wallet` column")?;
        let others: Vec<(usize, &str)> =
            names.iter().enumerate().filter(|(i, _)| *i != wallet).map(|(i, n)| (i, *n)).collect();
        let features = match layout.schema {
            Some(schema) => {
                if let Some((_, unknown)) = others.iter().find(|(_, n)| !schema.names().contains(n)) {
                    return Err(format!(
                        "column `{unknown}` is not a feature of the model's schema (known: {})",
                        schema.names().join(", ")
                    ));
                }
                let mut features = Vec::with_capacity(schema.len());
                for name in schema.names() {
                    let at: Vec<usize> = others.iter().filter(|(_, n)| *n == name).map(|(i, _)| *i).collect();
                    match at.as_slice() {
                        [i] => features.push((*i, name.to_string())),
                        [] => return Err(format!("the CSV header lacks the model's feature `{name}`")),
                        _ => return Err(format!("the CSV header names feature `{name}` twice")),
                    }
                }
                features
            }
            None => {
                if others.len() != layout.features {
                    return Err(format!(
                        "the CSV header has {} feature columns but the model takes {} (the model has no \
                         schema, so columns are taken in order)",
                        others.len(),
                        layout.features
                    ));
                }
                others.iter().map(|(i, n)| (*i, n.to_string())).collect()
            }
        };
        Ok(CsvColumns { width: names.len(), wallet, features })
    }

    fn parse(&self, row: usize, text: &str) -> InputRow {
        let fields = split_csv(text).map_err(|reason| FailedRow::new(row, None, reason))?;
        let wallet_text = fields.get(self.wallet).map(|w| w.trim().to_string());
        let fail = |reason: String| FailedRow::new(row, wallet_text.clone(), reason);
        if fields.len() != self.width {
            return Err(fail(format!(
                "the record has {} fields but the header has {}",
                fields.len(),
                self.width
            )));
        }
        let wallet =
            parse_wallet(wallet_text.as_deref().unwrap_or_default()).map_err(|e| fail(e.to_string()))?;
        let values = self
            .features
            .iter()
            .map(|(i, name)| {
                let field = fields[*i].trim();
                if field.is_empty() {
                    return Err(fail(format!("feature `{name}` is empty")));
                }
                field.parse::<f64>().map_err(|_| fail(format!("feature `{name}` is `{field}`, not a number")))
            })
            .collect::<std::result::Result<Vec<f64>, _>>()?;
        Ok(WalletRow { row, wallet, values, opening: None })
    }
}

/// Splits one CSV record (RFC 4180 quoting, no line breaks inside fields).
fn split_csv(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, '"') => return Err("a quote inside an unquoted CSV field".into()),
            (false, c) if was_quoted && !c.is_whitespace() => {
                return Err("text after a closing quote in a CSV field".into())
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("an unterminated quoted CSV field".into());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::split_csv;

    #[test]
    fn splits_plain_and_quoted_csv_fields() {
        assert_eq!(split_csv("a,b,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(split_csv(r#""wallet","x,y","say ""hi""""#).unwrap(), ["wallet", "x,y", r#"say "hi""#]);
        assert!(split_csv(r#""open"#).is_err());
        assert!(split_csv(r#"a"b"#).is_err());
        assert!(split_csv(r#""a"b"#).is_err());
    }
}
