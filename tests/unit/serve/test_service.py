"""The service without HTTP: ready only once the model answered a warm-up record; a body
is parsed into validated records or refused with a 4xx and the reason; scores are
evaluation's."""

from __future__ import annotations

import orjson
import pytest

from mlops.data.prepare import read_split
from mlops.evaluate.predict import predict
from mlops.serve.client import records
from mlops.serve.model import ModelError
from mlops.serve.service import Refused, Service, warm_up_record


def test_a_model_that_cannot_load_leaves_the_service_not_ready_with_the_reason(serve_params):
    def broken():
        raise ModelError("models/model.skops: not found")

    service = Service(serve_params, broken)
    service.start()
    try:
        assert not service.ready
        assert "models/model.skops: not found" in service.reason
    finally:
        service.stop()


def test_parse_refuses_with_the_status_and_scores_as_evaluation(serve_params, loaded, splits):
    service = Service(serve_params, lambda: loaded)
    service.start()
    try:
        assert service.ready
        assert service.schema is not None
        assert warm_up_record(service.schema)  # what start() scored
        for body, status in ((b"{", 400), (b"42", 422), (b'{"age": "old"}', 422)):
            with pytest.raises(Refused) as refused:
                service.parse(body)
            assert refused.value.status == status
        test = read_split(splits[1]).head(25)
        parsed, batch = service.parse(orjson.dumps(records(test, service.schema.names)))
        assert batch
        assert len(parsed) == 25
        answer = orjson.loads(service.score(parsed, "req-1").body)
        scores = [p["score"] for p in answer["predictions"]]
        assert scores == predict(loaded.model, test).tolist()
        assert answer["request_id"] == "req-1"
    finally:
        service.stop()
