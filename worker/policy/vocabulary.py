"""The words a request may use for one thing: SEN forms, products, environments, request types. Pure.

People and fields write the same fact many ways: a SEN copied with an en dash or a trailing
period, a numeric field's `10000001.0`, a product under its former name (`Jira Service Desk`),
`Prod` for production, a Data Center request-type key (`ps/report-a-product-bug`) where Cloud
sends the name. Each is read here, once, into the one form the rules compare; whatever matches
no known form stays as written, so a rule that cannot read it still says so.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from worker.config.models import MappingConfig

# Every dash a keyboard, a word processor or a copy from a PDF puts where "-" was meant.
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"})
# Invisible characters a copy and paste carries along (zero-width spaces and joiners, BOM).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# `SEN-12345678`, `SEN-L12345678`, `sen 12345678`, bare digits; a number field's `.0`; a period
# that ended the sentence the SEN was pasted from.
_SEN = re.compile(r"(?:SEN[\s-]*L?-?)?(\d{4,12})(?:\.0+)?\.?", re.IGNORECASE)


def normalise_sen(raw: str | None) -> str | None:
    """Any accepted SEN form -> 'SEN-12345678'; None when the text is not a SEN."""
    if raw is None:
        return None
    # NFKC turns full-width forms (an Asian keyboard's "ＳＥＮ－１２３４５６７８") into ASCII.
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", raw)).translate(_DASHES).strip()
    match = _SEN.fullmatch(text)
    if not match:
        return None
    return "SEN-" + "".join(str(unicodedata.decimal(digit)) for digit in match[1])  # any script's digits


def key(text: str) -> str:
    """The comparable form of a name: case, spaces and punctuation do not count
    ("Jira Service-Management " is "jira service management")."""
    return re.sub(r"[\W_]+", "", text.translate(_DASHES).casefold())


def canonical_product(name: str, config: MappingConfig) -> str:
    """The product a name means: a covered product's own spelling, through `products.aliases` and
    without a deployment suffix (`Bitbucket Data Center`); an unknown name is returned as written."""
    products = config.products
    known = {key(p): p for p in products.covered}
    known |= {key(alias): target for alias, target in products.aliases.items()}
    wanted = key(name)
    if wanted in known:
        return known[wanted]
    for suffix in products.deployment_suffixes:
        tail = key(suffix)
        if tail and wanted.endswith(tail) and wanted[: -len(tail)] in known:
            return known[wanted[: -len(tail)]]
    return name.strip()


def is_production(environment: str | None, config: MappingConfig) -> bool:
    """False only when the request names an environment that is not one of the production values."""
    if environment is None:
        return True
    return key(environment) in {key(v) for v in config.environments.production_values}


def request_type_keys(name: str | None, type_id: str | None) -> frozenset[str]:
    """Every form a request type can be matched by: its name, its id, and for a Data Center
    `portal/request-type-key` value the key itself, each in comparable form, so a rule listing
    "Report a product bug" matches the key `ps/report-a-product-bug` or `reportaproductbug`."""
    forms = {t for t in (name, type_id) if t}
    forms |= {t.rsplit("/", 1)[1] for t in list(forms) if "/" in t}
    return frozenset(k for k in map(key, forms) if k)


def request_type_listed(name: str | None, type_id: str | None, listed: Iterable[str]) -> bool:
    return bool(request_type_keys(name, type_id) & {key(t) for t in listed})
