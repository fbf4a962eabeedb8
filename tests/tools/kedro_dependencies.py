"""Print a pipeline's node dependencies, as Kedro computes them, as JSON.

Usage (in a Kedro project directory): python kedro_dependencies.py [PIPELINE]
Output: {"node name": ["parent node name", ...], ...} from `Pipeline.node_dependencies`.
Used by the end-to-end tests to compare a compiled DAG with Kedro's own answer.
"""

import json
import sys
from pathlib import Path

from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project


def main() -> None:
    bootstrap_project(Path.cwd())
    name = sys.argv[1] if len(sys.argv) > 1 else "__default__"
    dependencies = pipelines[name].node_dependencies
    result = {node.name: sorted(parent.name for parent in parents) for node, parents in dependencies.items()}
    json.dump(result, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
