"""Generate a synthetic Kedro 1.x project with many nodes, for scale tests and benchmarks.

Usage: python make_project.py DIR --nodes 3000 [--namespaces 3] [--seed 7]

The DAG is layered: node i reads one or two outputs of earlier nodes (chosen with a seeded
RNG), so the graph is deterministic, wide and deep. Every dataset is a pickle file under
data/ through one factory pattern, so no dataset crossing steps lives in memory. Nodes are
spread over `--namespaces` namespaced copies of a modular pipeline plus a shared prefix, and
carry tags, so per-namespace and per-tag config can be exercised.
"""

import argparse
import random
import textwrap
from pathlib import Path


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def node_specs(count: int, namespaces: int, seed: int) -> list[tuple[str, list[str], str, str]]:
    """(name, inputs, output, tag) for each node, dependencies only on earlier nodes."""
    rng = random.Random(seed)
    specs = []
    for index in range(count):
        namespace = f"ns{index % namespaces}" if namespaces else ""
        prefix = f"{namespace}." if namespace else ""
        name = f"{prefix}step_{index:05d}"
        if index == 0:
            inputs = ["seed_input", "params:scale"]
        else:
            picks = {rng.randrange(max(0, index - 50), index) for _ in range(rng.choice([1, 2]))}
            inputs = [specs[p][2] for p in sorted(picks)]
        specs.append((name, inputs, f"{prefix}out_{index:05d}", f"tag{index % 4}"))
    return specs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--nodes", type=int, default=3000)
    parser.add_argument("--namespaces", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    root: Path = args.dir
    package = "big_project"

    write(root / "pyproject.toml", f"""
        [project]
        name = "{package}"
        version = "0.1.0"

        [tool.kedro]
        package_name = "{package}"
        project_name = "Big Project"
        kedro_init_version = "1.7.0"
        source_dir = "src"
        """)
    write(root / "src" / package / "__init__.py", '"""Synthetic project for scale tests."""\n')
    write(root / "src" / package / "settings.py", '"""Default settings."""\n')
    write(root / "src" / package / "nodes.py", """
        def step(*values):
            \"\"\"Sum whatever comes in, so every output depends on its inputs.\"\"\"
            return sum(v if isinstance(v, (int, float)) else 1 for v in values)
        """)
    specs = node_specs(args.nodes, args.namespaces, args.seed)
    lines = [
        "from kedro.pipeline import Node, Pipeline",
        "",
        f"from {package}.nodes import step",
        "",
        "SPECS = [",
        *[f"    ({name!r}, {inputs!r}, {output!r}, {tag!r})," for name, inputs, output, tag in specs],
        "]",
        "",
        "",
        "def register_pipelines():",
        "    nodes = [",
        "        Node(step, inputs, output, name=name.rsplit('.', 1)[-1], tags=[tag],",
        "             namespace=name.rsplit('.', 1)[0] if '.' in name else None)",
        "        for name, inputs, output, tag in SPECS",
        "    ]",
        "    pipeline = Pipeline(nodes)",
        "    return {'__default__': pipeline, 'big': pipeline}",
        "",
    ]
    (root / "src" / package / "pipeline_registry.py").write_text("\n".join(lines), encoding="utf-8")
    write(root / "conf" / "base" / "catalog.yml", """
        seed_input:
          type: pickle.PickleDataset
          filepath: data/01_raw/seed.pickle

        "{name}":
          type: pickle.PickleDataset
          filepath: data/02_intermediate/{name}.pickle
        """)
    write(root / "conf" / "base" / "parameters.yml", "scale: 1\n")
    (root / "conf" / "local").mkdir(parents=True, exist_ok=True)
    raw = root / "data" / "01_raw"
    raw.mkdir(parents=True, exist_ok=True)
    import pickle

    (raw / "seed.pickle").write_bytes(pickle.dumps(1))


if __name__ == "__main__":
    main()
