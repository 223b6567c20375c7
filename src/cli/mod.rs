//! The command line: clap definitions and thin commands over [`crate::ops`], the one place that
//! reads flags, the environment, the terminal and signals.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::apply::{self, ExecuteOptions};
use crate::aws::{self, Connection};
use crate::ops::{self, Goal, LoadError};
use crate::render::{self, ProgressPrinter, Style};
use crate::stack::Stack;

#[derive(Parser, Debug)]
#[command(
    name = "wl-infra",
    version,
    about = "Declarative AWS ECS Fargate infrastructure for the Movie Watchlist application"
)]
struct Cli {
    /// When to colour the output: auto (on a terminal, unless NO_COLOR is set or CLICOLOR_FORCE
    /// forces it), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    /// Show the AWS SDK's requests and retries on stderr (-vv: everything it logs).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    verbose: u8,
    /// Print only the plan (stdout) and errors: no progress, no summaries.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// The `--color` given on the command line, read before clap parses it, so that clap's own
    /// help and errors follow it too.
    fn from_arguments(arguments: &[std::ffi::OsString]) -> ColorWhen {
        let mut choice = ColorWhen::Auto;
        let mut words = arguments.iter().map(|word| word.to_string_lossy());
        while let Some(word) = words.next() {
            let value = match word.strip_prefix("--color") {
                Some("") => words.next().map(|next| next.to_string()),
                Some(rest) => rest.strip_prefix('=').map(str::to_string),
                None => None,
            };
            choice = match value.as_deref() {
                Some("always") => ColorWhen::Always,
                Some("never") => ColorWhen::Never,
                Some(_) => ColorWhen::Auto,
                None => choice,
            };
        }
        choice
    }

    /// Whether a stream is coloured: the flag, then NO_COLOR (off), then CLICOLOR_FORCE (on), then
    /// whether the stream is a terminal.
    fn colors(self, is_terminal: bool) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty() && value != "0");
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto if set("NO_COLOR") => false,
            ColorWhen::Auto if set("CLICOLOR_FORCE") => true,
            ColorWhen::Auto => is_terminal,
        }
    }

    fn for_clap(self) -> clap::ColorChoice {
        match self.colors(std::io::stdout().is_terminal() && std::io::stderr().is_terminal()) {
            true => clap::ColorChoice::Always,
            false => clap::ColorChoice::Never,
        }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a stack file and report every problem; makes no AWS call.
    Validate(StackArgs),
    /// Show what apply would change, reading the live stack from AWS.
    Plan(PlanArgs),
    /// Make AWS match the stack file.
    Apply(ApplyArgs),
    /// Delete everything the stack owns.
    Destroy(DestroyArgs),
    /// Show what the deployed stack offers: the site's URL, the load balancer, the database and
    /// cache endpoints (secrets by ARN, never their values), repositories, cluster and services.
    Outputs(DeployedArgs),
    /// Show how the deployed stack is doing: tasks, deployments, target health, events, stopped
    /// tasks, database, cache and distribution states, alarms firing. Exits 3 when something is
    /// unhealthy.
    Status(DeployedArgs),
    /// Check a running application as the deployment guide does: the frontend, the health
    /// endpoints, a round trip through each service, the watchlist's calls to the others, a cached
    /// read and the services' log lines. Exits 3 when a check fails.
    Verify(VerifyArgs),
    /// Print a shell completion script: `wl-infra completions bash > /etc/bash_completion.d/wl-infra`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `wl-infra man | man -l -`.
    Man,
}

#[derive(Args, Debug)]
struct StackArgs {
    /// The stack file, e.g. stacks/dev.toml; defaults to WL_STACK, or to the one file in stacks/.
    #[arg(long, env = "WL_STACK", value_name = "FILE")]
    stack: Option<PathBuf>,
}

