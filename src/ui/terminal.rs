//! The real terminal: raw mode, alternate screen and bracketed paste on; restored on every exit path
//! (normal return and errors through [`TerminalGuard`]'s drop, panics through a hook), and SIGTERM /
//! SIGHUP turned into a flag the input thread reports, so the loop exits cleanly.

use std::io::{stdout, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

/// Set by the signal handler; only an atomic store happens there (async-signal-safe).
pub static TERMINATE: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_sig: libc::c_int) {
    TERMINATE.store(true, Ordering::SeqCst);
}

/// Route SIGTERM and SIGHUP (closed SSH session) to [`TERMINATE`].
pub fn install_signal_flag() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGTERM, handler);
        libc::signal(libc::SIGHUP, handler);
    }
}

/// Put the terminal back as we found it. Idempotent, errors ignored: this runs on the way out.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    pub fn enter() -> std::io::Result<TerminalGuard> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        install_signal_flag();
        enable_raw_mode()?;
        let guard_on_error = |e| {
            restore();
            e
        };
        execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste).map_err(guard_on_error)?;
        let terminal = Terminal::new(CrosstermBackend::new(stdout())).map_err(guard_on_error)?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Return free memory of the allocator's arenas to the system (jemalloc `arena.<all>.purge`).
pub fn trim_allocator() -> bool {
    #[cfg(all(target_os = "linux", not(target_env = "msvc")))]
    {
        // The allocator is jemalloc with unprefixed symbols on Linux (see lib.rs), so `mallctl` is it.
        extern "C" {
            fn mallctl(
                name: *const libc::c_char,
                oldp: *mut libc::c_void,
                oldlenp: *mut libc::size_t,
                newp: *mut libc::c_void,
                newlen: libc::size_t,
            ) -> libc::c_int;
        }
        // 4096 is MALLCTL_ARENAS_ALL.
        let name = c"arena.4096.purge";
        // SAFETY: a void mallctl takes no old or new value.
        let rc = unsafe {
            mallctl(
                name.as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            )
        };
        rc == 0
    }
    #[cfg(not(all(target_os = "linux", not(target_env = "msvc"))))]
    {
        false
    }
}
