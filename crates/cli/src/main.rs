//! `drydock`: scan container images for known vulnerabilities.

mod db;
mod image;
mod output;
mod paths;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "drydock",
    version,
    about = "Container image vulnerability scanner"
)]
struct Cli {
    /// Vulnerability DB directory [default: $XDG_CACHE_HOME/drydock/db]
    #[arg(long, global = true, env = "DRYDOCK_DB_DIR")]
    db_dir: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan one image in a registry and report its vulnerabilities.
    Image(image::Args),
    /// Build, update and inspect the vulnerability DB.
    #[command(subcommand)]
    Db(db::Command),
    /// Run the registry scanning service (Prisma Cloud Compute-compatible API).
    Serve(serve::ServeArgs),
    /// Run scan workers only, beside `drydock serve` on a shared PostgreSQL database.
    Worker(serve::WorkerArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("DRYDOCK_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let db_dir = cli.db_dir.unwrap_or_else(paths::default_db_dir);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::Image(a) => image::run(a, &db_dir).await,
            Command::Db(c) => db::run(c, &db_dir).await,
            Command::Serve(a) => serve::serve(a, &db_dir).await,
            Command::Worker(a) => serve::worker(a, &db_dir).await,
        }
    });
    match result {
        Ok(code) => code,
        // `drydock ... | head` closing the pipe early is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
