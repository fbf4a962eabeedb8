//! The local runner: reading compiled manifests back, and scheduling real processes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kfp_runner::{Action, Layout, LocalPlan, LocalStep, RunOptions, StepState, Values};
use serde_json::Value;

fn fixture(case: &str, file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kfp-compile/tests/fixtures")
        .join(case)
        .join(file);
    std::fs::read_to_string(path).expect("fixture")
}

fn layout() -> Layout {
    Layout::new(Path::new("/work/project"), Path::new("/tmp/run"))
}

fn values(overrides: &[(&str, &str)]) -> Values {
    Values {
        run_id: "run-123".to_owned(),
        overrides: overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn process(plan: &LocalPlan, name: &str) -> (String, Vec<String>, PathBuf) {
    let step = plan
        .steps
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}"));
    match &step.action {
        Action::Process {
            program, args, cwd, ..
        } => (program.clone(), args.clone(), cwd.clone()),
        other => panic!("{name} is not a process: {other:?}"),
    }
}

#[test]
fn argo_workflows_become_local_steps_with_placeholders_filled() {
    let workflow: Value = kfp_yaml::from_str(&fixture("features", "expected.yml")).expect("yaml");
    let plan =
        kfp_runner::plan::from_argo(&workflow, &layout(), &values(&[("quote", "\"plain\"")]))
            .expect("plan");
    // 7 DAG tasks and the exit handler, which waits for everything and always runs.
    assert_eq!(plan.steps.len(), 8);
    let exit = plan.steps.last().expect("exit");
    assert!(exit.always && exit.dependencies.len() == 7, "{exit:?}");

    let (program, args, cwd) = process(&plan, "on-exit");
    assert_eq!(program, "kedro");
    assert_eq!(
        cwd,
        PathBuf::from("/tmp/run/project"),
        "steps run where data/ is the volume"
    );
    let run_id = args.iter().position(|a| a == "--run-id").expect("run id");
    assert_eq!(args[run_id + 1], "run-123");
    let quote = args.iter().position(|a| a == "quote").expect("quote param");
    assert_eq!(
        args[quote + 1],
        "\"plain\"",
        "an override replaces the default"
    );

    // The copy into the volume maps the image's paths onto the project and the volume.
    let (program, args, _) = process(&plan, "data-volume-init");
    assert_eq!(
        (program.as_str(), args.as_slice()),
        (
            "cp",
            ["-r", "/work/project/data/.", "/tmp/run/volume"]
                .map(String::from)
                .as_slice()
        )
    );
    assert!(matches!(
        plan.steps
            .iter()
            .find(|s| s.name == "data-volume-create")
            .expect("create")
            .action,
        Action::CreateVolume(_)
    ));

    let error = kfp_runner::plan::from_argo(&workflow, &layout(), &values(&[("nope", "1")]))
        .expect_err("unknown");
    assert!(error.to_string().contains("`--param nope`"), "{error}");
}

#[test]
fn argo_volume_deletion_is_skipped_and_dag_exit_handlers_run_in_order() {
    // `merged`: `volume.keep` is false, so the exit handler deletes the volume; locally the
    // run keeps it.
    let workflow: Value = kfp_yaml::from_str(&fixture("merged", "expected.yml")).expect("yaml");
    let plan = kfp_runner::plan::from_argo(&workflow, &layout(), &values(&[])).expect("plan");
    let exit = plan.steps.last().expect("exit");
    assert_eq!(exit.name, "on-exit");
    assert!(
        exit.always && matches!(exit.action, Action::Skip),
        "{exit:?}"
    );

    // An exit DAG (exit pipeline, then deletion): both after everything, in order, always.
    let mut workflow: Value =
        kfp_yaml::from_str(&fixture("features", "expected.yml")).expect("yaml");
    let templates = workflow["spec"]["templates"]
        .as_array_mut()
        .expect("templates");
    let exit_step = templates
        .iter_mut()
        .find(|t| t["name"] == "on-exit")
        .expect("on-exit");
    exit_step["name"] = "on-exit-pipeline".into();
    let mut delete = exit_step.clone();
    delete["name"] = "delete-pipeline-volume".into();
    delete["container"]["args"] = serde_json::json!([
        "kubeflow",
        "delete-pipeline-volume",
        "{{workflow.name}}-data-volume"
    ]);
    templates.push(delete);
    templates.push(serde_json::json!({"name": "on-exit", "dag": {"tasks": [
        {"name": "on-exit-pipeline", "template": "on-exit-pipeline", "continueOn": {"failed": true}},
        {"name": "delete-pipeline-volume", "template": "delete-pipeline-volume",
         "dependencies": ["on-exit-pipeline"]},
    ]}}));
    let plan = kfp_runner::plan::from_argo(&workflow, &layout(), &values(&[])).expect("plan");
    let [.., pipeline, delete] = plan.steps.as_slice() else {
        panic!("steps")
    };
    assert_eq!(pipeline.name, "on-exit-pipeline");
    assert!(pipeline.always && pipeline.dependencies.len() == 7);
    assert!(matches!(pipeline.action, Action::Process { .. }));
    assert_eq!(delete.name, "delete-pipeline-volume");
    assert!(delete.always && delete.dependencies.len() == 8);
    assert!(matches!(delete.action, Action::Skip));
}

#[test]
fn kfp_v2_ir_becomes_local_steps_through_the_exit_handler() {
    let documents: Vec<Value> =
        kfp_yaml::from_str_multiple(&fixture("features", "expected-kfp2.yaml")).expect("yaml");
    let plan = kfp_runner::plan::from_ir(&documents[0], documents.get(1), &layout(), &values(&[]))
        .expect("plan");
    let names: Vec<&str> = plan.steps.iter().map(|s| s.name.as_str()).collect();
    for expected in [
        "createpvc",
        "data-volume-init",
        "ingest-load-data-2fdac256",
        "on-exit",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let (_, args, _) = process(&plan, "train-model-x-y-model");
    let model = args.iter().position(|a| a == "model").expect("model param");
    assert_eq!(
        serde_json::from_str::<Value>(&args[model + 1]).expect("json"),
        serde_json::json!({"options": {"depth": 3}})
    );
    let (_, args, _) = process(
        &plan,
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-d929cdee",
    );
    let quote = args.iter().position(|a| a == "quote").expect("quote");
    assert_eq!(
        args[quote + 1],
        "it's \"quoted\" $(rm -rf /) `x`; \n",
        "STRING parameters arrive raw"
    );
    let on_exit = plan
        .steps
        .iter()
        .find(|s| s.name == "on-exit")
        .expect("on-exit");
    assert!(on_exit.always);
    // The handler's steps wait for the volume created outside it.
    let create = names
        .iter()
        .position(|n| *n == "createpvc")
        .expect("createpvc");
    let init = plan
        .steps
        .iter()
        .find(|s| s.name == "data-volume-init")
        .expect("init");
    assert!(init.dependencies.contains(&create));
}

fn step(
    name: &str,
    program: &str,
    args: &[&str],
    dependencies: &[usize],
    always: bool,
) -> LocalStep {
    LocalStep {
        name: name.to_owned(),
        display: name.to_owned(),
        action: Action::Process {
            program: program.to_owned(),
            args: args.iter().map(ToString::to_string).collect(),
            env: Vec::new(),
            cwd: std::env::temp_dir(),
        },
        dependencies: dependencies.to_vec(),
        always,
    }
}

fn options(dir: &Path, jobs: usize) -> RunOptions {
    RunOptions {
        jobs,
        log_dir: dir.join("logs"),
        interrupted: Arc::new(AtomicBool::new(false)),
    }
}

#[test]
fn a_failure_stops_new_steps_lets_running_ones_finish_and_runs_the_exit_handler() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = LocalPlan {
        steps: vec![
            step("slow", "sleep", &["0.5"], &[], false),
            step("fails", "sh", &["-c", "echo boom; exit 3"], &[], false),
            step("after-slow", "true", &[], &[0], false),
            step("exit", "true", &[], &[0, 1, 2], true),
        ],
    };
    let mut finished = BTreeMap::new();
    let outcome = kfp_runner::run::run(&plan, &options(dir.path(), 2), &mut |event| {
        if let kfp_runner::Event::Finished { step, code, .. } = event {
            finished.insert(*step, *code);
        }
    })
    .expect("run");
    assert_eq!(
        outcome.states,
        [
            StepState::Succeeded,
            StepState::Failed,
            StepState::Skipped,
            StepState::Succeeded
        ]
    );
    assert_eq!(finished.get(&1), Some(&Some(3)));
    assert!(!outcome.succeeded());
    let log = std::fs::read_to_string(dir.path().join("logs/fails.log")).expect("log");
    let (header, rest) = log.split_once('\n').expect("header line");
    let header: Value = serde_json::from_str(header).expect("json header");
    assert_eq!(
        header["argv"],
        serde_json::json!(["sh", "-c", "echo boom; exit 3"])
    );
    assert_eq!(rest, "boom\n");
}

#[test]
fn independent_steps_run_side_by_side_up_to_the_job_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = LocalPlan {
        steps: (0..6)
            .map(|i| step(&format!("s{i}"), "sleep", &["0.3"], &[], false))
            .collect(),
    };
    let started = Instant::now();
    let outcome = kfp_runner::run::run(&plan, &options(dir.path(), 2), &mut |_| {}).expect("run");
    assert!(outcome.succeeded());
    assert_eq!(outcome.peak_parallelism, 2);
    assert!(
        started.elapsed() < Duration::from_millis(1700),
        "6 × 0.3 s on 2 slots takes about 0.9 s"
    );
    let serial = kfp_runner::run::run(&plan, &options(dir.path(), 1), &mut |_| {}).expect("run");
    assert_eq!(serial.peak_parallelism, 1);
}

#[test]
fn an_interrupt_stops_the_children() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = LocalPlan {
        steps: vec![
            step("long", "sleep", &["30"], &[], false),
            step("next", "true", &[], &[0], false),
        ],
    };
    let opts = options(dir.path(), 2);
    let flag = Arc::clone(&opts.interrupted);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        flag.store(true, Ordering::SeqCst);
    });
    let started = Instant::now();
    let outcome = kfp_runner::run::run(&plan, &opts, &mut |_| {}).expect("run");
    assert!(outcome.interrupted);
    assert_eq!(outcome.states, [StepState::Failed, StepState::Skipped]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the 30 s sleep was stopped"
    );
}
