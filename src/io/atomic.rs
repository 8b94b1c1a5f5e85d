//! Atomic output: a file is written to a hidden temp sibling and renamed into place, a dataset directory is
//! built in a hidden staging sibling and renamed into place on commit. A failed or cancelled export therefore
//! leaves nothing behind (no half-written file, no partial directory), and readers never see partial output.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Distinguishes temp names made by one process (the pid distinguishes processes).
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A hidden sibling of `path`: `<parent>/.<name>.tessera-<kind>-<pid>-<n>`.
fn hidden_sibling(path: &Path, kind: &str) -> Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::file(path, "output path has no file name"))?
        .to_string_lossy();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = format!(".{name}.tessera-{kind}-{}-{n}", std::process::id());
    Ok(parent_of(path).join(tmp))
}

/// The directory holding `path` (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// An io error on an output path as one clear file error.
fn write_err(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::file(path, format!("cannot {what}: {e}"))
}

/// Create the parent directory of an output path (as Dask's writers do).
fn ensure_parent(path: &Path) -> Result<()> {
    let parent = parent_of(path);
    std::fs::create_dir_all(&parent).map_err(|e| write_err(path, "create the output directory", e))
}

/// Removes a temp file on drop unless disarmed (covers errors and panics inside the writer).
struct TempFileGuard {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempFileGuard {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Write `path` atomically: `f` writes a temp path in the same directory, which is renamed onto `path` when
/// `f` returns `Ok`, and removed when it fails (or panics). An existing `path` is replaced only on success.
pub fn write_atomic(path: &Path, f: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if path.is_dir() {
        return Err(Error::file(
            path,
            "cannot write a file: a directory of that name exists",
        ));
    }
    ensure_parent(path)?;
    let tmp = hidden_sibling(path, "tmp")?;
    let mut guard = TempFileGuard {
        path: tmp.clone(),
        armed: true,
    };
    f(&tmp)?;
    std::fs::rename(&tmp, path)
        .map_err(|e| write_err(path, "move the written file into place", e))?;
    guard.armed = false;
    Ok(())
}

/// True for names a previous Dask/Tessera export writes into its directory: `part.N.*`, `N.part`,
/// `_metadata`, `_common_metadata`, `_SUCCESS`. Such a directory may be replaced without `overwrite`.
pub fn is_part_file_name(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if matches!(name, "_metadata" | "_common_metadata" | "_SUCCESS") {
        return true;
    }
    if let Some(rest) = name.strip_prefix("part.") {
        let num = rest.split('.').next().unwrap_or("");
        return digits(num);
    }
    if let Some(num) = name.strip_suffix(".part") {
        return digits(num);
    }
    false
}

/// Why an existing `final_dir` may not be replaced (None: it may).
fn replace_blocker(final_dir: &Path, overwrite: bool) -> Result<Option<String>> {
    let meta = match std::fs::symlink_metadata(final_dir) {
        Ok(m) => m,
        Err(_) => return Ok(None),
    };
    if !meta.is_dir() {
        return Ok(Some("it exists and is not a directory".into()));
    }
    if overwrite {
        return Ok(None);
    }
    let entries = std::fs::read_dir(final_dir)
        .map_err(|e| write_err(final_dir, "list the existing directory", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| write_err(final_dir, "list the existing directory", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if !is_file || !is_part_file_name(&name) {
            return Ok(Some(format!(
                "it holds '{name}', which is not a part file of a previous export; pass overwrite=True to replace it"
            )));
        }
    }
    Ok(None)
}

/// A dataset directory under construction: a hidden sibling `.<name>.tessera-tmp-<pid>-<n>` of the final
/// directory. [`StagedDir::commit`] renames it into place; dropping it uncommitted removes it.
#[derive(Debug)]
pub struct StagedDir {
    staging: PathBuf,
    final_dir: PathBuf,
    overwrite: bool,
    committed: AtomicBool,
}

impl StagedDir {
    /// Create the staging directory next to `final_dir` (creating parents). Fails early when `final_dir`
    /// exists and could not be replaced at commit (see [`StagedDir::commit`]).
    pub fn new(final_dir: &Path, overwrite: bool) -> Result<Self> {
        if let Some(why) = replace_blocker(final_dir, overwrite)? {
            return Err(Error::file(
                final_dir,
                format!("refusing to replace the output directory: {why}"),
            ));
        }
        ensure_parent(final_dir)?;
        let staging = hidden_sibling(final_dir, "tmp")?;
        std::fs::create_dir(&staging)
            .map_err(|e| write_err(final_dir, "create a staging directory", e))?;
        Ok(Self {
            staging,
            final_dir: final_dir.to_path_buf(),
            overwrite,
            committed: AtomicBool::new(false),
        })
    }

    /// Where to write the parts.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The directory the parts will appear in after commit.
    pub fn final_path(&self) -> &Path {
        &self.final_dir
    }

    /// Rename the staging directory into place. An existing final directory is replaced only if `overwrite`
    /// was given or it holds nothing but a previous dataset's part files; otherwise a clear error (and the
    /// staging directory is removed on drop). Committing twice is an error.
    pub fn commit(&self) -> Result<()> {
        if self.committed.load(Ordering::Acquire) {
            return Err(Error::file(&self.final_dir, "export was already committed"));
        }
        if let Some(why) = replace_blocker(&self.final_dir, self.overwrite)? {
            return Err(Error::file(
                &self.final_dir,
                format!("refusing to replace the output directory: {why}"),
            ));
        }
        // Move an existing directory aside first, so that a failed rename can put it back.
        let old = if self.final_dir.exists() {
            let old = hidden_sibling(&self.final_dir, "old")?;
            std::fs::rename(&self.final_dir, &old)
                .map_err(|e| write_err(&self.final_dir, "move the previous output aside", e))?;
            Some(old)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&self.staging, &self.final_dir) {
            if let Some(old) = &old {
                let _ = std::fs::rename(old, &self.final_dir);
            }
            return Err(write_err(
                &self.final_dir,
                "move the staged output into place",
                e,
            ));
        }
        self.committed.store(true, Ordering::Release);
        if let Some(old) = old {
            let _ = std::fs::remove_dir_all(old);
        }
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed.load(Ordering::Acquire) {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn write_atomic_ok_and_err() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a.txt");
        write_atomic(&p, |t| std::fs::write(t, "hi").map_err(|e| Error::io(t, e))).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "hi");
        assert_eq!(names(tmp.path()), vec!["a.txt"]);

        let q = tmp.path().join("b.txt");
        let r = write_atomic(&q, |t| {
            std::fs::write(t, "partial").unwrap();
            Err(Error::value("boom"))
        });
        assert!(r.is_err());
        assert_eq!(
            names(tmp.path()),
            vec!["a.txt"],
            "failed write leaves nothing"
        );

        // A failure keeps the previous file intact.
        let r = write_atomic(&p, |_| Err(Error::value("boom")));
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "hi");
    }

    #[test]
    fn write_atomic_unwritable() {
        let tmp = tempfile::tempdir().unwrap();
        let blocker = tmp.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let err = write_atomic(&blocker.join("sub/out.csv"), |_| Ok(())).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::File { .. }), "{msg}");
        assert!(
            msg.contains("out.csv") && msg.contains("cannot create the output directory"),
            "{msg}"
        );
        let err = StagedDir::new(&blocker.join("out.parquet"), false).unwrap_err();
        assert!(matches!(err, Error::File { .. }), "{err}");
        assert!(err.to_string().contains("out.parquet"), "{err}");
        // A file where the output directory should go.
        let err = StagedDir::new(&blocker, true).unwrap_err().to_string();
        assert!(err.contains("not a directory"), "{err}");
    }

