//! The process's file-size limit, for tests that make a write fail for real (the error a
//! full disk gives). Shared by the ledger's and the server's tests (included by path).

/// A lowered limit on the size of any file this process writes, put back when dropped (also
/// when the test fails inside the window, so its report still reaches its output).
pub struct FileSizeLimit {
    before: libc::rlim_t,
}

impl FileSizeLimit {
    /// Lowers the soft limit to `bytes`. SIGXFSZ is ignored so that a write past the limit
    /// fails with EFBIG instead of ending the process.
    pub fn set(bytes: libc::rlim_t) -> FileSizeLimit {
        // SAFETY: plain system calls on a struct this function owns.
        unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
        let before = soft_limit(bytes);
        FileSizeLimit { before }
    }
}

impl Drop for FileSizeLimit {
    fn drop(&mut self) {
        soft_limit(self.before);
    }
}

/// Sets the soft limit; returns the one before.
fn soft_limit(bytes: libc::rlim_t) -> libc::rlim_t {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on structs this function owns.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut old), 0);
        let new = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: old.rlim_max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &new), 0);
    }
    old.rlim_cur
}
