//! SIGINT and SIGTERM end a run cleanly: the first one sets a flag that the run loop
//! checks between chunks of cycles, so the waveform is flushed and valid up to the cycle
//! reached and the report says what happened; a second one kills the process as usual.

use std::sync::atomic::{AtomicI32, Ordering};

static PENDING: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    // Only async-signal-safe work here: one atomic store and restoring the default action.
    PENDING.store(sig, Ordering::SeqCst);
    // SAFETY: signal() is async-signal-safe; SIG_DFL is a valid handler for `sig`.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
    }
}

/// Installs the handlers for SIGINT and SIGTERM, and restores the default SIGPIPE action
/// so that `dirql ... | head` ends quietly like any other command-line tool.
pub fn install() {
    // SAFETY: setting the default action for SIGPIPE is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `on_signal` has the signature the C API expects and only touches an atomic
        // and signal(); installing it for SIGINT/SIGTERM is valid in any thread.
        unsafe {
            libc::signal(sig, on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t);
        }
    }
}

/// The signal received, if any: `Some("SIGINT")` or `Some("SIGTERM")`.
pub fn pending() -> Option<&'static str> {
    match PENDING.load(Ordering::SeqCst) {
        0 => None,
        s if s == libc::SIGINT => Some("SIGINT"),
        s if s == libc::SIGTERM => Some("SIGTERM"),
        _ => Some("a signal"),
    }
}
