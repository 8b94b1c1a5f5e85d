//! The bodies of background jobs: shell commands (own process group, so cancelling kills the whole
//! pipeline) and downloads (local/`file://` copies and plain-HTTP GETs, written atomically).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::engine::{BackgroundCtx, Scalar, Value};
use crate::error::{Error, Result};

/// Most stdout kept as the job's value (the rest still streams to the job output).
const MAX_CAPTURE: usize = 1 << 20;

/// Close every descriptor above stderr in the child before exec. libnetcdf/HDF5 open files without
/// `O_CLOEXEC` and hold an HDF5 file lock on them: a shell job started while a netCDF file is being
/// written would otherwise inherit that descriptor, keep the lock for its whole life, and make the
/// finished file unreadable ("NetCDF: HDF error") until it exits.
fn close_inherited_fds(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls (close_range / close) run between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) != 0 {
                for fd in 3..4096 {
                    libc::close(fd);
                }
            }
            Ok(())
        });
    }
}

/// Run `cmd` with `sh -c`, streaming stdout/stderr lines to the job output; the value is stdout.
pub(crate) fn run_shell(cmd: &str, cwd: Option<&str>, ctx: &BackgroundCtx) -> Result<Value> {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: cancel signals the group, reaching every process of a pipeline.
        .process_group(0);
    close_inherited_fds(&mut command);
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    let mut child = command
        .spawn()
        .map_err(|e| Error::value(format!("cannot start shell for `{cmd}`: {e}")))?;
    let pid = child.id() as i32;
    let (tx, rx) = crossbeam_channel::unbounded::<(bool, String)>();
    let out = child.stdout.take().expect("stdout is piped");
    let err = child.stderr.take().expect("stderr is piped");
    for (is_err, stream) in [
        (false, Box::new(out) as Box<dyn Read + Send>),
        (true, Box::new(err)),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                match line {
                    Ok(l) => {
                        if tx.send((is_err, l)).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
    }
    drop(tx);
    let mut stdout = String::new();
    let mut stderr_tail: Vec<String> = Vec::new();
    loop {
        if ctx.cancel.is_cancelled() {
            // SAFETY: signalling a process group we created; a stale id only yields ESRCH.
            unsafe {
                libc::kill(-pid, libc::SIGTERM);
            }
            std::thread::sleep(Duration::from_millis(200));
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
            let _ = child.wait();
            return Err(Error::Cancelled(format!(
                "shell command `{cmd}` was cancelled"
            )));
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok((is_err, line)) => {
                ctx.output_line(&line);
                if is_err {
                    stderr_tail.push(line);
                    if stderr_tail.len() > 5 {
                        stderr_tail.remove(0);
                    }
                } else if stdout.len() < MAX_CAPTURE {
                    stdout.push_str(&line);
                    stdout.push('\n');
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
    }
    let status = child
        .wait()
        .map_err(|e| Error::value(format!("waiting for `{cmd}`: {e}")))?;
    if !status.success() {
        let code = status.code().map_or("killed by a signal".to_string(), |c| {
            format!("exit status {c}")
        });
        let tail = if stderr_tail.is_empty() {
            String::new()
        } else {
            format!("; stderr: {}", stderr_tail.join(" | "))
        };
        return Err(Error::value(format!(
            "command `{cmd}` failed with {code}{tail}"
        )));
    }
    Ok(Value::Scalar(Scalar::Str(stdout)))
}

/// The file name a URL points at (its last path segment).
fn url_file_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name = path.rsplit('/').next().unwrap_or("");
    if name.is_empty() {
        "download".into()
    } else {
        name.into()
    }
}

/// Where a download goes: `path` (a directory gets the URL's file name), else the URL's file name.
fn destination(url: &str, path: Option<&str>) -> PathBuf {
    match path {
        Some(p) if Path::new(p).is_dir() => Path::new(p).join(url_file_name(url)),
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(url_file_name(url)),
    }
}

/// Copy `reader` into a temporary file next to `dest`, then rename it into place.
fn write_atomically(
    mut reader: impl Read,
    total: Option<u64>,
    dest: &Path,
    ctx: &BackgroundCtx,
) -> Result<u64> {
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    loop {
        ctx.cancel.check()?;
        let n = reader.read(&mut buf).map_err(|e| Error::io(dest, e))?;
        if n == 0 {
            break;
        }
        tmp.write_all(&buf[..n])
            .map_err(|e| Error::io(tmp.path(), e))?;
        done += n as u64;
        ctx.progress(done, total.unwrap_or(0).max(done));
    }
    if let Some(t) = total {
        if done != t {
            return Err(Error::file(
                dest,
                format!("download ended after {done} of {t} bytes"),
            ));
        }
    }
    tmp.persist(dest).map_err(|e| Error::io(dest, e.error))?;
    Ok(done)
}

/// Download `url` (a local path, `file://`, or `http://`) to `path`; the value is the written path.
pub(crate) fn download(url: &str, path: Option<&str>, ctx: &BackgroundCtx) -> Result<Value> {
    let dest = destination(url, path);
    if let Some(rest) = url.strip_prefix("http://") {
        http_get(rest, &dest, ctx, 5)?;
    } else if url.starts_with("https://") {
        return Err(Error::value(format!(
            "https downloads are not built in; use run(\"curl -LO {url}\") instead"
        )));
    } else {
        let src = url.strip_prefix("file://").unwrap_or(url);
        let file = std::fs::File::open(src).map_err(|e| Error::io(src, e))?;
        let total = file.metadata().ok().map(|m| m.len());
        write_atomically(file, total, &dest, ctx)?;
    }
    Ok(Value::Scalar(Scalar::Str(dest.display().to_string())))
}

/// A plain HTTP/1.0 GET (following up to `redirects` redirects to other http:// URLs).
fn http_get(rest: &str, dest: &Path, ctx: &BackgroundCtx, redirects: u32) -> Result<()> {
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .map_err(|_| Error::value(format!("bad port in URL: {hostport}")))?,
        ),
        None => (hostport, 80),
    };
    let url = format!("http://{rest}");
    let net = |e: std::io::Error| Error::value(format!("GET {url}: {e}"));
    let mut stream = std::net::TcpStream::connect((host, port)).map_err(net)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(net)?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {hostport}\r\nUser-Agent: tessera\r\nConnection: close\r\n\r\n"
    )
    .map_err(net)?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).map_err(net)?;
    let code: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| {
            Error::value(format!(
                "GET {url}: not an HTTP response: {}",
                status_line.trim()
            ))
        })?;
    let mut length = None;
    let mut location = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).map_err(net)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = v.trim().parse::<u64>().ok(),
                "location" => location = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    match code {
        200 => write_atomically(reader, length, dest, ctx).map(|_| ()),
        301 | 302 | 303 | 307 | 308 if redirects > 0 => match location.as_deref() {
            Some(loc) if loc.starts_with("http://") => {
                http_get(&loc[7..], dest, ctx, redirects - 1)
            }
            Some(loc) if loc.starts_with('/') => {
                http_get(&format!("{hostport}{loc}"), dest, ctx, redirects - 1)
            }
            Some(loc) => Err(Error::value(format!(
                "GET {url} redirects to {loc}, which is not plain http; use run(\"curl -LO {url}\")"
            ))),
            None => Err(Error::value(format!(
                "GET {url}: redirect without a Location"
            ))),
        },
        _ => Err(Error::value(format!(
            "GET {url}: HTTP {}",
            status_line.trim()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!(url_file_name("http://x.org/data/a.csv?x=1"), "a.csv");
        assert_eq!(url_file_name("http://x.org/"), "download");
        assert_eq!(
            destination("file:///tmp/a.nc", Some("b.nc")),
            PathBuf::from("b.nc")
        );
        let dir = std::env::temp_dir();
        assert_eq!(
            destination("file:///x/a.nc", dir.to_str()),
            dir.join("a.nc")
        );
    }
}
