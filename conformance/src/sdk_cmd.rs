//! An SDK in any language, plugged in as a subprocess that speaks JSON lines
//! (docs/sdk-adapter.md): one process per app launch, one answer line per line sent, the
//! harness owning time. A process that exits, hangs or answers garbage fails the run with
//! an [`SdkFailure`] naming the phone and the last exchange; from then on every SDK of
//! the factory is inert, so the run ends at once.
//!
//! Also here: [`Recording`], which writes the exchanges of any SDK (the reference one, for
//! a port to replay) in the same protocol.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zimsim_reference::client::{ClientSdk, SdkConfig, SdkFactory, SdkInput, SdkOutput};
use zimsim_reference::core::Core;
use zimsim_reference::Millis;

/// The protocol version this harness speaks.
pub const PROTOCOL: u32 = 1;

/// How long the harness waits for each answer by default (real time).
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);

/// How many lines of the process's standard error a failure report keeps.
const STDERR_LINES: usize = 20;

/// Why a subprocess SDK could not go on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SdkFailure {
    /// The phone whose SDK failed.
    pub device: String,
    /// What went wrong, in one line.
    pub problem: String,
    /// The last line the harness sent, and the last it received.
    pub sent: Option<String>,
    pub received: Option<String>,
    /// The last lines the process wrote to standard error.
    pub stderr: Vec<String>,
}

impl std::fmt::Display for SdkFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the SDK process of {} {}", self.device, self.problem)?;
        let cut = |s: &str| {
            let short = zimsim_reference::push_services::first_chars(s, 300);
            if short.len() < s.len() {
                format!("{short}…")
            } else {
                s.to_owned()
            }
        };
        if let Some(sent) = &self.sent {
            write!(f, "\n  last sent:     {}", cut(sent))?;
        }
        if let Some(received) = &self.received {
            write!(f, "\n  last received: {}", cut(received))?;
        }
        for line in &self.stderr {
            write!(f, "\n  stderr: {}", cut(line))?;
        }
        Ok(())
    }
}

/// Starts the SDK as `command` (run by `sh -c`) for every app launch.
#[derive(Debug)]
pub struct CommandSdk {
    command: String,
    wait: Duration,
    /// The name the SDK gave in its first handshake.
    name: RefCell<Option<String>>,
    failure: Rc<RefCell<Option<SdkFailure>>>,
}

impl CommandSdk {
    pub fn new(command: &str, wait: Duration) -> CommandSdk {
        CommandSdk { command: command.to_owned(), wait, name: RefCell::new(None), failure: Rc::new(RefCell::new(None)) }
    }

    /// The first failure of any of its processes, if one failed.
    pub fn failure(&self) -> Option<SdkFailure> {
        self.failure.borrow().clone()
    }
}

impl SdkFactory for CommandSdk {
    fn name(&self) -> String {
        self.name.borrow().clone().unwrap_or_else(|| format!("cmd: {}", self.command))
    }

    fn launch(&self, config: SdkConfig, persisted: Option<Value>) -> Box<dyn ClientSdk> {
        let mut process = Process::new(config.device_id.as_str(), self.wait, self.failure.clone());
        if self.failure.borrow().is_none() {
            if let Some(name) = process.start(&self.command, &config, persisted) {
                self.name.borrow_mut().get_or_insert(name);
            }
        }
        Box::new(process)
    }
}

/// A line to the SDK.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request<'a> {
    Launch { protocol: u32, config: &'a SdkConfig, persisted: &'a Option<Value> },
    Input { now: Millis, input: &'a SdkInput },
    Persist,
}

/// A line from the SDK.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reply {
    Ready {
        protocol: u32,
        name: String,
        #[serde(default)]
        outputs: Vec<SdkOutput>,
        #[serde(default)]
        timeout: Option<Millis>,
    },
    Outputs {
        outputs: Vec<SdkOutput>,
        #[serde(default)]
        timeout: Option<Millis>,
    },
    Persisted {
        data: Value,
    },
}

impl Reply {
    fn kind(&self) -> &'static str {
        match self {
            Reply::Ready { .. } => "ready",
            Reply::Outputs { .. } => "outputs",
            Reply::Persisted { .. } => "persisted",
        }
    }
}

/// One launch's process, or an inert SDK once anything failed.
struct Process {
    device: String,
    wait: Duration,
    failure: Rc<RefCell<Option<SdkFailure>>>,
    io: RefCell<Option<Io>>,
    outputs: VecDeque<SdkOutput>,
    timeout: Option<Millis>,
}

/// The pipes of a running process.
struct Io {
    child: Child,
    stdin: ChildStdin,
    stdout: Receiver<String>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    sent: Option<String>,
    received: Option<String>,
}

