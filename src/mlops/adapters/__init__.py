"""One module per external tool, each with one error type. Nothing else in the package
runs git, DVC, GTO or talks to GitHub, so each tool's quirks are handled in one place.

git     GitError:    revisions, files at a commit, worktrees, tag fetch and push
dvc     DvcError:    status, pull, add, cache and remote objects, repro, dvc.lock/.dvc files
gto     (RegistryError, raised by registry/): versions and stages as git tags
github  GitHubError: the `gh` CLI (comments, statuses, releases), step outputs
"""
