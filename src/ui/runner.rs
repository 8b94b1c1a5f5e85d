//! The event loop (gitui's model): one thread, a crossbeam `select!` over terminal input, engine
//! events and a slow tick. Engine events only mark the snapshot stale; snapshots are pulled at most
//! every 100 ms while things happen, and the screen is redrawn only when something changed.
//! A submitted statement runs on a scoped thread ([`run_statement`]): statements that wait for
//! the engine (`len(ddf)`, `to_netcdf(path)`) must not freeze the panes, nor ctrl+c.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{never, select, tick, unbounded, Receiver};
use crossterm::event::{self, Event as TermEvent, KeyEventKind};

use super::app::{fetch_tasks, refresh_view, Workbench};
use super::console::{Console, ConsoleEntry};
use super::draw::draw_frame;
use super::keys::KeyChord;
use super::state::{Command, View};
use super::terminal::{TerminalGuard, TERMINATE};
use crate::engine::Event;

/// Terminal input as the loop sees it.
pub enum Input {
    Key(KeyChord),
    Paste(String),
    Resize,
    /// SIGTERM or SIGHUP.
    Terminate,
}

const MIN_PULL: Duration = Duration::from_millis(100);
const TICK: Duration = Duration::from_secs(1);

/// Read terminal events on a thread; stops when `stop` is set (checked every 250 ms).
pub fn spawn_input(stop: Arc<AtomicBool>) -> Receiver<Input> {
    let (tx, rx) = unbounded();
    std::thread::Builder::new()
        .name("tessera-input".into())
        .spawn(move || loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            if TERMINATE.load(Ordering::SeqCst) {
                let _ = tx.send(Input::Terminate);
                return;
            }
            match event::poll(Duration::from_millis(250)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => return,
            }
            let msg = match event::read() {
                Ok(TermEvent::Key(k)) if k.kind != KeyEventKind::Release => Input::Key(k.into()),
                Ok(TermEvent::Paste(s)) => Input::Paste(s),
                Ok(TermEvent::Resize(..)) => Input::Resize,
                Ok(_) => continue,
                Err(_) => return,
            };
            if tx.send(msg).is_err() {
                return;
            }
        })
        .expect("spawn input thread");
    rx
}

/// Run until quit or a termination signal. The terminal is restored by the guard's drop.
pub fn run_loop(
    guard: &mut TerminalGuard,
    wb: &mut Workbench<'_>,
    input: Receiver<Input>,
) -> anyhow::Result<()> {
    let mut events = wb.engine.subscribe();
    let ticker = tick(TICK);
    let mut dirty = true;
    let mut stale = true;
    let mut last_pull = Instant::now() - MIN_PULL;
    loop {
        if stale && last_pull.elapsed() >= MIN_PULL {
            // Results of finished computes show as soon as the engine says something changed,
            // not only on the next tick (polling the session is cheap: one check per job).
            dirty |= wb.refresh() | wb.poll_console();
            stale = false;
            last_pull = Instant::now();
        }
        if dirty {
            fetch_tasks(&mut wb.view, wb.engine);
            guard.terminal.draw(|f| draw_frame(&wb.view, f))?;
            dirty = false;
        }
        // The loop checks the signal flag itself (it wakes at least every tick): after SIGHUP the
        // input thread can be stuck in a read of the dead terminal and never report it.
        if wb.quit || TERMINATE.load(Ordering::SeqCst) {
            return Ok(());
        }
        let wait = if stale {
            MIN_PULL.saturating_sub(last_pull.elapsed())
        } else {
            TICK * 2
        };
        select! {
            recv(input) -> m => match m {
                Ok(Input::Key(k)) => {
                    for c in wb.view.handle_key(k) {
                        match c {
                            Command::Run { source, filename } => {
                                run_statement(guard, wb, &source, &filename, &input, &mut events)?;
                            }
                            c => wb.execute(vec![c]),
                        }
                    }
                    dirty = true;
                }
                Ok(Input::Paste(s)) => {
                    wb.view.handle_paste(&s);
                    dirty = true;
                }
                Ok(Input::Resize) => dirty = true,
                Ok(Input::Terminate) | Err(_) => return Ok(()),
            },
            recv(events) -> e => match e {
                Ok(e) => {
                    wb.on_event(&e);
                    // Drain the burst: one refresh covers them all.
                    for e in events.try_iter().take(10_000) {
                        wb.on_event(&e);
                    }
                    stale = true;
                }
                // The engine went away: stop listening rather than spin on a closed channel.
                Err(_) => events = never(),
            },
            recv(ticker) -> _ => {
                stale = true;
                dirty |= wb.poll_console();
            },
            default(wait) => {},
        }
    }
}

