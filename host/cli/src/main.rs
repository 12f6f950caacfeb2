//! `pont`: run, inspect and (later) sign, audit and report Pont robots.
//! A thin layer: every command calls `pont-runtime` or `pont-policy`.

mod exit;
mod output;
mod trust;

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
        /// DEVELOPMENT ONLY: run a plugin that is unsigned or not signed by a
        /// key the config trusts. Logged loudly and recorded in the summary.
        #[arg(long)]
        allow_unsigned: bool,
    },
    /// Make a signing key pair (minisign format).
    Keygen {
        /// Secret key file to create (mode 0600; never overwritten).
        #[arg(long, default_value = "pont.key")]
        secret_key: PathBuf,
        /// Public key file to create.
        #[arg(long, default_value = "pont.pub")]
        public_key: PathBuf,
    },
    /// Sign a plugin and its manifest: writes <plugin>.minisig.
    Sign {
        /// The secret key file (from `pont keygen`, or an unencrypted minisign key).
        #[arg(long)]
        key: PathBuf,
        /// The plugin component (.wasm).
        plugin: PathBuf,
        /// Its manifest, if not `pont.toml` beside it.
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
    /// Check a plugin's signature (Pont's or minisign's) against trusted keys.
    #[command(after_help = exit::HELP)]
    Verify {
        /// A trusted public key line (RW…); repeatable.
        #[arg(long = "trusted-key")]
        trusted_keys: Vec<String>,
        /// A trusted public key file; repeatable.
        #[arg(long = "public-key")]
        public_keys: Vec<PathBuf>,
        /// The plugin component (.wasm).
        plugin: PathBuf,
        /// Its manifest, if not `pont.toml` beside it.
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
    /// Check audit logs.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
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

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check an audit file's hash chain (and its sealed head): exit 0 when
    /// intact, otherwise name the first record altered, removed, inserted or
    /// reordered.
    #[command(after_help = exit::HELP)]
    Verify {
        /// The audit file (JSON lines).
        file: PathBuf,
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
            allow_unsigned,
        } => run(config, json, cache_dir, allow_unsigned),
        Command::Keygen {
            secret_key,
            public_key,
        } => trust::keygen(&secret_key, &public_key),
        Command::Sign {
            key,
            plugin,
            manifest,
        } => trust::sign(&key, &plugin, manifest),
        Command::Verify {
            trusted_keys,
            public_keys,
            plugin,
            manifest,
        } => trust::verify(&trusted_keys, &public_keys, &plugin, manifest),
        Command::Inspect {
            plugin,
            manifest,
            json,
        } => inspect(plugin, manifest, json),
        Command::Audit {
            command: AuditCommand::Verify { file },
        } => audit_verify(file),
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

fn run(
    config: PathBuf,
    json: bool,
    cache_dir: Option<PathBuf>,
    allow_unsigned: bool,
) -> Result<Exit, exit::Failure> {
    let opts = pont_runtime::RunOptions {
        config,
        cache_dir,
        allow_unsigned,
    };
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

fn audit_verify(file: PathBuf) -> Result<Exit, exit::Failure> {
    match pont_policy::verify_audit(&file) {
        Ok(intact) => {
            let seal = if intact.sealed {
                "sealed".to_string()
            } else {
                format!("{} records after the last seal", intact.unsealed_tail)
            };
            println!(
                "{}: intact ({} records, {seal})",
                file.display(),
                intact.records
            );
            Ok(Exit::Ok)
        }
        Err(pont_policy::Break::Unreadable(e)) => Err(exit::Failure::new(Exit::Fatal, e)),
        Err(b) => Err(exit::Failure::new(
            Exit::AuditBroken,
            format!("{}: {b}", file.display()),
        )),
    }
}
