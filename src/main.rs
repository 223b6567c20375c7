//! The `wl-infra` binary: all behaviour lives in the library; this only hands over to the CLI.

fn main() -> std::process::ExitCode {
    wl_infra::cli::main()
}
