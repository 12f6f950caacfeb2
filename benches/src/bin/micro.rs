//! `pont-micro`: criterion micro-benchmarks of what each item costs the host
//! (`benches/run` runs them; numbers go to BENCHMARKS.md, never into tests):
//!
//! - `instance/create`: a Store and an instance of the bench robot from its
//!   `InstancePre`, on Pont's engine (pooling allocator, epoch interruption),
//!   then dropped, which returns the pool slot;
//! - `instance/create+init`: the same, plus the robot's `init` call;
//! - `call/noop`: one no-op capability call from the guest (`state.get("")`,
//!   answered without work), timed across the guest's loop;
//! - `audit/record-locked` and `audit/record-held`: one gate decision and
//!   its hash-chained audit record, the file's lock taken per record (a log
//!   of a tool, a person's) or held between seals (a run's; both logs are
//!   sealed every 10,000 records here, so the seals' syncs weigh little);
//!   the difference is what holding the lock saves per record.
//!
//! The runtime's linker and Store data are private to the crate, so this
//! links a no-op `state` host into a Store of its own (with a WASI context,
//! as the runtime's has); every other import is a stub that traps, which
//! the robot's `loop` mode never calls. The full path, with the gate, is
//! measured by `pont-bench` from inside a real `pont run`.
//!
//! It is a binary of `pont-bench` rather than a `cargo bench` target of
//! `pont-runtime` so that `benches/run` builds it in the same cargo
//! invocation as `pont` and the simulator: a separate one resolves other
//! features for shared crates and rebuilds wasmtime.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use pont_runtime::bindings::RobotPre;
use pont_runtime::bindings::pont::robot::runner::Item;
use pont_runtime::bindings::pont::robot::state;
use pont_runtime::bindings::pont::robot::types::Error;
use pont_runtime::{EngineSettings, PontEngine};
use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::WasiCtx;

/// What the runtime's Store data holds per item that costs to build: a WASI
/// context and a resource table.
struct BenchState {
    _wasi: WasiCtx,
    _table: ResourceTable,
}

type Res<T> = wasmtime::Result<Result<T, Error>>;

/// A `state` that does nothing: the cost measured is the call itself.
impl state::Host for BenchState {
    async fn get(&mut self, _key: String) -> Res<Option<Vec<u8>>> {
        Ok(Ok(None))
    }
    async fn set(&mut self, _key: String, _value: Vec<u8>) -> Res<()> {
        Ok(Ok(()))
    }
    async fn delete(&mut self, _key: String) -> Res<bool> {
        Ok(Ok(false))
    }
    async fn keys(&mut self, _prefix: String) -> Res<Vec<String>> {
        Ok(Ok(Vec::new()))
    }
}

struct Setup {
    engine: PontEngine,
    pre: RobotPre<BenchState>,
}

fn setup() -> Setup {
    let engine = PontEngine::new(EngineSettings {
        max_memory_bytes: 128 << 20,
        concurrency: 2,
    })
    .expect("engine");
    let wasm = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/guests/wasm32-wasip2/release/bench_robot.wasm");
    let bytes = std::fs::read(&wasm).expect("the bench robot (built by benches/run)");
    let component = engine.load_component(&bytes, None).expect("component");
    let mut linker: Linker<BenchState> = Linker::new(engine.engine());
    state::add_to_linker::<BenchState, HasSelf<BenchState>>(&mut linker, |s| s).expect("state");
    linker
        .define_unknown_imports_as_traps(&component)
        .expect("stubs");
    let pre = RobotPre::new(linker.instantiate_pre(&component).expect("pre")).expect("robot");
    Setup { engine, pre }
}

fn store(s: &Setup) -> Store<BenchState> {
    let mut store = Store::new(
        s.engine.engine(),
        BenchState {
            _wasi: WasiCtx::builder().build(),
            _table: ResourceTable::new(),
        },
    );
    // The engine interrupts on epochs: give the bench all the time it needs.
    store.set_epoch_deadline(1_000_000);
    store
}

fn settings(calls: u64) -> Vec<(String, String)> {
    vec![
        ("mode".into(), "loop".into()),
        ("calls".into(), calls.to_string()),
    ]
}

fn benches(c: &mut Criterion) {
    let s = setup();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("instance");
    g.bench_function("create", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let started = Instant::now();
                for _ in 0..iters {
                    let mut st = store(&s);
                    let robot = s.pre.instantiate_async(&mut st).await.expect("instance");
                    black_box(robot);
                }
                started.elapsed()
            })
        })
    });
    g.bench_function("create+init", |b| {
        let set = settings(0);
        b.iter_custom(|iters| {
            rt.block_on(async {
                let started = Instant::now();
                for _ in 0..iters {
                    let mut st = store(&s);
                    let robot = s.pre.instantiate_async(&mut st).await.expect("instance");
                    let init = robot.call_init(&mut st, &set).await.expect("init");
                    black_box(init).expect("init result");
                }
                started.elapsed()
            })
        })
    });
    g.finish();
    let mut g = c.benchmark_group("call");
    g.bench_function("noop", |b| {
        // One instance per sample, whose `process` loops `iters` calls; only
        // `process` is timed, and its fixed part is spread over the calls.
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut st = store(&s);
                let robot = s.pre.instantiate_async(&mut st).await.expect("instance");
                let init = robot.call_init(&mut st, &settings(iters)).await;
                init.expect("init").expect("init result");
                let item = Item {
                    number: 1,
                    demarche: None,
                    attempt: 1,
                    episode: 1,
                    episode_reason: None,
                    dossier: None,
                };
                let started = Instant::now();
                let out = robot
                    .call_process(&mut st, &item)
                    .await
                    .unwrap_or_else(|e| panic!("process: {e:?}"));
                let elapsed = started.elapsed();
                black_box(out).expect("process result");
                elapsed
            })
        })
    });
    g.finish();
    audit(c);
}

/// A gate decision with its audit record, as the gate makes for each
/// capability call, on a log that holds its lock or not.
fn audit(c: &mut Criterion) {
    use pont_policy::{Action, AuditLog, DsAction, EffectivePolicy, Gate, RunContext};
    let dir = tempfile::tempdir().expect("temporary directory");
    let gate = |name: &str, hold: bool| {
        let log = AuditLog::open(&dir.path().join(name)).expect("audit log");
        let log = if hold { log.hold_between_seals() } else { log };
        let ctx = RunContext {
            run_id: "micro".into(),
            robot: "bench-robot".into(),
            plugin_digest: "00".repeat(32),
        };
        Gate::new(
            EffectivePolicy::ds_only("bench-robot", &[101], &[DsAction::Read]),
            ctx,
            log,
        )
    };
    let read = Action::DsRead {
        what: "dossier",
        demarche: Some(101),
        dossier: Some(10_100_001),
    };
    let mut g = c.benchmark_group("audit");
    for (name, hold) in [("record-locked", false), ("record-held", true)] {
        let gate = gate(&format!("{name}.jsonl"), hold);
        let mut n = 0u64;
        g.bench_function(name, |b| {
            b.iter(|| {
                n += 1;
                if n.is_multiple_of(10_000) {
                    gate.sync_audit().expect("seal");
                }
                black_box(gate.authorize(Some(10_100_001), &read)).expect("allowed");
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = calls;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(calls);
