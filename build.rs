//! Checks at compile time that the C header the XS glue includes
//! (`xs/aiors.h`) states the same constant values as `src/ffi/`: every
//! `#define AIORS_NAME <integer>` becomes a `const` assertion against
//! `ffi::AIORS_NAME`, so the two cannot drift apart.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn main() {
    let header = "xs/aiors.h";
    // the one-colon form: cargo before 1.77 does not know `cargo::`
    println!("cargo:rerun-if-changed={header}");
    let text = fs::read_to_string(header).expect("xs/aiors.h is readable");

    let mut checks = String::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (name, value) = match (words.next(), words.next(), words.next()) {
            (Some("#define"), Some(name), Some(value)) => (name, value),
            _ => continue,
        };
        if name.starts_with("AIORS_") && value.parse::<i64>().is_ok() {
            writeln!(
                checks,
                "const _: () = assert!(super::{name} as i64 == {value}, \"{header}: {name} differs from src/ffi/\");"
            )
            .unwrap();
        }
    }

    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("header_constants.rs");
    fs::write(out, checks).unwrap();
}
