//! The versioned container every binary artifact (SRS, proving key, verifying key) is stored in:
//! 8-byte magic, format version, a length-prefixed JSON header, the SHA-256 of header and body,
//! then halo2's own raw bytes.
//!
//! The checksum is checked before halo2 sees the body: halo2's readers trust the length prefixes
//! inside it and allocate what they say, so a damaged key could otherwise abort the process with
//! an allocation of tens of gigabytes (found by fuzzing) instead of returning an error.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{de::DeserializeOwned, Serialize};
use thiserror::Error;

/// An artifact file that cannot be read, written or trusted.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ArtifactError {
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was attempted.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not the artifact it should be, or is damaged.
    #[error("{path} is not a valid {kind} file: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What it should have been ("SRS", "proving key", …).
        kind: &'static str,
        /// What was wrong.
        reason: String,
    },
}

impl ArtifactError {
    /// An I/O error on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ArtifactError::Io { action, path: path.into(), source }
    }

    /// A damaged artifact.
    pub fn corrupt(path: impl Into<PathBuf>, kind: &'static str, reason: impl Into<String>) -> Self {
        ArtifactError::Corrupt { path: path.into(), kind, reason: reason.into() }
    }
}

/// Shorthand for results of artifact files.
pub type Result<T> = std::result::Result<T, ArtifactError>;

/// Current artifact format version (2: with the checksum).
pub const FORMAT_VERSION: u32 = 2;

/// Bytes of the checksum between header and body.
const CHECKSUM_LEN: usize = 32;

/// An artifact kind: its magic bytes and a human name for errors.
#[derive(Clone, Copy, Debug)]
pub struct ArtifactKind {
    /// Eight magic bytes at the start of the file.
    pub magic: &'static [u8; 8],
    /// Human-readable name.
    pub name: &'static str,
}

/// Structured reference string files (the prover declares the key kinds it stores).
pub const SRS: ArtifactKind = ArtifactKind { magic: b"LOOPXSRS", name: "SRS" };

/// Writes `header` and `body` atomically (temporary file in the same folder, fsync, rename).
pub fn write<H: Serialize>(path: &Path, kind: ArtifactKind, header: &H, body: &[u8]) -> Result<()> {
    let header =
        serde_json::to_vec(header).map_err(|e| ArtifactError::corrupt(path, kind.name, e.to_string()))?;
    let mut bytes = Vec::with_capacity(16 + header.len() + CHECKSUM_LEN + body.len());
    bytes.extend_from_slice(kind.magic);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&checksum(&header, body));
    bytes.extend_from_slice(body);
    write_atomically(path, &bytes)
}

/// Writes a file so that readers see either the old or the whole new content, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| ArtifactError::io("create a file in", dir, e))?;
    tmp.write_all(bytes).map_err(|e| ArtifactError::io("write", path, e))?;
    tmp.as_file().sync_all().map_err(|e| ArtifactError::io("sync", path, e))?;
    tmp.persist(path).map_err(|e| ArtifactError::io("write", path, e.error))?;
    Ok(())
}

/// Reads an artifact; returns its header and body.
pub fn read<H: DeserializeOwned>(path: &Path, kind: ArtifactKind) -> Result<(H, Vec<u8>)> {
    let bytes = std::fs::read(path).map_err(|e| ArtifactError::io("read", path, e))?;
    parse(path, kind, bytes)
}

/// Parses artifact bytes read from `path`.
pub fn parse<H: DeserializeOwned>(
    path: &Path,
    kind: ArtifactKind,
    mut bytes: Vec<u8>,
) -> Result<(H, Vec<u8>)> {
    let corrupt = |reason: &str| ArtifactError::corrupt(path, kind.name, reason);
    if bytes.len() < 16 || &bytes[..8] != kind.magic {
        return Err(corrupt("wrong magic bytes (not this kind of file, or damaged)"));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(corrupt(&format!(
            "format version {version}, this build reads {FORMAT_VERSION}; regenerate it"
        )));
    }
    let len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
    let header_end = 16usize
        .checked_add(len)
        .filter(|end| end + CHECKSUM_LEN <= bytes.len())
        .ok_or_else(|| corrupt("truncated header"))?;
    let body = bytes.split_off(header_end + CHECKSUM_LEN);
    let (header, stored) = bytes[16..].split_at(len);
    if stored != checksum(header, &body).as_slice() {
        return Err(corrupt(
            "its contents do not match its checksum (damaged, truncated or edited); regenerate it",
        ));
    }
    let header = serde_json::from_slice(header).map_err(|e| corrupt(&format!("bad header: {e}")))?;
    Ok((header, body))
}

/// SHA-256 over the header's length, the header and the body.
fn checksum(header: &[u8], body: &[u8]) -> [u8; CHECKSUM_LEN] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update((header.len() as u64).to_le_bytes());
    hasher.update(header);
    hasher.update(body);
    hasher.finalize().into()
}

/// Runs a halo2 deserializer that may panic on malformed input, turning a panic into an error.
/// halo2's readers assert on some malformed data instead of returning errors; a damaged file
/// must never crash the caller.
pub fn guarded<T>(path: &Path, kind: ArtifactKind, f: impl FnOnce() -> std::io::Result<T>) -> Result<T> {
    // The default hook would print the reader's panic and a backtrace before it becomes an
    // error here. The hook is process-wide, so guarded reads take turns swapping it.
    static HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let turn = HOOK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    drop(turn);
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(ArtifactError::corrupt(path, kind.name, e.to_string())),
        Err(_) => Err(ArtifactError::corrupt(path, kind.name, "malformed contents")),
    }
}