impl Process {
    fn new(device: &str, wait: Duration, failure: Rc<RefCell<Option<SdkFailure>>>) -> Process {
        Process {
            device: device.to_owned(),
            wait,
            failure,
            io: RefCell::new(None),
            outputs: VecDeque::new(),
            timeout: None,
        }
    }

    /// Spawns `command` and shakes hands; returns the SDK's name.
    fn start(&mut self, command: &str, config: &SdkConfig, persisted: Option<Value>) -> Option<String> {
        let spawned = Command::new("sh")
            .arg("-c")
            .arg(format!("exec {command}"))
            .env("ZIMSIM_DEVICE", &self.device)
            .env("ZIMSIM_PROTOCOL", PROTOCOL.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                self.fail(format!("could not be started (`{command}`): {e}"));
                return None;
            }
        };
        let (stdin, stdout, stderr) = (child.stdin.take()?, child.stdout.take()?, child.stderr.take()?);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let sink = tail.clone();
        let stderr_reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut tail = sink.lock().unwrap_or_else(|e| e.into_inner());
                if tail.len() == STDERR_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
        let io = Io {
            child,
            stdin,
            stdout: rx,
            stderr: tail,
            stderr_reader: Some(stderr_reader),
            sent: None,
            received: None,
        };
        *self.io.borrow_mut() = Some(io);
        match self.exchange(&Request::Launch { protocol: PROTOCOL, config, persisted: &persisted })? {
            Reply::Ready { protocol: PROTOCOL, name, outputs, timeout } => {
                (self.outputs, self.timeout) = (outputs.into(), timeout);
                Some(name)
            }
            Reply::Ready { protocol, .. } => {
                self.fail(format!("speaks protocol {protocol}; this harness speaks {PROTOCOL}"));
                None
            }
            other => {
                self.fail(format!("answered the launch with `{}` instead of `ready`", other.kind()));
                None
            }
        }
    }

    /// Sends one line and reads the answer; `None` once the process failed.
    fn exchange(&self, request: &Request) -> Option<Reply> {
        let line = serde_json::to_string(request).expect("requests serialize");
        let answer = {
            let mut io = self.io.borrow_mut();
            let io = io.as_mut()?;
            io.sent = Some(line.clone());
            let written = writeln!(io.stdin, "{line}").and_then(|()| io.stdin.flush());
            match written {
                Err(_) => Err(exited(&mut io.child, "and could not be written to")),
                Ok(()) => match io.stdout.recv_timeout(self.wait) {
                    Ok(answer) => {
                        io.received = Some(answer.clone());
                        Ok(answer)
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        Err(format!("did not answer within {} ms", self.wait.as_millis()))
                    }
                    Err(RecvTimeoutError::Disconnected) => Err(exited(&mut io.child, "without answering")),
                },
            }
        };
        match answer {
            Err(problem) => {
                self.fail(problem);
                None
            }
            Ok(answer) => match serde_json::from_str::<Reply>(&answer) {
                Ok(reply) => Some(reply),
                Err(e) => {
                    self.fail(format!("answered with a line that is not a protocol message ({e})"));
                    None
                }
            },
        }
    }

    /// Records the first failure of the run and stops the process.
    fn fail(&self, problem: String) {
        let Some(io) = self.io.borrow_mut().take() else {
            self.record(SdkFailure {
                device: self.device.clone(),
                problem,
                sent: None,
                received: None,
                stderr: Vec::new(),
            });
            return;
        };
        let Io { mut child, stdin, stderr, stderr_reader, sent, received, .. } = io;
        drop(stdin);
        let _ = child.kill();
        let _ = child.wait();
        // The last words on stderr, if they come soon: a process the SDK started may still
        // hold the pipe open, and it must not hold the suite up.
        if let Some(reader) = stderr_reader {
            for _ in 0..50 {
                if reader.is_finished() {
                    let _ = reader.join();
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let stderr = stderr.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect();
        self.record(SdkFailure { device: self.device.clone(), problem, sent, received, stderr });
    }

    fn record(&self, failure: SdkFailure) {
        self.failure.borrow_mut().get_or_insert(failure);
    }

    fn take_reply(&mut self, reply: Option<Reply>) {
        match reply {
            Some(Reply::Outputs { outputs, timeout }) => {
                self.outputs.extend(outputs);
                self.timeout = timeout;
            }
            Some(other) => self.fail(format!("answered an input with `{}` instead of `outputs`", other.kind())),
            None => {}
        }
    }
}

/// "exited (status) <how>", or "stopped <how>" while it still runs.
fn exited(child: &mut Child, how: &str) -> String {
    // The pipe closes an instant before the exit status is there.
    for _ in 0..50 {
        if let Ok(Some(status)) = child.try_wait() {
            return format!("exited ({status}) {how}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    format!("closed its output {how}")
}

impl Core for Process {
    type Input = SdkInput;
    type Output = SdkOutput;

    fn handle(&mut self, now: Millis, input: SdkInput) {
        let reply = self.exchange(&Request::Input { now, input: &input });
        self.take_reply(reply);
    }

    fn poll_output(&mut self) -> Option<SdkOutput> {
        self.outputs.pop_front()
    }

    fn poll_timeout(&self) -> Option<Millis> {
        self.io.borrow().as_ref().and(self.timeout)
    }
}

impl ClientSdk for Process {
    fn persisted(&self) -> Value {
        match self.exchange(&Request::Persist) {
            Some(Reply::Persisted { data }) => data,
            Some(other) => {
                self.fail(format!("answered `persist` with `{}` instead of `persisted`", other.kind()));
                Value::Null
            }
            None => Value::Null,
        }
    }
}

impl Drop for Process {
    /// Closes the process's input (the app is gone) and reaps it in the background: it has
    /// a moment to exit on its own before it is killed.
    fn drop(&mut self) {
        let Some(Io { mut child, stdin, .. }) = self.io.get_mut().take() else { return };
        drop(stdin);
        std::thread::spawn(move || {
            for _ in 0..200 {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        });
    }
}

/// Wraps an SDK factory and writes every exchange of every launch, in the protocol's own
/// lines (a request, then its answer), to `dir/<device>-<launch>.jsonl`.
pub struct Recording {
    inner: Rc<dyn SdkFactory>,
    dir: PathBuf,
    launches: RefCell<BTreeMap<String, u32>>,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording").field("sdk", &self.inner.name()).field("dir", &self.dir).finish()
    }
}

impl Recording {
    pub fn new(inner: Rc<dyn SdkFactory>, dir: PathBuf) -> Recording {
        Recording { inner, dir, launches: RefCell::new(BTreeMap::new()) }
    }
}

impl SdkFactory for Recording {
    fn name(&self) -> String {
        self.inner.name()
    }

    fn launch(&self, config: SdkConfig, persisted: Option<Value>) -> Box<dyn ClientSdk> {
        let device = config.device_id.as_str().to_owned();
        let n = {
            let mut launches = self.launches.borrow_mut();
            let n = launches.entry(device.clone()).or_insert(0);
            *n += 1;
            *n
        };
        let launch =
            serde_json::to_string(&Request::Launch { protocol: PROTOCOL, config: &config, persisted: &persisted })
                .expect("requests serialize");
        let mut sdk = self.inner.launch(config, persisted);
        let outputs: Vec<SdkOutput> = std::iter::from_fn(|| sdk.poll_output()).collect();
        let ready = Reply::Ready {
            protocol: PROTOCOL,
            name: self.inner.name(),
            outputs: outputs.clone(),
            timeout: sdk.poll_timeout(),
        };
        let path = self.dir.join(format!("{device}-{n}.jsonl"));
        let log = RefCell::new(vec![launch, serde_json::to_string(&ready).expect("replies serialize")]);
        let _ = std::fs::create_dir_all(&self.dir);
        Box::new(Recorded { sdk, pending: outputs.into(), log, path })
    }
}

/// One recorded launch: the inner SDK, with its outputs buffered per input.
struct Recorded {
    sdk: Box<dyn ClientSdk>,
    pending: VecDeque<SdkOutput>,
    log: RefCell<Vec<String>>,
    path: PathBuf,
}

impl Core for Recorded {
    type Input = SdkInput;
    type Output = SdkOutput;

    fn handle(&mut self, now: Millis, input: SdkInput) {
        let request = serde_json::to_string(&Request::Input { now, input: &input }).expect("requests serialize");
        self.sdk.handle(now, input);
        let outputs: Vec<SdkOutput> = std::iter::from_fn(|| self.sdk.poll_output()).collect();
        let reply = Reply::Outputs { outputs: outputs.clone(), timeout: self.sdk.poll_timeout() };
        self.log.borrow_mut().extend([request, serde_json::to_string(&reply).expect("replies serialize")]);
        self.pending.extend(outputs);
    }

    fn poll_output(&mut self) -> Option<SdkOutput> {
        self.pending.pop_front()
    }

    fn poll_timeout(&self) -> Option<Millis> {
        self.sdk.poll_timeout()
    }
}

impl ClientSdk for Recorded {
    fn persisted(&self) -> Value {
        let data = self.sdk.persisted();
        let request = serde_json::to_string(&Request::Persist).expect("requests serialize");
        let reply = serde_json::to_string(&Reply::Persisted { data: data.clone() }).expect("replies serialize");
        self.log.borrow_mut().extend([request, reply]);
        data
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        let mut text = self.log.borrow().join("\n");
        text.push('\n');
        let _ = std::fs::write(&self.path, text);
    }
}
