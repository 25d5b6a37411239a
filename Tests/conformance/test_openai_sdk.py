"""The official openai SDK, unchanged, against a running Lumen agent."""
import base64
import json
import struct

import urllib.request
import openai
import pytest


def client(lumen, key=None, retries=2):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{lumen.port}/v1", api_key=key or lumen.key, max_retries=retries)


MESSAGES = [{"role": "user", "content": "Say something about gateways."}]


def test_chat_without_streaming(lumen):
    response = client(lumen).chat.completions.create(model="lumen/auto", messages=MESSAGES)
    assert response.object == "chat.completion"
    assert response.model == "sim-small"
    assert response.choices[0].message.role == "assistant"
    assert response.choices[0].message.content
    assert response.usage.completion_tokens > 0


def test_chat_streaming_matches_the_whole_answer(lumen):
    whole = client(lumen).chat.completions.create(model="lumen/auto", messages=MESSAGES).choices[0].message.content
    chunks = list(client(lumen).chat.completions.create(model="lumen/auto", messages=MESSAGES, stream=True))
    assert len({chunk.id for chunk in chunks}) == 1
    roles = [chunk.choices[0].delta.role for chunk in chunks if chunk.choices and chunk.choices[0].delta.role]
    assert roles == ["assistant"]
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices) == whole
    assert all(chunk.usage is None for chunk in chunks)


def test_stream_include_usage(lumen):
    chunks = list(client(lumen).chat.completions.create(
        model="lumen/auto", messages=MESSAGES, stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == sum(1 for c in chunks if c.choices and c.choices[0].delta.content)


def test_raw_response_headers(lumen):
    raw = client(lumen).chat.completions.with_raw_response.create(model="lumen/auto", messages=MESSAGES)
    assert raw.headers["x-lumen-route"] == "auto"
    assert raw.headers["x-lumen-model"] == "sim-small"
    assert raw.headers["x-request-id"]


def test_tool_call_fragments_join_into_json(lumen):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}}}]
    stream = client(lumen).chat.completions.create(
        model="sim-small", messages=[{"role": "user", "content": "use get_weather"}], tools=tools, stream=True)
    name, arguments, fragments, ids = None, "", 0, set()
    for chunk in stream:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            if call.id:
                ids.add(call.id)
            if call.function.name:
                name = call.function.name
            arguments += call.function.arguments or ""
            fragments += 1
    assert name == "get_weather" and len(ids) == 1 and fragments > 2
    parsed = json.loads(arguments)
    assert isinstance(parsed["city"], str) and isinstance(parsed["days"], int)


def test_several_choices(lumen):
    response = client(lumen).chat.completions.create(model="lumen/auto", messages=MESSAGES, n=2, seed=7, max_completion_tokens=50)
    assert [choice.index for choice in response.choices] == [0, 1]
    assert response.choices[0].message.content != response.choices[1].message.content


def test_completions(lumen):
    response = client(lumen).completions.create(model="sim-small", prompt="Once upon a time", max_tokens=5)
    assert response.choices[0].text
    assert response.usage.completion_tokens == 5


def test_embeddings_float_and_base64(lumen):
    floats = client(lumen).embeddings.create(model="sim-small", input=["alpha", "beta"], encoding_format="float")
    packed = client(lumen).embeddings.create(model="sim-small", input=["alpha", "beta"])  # the SDK asks for base64
    assert len(floats.data) == 2 and len(floats.data[0].embedding) == 16
    assert packed.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-6)
    request = urllib.request.Request(
        f"http://127.0.0.1:{lumen.port}/v1/embeddings", method="POST",
        headers={"Authorization": f"Bearer {lumen.key}", "Content-Type": "application/json"},
        data=json.dumps({"model": "sim-small", "input": "alpha", "encoding_format": "base64"}).encode())
    raw = json.load(urllib.request.urlopen(request))
    decoded = struct.unpack("<16f", base64.b64decode(raw["data"][0]["embedding"]))
    assert list(decoded) == pytest.approx(floats.data[0].embedding, abs=1e-6)


def test_models_list(lumen):
    ids = [model.id for model in client(lumen).models.list()]
    assert "lumen/auto" in ids and "sim-small" in ids


def test_bad_key_is_authentication_error(lumen):
    with pytest.raises(openai.AuthenticationError):
        client(lumen, key="lmn_" + "x" * 43).chat.completions.create(model="lumen/auto", messages=MESSAGES)


def test_revoked_key_is_authentication_error(lumen):
    key = lumen.create_key("to-revoke")
    assert client(lumen, key=key).chat.completions.create(model="lumen/auto", messages=MESSAGES).choices
    lumen.ctl("keys", "revoke", "to-revoke")
    with pytest.raises(openai.AuthenticationError, match="revoked"):
        client(lumen, key=key).chat.completions.create(model="lumen/auto", messages=MESSAGES)


def test_unknown_model_is_not_found(lumen):
    with pytest.raises(openai.NotFoundError):
        client(lumen).chat.completions.create(model="lumen/nope", messages=MESSAGES)


def test_route_outside_the_key_is_permission_denied(lumen):
    key = lumen.create_key("only-small", "--routes", "sim-small")
    with pytest.raises(openai.PermissionDeniedError):
        client(lumen, key=key).chat.completions.create(model="lumen/auto", messages=MESSAGES)


def test_rate_limit_is_rate_limit_error(lumen):
    key = lumen.create_key("one-per-minute", "--rpm", "1")
    client(lumen, key=key, retries=0).chat.completions.create(model="lumen/auto", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError) as raised:
        client(lumen, key=key, retries=0).chat.completions.create(model="lumen/auto", messages=MESSAGES)
    assert int(raised.value.response.headers["retry-after"]) >= 1


def test_bad_request_is_bad_request_error(lumen):
    with pytest.raises(openai.BadRequestError):
        client(lumen).chat.completions.create(model="lumen/auto", messages=[])
    with pytest.raises(openai.BadRequestError):
        client(lumen).chat.completions.create(model="lumen/auto", messages=MESSAGES, n="two")


def test_body_over_the_limit_is_413(lumen):
    with pytest.raises(openai.APIStatusError) as raised:
        client(lumen, retries=0).chat.completions.create(model="lumen/auto", messages=[{"role": "user", "content": "x" * 2_000_000}])
    assert raised.value.status_code == 413


def test_dead_upstream_is_a_server_error_without_retries(lumen):
    with pytest.raises(openai.InternalServerError) as raised:
        client(lumen).chat.completions.create(model="sim-down", messages=MESSAGES)
    assert raised.value.status_code == 502
    assert raised.value.response.headers["x-should-retry"] == "false"
