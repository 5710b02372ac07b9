//! `bench-report [--baseline NAME] [--dir DIR]`: prints the ratios table of
//! docs/benchmarks.md from criterion's saved results (`cargo bench` first). `NAME` is a
//! baseline saved with `-- --save-baseline NAME`; by default the last run (`new`).

use zimsim_benches::report::{criterion_dir, table, Results};

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut baseline, mut dir) = ("new".to_owned(), criterion_dir());
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().unwrap_or_else(|| fail(&format!("{flag} needs a value")));
        match arg.as_str() {
            "--baseline" => baseline = value("--baseline"),
            "--dir" => dir = value("--dir").into(),
            "-h" | "--help" => {
                println!("usage: bench-report [--baseline NAME] [--dir CRITERION_DIR]");
                return;
            }
            other => fail(&format!("unknown argument {other} (try --help)")),
        }
    }
    match Results::read(&dir, &baseline) {
        Ok(results) => print!("{}", table(&results)),
        Err(e) => fail(&e),
    }
}

fn fail(why: &str) -> ! {
    eprintln!("bench-report: {why}");
    std::process::exit(2)
}