/// Cancel every job that is not finished (quit, termination, ctrl+c while a statement waits).
fn cancel_active(view: &View, engine: &dyn super::app::EngineLink) {
    for j in view.active_jobs() {
        engine.cancel_job(j.id);
    }
}

/// Run one statement on a scoped thread while this thread keeps drawing, pulling snapshots and
/// reading keys: navigation works, cancel keys cancel jobs (which ends a statement waiting on
/// them), submitting is refused until the statement returns. SIGTERM cancels the jobs and leaves
/// as soon as the statement returns.
fn run_statement(
    guard: &mut TerminalGuard,
    wb: &mut Workbench<'_>,
    source: &str,
    filename: &str,
    input: &Receiver<Input>,
    events: &mut Receiver<Event>,
) -> anyhow::Result<()> {
    let Workbench {
        view,
        engine,
        console,
        quit,
    } = wb;
    let engine: &dyn super::app::EngineLink = *engine;
    view.busy = Some(source.lines().next().unwrap_or("").trim().to_string());
    let ticker = tick(MIN_PULL);
    let console: &mut (dyn Console + Send) = &mut **console;
    let entries = std::thread::scope(|s| -> anyhow::Result<Vec<ConsoleEntry>> {
        let worker = std::thread::Builder::new()
            .name("tessera-statement".into())
            .spawn_scoped(s, || console.run(source, filename))?;
        let mut dirty = true;
        while !worker.is_finished() {
            if TERMINATE.load(Ordering::SeqCst) && !*quit {
                cancel_active(view, engine);
                *quit = true;
            }
            if dirty {
                fetch_tasks(view, engine);
                guard.terminal.draw(|f| draw_frame(view, f))?;
                dirty = false;
            }
            select! {
                recv(input) -> m => match m {
                    Ok(Input::Key(k)) => {
                        for c in view.handle_key(k) {
                            match c {
                                Command::CancelJob(id) => {
                                    engine.cancel_job(id);
                                }
                                Command::CancelAll => cancel_active(view, engine),
                                Command::Quit => {
                                    cancel_active(view, engine);
                                    *quit = true;
                                }
                                _ => {
                                    view.status =
                                        Some("wait for the running statement first".into());
                                }
                            }
                        }
                        dirty = true;
                    }
                    Ok(Input::Paste(p)) => {
                        view.handle_paste(&p);
                        dirty = true;
                    }
                    Ok(Input::Resize) => dirty = true,
                    Ok(Input::Terminate) | Err(_) => {
                        cancel_active(view, engine);
                        *quit = true;
                    }
                },
                recv(events) -> e => match e {
                    Ok(Event::Log { level, message }) => view.log.push_event(level, &message),
                    Ok(_) => {}
                    Err(_) => *events = never(),
                },
                recv(ticker) -> _ => dirty |= refresh_view(view, engine),
            }
        }
        // A panic in the statement is re-raised here: the panic hook restores the terminal.
        Ok(worker
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })?;
    view.busy = None;
    view.finish_run(entries);
    view.datasets = console.names();
    refresh_view(view, engine);
    Ok(())
}
