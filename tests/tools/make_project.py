"""Generate a synthetic Kedro 1.x project with many nodes, for scale tests and benchmarks.

Usage: python make_project.py DIR --nodes 3000 [--namespaces 3] [--seed 7]
                              [--catalog factories|entries]

The DAG is layered and deterministic from the seed: node i reads one to three outputs of
the 50 nodes before it, and every seventh node also reads a parameter, so the graph is wide
and deep. The first tenth of the nodes has no namespace; the rest is split into
`--namespaces` consecutive blocks, one per namespace (later blocks read earlier ones, never
the reverse, so no namespace is interrupted: Kedro warns about that). Nodes carry tags, so
per-namespace and per-tag config can be exercised. Every dataset is a pickle file under
data/: through two dataset factory patterns, or (`--catalog entries`) one catalog entry per
dataset; none crossing steps lives in memory.
"""

import argparse
import random
import textwrap
from pathlib import Path

# Parameters the nodes read: one top-level, and one per group.
GROUPS = 5


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def namespace_of(index: int, count: int, namespaces: int) -> str:
    prefix = count // 10
    if not namespaces or index < prefix:
        return ""
    block = max(1, -(-(count - prefix) // namespaces))
    return f"ns{(index - prefix) // block}"


def node_specs(count: int, namespaces: int, seed: int) -> list[tuple[str, list[str], str, str]]:
    """(name, inputs, output, tag) for each node, dependencies only on earlier nodes."""
    rng = random.Random(seed)
    specs = []
    for index in range(count):
        namespace = namespace_of(index, count, namespaces)
        prefix = f"{namespace}." if namespace else ""
        name = f"{prefix}step_{index:05d}"
        if index == 0:
            inputs = ["seed_input", "params:scale"]
        else:
            picks = {rng.randrange(max(0, index - 50), index) for _ in range(rng.choice([1, 2, 3]))}
            inputs = [specs[p][2] for p in sorted(picks)]
            if index % 7 == 0:
                inputs.append(f"params:groups.g{index % GROUPS}.factor")
        specs.append((name, inputs, f"{prefix}out_{index:05d}", f"tag{index % 4}"))
    return specs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--nodes", type=int, default=3000)
    parser.add_argument("--namespaces", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--catalog", choices=["factories", "entries"], default="factories")
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
    catalog = textwrap.dedent("""
        seed_input:
          type: pickle.PickleDataset
          filepath: data/01_raw/seed.pickle
        """)
    if args.catalog == "factories":
        catalog += textwrap.dedent("""
            "out_{index}":
              type: pickle.PickleDataset
              filepath: data/02_intermediate/out_{index}.pickle

            "{namespace}.out_{index}":
              type: pickle.PickleDataset
              filepath: data/02_intermediate/{namespace}/out_{index}.pickle
            """)
    else:
        for _, _, output, _ in specs:
            catalog += (f"\n{output}:\n  type: pickle.PickleDataset\n"
                        f"  filepath: data/02_intermediate/{output.replace('.', '/')}.pickle\n")
    write(root / "conf" / "base" / "catalog.yml", catalog)
    groups = "".join(f"  g{group}:\n    factor: {group + 1}\n" for group in range(GROUPS))
    write(root / "conf" / "base" / "parameters.yml", f"scale: 1\ngroups:\n{groups}")
    (root / "conf" / "local").mkdir(parents=True, exist_ok=True)
    raw = root / "data" / "01_raw"
    raw.mkdir(parents=True, exist_ok=True)
    import pickle

    (raw / "seed.pickle").write_bytes(pickle.dumps(1))


if __name__ == "__main__":
    main()