/// The stack file a command works on: the one named, or the only one in `stacks/`.
fn stack_file(named: Option<&PathBuf>) -> Result<PathBuf, String> {
    if let Some(path) = named {
        return Ok(path.clone());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("stacks")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    match found.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err("no stack file named and no stacks/*.toml here: pass --stack FILE or set WL_STACK".to_string()),
        many => Err(format!(
            "stacks/ holds {} stack files ({}): pass --stack FILE or set WL_STACK to say which",
            many.len(),
            many.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", ")
        )),
    }
}

#[derive(Args, Debug)]
struct AwsArgs {
    /// Send every AWS request to this endpoint (an emulator); defaults to AWS_ENDPOINT_URL.
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    endpoint_url: Option<String>,
}

#[derive(Args, Debug)]
struct PlanArgs {
    #[command(flatten)]
    stack: StackArgs,
    #[command(flatten)]
    aws: AwsArgs,
    /// Print the plan as a versioned JSON document.
    #[arg(long)]
    json: bool,
    /// Exit 0 with no changes, 1 on error, 2 when changes are pending.
    #[arg(long)]
    detailed_exitcode: bool,
    #[command(flatten)]
    images: ImageArgs,
    /// Also save the plan to FILE, for `wl-infra apply FILE` to apply exactly what it shows.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ImageArgs {
    /// Deploy this image tag for a service, e.g. movie=3f9c2e1 (repeatable).
    #[arg(long = "image-tag", value_name = "SERVICE=TAG")]
    image_tags: Vec<String>,
}

#[derive(Args, Debug)]
struct ApplyArgs {
    /// A plan saved by `wl-infra plan --out FILE`: apply exactly its steps, without asking, and
    /// only if AWS has not changed since it was made.
    #[arg(value_name = "PLAN_FILE", conflicts_with_all = ["yes", "image_tags"])]
    plan_file: Option<PathBuf>,
    #[command(flatten)]
    stack: StackArgs,
    #[command(flatten)]
    aws: AwsArgs,
    /// Apply without asking for confirmation.
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    images: ImageArgs,
    #[command(flatten)]
    execution: ExecutionArgs,
}

#[derive(Args, Debug)]
struct ExecutionArgs {
    /// How many resources may be changed at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// How long to wait for one kind to become ready or gone, e.g. db_instance=90m (repeatable).
    #[arg(long = "timeout", value_name = "KIND=DURATION")]
    timeouts: Vec<String>,
}

/// The arguments of the commands that read a deployed stack (`outputs`, `status`).
#[derive(Args, Debug)]
struct DeployedArgs {
    #[command(flatten)]
    stack: StackArgs,
    #[command(flatten)]
    aws: AwsArgs,
    /// Print the answer as a versioned JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    #[command(flatten)]
    stack: StackArgs,
    #[command(flatten)]
    aws: AwsArgs,
    /// Check the application at this URL (e.g. the local run's) instead of the stack's site.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// With --base-url: read the services' log lines from DIR/<service>.log (the local run's logs).
    #[arg(long, value_name = "DIR", requires = "base_url")]
    logs_dir: Option<PathBuf>,
    /// Print the checks as a JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct DestroyArgs {
    #[command(flatten)]
    stack: StackArgs,
    #[command(flatten)]
    aws: AwsArgs,
    /// Destroy without asking for confirmation.
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    execution: ExecutionArgs,
}

/// What the terminal and environment allow, read once.
struct Terminal {
    stdout_style: Style,
    stderr_style: Style,
    stderr_is_terminal: bool,
    stdin_is_terminal: bool,
    /// `-q`: errors only on stderr.
    quiet: bool,
    /// `-v`: the SDK's log shares stderr, so progress is printed as plain lines, not redrawn.
    verbose: bool,
}

impl Terminal {
    fn detect(color: ColorWhen) -> Terminal {
        Terminal {
            stdout_style: Style { color: color.colors(std::io::stdout().is_terminal()) },
            stderr_style: Style { color: color.colors(std::io::stderr().is_terminal()) },
            stderr_is_terminal: std::io::stderr().is_terminal(),
            stdin_is_terminal: std::io::stdin().is_terminal(),
            quiet: false,
            verbose: false,
        }
    }

