"""Print a pipeline's node dependencies, as Kedro computes them, as JSON.

Usage (in a Kedro project directory): python kedro_dependencies.py PIPELINE OUTPUT.json
Writes {"node name": ["parent node name", ...], ...} from `Pipeline.node_dependencies`
to OUTPUT.json (not stdout: Kedro's default logging writes there).
Used by the end-to-end tests to compare a compiled DAG with Kedro's own answer.
"""

import json
import sys
from pathlib import Path

from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project


def main() -> None:
    bootstrap_project(Path.cwd())
    name, output = sys.argv[1], Path(sys.argv[2])
    dependencies = pipelines[name].node_dependencies
    result = {node.name: sorted(parent.name for parent in parents) for node, parents in dependencies.items()}
    output.write_text(json.dumps(result, sort_keys=True), encoding="utf-8")


if __name__ == "__main__":
    main()
