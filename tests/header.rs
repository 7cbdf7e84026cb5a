//! `xs/aiors.h` declares each export with the signature it has in Rust.
//! Every entry of `exports!` below is checked by rustc against the export
//! (its type must coerce to the listed function pointer type), then
//! written as a C pointer of that type initialised with the header's
//! function and compiled with `cc -Werror`, so a prototype that differs in
//! any parameter fails; and the header declares exactly the listed
//! functions.  The structs that cross the ABI are checked the same way:
//! their size and each field's offset, as rustc lays them out, asserted
//! in C.  (The constants are checked by build.rs.)

use std::collections::BTreeSet;
use std::io::Write;
use std::os::raw::{c_char, c_int, c_void};
use std::process::{Command, Stdio};

use aiors::ffi::*;
use aiors::ops::dir::Entry;
use aiors::Pool;

/// The C spelling of a type that crosses the ABI.
trait CType {
    const C: &'static str;
}

macro_rules! c_types {
    ($($rust:ty => $c:expr),* $(,)?) => {
        $(impl CType for $rust {
            const C: &'static str = $c;
        })*
    };
}

c_types! {
    () => "void",
    c_int => "int",
    u32 => "uint32_t",
    u64 => "uint64_t",
    i64 => "int64_t",
    usize => "size_t",
    isize => "ptrdiff_t",
    f64 => "double",
    *const c_char => "const char *",
    *mut c_char => "char *",
    *mut *const c_char => "const char **",
    *mut c_int => "int *",
    *mut u32 => "uint32_t *",
    *mut usize => "size_t *",
    *mut *const u64 => "const uint64_t **",
    *mut c_void => "void *",
    *mut Pool => "aiors_pool *",
    *const AiorsReq => "const aiors_req *",
    *mut AiorsReq => "aiors_req *",
    *mut AiorsEvent => "aiors_event *",
    *mut *const Entry => "const aiors_dirent **",
    *const libc::stat => "const struct stat *",
    *const libc::statvfs => "const struct statvfs *",
    *mut u64 => "uint64_t *",
    *mut AiorsStats => "aiors_stats *",
    *const AiorsStats => "const aiors_stats *",
    *mut AiorsEngineCounters => "aiors_engine_counters *",
    *mut AiorsOpStats => "aiors_op_stats *",
    *mut AiorsDoneTimes => "aiors_done_times *",
}

/// An export: its name and the C declaration of a pointer to it.
struct Export {
    name: &'static str,
    pointer: String,
}

macro_rules! exports {
    ($($name:ident ( $($arg:ty),* ) -> $ret:ty;)*) => {
        vec![$({
            let _: unsafe extern "C" fn($($arg),*) -> $ret = $name;
            let args: &[&str] = &[$(<$arg as CType>::C),*];
            let args = if args.is_empty() { "void".to_string() } else { args.join(", ") };
            Export {
                name: stringify!($name),
                pointer: format!("{} (*const {}_ptr) ({}) = {};", <$ret as CType>::C, stringify!($name), args, stringify!($name)),
            }
        }),*]
    };
}

