"""An in-process service around the default model (fitted once per session)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mlops.monitor.online import Profile, build_profile
from mlops.serve.app import create_app
from mlops.serve.model import Loaded, ModelInfo


@pytest.fixture(scope="session")
def loaded(fitted) -> Loaded:
    model, _ = fitted
    info = ModelInfo("v9.9.9", "a" * 40, "b" * 32 + ".dir", "c" * 32, "test", {"roc_auc": 0.9})
    return Loaded(model, info)


@pytest.fixture(scope="session")
def profile(fitted, splits, params) -> Profile:
    """The model's drift profile: its training rows and its scores on the test split."""
    from mlops.data.prepare import read_split
    from mlops.evaluate.predict import input_columns, predict

    model = fitted[0]
    scores = predict(model, read_split(splits[1]))
    return build_profile(read_split(splits[0]), input_columns(model), scores, params.monitor)


@pytest.fixture
def serve_params(params, tmp_path: Path):
    """params with the prediction log in this test's folder."""
    paths = params.paths.model_copy(update={"predictions": str(tmp_path / "predictions")})
    return params.model_copy(update={"paths": paths})


@pytest.fixture
def make_client(serve_params) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(load: Callable[[], Loaded], params=None, profile=None, **serve) -> TestClient:
        p = params or serve_params
        if serve:
            p = p.model_copy(update={"serve": p.serve.model_copy(update=serve)})
        client = TestClient(create_app(p, load, profile))
        client.__enter__()  # runs the lifespan: the model is loaded and warmed up
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client, loaded, profile) -> TestClient:
    return make_client(lambda: loaded, profile=lambda _: profile)
