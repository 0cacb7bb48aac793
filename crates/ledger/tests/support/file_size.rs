//! The process's file-size limit, for tests that make a write fail for real (the error a
//! full disk gives). Shared by the ledger's and the server's tests (included by path).

/// Sets the soft limit on the size of any file this process writes; returns the limit before.
pub fn limit_file_size(bytes: libc::rlim_t) -> libc::rlim_t {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a struct this function owns; SIGXFSZ is ignored so that a
    // write past the limit fails with EFBIG instead of ending the process.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut old), 0);
        let new = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: old.rlim_max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &new), 0);
    }
    old.rlim_cur
}