    /// A line of information on stderr, left out with `-q`.
    fn say(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    fn error(&self, message: &str) {
        eprintln!("{} {message}", self.stderr_style.red("error:"));
    }
}

/// The process entry point: parses arguments, runs the command, returns its exit code.
pub fn main() -> ExitCode {
    let cli = match parse_arguments() {
        Ok(cli) => cli,
        // A usage error exits 1 (clap's own 2 means "changes pending" with --detailed-exitcode);
        // --help and --version print to stdout and exit 0.
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { ExitCode::from(1) } else { ExitCode::SUCCESS };
        }
    };
    let mut terminal = Terminal::detect(cli.color);
    terminal.quiet = cli.quiet;
    terminal.verbose = cli.verbose > 0;
    log_sdk(cli.verbose);
    let outcome = match cli.command {
        Command::Validate(args) => validate(&args, &terminal),
        Command::Plan(args) => with_runtime(|| plan(args, &terminal)),
        Command::Apply(args) => with_runtime(|| apply(args, &terminal)),
        Command::Destroy(args) => with_runtime(|| destroy(args, &terminal)),
        Command::Outputs(args) => with_runtime(|| outputs(args, &terminal)),
        Command::Status(args) => with_runtime(|| status(args, &terminal)),
        Command::Verify(args) => with_runtime(|| verify(args, &terminal)),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "wl-infra", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map(|()| ExitCode::SUCCESS)
            .map_err(|error| format!("cannot write the manual page: {error}")),
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            terminal.error(&message);
            ExitCode::from(1)
        }
    }
}

/// `-v`: the AWS SDK's own log (each request's attempts, retries and their reasons) on stderr,
/// through `tracing`; `-vv` every crate's debug log. Never `trace`: at that level the SDK logs each
/// request it transmits with its body ("transmitting request"), and a CreateSecret body carries
/// the generated password; debug logs no body.
fn log_sdk(verbose: u8) {
    let filter = match verbose {
        0 => return,
        1 => "aws_smithy_runtime=debug,aws_smithy_runtime_api=debug,aws_config=info,wl_infra=debug",
        _ => "debug,hyper=info,hyper_util=info,h2=info,rustls=info",
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(false)
        .try_init();
}

/// The arguments, with the one rule clap cannot say: `--stack` given on the command line does not
/// go with a saved plan file (the plan names its stack), while a `WL_STACK` in the environment may.
fn parse_arguments() -> Result<Cli, clap::Error> {
    let arguments: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches =
        Cli::command().color(ColorWhen::from_arguments(&arguments).for_clap()).try_get_matches_from(arguments)?;
    let cli = Cli::from_arg_matches(&matches)?;
    let apply = matches.subcommand_matches("apply");
    let typed = apply.is_some_and(|apply| apply.value_source("stack") == Some(ValueSource::CommandLine));
    if typed
        && apply.is_some_and(|apply| apply.contains_id("plan_file") && apply.get_one::<PathBuf>("plan_file").is_some())
    {
        let mut command = Cli::command();
        return Err(command.error(
            clap::error::ErrorKind::ArgumentConflict,
            "--stack cannot be used with a saved plan file: the plan names its stack",
        ));
    }
    Ok(cli)
}

type Outcome = Result<ExitCode, String>;

fn with_runtime<F, Fut>(command: F) -> Outcome
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Outcome>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    runtime.block_on(command())
}

/// Loads the stack file, printing its diagnostics (if any) to stderr, in colour when stderr is.
fn load(args: &StackArgs, terminal: &Terminal) -> Result<Stack, String> {
    let path = stack_file(args.stack.as_ref())?;
    match ops::load_stack(&path) {
        Ok(stack) => Ok(stack),
        Err(LoadError::Invalid(diagnostics)) => {
            eprint!("{}", diagnostics.render_with(terminal.stderr_style.color));
            Err(format!("{} is not a valid stack file", path.display()))
        }
        Err(error) => Err(error.to_string()),
    }
}

