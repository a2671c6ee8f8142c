//! Process limits the server needs lifted to do its job.

/// Raises the soft limit of open files to the hard limit, and returns the limit now in
/// force. Every live-update stream holds a socket for as long as it is open, and the
/// soft limit most systems start a process with (1 024) would cap the server at about a
/// thousand streams; the hard limit is the operator's real ceiling (`BENCHMARKS.md`,
/// scenario 9).
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write the one struct we pass, nothing else.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raw const raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_open_file_limit_is_at_least_what_it_was() {
        let first = super::raise_open_file_limit().expect("getrlimit works here");
        assert_eq!(super::raise_open_file_limit(), Some(first));
    }
}
