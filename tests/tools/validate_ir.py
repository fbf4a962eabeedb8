"""Validate KFP v2 IR files (PipelineSpec, optionally followed by a kfp-kubernetes PlatformSpec).

Usage: python validate_ir.py [--allow-shell] FILE.yaml|FILE.json [...]

Prints one line per problem, then "N valid, M invalid"; exits 1 when a file is invalid.
The checks (shared/notes/api-contracts.md sections 4 and 6):
- strict protobuf parses, as KFP does for the PipelineSpec. `deploymentSpec` and the platform
  executors are `Struct`s that KFP parses leniently (typos are silently dropped), so they are
  parsed strictly here, one executor at a time so an error names its executor;
- `kfp.components.load_component_from_file`, the SDK's own loader;
- references protobuf cannot check: components, executors, sibling tasks, declared inputs;
- kedro-kfp's exec form: every container has a `command`, and no shell runs anything. The SDK's
  own goldens run `sh -c`: `--allow-shell` skips that rule for them.

From pytest: `problems(path)` and `dag_dependencies(path)`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import kfp.components
import yaml
from google.protobuf import json_format
from kfp.kubernetes import kubernetes_executor_config_pb2 as k8s
from kfp.pipeline_spec import pipeline_spec_pb2 as ir

SCHEMA_VERSION = "2.1.0"
SHELLS = {"sh", "bash", "dash", "ash", "zsh"}
# The backend recognises these stub images and creates/deletes a PVC instead of running them.
STUB_IMAGE_PREFIX = "argostub/"


def load_documents(path: str | Path) -> list[Any]:
    """The PipelineSpec and, if present, the PlatformSpec, from a JSON or YAML file."""
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith(".json"):
        return [json.loads(text)]
    # libyaml when present: pure-Python parsing of a 3000-node pipeline takes seconds.
    return list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


def problems(path: str | Path, allow_shell: bool = False) -> list[str]:
    """Everything wrong with the IR file at ``path``, one message each; [] when valid."""
    try:
        docs = load_documents(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return [f"cannot read: {_one_line(exc)}"]
    if not 1 <= len(docs) <= 2 or not all(isinstance(d, dict) for d in docs):
        return ["expected a PipelineSpec mapping, optionally followed by a PlatformSpec mapping"]
    spec, platform = docs[0], docs[1] if len(docs) == 2 else {}
    found = _parse(spec, ir.PipelineSpec(), "PipelineSpec")
    found += _parse(platform, ir.PlatformSpec(), "PlatformSpec")
    if found:  # the shapes below are only known once these parses pass
        return found
    deployment = spec.get("deploymentSpec", {})
    executors = deployment.get("executors", {})
    if not isinstance(executors, dict) or not all(isinstance(e, dict) for e in executors.values()):
        return ["deploymentSpec.executors: not a mapping of executor label to executor"]
    # Each executor is parsed on its own, so an error names it; the rest of the Struct here.
    rest = {key: value for key, value in deployment.items() if key != "executors"}
    found += _parse(rest, ir.PipelineDeploymentConfig(), "deploymentSpec")
    for label, executor in executors.items():
        found += _parse(executor, ir.PipelineDeploymentConfig.ExecutorSpec(), f"deploymentSpec.executors[{label}]")
    kubernetes = platform.get("platforms", {}).get("kubernetes", {})
    platform_executors = kubernetes.get("deploymentSpec", {}).get("executors", {})
    for label, config in platform_executors.items():
        found += _parse(config, k8s.KubernetesExecutorConfig(), f"platforms.kubernetes.executors[{label}]")
    if found:
        return found

    if spec.get("schemaVersion") != SCHEMA_VERSION:
        found.append(f"schemaVersion is {spec.get('schemaVersion')!r}, KFP accepts only {SCHEMA_VERSION!r}")
    found += _reference_problems(spec, executors, platform_executors)
    for label, executor in executors.items():
        found += _exec_form_problems(label, executor.get("container"), allow_shell)
    if not found:
        found += _sdk_load_problems(path)
    return found


def _parse(value: Any, message: Any, where: str) -> list[str]:
    try:
        json_format.ParseDict(value, message)  # rejects unknown fields
    except (json_format.ParseError, TypeError, ValueError, AttributeError) as exc:
        return [f"{where}: {_one_line(exc)}"]
    return []


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())  # parser messages span lines; a problem is one line


def _reference_problems(spec: dict, executors: dict, platform_executors: dict) -> list[str]:
    components = spec.get("components", {})
    found = [
        f"components[{name}]: executorLabel {c['executorLabel']!r} is not in deploymentSpec.executors"
        for name, c in components.items()
        if "executorLabel" in c and c["executorLabel"] not in executors
    ]
    found += [
        f"platforms.kubernetes.executors[{label}]: not in deploymentSpec.executors"
        for label in platform_executors
        if label not in executors
    ]
    dags = {"root": spec.get("root", {}), **{f"components[{n}]": c for n, c in components.items()}}
    for owner_name, owner in dags.items():
        tasks = owner.get("dag", {}).get("tasks", {})
        owner_params = owner.get("inputDefinitions", {}).get("parameters", {})
        for task_name, task in tasks.items():
            where = f"{owner_name}.dag.tasks[{task_name}]"
            ref = task.get("componentRef", {}).get("name")
            if ref not in components:
                found.append(f"{where}: componentRef {ref!r} is not in components")
                continue
            # dependentTasks and producers name tasks of the same DAG, never of a nested or outer one.
            inputs = task.get("inputs", {})
            feeds = [*inputs.get("parameters", {}).values(), *inputs.get("artifacts", {}).values()]
            producers = [
                f[key]["producerTask"]
                for f in feeds
                for key in ("taskOutputParameter", "taskOutputArtifact", "taskFinalStatus")
                if key in f
            ]
            found += [
                f"{where}: task {other!r} is not in the same DAG"
                for other in [*task.get("dependentTasks", []), *producers]
                if other not in tasks
            ]
            found += [
                f"{where}: input {owner_name}.inputDefinitions.parameters[{f['componentInputParameter']!r}] is not declared"
                for f in feeds
                if "componentInputParameter" in f and f["componentInputParameter"] not in owner_params
            ]
            declared = components[ref].get("inputDefinitions", {})
            for kind in ("parameters", "artifacts"):
                found += [
                    f"{where}: input {kind}[{name!r}] is not declared by {ref}"
                    for name in inputs.get(kind, {})
                    if name not in declared.get(kind, {})
                ]
    return found


def _exec_form_problems(label: str, container: dict | None, allow_shell: bool) -> list[str]:
    if container is None or container.get("image", "").startswith(STUB_IMAGE_PREFIX):
        return []
    where = f"deploymentSpec.executors[{label}].container"
    command, args = container.get("command", []), container.get("args", [])
    if not command:
        return [f"{where}: no command (exec form needs one)"]
    if allow_shell:
        return []
    words = [w for w in [*command, *args] if isinstance(w, str)]
    shells = [w for w in words if os.path.basename(w) in SHELLS or w in ("-c", "-ec")]
    return [f"{where}: runs a shell ({' '.join(shells)})"] if shells else []


def _sdk_load_problems(path: str | Path) -> list[str]:
    try:
        kfp.components.load_component_from_file(str(path))
    except Exception as exc:  # the SDK raises whatever its parsing raises
        return [f"kfp.components.load_component_from_file: {type(exc).__name__}: {_one_line(exc)}"]
    return []


def dag_dependencies(path: str | Path) -> dict[str, list[str]]:
    """Kedro node name -> sorted parent node names, read back from an IR file.

    Node names come from the `--node NAME` args of each executor; tasks without any (PVC
    stubs, data-volume-init, the on-exit pipeline) are left out. Sub-DAGs (the exit handler)
    are flattened: a task inherits the dependencies of the DAG task it sits in, and
    depending on a DAG task means depending on every node inside it. Every node of a task
    that runs several (grouping, full merge) gets the task's parents: the IR does not say
    how they depend on each other.
    """
    spec = load_documents(path)[0]
    components = spec["components"]
    executors = spec["deploymentSpec"]["executors"]

    def nodes_of(task: dict) -> list[str]:
        component = components[task["componentRef"]["name"]]
        if "dag" in component:
            return [n for t in component["dag"]["tasks"].values() for n in nodes_of(t)]
        args = executors[component["executorLabel"]].get("container", {}).get("args", [])
        return [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--node"]

    result: dict[str, list[str]] = {}

    def walk(dag: dict, inherited: set[str]) -> None:
        tasks = dag.get("tasks", {})
        for task in tasks.values():
            parents = inherited | {n for d in task.get("dependentTasks", []) for n in nodes_of(tasks[d])}
            component = components[task["componentRef"]["name"]]
            if "dag" in component:
                walk(component["dag"], parents)
            else:
                for node in nodes_of(task):
                    result[node] = sorted(parents)

    walk(spec["root"]["dag"], set())
    return result


def main(argv: list[str]) -> int:
    allow_shell = "--allow-shell" in argv
    paths = [a for a in argv if a != "--allow-shell"]
    invalid = 0
    for path in paths:
        found = problems(path, allow_shell)
        invalid += bool(found)
        for problem in found:
            print(f"{path}: {problem}")
    print(f"{len(paths) - invalid} valid, {invalid} invalid")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
