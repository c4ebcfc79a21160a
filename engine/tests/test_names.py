"""Names with spaCy's English NER (en_core_web_sm 3.8.0): serve's find_names operation, UTF-16
offsets, batching, the casing cues and letter rules, and texts the model is not given."""

import json
import queue
import threading

import pytest

from tailor_engine import names
from tailor_engine.serve import Server, parse_op


def js_slice(text: str, start: int, end: int) -> str:
    """JavaScript's text.slice(start, end): offsets in UTF-16 code units."""
    return text.encode("utf-16-le")[start * 2:end * 2].decode("utf-16-le")


def people(text: str) -> list[str]:
    return [js_slice(text, e["start"], e["end"]) for e in names.find_names([text])[0]]


def test_a_name_that_starts_a_sentence_is_found_without_its_title():
    assert people("Ms. Okafor marks the lab reports.") == ["Okafor"]
    assert people("Maria here. Can you check my order?") == ["Maria"]


def test_offsets_are_utf16_code_units_after_emoji():
    text = "Great news 🎉🎉 Amina Yusuf passed her driving test! Ask Dr. Ahmed Khan 😀 why."
    found = names.find_names([text])[0]
    assert [js_slice(text, e["start"], e["end"]) for e in found] == ["Amina Yusuf", "Ahmed Khan"]
    # two astral characters before the first name: its UTF-16 start is 2 past its code point index
    assert found[0]["start"] == text.index("Amina") + 2
    assert found[1]["end"] == text.index(" 😀") + 2


def test_possessives_titles_greetings_and_signatures():
    assert people("Dr. Ahmed Khan took Priya Sharma's file.") == ["Ahmed Khan", "Priya Sharma"]
    assert people("Hello Chidi! Your exam results are in.") == ["Chidi"]
    assert people("Hi Sipho and Thandiwe, welcome to the course!") == ["Sipho", "Thandiwe"]
    assert people("I will be late tomorrow.\n\nThanks,\nMarta") == ["Marta"]
    assert people("Please call me back.\n\nBest regards,\nRajesh Kumar") == ["Rajesh Kumar"]
    assert people("hi maria, can you resend the invoice?") == ["maria"]


def test_words_written_where_names_go_are_not_people():
    assert people("Hi team, the stand-up moves to 10.") == []
    assert people("Thanks,\nCustomer Service") == []
    assert people("Dear Sir or Madam, I wish to complain.") == []
    assert people("Will you send the invoice in May?") == []
    # an identifier is not a person, whatever the model says of "Order NW"
    assert people("Hi, I am Maria Gonzalez. Order NW-10482 is late.") == ["Maria Gonzalez"]


def test_places_and_organisations_only_when_asked():
    text = "Zbigniew Kowalski works at Google in Warsaw."
    assert [e["kind"] for e in names.find_names([text])[0]] == ["PERSON"]
    found = names.find_names([text], ["PERSON", "LOCATION", "ORGANIZATION"])[0]
    assert [(e["kind"], js_slice(text, e["start"], e["end"])) for e in found] == [
        ("PERSON", "Zbigniew Kowalski"), ("ORGANIZATION", "Google"), ("LOCATION", "Warsaw")]


def test_texts_with_only_sentence_openers_are_not_given_to_the_model(monkeypatch):
    assert not names.may_hold_name("Thanks for writing. Please bring the bike in on Monday.")
    assert not names.may_hold_name("Hello, question 1 about brakes: I would like to know why.")
    assert not names.may_hold_name("Thanks, we will write to you.")
    assert names.may_hold_name("Okafor marks the lab reports.")
    assert names.may_hold_name("ask john smith whether the parcel arrived")  # all lower case
    assert names.may_hold_name("I spoke to dr. lee.")  # a casing cue

    read = []
    real = names.pipeline()

    class Spy:
        def pipe(self, texts, batch_size):
            texts = list(texts)
            read.append(len(texts))
            return real.pipe(texts, batch_size=batch_size)

    monkeypatch.setattr(names, "pipeline", lambda: Spy())
    assert names.find_names(["Thanks for writing. Please bring the bike in.", "Yes."]) == [[], []]
    assert read == []


def test_many_texts_in_batches_keep_their_order():
    people_ = ["Maria Gonzalez", "Wang Fang", "John Smith", "Priya Sharma", "Kenji Watanabe"]
    texts = [f"Ticket {i}: please ask {people_[i % 5]} about the refund." for i in range(600)]
    texts[7] = "Thanks for writing. Please bring the bike in."  # not given to the model
    results = names.find_names(texts)
    assert len(results) == 600 > 2 * names.BATCH_SIZE
    assert results[7] == []
    for i in (0, 1, 2, 3, 4, 255, 256, 257, 599):
        assert results[i] == names.find_names([texts[i]])[0], i  # the same as alone
    found = sum(bool(r) and js_slice(t, r[0]["start"], r[0]["end"]) == people_[i % 5]
                for i, (t, r) in enumerate(zip(texts, results)))
    assert found >= 590


def test_serve_operation_answers_names_per_text():
    op = parse_op(json.dumps({"op": "find_names", "id": "n1", "input": ["Ms. Okafor marks the lab reports.", "No names."], "kinds": ["PERSON"]}))
    assert op["kinds"] == ["PERSON"]
    replies: queue.Queue = queue.Queue()
    lines: queue.Queue = queue.Queue()
    lines.put(json.dumps(op) + "\n")
    lines.put(json.dumps({"op": "find_names", "id": "n2", "input": ["Hi"], "kinds": ["PLANET"]}) + "\n")
    thread = threading.Thread(target=Server(1, replies.put).run, args=(iter(lines.get, None),), daemon=True)
    thread.start()
    got = {}
    while len(got) < 2:
        message = replies.get(timeout=120)
        got[message["id"]] = message
    lines.put(None)
    thread.join(timeout=30)
    assert got["n1"] == {"type": "names", "id": "n1", "results": [[{"kind": "PERSON", "start": 4, "end": 10}], []]}
    assert got["n2"]["type"] == "error" and got["n2"]["code"] == "invalid_request" and "kinds" in got["n2"]["message"]


@pytest.mark.parametrize("bad", [{"input": []}, {"input": "one text"}])
def test_bad_operations_say_which_field(bad):
    from tailor_engine.errors import EngineError

    with pytest.raises(EngineError, match="input"):
        parse_op(json.dumps({"op": "find_names", "id": "x", "kinds": ["PERSON"], **bad}))


def test_long_texts_are_read_around_possible_names_with_the_same_result(monkeypatch):
    filler = "the chain was checked and the gears were cleaned before the wheels were trued " * 20
    text = f"Thanks for writing. {filler}and then Priya Sharma said no. {filler}and then Wang Fang said yes."
    spans = names.windows(text)
    assert len(spans) == 2 and sum(b - a for a, b in spans) < len(text) / 5
    found = names.find_names([text])
    assert [js_slice(text, e["start"], e["end"]) for e in found[0]] == ["Priya Sharma", "Wang Fang"]
    monkeypatch.setattr(names, "CONTEXT_WORDS", 10**6)  # the whole text
    assert names.windows(text) == [(0, len(text))]
    assert names.find_names([text]) == found
