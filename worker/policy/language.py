"""Which language a request is written in (docs/POLICY.md section 4, "non-English"). Pure.

The identification is py3langid's (a maintained fork of langid.py): a Naive Bayes model over
byte n-grams, shipped inside the package, so nothing is fetched at run time. Its model takes
about a second and some 100 MB to load, so it is loaded once per process, and only when a config
has a language rule. The answer is a function of the text alone: the same request always gets the
same language.

Only text that can carry a language is identified: code blocks, stack-trace lines, URLs, Jira
markup and numbers are taken out first, and a text with too few letters left is not judged at all
(`LanguageRule.min_letters`): an exception message or "Jira down" says nothing about the language
the customer wants support in. A request is judged by how sure the model is that it is in *none*
of the supported languages, and only when the most likely language is itself unsupported.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

# The languages py3langid 0.4's model knows (`LanguageIdentifier.nb_classes`), so a config can be
# checked without loading the model; tests/unit/test_vocabulary.py keeps the two in step.
KNOWN_LANGUAGES = frozenset("""
af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha he hi hr
ht hu hy id ig is it ja jv ka kk km kn ko ku ky la lg ln lo lt lv mg mk ml mn mr ms my ne nl no om
or pa pl ps pt qu ro ru sa si sk sl so sq sr sv sw ta te th tl tr ug uk ur uz vi xh yo zh zu zxx ace
bcl dz ext gcf gom grc gug hbo kik nso pcm rw se sn st an ary crh fo fuv gcr guw kab lb lij ltg uzs
wa sdh arz ba mt nn oc tg tk tt vec vo wuu yue
""".split())

# Names for the comment; any other language is shown by its code.
LANGUAGE_NAMES = {
    "ar": "Arabic", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "no": "Norwegian",
    "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish", "th": "Thai",
    "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}

# The most text identified per request: a few sentences decide it, and the work per triage stays
# bounded (3 times as much raw text is cleaned to find it; measured, a decision with a
# 3.5k-character description takes about 6.6 ms with the language rule and 2 ms without).
MAX_CHARS = 1000

_NOT_PROSE = [
    re.compile(r"\{(code|noformat)[^}]*\}.*?(\{\1\}|$)", re.DOTALL),  # Jira code blocks
    re.compile(r"```.*?(```|$)", re.DOTALL),  # Markdown code blocks
    re.compile(r"^\s*(at |Caused by:|\.\.\. \d+ more|[\w$.]+(Exception|Error)\b).*$", re.MULTILINE),
    re.compile(r"\b(https?|file)://\S+"),
    re.compile(r"\S+@\S+\.\S+"),  # email addresses
    re.compile(r"\b[\w$]+(\.[\w$]+){2,}\b"),  # com.atlassian.jira.Foo, 10.3.2
    re.compile(r"\[~[^\]]*\]|\[[^\]|]*\|[^\]]*\]"),  # mentions, links
    re.compile(r"[{}\[\]|*_^+#=<>~`\\]+|\d+"),  # markup characters and numbers
]


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # the most likely language, an ISO 639-1 code
    confidence: float  # 0..1: how sure the model is that the text is in none of the supported languages
    letters: int  # letters in the text that was identified (a CJK character counts as three)


def known_languages() -> frozenset[str]:
    return KNOWN_LANGUAGES


def prose(text: str) -> str:
    """`text` without what carries no language: code, stack traces, URLs, markup, numbers."""
    for pattern in _NOT_PROSE:
        text = pattern.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def identify(*texts: str | None, supported: Iterable[str] = ("en",)) -> LanguageGuess | None:
    """The language of the texts taken together, and how sure the model is that it is none of
    `supported`: one minus the probability of all of them, not the top language's own
    probability, since Spanish and Galician (or Chinese and Wu) share what is not English.
    None when the texts hold no letters at all."""
    text = prose(" \n".join(t for t in texts if t)[: 3 * MAX_CHARS])[:MAX_CHARS]
    letters = sum((3 if _WIDE.match(ch) else 1) for ch in text if ch.isalpha())
    if not letters:
        return None
    ranking = _identifier().rank(text)
    wanted = set(supported)
    elsewhere = 1.0 - sum(float(p) for language, p in ranking if language in wanted)
    return LanguageGuess(str(ranking[0][0]), round(min(max(elsewhere, 0.0), 1.0), 4), letters)


# Han, kana and hangul: one character carries about what three Latin letters do.
_WIDE = re.compile("[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


_lock = threading.Lock()
_loaded = None


def _identifier():
    global _loaded
    with _lock:
        if _loaded is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _loaded = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _loaded