fn exports() -> Vec<Export> {
    exports! {
        aiors_pool_new(*mut c_int) -> *mut Pool;
        aiors_pool_free(*mut Pool) -> ();
        aiors_pool_renew_fileno(*mut Pool) -> c_int;
        aiors_pool_successor(*mut Pool, c_int, *mut c_int) -> *mut Pool;
        aiors_fileno(*mut Pool) -> c_int;
        aiors_nreqs(*mut Pool) -> usize;
        aiors_nready(*mut Pool) -> usize;
        aiors_npending(*mut Pool) -> usize;
        aiors_nthreads(*mut Pool) -> usize;
        aiors_engine(*mut Pool, *mut usize) -> *const c_char;
        aiors_set_min_parallel(*mut Pool, u32) -> ();
        aiors_set_max_parallel(*mut Pool, u32) -> ();
        aiors_set_max_idle(*mut Pool, u32) -> ();
        aiors_set_idle_timeout(*mut Pool, u32) -> ();
        aiors_set_max_poll_reqs(*mut Pool, u32) -> ();
        aiors_set_max_poll_time(*mut Pool, f64) -> ();
        aiors_poll_begin(*mut Pool) -> ();
        aiors_poll_next(*mut Pool, *mut AiorsEvent) -> c_int;
        aiors_poll_followup(*mut Pool, *mut AiorsEvent) -> c_int;
        aiors_wait(*mut Pool) -> ();
        aiors_take_panic(*mut c_char, usize) -> usize;
        aiors_stats_enable(*mut Pool) -> ();
        aiors_stats_reset(*mut Pool) -> ();
        aiors_stats_new(*mut Pool) -> *mut AiorsStats;
        aiors_stats_free(*mut AiorsStats) -> ();
        aiors_stats_elapsed(*const AiorsStats) -> f64;
        aiors_stats_engine(*const AiorsStats, *mut AiorsEngineCounters) -> ();
        aiors_stats_op(*const AiorsStats, usize, *mut AiorsOpStats) -> c_int;
        aiors_stats_error(*const AiorsStats, usize, usize, *mut c_int, *mut u64) -> c_int;
        aiors_result_times(*mut Pool, *mut AiorsDoneTimes) -> c_int;
        aiors_test_panic_next_poll() -> ();
        aiors_result_stat(*mut Pool) -> *const libc::stat;
        aiors_result_take_fd(*mut Pool) -> c_int;
        aiors_result_dir(*mut Pool, *mut *const Entry, *mut *const c_char, *mut u32) -> usize;
        aiors_pri_clamp(c_int) -> c_int;
        aiors_req_new(c_int, c_int) -> *mut AiorsReq;
        aiors_req_user(*const AiorsReq) -> *mut c_void;
        aiors_req_free(*mut AiorsReq) -> ();
        aiors_req_cancel(*const AiorsReq) -> ();
        aiors_grp_cancel_subs(*const AiorsReq) -> ();
        aiors_grp_add(*const AiorsReq, *const AiorsReq) -> c_int;
        aiors_grp_finished(*const AiorsReq) -> c_int;
        aiors_grp_set_limit(*const AiorsReq, c_int) -> ();
        aiors_grp_limit(*const AiorsReq) -> c_int;
        aiors_grp_set_feeder(*const AiorsReq, c_int) -> ();
        aiors_grp_feed_begin(*const AiorsReq) -> c_int;
        aiors_grp_feed_end(*const AiorsReq) -> c_int;
        aiors_submit_group(*mut Pool, *const AiorsReq) -> c_int;
        aiors_submit_nop(*mut Pool, *const AiorsReq) -> c_int;
        aiors_submit_fail(*mut Pool, *const AiorsReq, c_int) -> c_int;
        aiors_submit_sync(*mut Pool, *const AiorsReq) -> c_int;
        aiors_submit_busy(*mut Pool, *const AiorsReq, f64) -> c_int;
        aiors_submit_close(*mut Pool, *const AiorsReq, c_int) -> c_int;
        aiors_submit_seek(*mut Pool, *const AiorsReq, c_int, i64, c_int) -> c_int;
        aiors_submit_unlink(*mut Pool, *const AiorsReq, c_int, *const c_char, usize) -> c_int;
        aiors_submit_rmdir(*mut Pool, *const AiorsReq, c_int, *const c_char, usize) -> c_int;
        aiors_submit_mkdir(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, u32) -> c_int;
        aiors_submit_open(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, c_int, u32) -> c_int;
        aiors_submit_readdir(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, u32) -> c_int;
        aiors_submit_scandir(*mut Pool, *const AiorsReq, c_int, *const c_char, usize) -> c_int;
        aiors_submit_read(*mut Pool, *const AiorsReq, c_int, i64, *mut c_char, usize) -> c_int;
        aiors_submit_write(*mut Pool, *const AiorsReq, c_int, i64, *const c_char, usize) -> c_int;
        aiors_submit_fsync(*mut Pool, *const AiorsReq, c_int) -> c_int;
        aiors_submit_fdatasync(*mut Pool, *const AiorsReq, c_int) -> c_int;
        aiors_submit_syncfs(*mut Pool, *const AiorsReq, c_int) -> c_int;
        aiors_submit_readahead(*mut Pool, *const AiorsReq, c_int, i64, usize) -> c_int;
        aiors_submit_fallocate(*mut Pool, *const AiorsReq, c_int, c_int, i64, usize) -> c_int;
        aiors_submit_sync_file_range(*mut Pool, *const AiorsReq, c_int, i64, usize, u32) -> c_int;
        aiors_submit_sendfile(*mut Pool, *const AiorsReq, c_int, c_int, i64, usize) -> c_int;
        aiors_submit_fiemap(*mut Pool, *const AiorsReq, c_int, u64, u64, u32, i64) -> c_int;
        aiors_submit_fcntl_int(*mut Pool, *const AiorsReq, c_int, c_int, isize) -> c_int;
        aiors_submit_fcntl_buf(*mut Pool, *const AiorsReq, c_int, c_int, *mut c_char, usize) -> c_int;
        aiors_submit_ioctl_int(*mut Pool, *const AiorsReq, c_int, u64, isize) -> c_int;
        aiors_submit_ioctl_buf(*mut Pool, *const AiorsReq, c_int, u64, *mut c_char, usize) -> c_int;
        aiors_submit_slurp_alloc(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, i64, usize) -> c_int;
        aiors_submit_slurp_buf(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, i64, *mut c_char, usize) -> c_int;
        aiors_submit_msync(*mut Pool, *const AiorsReq, *mut c_char, usize, c_int) -> c_int;
        aiors_submit_mtouch(*mut Pool, *const AiorsReq, *mut c_char, usize, c_int) -> c_int;
        aiors_submit_mlock(*mut Pool, *const AiorsReq, *mut c_char, usize) -> c_int;
        aiors_submit_mlockall(*mut Pool, *const AiorsReq, c_int) -> c_int;
        aiors_result_extents(*mut Pool, *mut *const u64) -> isize;
        aiors_result_data(*mut Pool, *mut *const c_char) -> isize;
        aiors_sendfile(c_int, c_int, i64, usize, *mut c_int) -> i64;
        aiors_submit_stat_path(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, c_int) -> c_int;
        aiors_submit_stat_fd(*mut Pool, *const AiorsReq, c_int, c_int) -> c_int;
        aiors_submit_statvfs_path(*mut Pool, *const AiorsReq, c_int, *const c_char, usize) -> c_int;
        aiors_submit_statvfs_fd(*mut Pool, *const AiorsReq, c_int) -> c_int;
        aiors_submit_chmod_path(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, u32) -> c_int;
        aiors_submit_chmod_fd(*mut Pool, *const AiorsReq, c_int, u32) -> c_int;
        aiors_submit_truncate_path(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, i64) -> c_int;
        aiors_submit_truncate_fd(*mut Pool, *const AiorsReq, c_int, i64) -> c_int;
        aiors_submit_chown_path(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, u32, u32) -> c_int;
        aiors_submit_chown_fd(*mut Pool, *const AiorsReq, c_int, u32, u32) -> c_int;
        aiors_submit_utime_path(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, f64, f64) -> c_int;
        aiors_submit_utime_fd(*mut Pool, *const AiorsReq, c_int, f64, f64) -> c_int;
        aiors_submit_mknod(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, u32, u64) -> c_int;
        aiors_submit_link(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, c_int, *const c_char, usize) -> c_int;
        aiors_submit_symlink(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, c_int, *const c_char, usize) -> c_int;
        aiors_submit_rename(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, c_int, *const c_char, usize, u32) -> c_int;
        aiors_submit_readlink(*mut Pool, *const AiorsReq, c_int, *const c_char, usize) -> c_int;
        aiors_submit_realpath(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, *const c_char, usize) -> c_int;
        aiors_submit_wd(*mut Pool, *const AiorsReq, c_int, *const c_char, usize, *const c_char, usize) -> c_int;
        aiors_submit_wd_close(*mut Pool, *const AiorsReq, c_int) -> c_int;
        aiors_result_statvfs(*mut Pool) -> *const libc::statvfs;
        aiors_result_bytes(*mut Pool, *mut usize) -> *const c_char;
    }
}

