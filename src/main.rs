//! The `tessera` command: the workbench (default), `run` for headless session scripts, `demo` for the
//! built-in data, `bench` for scheduler figures.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use tessera::engine::{Engine, EngineConfig};

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Dask's way of working with big data, in a terminal: partitioned CSV/Parquet frames, chunked netCDF arrays, a task scheduler and a TUI workbench.",
    after_help = "With no command, opens the workbench on the built-in demo data and the tutorial session.\n\nExamples:\n  tessera                         the workbench with the tutorial\n  tessera run sessions/act_weather.tess\n  tessera demo ./demo             write the demo data\n  echo 'format_bytes(2**30)' | tessera run -"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    engine: EngineArgs,
    /// Theme name (dark, light, 16color) or a theme file.
    #[arg(long, global = true)]
    theme: Option<String>,
    /// Look, don't touch: no statements, no cancel, no restart.
    #[arg(long, global = true)]
    read_only: bool,
}

#[derive(clap::Args, Clone)]
struct EngineArgs {
    /// Worker threads of the task pool (default: all cores).
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// Memory limit, as Dask writes it: 2GB, 1.5GiB, 500MB.
    #[arg(long, global = true)]
    memory_limit: Option<String>,
    /// Where data spilled to disk goes (default: a fresh directory under the system temp dir).
    #[arg(long, global = true)]
    spill_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a session script headless ('-' reads standard input).
    Run {
        file: PathBuf,
        /// Exit without waiting for background jobs the script started.
        #[arg(long)]
        no_wait: bool,
    },
    /// Open a session file in the workbench.
    Open { file: PathBuf },
    /// Write the demo data (BOM station CSVs and CMIP6-like netCDF files) into DIR.
    Demo {
        dir: PathBuf,
        #[arg(long, default_value_t = 30)]
        stations: usize,
        #[arg(long, default_value_t = 1990)]
        first_year: i32,
        #[arg(long, default_value_t = 2024)]
        last_year: i32,
        /// Number of netCDF files.
        #[arg(long, default_value_t = 4)]
        nc_files: usize,
        #[arg(long, default_value_t = 2)]
        years_per_file: u32,
        #[arg(long, default_value_t = 36)]
        nlat: usize,
        #[arg(long, default_value_t = 72)]
        nlon: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Only the CSV station data.
        #[arg(long)]
        csv_only: bool,
        /// Only the netCDF data.
        #[arg(long)]
        netcdf_only: bool,
    },
    /// Measure scheduler overhead per task on no-op fan-in graphs; `bench memory`: peak memory of
    /// larger-than-memory workloads under --memory-limit (default 256MB); `bench netcdf`: decode
    /// rates and scaling of the netCDF read path, and opening 1,000 files.
    Bench {
        /// `memory` for the larger-than-memory workloads, `netcdf` for the netCDF read path.
        what: Option<String>,
        /// Memory bench: data size as a multiple of the limit.
        #[arg(long, default_value_t = 10.0)]
        factor: f64,
        /// Memory and netCDF benches: where the generated data goes (kept for the next run).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Leaf task counts.
        #[arg(long, value_delimiter = ',', default_values_t = [10_000u32, 100_000, 1_000_000])]
        tasks: Vec<u32>,
        /// Switch the event stream off (on by default, as with the UI).
        #[arg(long)]
        no_events: bool,
    },
}

fn engine_config(args: &EngineArgs) -> anyhow::Result<EngineConfig> {
    let mut cfg = EngineConfig::default();
    if let Some(t) = args.threads {
        if t == 0 {
            bail!("--threads must be at least 1");
        }
        cfg.threads = t;
    }
    if let Some(m) = &args.memory_limit {
        cfg.memory_limit =
            Some(tessera::units::parse_bytes(m).with_context(|| format!("--memory-limit {m:?}"))?);
    }
    if let Some(d) = &args.spill_dir {
        cfg.spill_dir = Some(d.clone());
    }
    Ok(cfg)
}

fn run_script(file: &PathBuf, no_wait: bool, cfg: EngineConfig) -> anyhow::Result<u8> {
    let (source, name) = if file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading standard input")?;
        (s, "<stdin>".to_string())
    } else {
        let s = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        (s, file.display().to_string())
    };
    let engine = Engine::new(cfg);
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = tessera::lang::run_script(
        engine.clone(),
        &source,
        &name,
        !no_wait,
        &mut stdout.lock(),
        &mut stderr.lock(),
    );
    // `tessera bench memory` reads what its child processes spilled from this line.
    if std::env::var_os("TESSERA_REPORT_SPILLED").is_some() {
        println!("spilled bytes: {}", engine.spilled_total());
    }
    Ok(code.clamp(0, 255) as u8)
}

