"""GitHub Actions glue: the Python behind each workflow step, so no logic lives in YAML.

Workflows pass GitHub context as environment variables (never `${{ }}` inside `run:`);
each step here reads them, validates them, and calls git, DVC, GTO or GitHub through
the adapters.

inputs   environment inputs, validated: PR number, commit sha, version
verdict  the gate check: exit 0/1/2 on gate.json's decision
comment  the PR comment: compose (body + meta), validate as untrusted data, post ONE
trusted  the `Promotion gate` commit status from the trusted workflow (gate.yml)
steps    repro, check-dvc, retrain, register, assign, rollback, release
"""
