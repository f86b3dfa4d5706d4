"""The mapping config as typed, frozen models.

Every key is declared (extra="forbid"), so a misspelt key is an error rather than a silently
ignored setting. Field-level rules live here; rules that relate one part of the file to another
live in `checks.py`, so that all of them can be reported at once.
"""
from __future__ import annotations

import hashlib
import json
import string
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import holidays as holidays_lib
from pydantic import BaseModel, ConfigDict, PrivateAttr, field_validator, model_validator

from worker.policy.language import known_languages
from worker.config.routing import RoutingConfig
from worker.config.values import (
    Duration,
    FieldId,
    Label,
    LevelName,
    RegexText,
    Target,
    WorkingHours,
    ZoneName,
    one_of,
)

CALENDARS = ("24x7", "24x5-global", "regional")
SEVERITY_SOURCES = ("field", "impact_urgency", "priority")
ENTITLEMENT_SOURCES = ("file", "assets")
DEPLOYMENTS = ("data-center", "server", "cloud")
# What a reminder comment template may mention; the reminder task fills these in.
REMINDER_PLACEHOLDERS = frozenset(
    {"issue_key", "level", "percent", "due_utc", "due_local", "region", "duty_manager", "customer", "phone"}
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldsConfig(Strict):
    """Where each fact of a request is read from: Jira field ids (customfield_NNNNN or a system field)."""

    sen: FieldId
    severity: FieldId | None = None
    product: FieldId | None = None
    version: FieldId | None = None
    environment: FieldId | None = None
    request_type: FieldId | None = None
    impact: FieldId | None = None
    urgency: FieldId | None = None
    # JSM "Request participants": unset, the worker finds it in Jira's field list by its type.
    request_participants: FieldId | None = None


class SeverityConfig(Strict):
    """How the level is read; `sources` are tried in order, the first that gives a level wins."""

    sources: tuple[Annotated[str, one_of("severity source", SEVERITY_SOURCES)], ...] = SEVERITY_SOURCES
    field_options: dict[str, LevelName] = {}
    priority_names: dict[str, LevelName] = {}
    impact_urgency: dict[str, dict[str, LevelName]] = {}  # impact option -> urgency option -> level
    default: LevelName


class LevelConfig(Strict):
    meaning: str
    target: Target  # working time on the level's calendar, or business days (regional calendars)
    calendar: Annotated[str, one_of("calendar", CALENDARS)]
    jira_priority: str
    label: Label
    production_only: bool = False  # capped at environments.non_production_cap outside production
    phone_in_comment: bool = False
    examples: tuple[str, ...] = ()  # for customers: the on-boarding message (worker/onboarding_message.py)


class EnvironmentsConfig(Strict):
    # Compared ignoring case, spaces and punctuation (worker/policy/vocabulary.py).
    production_values: tuple[str, ...] = ("Production",)
    non_production_cap: LevelName


def check_holiday_calendar(country: str, subdivision: str | None) -> None:
    """ValueError naming the problem when python-holidays has no calendar for country/subdivision."""
    supported = holidays_lib.list_supported_countries()
    if country not in supported:
        raise ValueError(f"unknown holiday country {country!r} (python-holidays codes such as US, NL, AU)")
    if subdivision is not None and subdivision not in supported[country]:
        known = ", ".join(supported[country]) or "none"
        raise ValueError(f"unknown subdivision {subdivision!r} of {country} (known: {known})")


# The years a re-opened holiday's name is looked for in, to tell a typo from a real holiday
# (fixed, so a file's validity does not depend on the day it is checked).
_REOPEN_YEARS = range(2020, 2041)


class HolidaysConfig(Strict):
    country: str
    subdivision: str | None = None
    # Public holidays the region works on after all: a date, or a holiday's name as python-holidays
    # spells it (every year), e.g. "Boxing Day" or 2026-12-26.
    reopen: tuple[date | str, ...] = ()

    @model_validator(mode="after")
    def _known(self) -> "HolidaysConfig":
        check_holiday_calendar(self.country, self.subdivision)
        calendar = holidays_lib.country_holidays(self.country, subdiv=self.subdivision, years=_REOPEN_YEARS)
        names = {part.strip().casefold() for name in calendar.values() for part in name.split(";")}
        for item in self.reopen:
            if isinstance(item, date):
                observed = holidays_lib.country_holidays(self.country, subdiv=self.subdivision, years=item.year)
                if item not in observed:
                    raise ValueError(f"reopen: {item.isoformat()} is not a public holiday of "
                                     f"{self._where()}, so there is nothing to re-open")
            elif item.strip().casefold() not in names:
                known = ", ".join(sorted({part.strip() for n in calendar.values() for part in n.split(";")}))
                raise ValueError(f"reopen: {item!r} is not a public holiday of {self._where()} (known: {known})")
        return self

    def _where(self) -> str:
        return self.country if self.subdivision is None else f"{self.country}-{self.subdivision}"


class DutyManager(Strict):
    """Who is mentioned at 75 %: a Cloud account id and/or a Data Center user name."""

    display_name: str
    account_id: str | None = None
    username: str | None = None

    @model_validator(mode="after")
    def _someone(self) -> "DutyManager":
        if not (self.account_id or self.username):
            raise ValueError("a duty manager needs an account_id (Cloud) or a username (Data Center)")
        return self


class RegionConfig(Strict):
    zone: ZoneName
    holidays: HolidaysConfig
    hours: WorkingHours
    # The length of one business day for targets given in business days; by default the region's
    # usual working day (10h for 08:00-18:00).
    business_day: Duration | None = None
    extra_closed: tuple[date, ...] = ()
    phone: str
    duty_manager: DutyManager


class ReminderConfig(Strict):
    at: float
    comment: str | None = None
    labels: tuple[Label, ...] = ()
    mention_duty_manager: bool = False
    notify_url_env: str | None = None  # name of an env var holding a chat webhook URL (a secret)

    @field_validator("at")
    @classmethod
    def _fraction(cls, value: float) -> float:
        if not 0 < value <= 1:
            raise ValueError(f"a reminder threshold is a fraction of the target in (0, 1], got {value}")
        return value

    @field_validator("comment")
    @classmethod
    def _placeholders(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as exc:
            raise ValueError(f"comment template is malformed: {exc}") from None
        unknown = sorted(names - REMINDER_PLACEHOLDERS)
        if unknown:
            raise ValueError(f"unknown placeholder {{{unknown[0]}}} (known: {', '.join(sorted(REMINDER_PLACEHOLDERS))})")
        return value


class LabelsConfig(Strict):
    entitled: tuple[Label, ...] = ("priority-support",)
    not_entitled: Label = "ps-not-entitled"
    reason_prefix: Label = "ps-reason-"
    needs_review: Label = "ps-needs-review"  # a request the triage could not decide, for a person


class WriteFieldsConfig(Strict):
    """The fields the triage writes; null means 'do not write this one'."""

    level: FieldId | None = None
    due: FieldId | None = None
    entitlement: FieldId | None = None


TEXT_FACTS = ("summary", "description", "version")


class LanguageRule(Strict):
    """Which languages the team supports, and how sure the identification must be to say otherwise.

    The request's summary and description are identified (py3langid); a request is in another
    language only when the most likely language is not in `supported`, the model is at least
    `min_confidence` sure that the text is in none of `supported`, and the text has at least
    `min_letters` letters (a CJK character counts as three; short texts and stack traces
    identify poorly, so they are never judged).
    """

    supported: tuple[str, ...] = ("en",)  # ISO 639-1 codes
    min_confidence: float = 0.9
    min_letters: int = 40

    @field_validator("min_confidence")
    @classmethod
    def _probability(cls, value: float) -> float:
        if not 0 < value <= 1:
            raise ValueError(f"min_confidence is a probability in (0, 1], got {value}")
        return value

    @field_validator("supported")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = known_languages()
        for code in value:
            if code not in known:
                raise ValueError(f"unknown language {code!r} (ISO 639-1 codes such as en, de, fr)")
        if not value:
            raise ValueError("supported needs at least one language")
        return value


class OutOfScopeRule(Strict):
    """One way a request shows it is out of scope: its request type, a field's value, a pattern
    in its text, or the language it is written in."""

    category: str
    request_types: tuple[str, ...] = ()  # request type names, ids or Data Center keys
    field: FieldId | None = None
    values: tuple[str, ...] = ()
    patterns: tuple[RegexText, ...] = ()  # searched in the facts named by `search`
    search: tuple[Annotated[str, one_of("text fact", TEXT_FACTS)], ...] = ()
    language: LanguageRule | None = None


class OutOfScopeConfig(Strict):
    categories: dict[str, str]  # category -> plain words for the agent
    rules: tuple[OutOfScopeRule, ...] = ()


class ReleasesConfig(Strict):
    pre_release_patterns: tuple[RegexText, ...] = ()  # searched in the version text
    end_of_life: dict[str, dict[str, date]] = {}  # product -> "major.minor" -> end-of-life date


class BundleRule(Strict):
    min_users: int | None = None
    min_remote_agents: int | None = None


class ProductsConfig(Strict):
    covered: tuple[str, ...]
    aliases: dict[str, str] = {}  # another name (a former one, an abbreviation) -> a covered product
    deployment_suffixes: tuple[str, ...] = ()  # "Bitbucket Data Center" is Bitbucket
    bundled: dict[str, BundleRule] = {}
    bundled_deployments: tuple[Annotated[str, one_of("deployment", DEPLOYMENTS)], ...] = ("data-center",)


class AssetsAttributes(Strict):
    """Names of the Assets object attributes that hold each part of an entitlement record."""

    sen: str = "SEN"
    customer: str = "Customer"
    region: str = "Region"
    deployment: str = "Deployment"
    products: str = "Products"
    users: str = "Users"
    remote_agents: str = "Remote agents"
    maintenance_end: str = "Maintenance end"
    priority_purchased: str = "Priority Support purchased"
    admins: str = "Admins"
    time_zone: str = "Time zone"
    holiday_country: str = "Holiday country"
    holiday_subdivision: str = "Holiday subdivision"


class EntitlementSourceConfig(Strict):
    source: Annotated[str, one_of("entitlement source", ENTITLEMENT_SOURCES)]
    path: str | None = None  # file source; relative to the mapping config's folder
    aql: str | None = None  # assets source; {sen} is replaced by the normalised SEN
    list_aql: str | None = None  # assets source: every entitlement object, for on-boarding (worker/onboarding.py)
    attributes: AssetsAttributes = AssetsAttributes()
    cache_ttl: Duration = timedelta(minutes=5)


class MappingConfig(Strict):
    fields: FieldsConfig
    severity: SeverityConfig
    levels: dict[LevelName, LevelConfig]
    environments: EnvironmentsConfig
    regions: dict[str, RegionConfig]
    reminders: tuple[ReminderConfig, ...] = ()
    labels: LabelsConfig = LabelsConfig()
    write_fields: WriteFieldsConfig = WriteFieldsConfig()
    out_of_scope: OutOfScopeConfig
    releases: ReleasesConfig = ReleasesConfig()
    products: ProductsConfig
    entitlement: EntitlementSourceConfig
    routing: RoutingConfig | None = None  # teams, shifts and handoffs (worker/routing/); unset: no routing

    _source: Path | None = PrivateAttr(default=None)
    _lines: dict = PrivateAttr(default_factory=dict)  # key path -> line in the file, for later problems
    _version: str | None = PrivateAttr(default=None)
    _sla_policy: Any = PrivateAttr(default=None)

    @property
    def version(self) -> str:
        """A short hash of the content: the same settings give the same version, whatever the layout."""
        if self._version is None:
            canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
            self._version = hashlib.sha256(canonical.encode()).hexdigest()[:12]
        return self._version

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> "MappingConfig":
        copy = super().model_copy(update=update, deep=deep)
        if update:  # the cached version and SLA policy describe the old content
            copy._version = copy._sla_policy = None
        return copy

    @property
    def lines(self) -> dict:
        return self._lines

    @property
    def source(self) -> Path | None:
        """The file this config was read from, if any."""
        return self._source

    def resolve(self, relative: str) -> Path:
        """A path from the config, taken relative to the config file's folder."""
        path = Path(relative)
        if path.is_absolute() or self._source is None:
            return path
        return self._source.parent / path

    @property
    def reads_description(self) -> bool:
        """Whether a rule looks at the request's description (so the triage must read it)."""
        return any(rule.language is not None or "description" in rule.search for rule in self.out_of_scope.rules)

    def level_rank(self, level: str) -> int:
        return int(level[1:])

    def sla_policy(self):
        """The SlaPolicy these settings describe (built once; the model is frozen)."""
        if self._sla_policy is None:
            from worker.config.sla import build_sla_policy

            self._sla_policy = build_sla_policy(self)
        return self._sla_policy
