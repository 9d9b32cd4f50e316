//! The `breakglass` binary: parse the command line, run the subcommand, map errors to exit
//! statuses (docs/FORMAT.md for `verify`, `breakglass shell --help` for `shell`).

use clap::Parser;

use breakglass::cli::{Cli, Command};
use breakglass::config::Config;
use breakglass::error::{Exit, Failure, exit_code};
use breakglass::store::{self, Store};
use breakglass::{cmd, installed, lenient, mode, term};

/// The config and data dir: the user's own, or (installed) the policy's.
fn setup(cli: &Cli) -> Result<(Config, std::path::PathBuf), Failure> {
    if mode::installed() {
        return installed::enter(cli);
    }
    let read_only = matches!(
        cli.command,
        Command::Ls(_)
            | Command::Verify(_)
            | Command::Replay(_)
            | Command::Export(_)
            | Command::Show(_)
            | Command::Grep(_)
    );
    let config = if read_only {
        // Reviewing what was recorded does not wait for a config fix: a warning.
        let (config, warning) = lenient::load(cli.config.as_deref());
        if let Some(w) = warning {
            eprintln!("{w}");
        }
        config
    } else {
        Config::load(cli.config.as_deref())?
    };
    let dir = store::data_dir(cli.dir.as_deref(), config.dir.as_deref())?;
    Ok((config, dir))
}

fn run(cli: &Cli) -> anyhow::Result<i32> {
    if mode::installed() && !installed::may_keep(&cli.command) {
        mode::drop_to_real_user()
            .map_err(|e| Failure::tool(format!("cannot give up the service identity: {e}")))?;
    }
    if let Command::Init(a) = &cli.command {
        // The policy is init's to check and use, as root.
        return cmd::init::run(a);
    }
    if let Command::Ca(a) = &cli.command {
        // Like init: the policy is the CA's to find, from the binary's own path.
        return cmd::ca::run(a);
    }
    let (config, dir) = setup(cli).map_err(|e| match cli.command {
        // A bad config is breakglass's own failure only where that has a status of its
        // own; the review commands document 0 to 4, so it is a usage error there.
        Command::Shell(_) => e,
        _ if e.code == Exit::Tool => Failure::usage(e.message),
        _ => e,
    })?;
    if cli.store.is_some() || cli.from_store {
        return cmd::ship::review(&cli.command, &config, cli.store.as_deref());
    }
    match &cli.command {
        Command::Shell(a) => cmd::shell::run(a, &config, dir),
        Command::Ls(a) => cmd::ship::ls(a, &Store::at(dir), &config),
        Command::Ship(a) => cmd::ship::run(a, &Store::at(dir), &config),
        Command::Verify(a) => cmd::ship::verify(a, &Store::at(dir), &config),
        Command::Replay(a) => cmd::replay::run(a, &Store::at(dir)),
        Command::Watch(a) => cmd::watch::run(a, &Store::at(dir), &config),
        Command::Attach(a) => cmd::attach::run(a, &Store::at(dir)),
        Command::Mark(a) => cmd::mark::run(a, &Store::at(dir)),
        Command::Extend(a) => cmd::extend::run(a, &Store::at(dir)),
        Command::Export(a) => cmd::export::run(a, &Store::at(dir)),
        Command::Show(a) => cmd::show::run(a, &Store::at(dir)),
        Command::Grep(a) => cmd::grep::run(a, &Store::at(dir)),
        Command::Reveal(a) => cmd::reveal::run(a, &Store::at(dir)),
        Command::Completions(a) => cmd::completions::run(a),
        Command::Init(_) => unreachable!("init runs before any config is read"),
        Command::Ca(_) => unreachable!("ca runs before any config is read"),
        Command::Man => cmd::man::run(),
    }
}

fn main() {
    if mode::startup().mode() == mode::Mode::Installed {
        // Only `shell` and the review commands (until the policy says whether the caller
        // reviews their own sessions) keep the service identity; every other command
        // gives it up before anything is parsed.
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        if let Err(e) = installed::drop_early(&args) {
            eprintln!("breakglass: {e}");
            std::process::exit(Exit::Tool.code());
        }
    }
    term::install_panic_hook();
    let cli = Cli::parse();
    if !matches!(
        cli.command,
        Command::Shell(_) | Command::Watch(_) | Command::Replay(_) | Command::Attach(_)
    ) {
        // Commands that print for pipes end quietly when the reader goes away
        // (`breakglass ls | head`), as other Unix tools do.
        // SAFETY: restoring the default disposition of SIGPIPE involves no handler code.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    let code = match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            term::restore();
            eprintln!("breakglass: {e:#}");
            let default = if matches!(cli.command, Command::Shell(_)) {
                Exit::Tool
            } else {
                Exit::Usage
            };
            exit_code(&e, default)
        }
    };
    std::process::exit(code);
}
