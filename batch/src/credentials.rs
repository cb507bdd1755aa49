//! A directory of issuer credentials as batch rows: one `*.json` file per row, in name order.
//! Each credential is checked (commitment, signature, trusted issuer, validity, the package's
//! schema and encoding) before its row is proven; one that does not check is a failed row.

use std::path::{Path, PathBuf};

use loopx_credentials::{now_unix, Address, Credential};

use crate::error::{BatchError, Result};
use crate::input::{FeatureLayout, InputRow, Opening, WalletRow};
use crate::FailedRow;

/// The `*.json` files of `dir`, sorted by name.
pub(crate) fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| BatchError::io("read the directory", dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| BatchError::io("read the directory", dir, e))?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The credential files still to read.
#[derive(Debug)]
pub(crate) struct CredentialRows {
    files: std::vec::IntoIter<PathBuf>,
    issuer: Option<Address>,
    now: u64,
}

impl CredentialRows {
    /// The credentials of `dir`; with `issuer`, only that issuer's are proven.
    pub(crate) fn open(dir: &Path, issuer: Option<Address>) -> Result<Self> {
        Ok(CredentialRows { files: list(dir)?.into_iter(), issuer, now: now_unix() })
    }

    /// The next file.
    pub(crate) fn next(&mut self) -> Option<PathBuf> {
        self.files.next()
    }

    /// Row `row` from the credential at `path`, checked against the package's schema.
    pub(crate) fn parse(&self, row: usize, path: &Path, layout: FeatureLayout<'_>) -> InputRow {
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let credential =
            Credential::load(path).map_err(|e| FailedRow::new(row, None, format!("{name}: {e}")))?;
        let fail = |reason: String| {
            FailedRow::new(row, Some(credential.wallet.to_string()), format!("{name}: {reason}"))
        };
        credential.check(self.now, self.issuer).map_err(|e| fail(e.to_string()))?;
        let schema = layout.schema.ok_or_else(|| {
            fail("the model was compiled without a schema, so it reads no credential".into())
        })?;
        credential.check_schema(schema).map_err(|e| fail(e.to_string()))?;
        let salt = credential.salt_fr().map_err(|e| fail(e.to_string()))?;
        Ok(WalletRow {
            row,
            wallet: credential.wallet.0 .0,
            values: credential.features.iter().map(|f| f.value).collect(),
            opening: Some(Opening { features: credential.encoded(), salt }),
        })
    }
}
