"""Register, promote and release model versions (git tags through GTO).

versions  the champion (current prod), register, assign, rollback; only tags that went
          through the gate count (hand-pushed ones are ignored with a warning)
release   a release's assets: model file, metrics, model card; `gh release create`
card      the model card, generated from the pipeline's own reports
"""
