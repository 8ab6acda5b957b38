//! Link-time setting for the binary: packed relative relocations (`-z pack-relative-relocs`,
//! ELF's `DT_RELR`) where the binary is built for the machine that builds it and that machine's
//! glibc loads them (2.36 and later). A position-independent binary carries one 24-byte
//! relocation for each pointer in its data (vtables, tables of strings): about 600 KB of the
//! policy-watch binary, which packed take a few KB; the loader applies them faster, too.
//!
//! Such a binary needs glibc 2.36 where it runs, so nothing changes where that is not known:
//! a cross build, another C library, an older glibc (the release workflow builds on one, for
//! the binaries it publishes), or `POLICY_WATCH_NO_RELR` set.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=POLICY_WATCH_NO_RELR");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let native = var("TARGET") == var("HOST");
    let linux_gnu = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    if !native || !linux_gnu || std::env::var_os("POLICY_WATCH_NO_RELR").is_some() {
        return;
    }
    if glibc_version().is_some_and(|v| v >= (2, 36)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// The build machine's glibc, as `getconf` reports it ("glibc 2.36").
fn glibc_version() -> Option<(u32, u32)> {
    let out = Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let version = text.trim().strip_prefix("glibc ")?;
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??))
}