fn demo(cmd: &Command) -> anyhow::Result<()> {
    let Command::Demo {
        dir,
        stations,
        first_year,
        last_year,
        nc_files,
        years_per_file,
        nlat,
        nlon,
        seed,
        csv_only,
        netcdf_only,
    } = cmd
    else {
        unreachable!()
    };
    let mut opts = tessera::demo::DemoOptions::default();
    if !netcdf_only {
        opts.bom = Some(tessera::io::demo_bom::BomDemoOptions {
            stations: *stations,
            first_year: *first_year,
            last_year: *last_year,
            seed: *seed,
            ..Default::default()
        });
    }
    if !csv_only {
        opts.cmip6 = Some(tessera::io::demo_cmip6::Cmip6DemoOptions {
            files: *nc_files,
            years_per_file: *years_per_file,
            nlat: *nlat,
            nlon: *nlon,
            seed: *seed,
            ..Default::default()
        });
    }
    let summary = tessera::demo::write_demo(dir, &opts)?;
    print!("{summary}");
    Ok(())
}

fn bench(tasks: &[u32], events: bool, cfg: EngineConfig) -> anyhow::Result<()> {
    let engine = Engine::new(cfg.clone());
    // Warm the pool and allocator once.
    tessera::bench::measure_scheduler(&engine, 1000, events);
    println!(
        "scheduler overhead, fan-in graph of no-op tasks, {} threads, events {}",
        cfg.threads,
        if events { "on" } else { "off" }
    );
    println!(
        "{:>10} {:>12} {:>14} {:>12} {:>14}",
        "leaves", "tasks", "build µs/task", "run ms", "run µs/task"
    );
    for &n in tasks {
        let f = tessera::bench::measure_scheduler(&engine, n, events);
        println!(
            "{:>10} {:>12} {:>14.3} {:>12.1} {:>14.3}",
            n,
            f.tasks,
            f.build_per_task_us(),
            f.run.as_secs_f64() * 1e3,
            f.run_per_task_us()
        );
    }
    Ok(())
}

fn bench_memory(factor: f64, dir: Option<PathBuf>, mut cfg: EngineConfig) -> anyhow::Result<()> {
    let limit = *cfg.memory_limit.get_or_insert(256_000_000);
    let dir = dir.unwrap_or_else(tessera::bench_memory::default_bench_dir);
    println!(
        "larger-than-memory workloads: limit {}, data {factor}x the limit, {} threads, data in {}",
        tessera::units::format_bytes(limit),
        cfg.threads,
        dir.display()
    );
    let exe = std::env::current_exe().context("cannot find the tessera executable")?;
    let figs = tessera::bench_memory::run_memory_bench(&exe, &dir, cfg, factor)?;
    print!("{}", tessera::bench_memory::format_report(&figs));
    Ok(())
}

fn bench_netcdf(dir: Option<PathBuf>, cfg: &EngineConfig) -> anyhow::Result<()> {
    let dir = dir.unwrap_or_else(tessera::bench_netcdf::default_dir);
    println!(
        "netCDF read path: {} threads, best of 5 passes, data in {} (generated once)",
        cfg.threads,
        dir.display()
    );
    let figs = tessera::bench_netcdf::run_netcdf_bench(&dir, cfg.threads, 5)?;
    print!("{}", tessera::bench_netcdf::format_report(&figs));
    Ok(())
}

fn workbench(session: Option<PathBuf>, cli: &Cli, cfg: EngineConfig) -> anyhow::Result<()> {
    let session_file = match session {
        Some(f) => {
            if !f.is_file() {
                bail!("no session file at {}", f.display());
            }
            Some(std::fs::canonicalize(&f).unwrap_or(f))
        }
        None => Some(tessera::demo::prepare_tutorial()?),
    };
    let engine = Engine::new(cfg);
    tessera::ui::run_workbench(
        engine,
        tessera::ui::WorkbenchOptions {
            session_file,
            theme: cli.theme.clone(),
            read_only: cli.read_only,
        },
    )
}

fn real_main() -> anyhow::Result<u8> {
    let cli = Cli::parse();
    let cfg = engine_config(&cli.engine)?;
    match &cli.command {
        Some(Command::Run { file, no_wait }) => run_script(file, *no_wait, cfg),
        Some(Command::Open { file }) => workbench(Some(file.clone()), &cli, cfg).map(|_| 0),
        Some(cmd @ Command::Demo { .. }) => demo(cmd).map(|_| 0),
        Some(Command::Bench {
            what: Some(w),
            data_dir,
            ..
        }) if w == "netcdf" => bench_netcdf(data_dir.clone(), &cfg).map(|_| 0),
        Some(Command::Bench { what: Some(w), .. }) if w != "memory" => {
            bail!("unknown benchmark {w:?}: use `tessera bench`, `tessera bench memory` or `tessera bench netcdf`")
        }
        Some(Command::Bench {
            what: Some(_),
            factor,
            data_dir,
            ..
        }) => bench_memory(*factor, data_dir.clone(), cfg).map(|_| 0),
        Some(Command::Bench {
            tasks, no_events, ..
        }) => bench(tasks, !no_events, cfg).map(|_| 0),
        None => workbench(None, &cli, cfg).map(|_| 0),
    }
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "tessera: {e}");
            for cause in e.chain().skip(1) {
                let _ = writeln!(err, "  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}
