//! `pont`: run, inspect and (later) sign, audit and report Pont robots.
//! A thin layer: every command calls `pont-runtime` or `pont-policy`.

mod exit;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::exit::Exit;

/// Pont runs RPA robots (WebAssembly components) around Démarches
/// Simplifiées, each confined to what its operator granted.
#[derive(Debug, Parser)]
#[command(name = "pont", version, about, long_about = None, after_help = exit::HELP)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// More log detail (-v debug, -vv trace). `PONT_LOG` overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only warnings and errors on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a robot over its queue, as its robot config says.
    #[command(after_help = exit::HELP)]
    Run {
        /// The operator's robot config (TOML).
        config: PathBuf,
        /// Print the run summary as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Where compiled components are cached (default: $PONT_CACHE_DIR,
        /// the config's paths.cache, or ~/.cache/pont).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
    /// Show what a plugin imports and exports, its SHA-256 and its manifest.
    Inspect {
        /// The plugin component (.wasm).
        plugin: PathBuf,
        /// Its manifest, if not `pont.toml` beside it.
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init_logging(cli.log_format == LogFormat::Json, cli.verbose, cli.quiet);
    let result = match cli.command {
        Command::Run {
            config,
            json,
            cache_dir,
        } => run(config, json, cache_dir),
        Command::Inspect {
            plugin,
            manifest,
            json,
        } => inspect(plugin, manifest, json),
    };
    match result {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("pont: error: {}", e.message);
            e.code.into()
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, exit::Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            exit::Failure::new(Exit::Fatal, format!("cannot start the async runtime: {e}"))
        })
}

fn run(config: PathBuf, json: bool, cache_dir: Option<PathBuf>) -> Result<Exit, exit::Failure> {
    let opts = pont_runtime::RunOptions { config, cache_dir };
    let report = runtime()?
        .block_on(pont_runtime::run(&opts))
        .map_err(exit::Failure::from)?;
    if json {
        output::print_json(&report)?;
    } else {
        output::print_run(&report);
    }
    Ok(if report.all_handled() {
        Exit::Ok
    } else {
        Exit::ItemsFailed
    })
}

fn inspect(plugin: PathBuf, manifest: Option<PathBuf>, json: bool) -> Result<Exit, exit::Failure> {
    let inspection =
        pont_runtime::inspect(&plugin, manifest.as_deref()).map_err(exit::Failure::from)?;
    if json {
        output::print_json(&inspection)?;
    } else {
        output::print_inspection(&inspection);
    }
    Ok(Exit::Ok)
}