fn validate(args: &StackArgs, terminal: &Terminal) -> Outcome {
    let path = stack_file(args.stack.as_ref())?;
    let stack = load(&StackArgs { stack: Some(path.clone()) }, terminal)?;
    terminal.say(&format!(
        "{} is valid: stack {} in {}, {} service(s), {} database(s)",
        path.display(),
        stack.name,
        stack.region,
        stack.services.len(),
        stack.databases.len()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Parses `--image-tag SERVICE=TAG` values and checks them against the stack's services.
fn check_image_tags(stack: &Stack, image_tags: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut parsed = BTreeMap::new();
    for image_tag in image_tags {
        let Some((service, tag)) = image_tag.split_once('=') else {
            return Err(format!("--image-tag {image_tag:?} is not SERVICE=TAG; write it like movie=3f9c2e1"));
        };
        if !stack.services.contains_key(service) {
            let known: Vec<&str> = stack.services.keys().map(String::as_str).collect();
            return Err(format!(
                "--image-tag names service {service:?}, which the stack does not define; expected one of: {}",
                known.join(", ")
            ));
        }
        let valid_tag = !tag.is_empty()
            && tag.len() <= 128
            && tag.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && !tag.starts_with(['.', '-']);
        if !valid_tag {
            return Err(format!(
                "--image-tag {image_tag:?} has an invalid tag; use up to 128 letters, digits, '.', '_' or '-'"
            ));
        }
        parsed.insert(service.to_string(), tag.to_string());
    }
    Ok(parsed)
}

fn connection(args: &AwsArgs) -> Connection {
    Connection { endpoint_url: args.endpoint_url.clone().filter(|url| !url.is_empty()) }
}

async fn plan(args: PlanArgs, terminal: &Terminal) -> Outcome {
    let stack = load(&args.stack, terminal)?;
    let image_tags = check_image_tags(&stack, &args.images.image_tags)?;
    let clients = aws::connect(&stack.name, &stack.region, &connection(&args.aws)).await;
    let (plan, live) =
        ops::read_and_plan(&clients, &stack, Goal::Apply, &image_tags).await.map_err(|error| error.to_string())?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let _ = writeln!(stdout, "{}", render::json_plan(&plan));
    } else {
        let _ = write!(stdout, "{}", render::human_plan(&plan, terminal.stdout_style));
    }
    refuse(&plan, terminal)?;
    let has_changes = plan.has_changes();
    if let Some(out) = &args.out {
        ops::save_plan(out, plan, live).map_err(|error| error.to_string())?;
        eprintln!("Saved the plan to {}; `wl-infra apply {}` applies exactly this plan.", out.display(), out.display());
    }
    Ok(if args.detailed_exitcode && has_changes { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// Fails with the plan's refusals, if it has any: such a plan must not be applied.
fn refuse(plan: &crate::plan::Plan, terminal: &Terminal) -> Result<(), String> {
    if plan.refusals.is_empty() {
        return Ok(());
    }
    for refusal in &plan.refusals {
        terminal.error(refusal);
    }
    Err(format!("the plan has {} change(s) that cannot be made; nothing was changed", plan.refusals.len()))
}

/// Asks on the terminal; refuses without one instead of hanging.
fn confirm(terminal: &Terminal, question: &str, flag: &str) -> Result<bool, String> {
    if !terminal.stdin_is_terminal {
        return Err(format!("no terminal to ask for confirmation; pass {flag} to proceed without asking"));
    }
    eprint!("{question} Only 'yes' is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|error| format!("cannot read the answer: {error}"))?;
    Ok(answer.trim() == "yes")
}

/// Sets the interrupt flag on the first Ctrl-C and exits at once on the second.
fn watch_interrupts() -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    tokio::spawn(async move {
        // Ctrl-C, or SIGTERM (what CI runners send when a job is cancelled): no new step starts
        // and the ones in flight finish; a second signal stops at once.
        let mut signals = Signals::new();
        if signals.next().await {
            flag.store(true, Ordering::SeqCst);
            eprintln!("interrupted: finishing the steps in flight (a second Ctrl-C or SIGTERM stops at once)");
            if signals.next().await {
                std::process::exit(130);
            }
        }
    });
    interrupted
}

/// Ctrl-C and, on Unix, SIGTERM as one stream of interruptions.
struct Signals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        Signals {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    /// Waits for the next interruption; false when none can come.
    async fn next(&mut self) -> bool {
        #[cfg(unix)]
        if let Some(terminate) = &mut self.terminate {
            return tokio::select! {
                interrupt = tokio::signal::ctrl_c() => interrupt.is_ok(),
                term = terminate.recv() => term.is_some(),
            };
        }
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// Reads `--timeout KIND=DURATION` values (`90m`, `900s`, `2h`) over the default timeouts.
fn execute_options(args: &ExecutionArgs) -> Result<ExecuteOptions, String> {
    let mut options = ExecuteOptions { concurrency: usize::from(args.concurrency), ..ExecuteOptions::default() };
    for value in &args.timeouts {
        let (kind_name, duration) = value
            .split_once('=')
            .ok_or_else(|| format!("--timeout {value:?} is not KIND=DURATION; write it like db_instance=90m"))?;
        let kind = crate::graph::Kind::ALL.iter().find(|kind| kind.as_str() == kind_name).ok_or_else(|| {
            let kinds: Vec<&str> = crate::graph::Kind::ALL.iter().map(|kind| kind.as_str()).collect();
            format!("--timeout names kind {kind_name:?}; expected one of: {}", kinds.join(", "))
        })?;
        let (number, unit) = duration.split_at(duration.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len());
        let seconds = match (number.parse::<u64>(), unit) {
            (Ok(n), "s" | "") => n,
            (Ok(n), "m") => n * 60,
            (Ok(n), "h") => n * 3600,
            _ => {
                return Err(format!(
                    "--timeout {value:?} has no valid duration; write a number with s, m or h, like 90m"
                ))
            }
        };
        options.timeouts.overrides.insert(*kind, std::time::Duration::from_secs(seconds.max(1)));
    }
    Ok(options)
}

async fn converge(
    stack: &Stack,
    aws_args: &AwsArgs,
    goal: Goal,
    image_tags: &BTreeMap<String, String>,
    yes: bool,
    execution: &ExecutionArgs,
    terminal: &Terminal,
) -> Outcome {
    let options = execute_options(execution)?;
    let clients = aws::connect(&stack.name, &stack.region, &connection(aws_args)).await;
    let (plan, live) =
        ops::read_and_plan(&clients, stack, goal, image_tags).await.map_err(|error| error.to_string())?;
    if goal == Goal::Destroy && !plan.has_changes() {
        println!("Nothing to destroy: stack {} owns no resources in {}.", stack.name, stack.region);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", render::human_plan(&plan, terminal.stdout_style));
    let _ = std::io::stdout().flush();
    refuse(&plan, terminal)?;
    if !plan.has_changes() {
        if goal == Goal::Apply {
            show_where(stack, &apply::known_attributes(&plan, &live), terminal);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (question, flag) = match goal {
        Goal::Apply => (format!("Apply these changes to stack {}?", stack.name), "--yes"),
        Goal::Destroy => (format!("Destroy every resource of stack {}?", stack.name), "--yes"),
    };
    if !yes && !confirm(terminal, &question, flag)? {
        eprintln!("Nothing was changed.");
        return Ok(ExitCode::from(1));
    }
    execute_and_report(clients, Some(stack), &plan, &live, goal, &options, terminal).await
}

/// Where the applied stack is: its site and its dashboard, when it has them.
fn show_where(stack: &Stack, attributes: &crate::outputs::AttributesById, terminal: &Terminal) {
    let outputs = crate::outputs::outputs(stack, attributes);
    if let Some(url) = &outputs.site_url {
        terminal.say(&format!("Site: {url}"));
    }
    if let Some(url) = &outputs.dashboard_url {
        terminal.say(&format!("Dashboard: {url}"));
    }
}

/// The exit code of `status` when something is unhealthy (1 is an error, 2 changes pending).
const UNHEALTHY: u8 = 3;

/// The stack file's stack, its clients, and what of it exists in AWS.
async fn deployed(
    stack: &StackArgs,
    aws_args: &AwsArgs,
    terminal: &Terminal,
) -> Result<(Stack, aws::Clients, Vec<crate::plan::LiveResource>), String> {
    let stack = load(stack, terminal)?;
    let clients = aws::connect(&stack.name, &stack.region, &connection(aws_args)).await;
    let (_, live) = ops::read_live(&clients).await.map_err(|error| error.to_string())?;
    Ok((stack, clients, live))
}

async fn status(args: DeployedArgs, terminal: &Terminal) -> Outcome {
    let (stack, clients, live) = deployed(&args.stack, &args.aws, terminal).await?;
    let status = aws::status::read_status(&clients, &stack, &live).await.map_err(|error| error.to_string())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status).map_err(|error| error.to_string())?);
    } else {
        print!("{}", render::human_status(&status));
    }
    Ok(if status.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(UNHEALTHY) })
}

async fn verify(args: VerifyArgs, terminal: &Terminal) -> Outcome {
    use crate::verify::{LogDirectory, LogSource, NoLogs};
    let (base_url, logs): (String, Box<dyn LogSource>) = match (&args.base_url, &args.logs_dir) {
        (Some(url), Some(directory)) => (url.clone(), Box::new(LogDirectory(directory.clone()))),
        (Some(url), None) => (
            url.clone(),
            Box::new(NoLogs(
                "the logs of an application given by --base-url are not read: pass --logs-dir DIR for the local run's logs".into(),
            )),
        ),
        (None, _) => {
            let (stack, clients, live) = deployed(&args.stack, &args.aws, terminal).await?;
            let outputs = crate::outputs::outputs(&stack, &crate::outputs::attributes_by_id(&live));
            let base = outputs.api_url.as_deref().and_then(|api| api.strip_suffix("/api")).map(str::to_string);
            let base = base.ok_or_else(|| format!("stack {} has no site or load balancer yet: run `wl-infra apply`", stack.name))?;
            (base, Box::new(aws::service_logs::CloudWatchLogs { clients }))
        }
    };
    let checks = crate::verify::verify(&base_url, logs.as_ref()).await;
    if args.json {
        let document = serde_json::json!({"base_url": base_url, "checks": checks});
        println!("{}", serde_json::to_string_pretty(&document).map_err(|error| error.to_string())?);
    } else {
        print!("{}", render::human_verify(&base_url, &checks));
    }
    let failed = checks.iter().any(|check| matches!(check.outcome, crate::verify::Outcome::Fail(_)));
    Ok(if failed { ExitCode::from(UNHEALTHY) } else { ExitCode::SUCCESS })
}

async fn outputs(args: DeployedArgs, terminal: &Terminal) -> Outcome {
    let (stack, _, live) = deployed(&args.stack, &args.aws, terminal).await?;
    let outputs = crate::outputs::outputs(&stack, &crate::outputs::attributes_by_id(&live));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outputs).map_err(|error| error.to_string())?);
    } else {
        print!("{}", render::human_outputs(&outputs));
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a reviewed plan's steps with progress on stderr, and says how it went.
async fn execute_and_report(
    clients: aws::Clients,
    stack: Option<&Stack>,
    plan: &crate::plan::Plan,
    live: &[crate::plan::LiveResource],
    goal: Goal,
    options: &ExecuteOptions,
    terminal: &Terminal,
) -> Outcome {
    let interrupted = watch_interrupts();
    let printer = Arc::new(ProgressPrinter::new(
        terminal.stderr_style,
        terminal.stderr_is_terminal && !terminal.verbose,
        terminal.quiet,
    ));
    let started = std::time::Instant::now();
    let report = apply::execute(Arc::new(clients), plan, live, options, printer.clone(), interrupted).await;
    printer.clear();
    let elapsed = render::progress_seconds(started.elapsed());
    if report.is_success() {
        let summary = plan.summary();
        let verb = if goal == Goal::Destroy { "Destroy" } else { "Apply" };
        terminal.say(&format!(
            "{verb} complete in {elapsed}: {} created, {} updated, {} replaced, {} deleted.",
            summary.create, summary.update, summary.replace, summary.delete
        ));
        if let (Goal::Apply, Some(stack)) = (goal, stack) {
            show_where(stack, &report.attributes, terminal);
        }
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!();
    for (step, error) in &report.failed {
        terminal.error(&format!("{step}: {error}"));
    }
    let mut message = format!(
        "{} step(s) succeeded, {} failed, {} not run",
        report.succeeded,
        report.failed.len(),
        report.skipped.len()
    );
    if report.interrupted {
        message.push_str("; interrupted: run the same command again to continue");
    } else {
        message.push_str("; fix the errors above and run the same command again: it continues from where AWS is now");
    }
    Err(message)
}

async fn apply(args: ApplyArgs, terminal: &Terminal) -> Outcome {
    if let Some(plan_file) = &args.plan_file {
        return apply_saved(plan_file, &args, terminal).await;
    }
    let stack = load(&args.stack, terminal)?;
    let image_tags = check_image_tags(&stack, &args.images.image_tags)?;
    converge(&stack, &args.aws, Goal::Apply, &image_tags, args.yes, &args.execution, terminal).await
}

/// `apply PLAN_FILE`: reads the live stack again, refuses before any write when it differs from
/// the one the plan was made from, and otherwise runs the saved steps as they are.
async fn apply_saved(plan_file: &std::path::Path, args: &ApplyArgs, terminal: &Terminal) -> Outcome {
    let options = execute_options(&args.execution)?;
    let saved = ops::load_saved_plan(plan_file).map_err(|error| error.to_string())?;
    let clients = aws::connect(&saved.plan.stack, &saved.plan.region, &connection(&args.aws)).await;
    let (_, live) = ops::read_live(&clients).await.map_err(|error| error.to_string())?;
    saved.check_fresh(&plan_file.display().to_string(), &live).map_err(|error| error.to_string())?;
    print!("{}", render::human_plan(&saved.plan, terminal.stdout_style));
    let _ = std::io::stdout().flush();
    refuse(&saved.plan, terminal)?;
    if !saved.plan.has_changes() {
        return Ok(ExitCode::SUCCESS);
    }
    // A saved plan carries no stack file, so it has no site or dashboard to show.
    execute_and_report(clients, None, &saved.plan, &live, Goal::Apply, &options, terminal).await
}

async fn destroy(args: DestroyArgs, terminal: &Terminal) -> Outcome {
    let stack = load(&args.stack, terminal)?;
    converge(&stack, &args.aws, Goal::Destroy, &BTreeMap::new(), args.yes, &args.execution, terminal).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(timeouts: &[&str]) -> Result<ExecuteOptions, String> {
        execute_options(&ExecutionArgs { concurrency: 4, timeouts: timeouts.iter().map(|t| t.to_string()).collect() })
    }

    #[test]
    fn timeouts_are_read_per_kind() {
        let read = options(&["db_instance=90m", "nat_gateway=30s"]).expect("valid");
        assert_eq!(read.timeouts.for_kind(crate::graph::Kind::DbInstance), std::time::Duration::from_secs(5400));
        assert_eq!(read.timeouts.for_kind(crate::graph::Kind::NatGateway), std::time::Duration::from_secs(30));
        assert_eq!(read.concurrency, 4);
    }

    #[test]
    fn bad_timeouts_say_what_to_write() {
        assert!(options(&["db_instance"]).is_err_and(|e| e.contains("db_instance=90m")));
        assert!(options(&["database=5m"]).is_err_and(|e| e.contains("expected one of")));
        assert!(options(&["db_instance=soon"]).is_err_and(|e| e.contains("s, m or h")));
    }
}
