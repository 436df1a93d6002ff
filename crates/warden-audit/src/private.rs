//! Owner-only directories and files, for secret keys.
//!
//! Directories are created `0700` and files `0600`. Before any secret is read,
//! its directory and file are checked: group or other access, or another
//! owner, is refused with an error naming the `chmod` or `chown` that fixes it.
//! Files are replaced atomically (write a temporary file, sync, rename, sync
//! the directory), so a crash leaves either the old or the new content.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::AuditError;

/// Permission bits that give group or others any access.
const GROUP_OTHER: u32 = 0o077;

/// Creates `dir` owner-only if it is missing, then checks it is private.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), AuditError> {
    create_private_dir(dir)?;
    check_private(dir, "700")
}

/// Creates `dir`, and any missing parent, owner-only if it is missing.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), AuditError> {
    if !dir.exists() {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| AuditError::io("create directory", dir, e))?;
    }
    Ok(())
}

/// Checks that `path` is owned by this process's user and closed to others.
pub(crate) fn check_private(path: &Path, fix: &'static str) -> Result<(), AuditError> {
    let meta = fs::metadata(path).map_err(|e| AuditError::io("inspect", path, e))?;

    let mode = meta.mode() & 0o7777;
    if mode & GROUP_OTHER != 0 {
        return Err(AuditError::KeyPermissions {
            path: path.to_path_buf(),
            mode,
            fix,
        });
    }

    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(AuditError::KeyOwner {
            path: path.to_path_buf(),
            owner: meta.uid(),
            me,
        });
    }
    Ok(())
}

/// Reads a private file after checking its permissions.
pub(crate) fn read_private(path: &Path) -> Result<Vec<u8>, AuditError> {
    check_private(path, "600")?;
    fs::read(path).map_err(|e| AuditError::io("read", path, e))
}

/// Writes `content` to `path`, mode `0600`, replacing it atomically.
pub(crate) fn write_private(path: &Path, content: &[u8]) -> Result<(), AuditError> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);

    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| AuditError::io("create", &tmp, e))?;
    file.write_all(content)
        .and_then(|()| file.sync_all())
        .map_err(|e| AuditError::io("write", &tmp, e))?;

    fs::rename(&tmp, path).map_err(|e| AuditError::io("rename into", path, e))?;
    sync_parent(path)
}

/// Syncs the directory holding `path`, so that a new name in it is durable.
pub(crate) fn sync_parent(path: &Path) -> Result<(), AuditError> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };

    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AuditError::io("sync directory", dir, e))
}
