"""The PR review loop: compare a champion with a challenger on the same rows.

scoring   both models on the challenger's test split; paired bootstrap (shared by all)
sides     what each side is: params, data, model, reports, at a git revision or workspace
gate      the promotion policy from `gate:` in params.yaml -> reports/gate.json
report    the PR comment -> reports/report.md
charts    Mermaid charts with plain-table fallbacks
datadiff  rows added/removed by month, schema, missing rates, drift (PSI)
"""
