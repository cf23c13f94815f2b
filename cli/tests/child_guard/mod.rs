//! A child `dirql` that cannot outlive a failing test: killed (SIGKILL) and reaped when the
//! guard is dropped, which a panicking assertion does while it unwinds.

use std::process::{Child, Output};

/// Owns a spawned child until [`KillOnDrop::wait_with_output`] takes it back.
pub struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    pub fn new(child: Child) -> Self {
        Self(Some(child))
    }

    /// The child's pid, for signals the test sends itself.
    #[allow(dead_code)] // not every test file uses it
    pub fn id(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// Waits up to `bound` for the child to end and returns its output; panics (and so
    /// kills it) when it is still running then. Its output must fit the pipes (64 KiB).
    #[allow(dead_code)] // not every test file uses it
    pub fn wait_bounded(mut self, bound: std::time::Duration) -> Output {
        let start = std::time::Instant::now();
        while self.0.as_mut().expect("the child is still owned").try_wait().expect("try_wait").is_none() {
            assert!(start.elapsed() < bound, "the child ran longer than {bound:?}: a hang");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        self.wait_with_output().expect("the child's output")
    }

    /// Waits for the child to end (the guard lets go of it).
    pub fn wait_with_output(mut self) -> std::io::Result<Output> {
        self.0.take().expect("the child is still owned").wait_with_output()
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
