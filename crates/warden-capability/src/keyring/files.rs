//! Owner-only files for the key ring: directories 0700, files 0600, written
//! atomically (temporary file, fsync, rename, fsync of the directory) so a
//! crash leaves either the old or the new contents, never half of one.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::CapabilityError;

/// Wraps an I/O failure with the path it concerns.
pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> CapabilityError + '_ {
    move |source| CapabilityError::KeyRingIo {
        path: path.to_owned(),
        source,
    }
}

/// Creates `dir` (and parents) with mode 0700 if it does not exist yet.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), CapabilityError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_error(dir))?;
    require_owner_only(dir)
}

/// Refuses a path that group or others may read, write or enter.
pub(crate) fn require_owner_only(path: &Path) -> Result<(), CapabilityError> {
    let mode = fs::metadata(path)
        .map_err(io_error(path))?
        .permissions()
        .mode();

    if mode & 0o077 != 0 {
        return Err(CapabilityError::KeyRingPermissions(path.to_owned()));
    }
    Ok(())
}

/// Reads a file of the ring after checking that only its owner can read it.
pub(crate) fn read_private(path: &Path) -> Result<String, CapabilityError> {
    require_owner_only(path)?;
    fs::read_to_string(path).map_err(io_error(path))
}

/// Replaces `path` with `contents` atomically, with mode 0600.
pub(crate) fn write_private(path: &Path, contents: &str) -> Result<(), CapabilityError> {
    let tmp = temporary_path(path);

    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io_error(&tmp))?;
    file.write_all(contents.as_bytes())
        .map_err(io_error(&tmp))?;
    file.sync_all().map_err(io_error(&tmp))?;

    fs::rename(&tmp, path).map_err(io_error(path))?;
    sync_parent(path)
}

/// Removes a file of the ring and makes the removal durable.
pub(crate) fn remove_private(path: &Path) -> Result<(), CapabilityError> {
    fs::remove_file(path).map_err(io_error(path))?;
    sync_parent(path)
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

fn sync_parent(path: &Path) -> Result<(), CapabilityError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    File::open(parent)
        .and_then(|dir| dir.sync_all())
        .map_err(io_error(parent))
}