    #[test]
    fn staged_dir_drop_and_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.parquet");
        {
            let s = StagedDir::new(&out, false).unwrap();
            assert!(s
                .path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".out.parquet.tessera-tmp-"));
            std::fs::write(s.path().join("part.0.parquet"), "x").unwrap();
        }
        assert!(
            names(tmp.path()).is_empty(),
            "dropped staging leaves nothing"
        );
        assert!(!out.exists());

        let s = StagedDir::new(&out, false).unwrap();
        std::fs::write(s.path().join("part.0.parquet"), "1").unwrap();
        s.commit().unwrap();
        drop(s);
        assert_eq!(names(&out), vec!["part.0.parquet"]);
        assert_eq!(names(tmp.path()), vec!["out.parquet"]);

        // Replacing a previous export's parts needs no overwrite.
        let s = StagedDir::new(&out, false).unwrap();
        std::fs::write(s.path().join("part.0.parquet"), "2").unwrap();
        s.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("part.0.parquet")).unwrap(),
            "2"
        );

        // A foreign file blocks replacement unless overwrite.
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        let err = StagedDir::new(&out, false).unwrap_err().to_string();
        assert!(
            err.contains("notes.txt") && err.contains("overwrite"),
            "{err}"
        );
        let s = StagedDir::new(&out, true).unwrap();
        s.commit().unwrap();
        assert!(names(&out).is_empty());
        assert_eq!(names(tmp.path()), vec!["out.parquet"]);
    }

    #[test]
    fn part_file_names() {
        for ok in [
            "part.0.parquet",
            "part.12.csv",
            "3.part",
            "_metadata",
            "_common_metadata",
        ] {
            assert!(is_part_file_name(ok), "{ok}");
        }
        for bad in ["data.csv", "part.x.parquet", ".part", "notes.txt"] {
            assert!(!is_part_file_name(bad), "{bad}");
        }
    }
}
