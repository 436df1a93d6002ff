//! Content-addressed copies of every policy set that was in force, so that an
//! auditor can re-load the exact version a recorded decision names.
//!
//! A set is archived as `ARCHIVE/<version>/<file>`. The copy is written to a
//! temporary directory and renamed into place, so an entry is either complete
//! or absent; archiving a version twice changes nothing.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{EvalLimits, PolicyError, PolicySet, PolicyVersion};

impl PolicySet {
    /// Archives this set under `archive_dir/<version>/`; returns that directory.
    pub fn archive(&self, archive_dir: &Path) -> Result<PathBuf, PolicyError> {
        let target = archive_dir.join(self.version().as_str());
        if target.is_dir() {
            return Ok(target);
        }
        let failed = |path: &Path, error: std::io::Error| PolicyError::Archive {
            path: path.to_path_buf(),
            message: format!("cannot write: {error}"),
        };
        std::fs::create_dir_all(archive_dir).map_err(|e| failed(archive_dir, e))?;

        let staging = archive_dir.join(staging_name(self.version()));
        std::fs::create_dir(&staging).map_err(|e| failed(&staging, e))?;
        let written = self.write_files(&staging);
        let renamed = written.and_then(|()| {
            std::fs::rename(&staging, &target).or_else(|error| {
                if target.is_dir() {
                    Ok(())
                } else {
                    Err(failed(&target, error))
                }
            })
        });
        if renamed.is_err() || staging.exists() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        renamed.map(|()| target)
    }

    /// Loads the archived set of `version`, refusing one whose files no
    /// longer have that version.
    pub fn load_archived(
        archive_dir: &Path,
        version: &PolicyVersion,
        limits: EvalLimits,
    ) -> Result<Self, PolicyError> {
        let dir = archive_dir.join(version.as_str());
        if !dir.is_dir() {
            return Err(PolicyError::Archive {
                path: dir,
                message: "no archived policy set has this version".to_owned(),
            });
        }
        let set = Self::load_dir(&dir, limits)?;
        if set.version() != version {
            return Err(PolicyError::Archive {
                path: dir,
                message: format!("the files were altered: their version is {}", set.version()),
            });
        }
        Ok(set)
    }

    /// Writes every file of the set into `dir`, flushed to disk.
    fn write_files(&self, dir: &Path) -> Result<(), PolicyError> {
        for (name, content) in self.files() {
            let path = dir.join(name);
            let write = || -> std::io::Result<()> {
                let mut file = std::fs::File::create(&path)?;
                file.write_all(content.as_bytes())?;
                file.sync_all()
            };
            write().map_err(|error| PolicyError::Archive {
                path: path.clone(),
                message: format!("cannot write: {error}"),
            })?;
        }
        Ok(())
    }
}

/// A staging directory name no other writer uses at the same time.
fn staging_name(version: &PolicyVersion) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    format!(
        ".staging-{}-{}-{nanos}",
        version.short(),
        std::process::id()
    )
}