/// The functions `xs/aiors.h` declares (outside comments).
fn header_functions(header: &str) -> BTreeSet<String> {
    let mut code = String::new();
    let mut rest = header;
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        rest = rest[start..].find("*/").map_or("", |end| &rest[start + end + 2..]);
    }
    code.push_str(rest);
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices("aiors_") {
        let name: String = code[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if code[at + name.len()..].trim_start().starts_with('(') {
            names.insert(name);
        }
    }
    names
}

/// C `_Static_assert`s that a struct of the header has the Rust struct's
/// size and each named field at the Rust field's offset (`addr_of!` on an
/// uninitialised value: rustc 1.63 has no `offset_of!`).
macro_rules! layouts {
    ($($rust:ty => $c:literal { $($field:ident => $c_field:literal),* $(,)? })*) => {{
        let mut asserts = String::new();
        $({
            let value = std::mem::MaybeUninit::<$rust>::uninit();
            let base = value.as_ptr();
            asserts.push_str(&format!(
                "_Static_assert (sizeof ({}) == {}, \"{} size\");\n",
                $c, std::mem::size_of::<$rust>(), $c
            ));
            $(
                // SAFETY: only the field's address is taken, nothing is read.
                let offset = unsafe { std::ptr::addr_of!((*base).$field) } as usize - base as usize;
                asserts.push_str(&format!(
                    "_Static_assert (offsetof ({}, {}) == {}, \"{}.{}\");\n",
                    $c, $c_field, offset, $c, $c_field
                ));
            )*
        })*
        asserts
    }};
}

