"""The official OpenAI SDK against lumen-engine itself, serving a small model it makes (tiny:llama)."""
import math

import openai
import pytest

from conftest import bin_path, start


@pytest.fixture(scope="module")
def engine():
    process, match = start([f"{bin_path()}/lumen-engine", "serve", "--model", "tiny:llama", "--port", "0", "--model-name", "tiny",
                            "--kv-cache-tokens", "256"], r"http://127\.0\.0\.1:(\d+)/v1", None)
    yield openai.OpenAI(base_url=f"http://127.0.0.1:{match.group(1)}/v1", api_key="unused", max_retries=0)
    process.kill()
    process.wait()


def chat(text):
    return [{"role": "user", "content": text}]


def test_greedy_chat_streams_the_same_text_as_a_whole_answer(engine):
    whole = engine.chat.completions.create(model="tiny", messages=chat("hello there"), temperature=0, max_tokens=12,
                                           extra_body={"ignore_eos": True})
    assert whole.choices[0].finish_reason == "length" and whole.usage.completion_tokens == 12
    stream = engine.chat.completions.create(model="tiny", messages=chat("hello there"), temperature=0, max_tokens=12, stream=True,
                                            stream_options={"include_usage": True}, extra_body={"ignore_eos": True})
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == 12


def test_n_choices_logprobs_and_cached_prompt_tokens(engine):
    prompt = "the model runs on every node " * 12
    first = engine.completions.create(model="tiny", prompt=prompt, max_tokens=4, temperature=0)
    again = engine.completions.create(model="tiny", prompt=prompt, max_tokens=4, temperature=0, n=2, logprobs=3)
    assert again.usage.prompt_tokens_details.cached_tokens > 0
    assert [choice.text for choice in again.choices] == [first.choices[0].text] * 2
    logprobs = again.choices[0].logprobs
    assert len(logprobs.token_logprobs) == len(logprobs.tokens) == len(logprobs.top_logprobs) >= 1
    assert all(value <= 0 for value in logprobs.token_logprobs)
    assert all(len(alternatives) == 3 for alternatives in logprobs.top_logprobs)
    rated = engine.chat.completions.create(model="tiny", messages=chat("hello"), max_tokens=3, temperature=0, logprobs=True, top_logprobs=2,
                                           extra_body={"ignore_eos": True})
    content = rated.choices[0].logprobs.content
    assert len(content) == 3 and all(len(entry.top_logprobs) == 2 for entry in content)
    # The greedy token is the most likely one.
    assert all(math.isclose(entry.logprob, entry.top_logprobs[0].logprob) for entry in content)


def test_seeded_sampling_repeats_and_penalties_are_accepted(engine):
    options = dict(model="tiny", prompt="the world", max_tokens=10, temperature=0.9, top_p=0.9, seed=7,
                   presence_penalty=0.5, frequency_penalty=0.5, extra_body={"top_k": 20, "min_p": 0.01, "ignore_eos": True})
    assert engine.completions.create(**options).choices[0].text == engine.completions.create(**options).choices[0].text


def test_bad_requests_get_clear_errors_and_the_engine_keeps_serving(engine):
    with pytest.raises(openai.BadRequestError) as error:
        engine.chat.completions.create(model="tiny", messages=chat("hi"), temperature=3)
    assert "temperature" in str(error.value)
    with pytest.raises(openai.BadRequestError) as error:
        engine.chat.completions.create(model="tiny", messages=chat("the world " * 400))
    assert "context" in str(error.value)
    with pytest.raises(openai.BadRequestError) as error:
        engine.completions.create(model="tiny", prompt="hi", max_tokens=400)
    assert "kv-cache-tokens" in str(error.value)
    assert engine.chat.completions.create(model="tiny", messages=chat("hi"), max_tokens=2).choices[0].message.content is not None
