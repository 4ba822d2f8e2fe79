"""Validate against production: champion vs challenger on the same rows, the report a
reviewer reads and the gate that decides.

sides     what each side is: params, reports, data and model hashes (workspace or commit)
store     a champion's model and data: DVC cache, else DVC remote, else a rebuild
scoring   both models on the challenger's test split; paired bootstrap of every change
policy    the promotion rules from `gate:` in params.yaml, each with value and threshold
policy_source  which `gate:` judges: the base revision's, never the challenger's own
compare   one review: sides + scoring + policy (the report and the gate share it)
gate      `mlops gate`: gate.json and the exit code
trusted   the required check: a PR's model judged as data by the default branch's code
report    `mlops report`: the PR comment (report_models, report_changes, charts, datadiff)
once      `mlops review`: gate.json and report.md from one comparison (what a PR runs)
"""