fn layout_asserts() -> String {
    layouts! {
        AiorsEvent => "aiors_event" { kind => "kind", cancelled => "cancelled", token => "token", result => "result", errno => "errno_" }
        Entry => "aiors_dirent" { name_offset => "name_offset", name_len => "name_len", inode => "inode", kind => "type" }
        AiorsTimes => "aiors_times" { count => "count", sum => "sum", min => "min", max => "max", p50 => "p50", p90 => "p90", p99 => "p99" }
        AiorsOpStats => "aiors_op_stats" {
            name => "name", name_len => "name_len", submitted => "submitted", completed => "completed", failed => "failed",
            cancelled => "cancelled", on_threads => "on_threads", on_ring => "on_ring", queued => "queued", executing => "executing",
        }
        AiorsEngineCounters => "aiors_engine_counters" {
            threads_started => "threads_started", threads_exited => "threads_exited", wakeups => "wakeups", sleeps => "sleeps",
            watches => "watches", spins => "spins", given_back => "given_back", ring_submitted => "ring_submitted",
            ring_kicked => "ring_kicked",
        }
        AiorsDoneTimes => "aiors_done_times" {
            op => "op", op_len => "op_len", queued => "queued", executing => "executing", path => "path", path_len => "path_len", fd => "fd",
        }
    }
}

#[test]
fn header_declares_the_exports_with_their_rust_signatures() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let header = std::fs::read_to_string(format!("{dir}/xs/aiors.h")).expect("xs/aiors.h is readable");
    let exports = exports();

    let listed: BTreeSet<String> = exports.iter().map(|export| export.name.to_string()).collect();
    assert_eq!(header_functions(&header), listed, "xs/aiors.h declares the functions listed here");

    let mut source = String::from("#include <stddef.h>\n#include \"aiors.h\"\n");
    source.push_str(&layout_asserts());
    for export in &exports {
        source.push_str(&export.pointer);
        source.push('\n');
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let mut child = Command::new(&cc)
        .args(["-fsyntax-only", "-Wall", "-Werror", "-Wno-unused-variable", "-I"])
        .arg(format!("{dir}/xs"))
        .args(["-x", "c", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{cc}: {err}"));
    child.stdin.take().unwrap().write_all(source.as_bytes()).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "xs/aiors.h differs from the Rust exports (see {cc}'s messages above):\n{source}");
}
