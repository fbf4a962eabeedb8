"""Validate Argo Workflow YAML files against the pinned Argo JSON schema.

Usage: python validate_argo.py SCHEMA.json WORKFLOW.yml [...]
Validates against the `Workflow` definition directly (the schema's top-level `oneOf` over
five kinds gives useless errors; see shared/notes/api-contracts.md section 6). Exits 1 and
prints every violation when a file is invalid.
"""

import json
import sys

import yaml
from jsonschema import Draft202012Validator

WORKFLOW = "#/definitions/io.argoproj.workflow.v1alpha1.Workflow"


def validator(schema_path: str) -> Draft202012Validator:
    with open(schema_path, encoding="utf-8") as handle:
        schema = json.load(handle)
    return Draft202012Validator({"$ref": WORKFLOW, "definitions": schema["definitions"]})


def errors(check: Draft202012Validator, workflow_path: str) -> list[str]:
    with open(workflow_path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return [
        f"{workflow_path}: {'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in check.iter_errors(document)
    ]


def main(argv: list[str]) -> int:
    check = validator(argv[1])
    problems = [problem for path in argv[2:] for problem in errors(check, path)]
    for problem in problems:
        print(problem)
    print(f"{len(argv) - 2 - len({p.split(':')[0] for p in problems})} valid, {len({p.split(':')[0] for p in problems})} invalid")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
