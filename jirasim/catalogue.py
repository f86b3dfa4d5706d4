"""What the simulated Jira site is made of: its project, fields, options, priorities, statuses
and JSM request types.

The default mapping config uses these ids, so the demo site and the config agree by
construction. Option, priority and status ids follow Jira's usual numbering style.
"""
from __future__ import annotations

from dataclasses import dataclass

PROJECT_KEY = "PS"
PROJECT_ID = "10000"
PROJECT_NAME = "Priority Support"
SERVICE_DESK_ID = "1"
PROPERTY_KEY = "priority-support"  # the issue property the worker writes its decision to

REQUEST_TYPE_FIELD = "customfield_10010"
SEN_FIELD = "customfield_10100"
SEVERITY_FIELD = "customfield_10101"
PRODUCT_FIELD = "customfield_10102"
PRODUCT_VERSION_FIELD = "customfield_10103"
ENVIRONMENT_FIELD = "customfield_10104"
IMPACT_FIELD = "customfield_10105"
URGENCY_FIELD = "customfield_10106"
PS_LEVEL_FIELD = "customfield_10110"
PS_DUE_FIELD = "customfield_10111"
PS_ENTITLEMENT_FIELD = "customfield_10112"
PS_TEAM_FIELD = "customfield_10113"

SEVERITY_OPTIONS = ("L1 - Production down", "L2 - Serious degradation",
                    "L3 - Moderate impact", "L4 - Limited impact")
PRODUCT_OPTIONS = ("Jira Software", "Jira Service Management", "Jira Core", "Confluence", "Fisheye",
                   "Crucible", "Bamboo", "Bitbucket", "Crowd", "Other")
ENVIRONMENT_OPTIONS = ("Production", "Staging", "Test", "Development")
IMPACT_OPTIONS = ("Extensive / Widespread", "Significant / Large", "Moderate / Limited",
                  "Minor / Localized")
URGENCY_OPTIONS = ("Critical", "High", "Medium", "Low")
# The teams of the shipped routing config (worker/defaults/mapping.yaml `routing`) and their agents.
TEAM_OPTIONS = ("Priority Support AMER", "Priority Support EMEA", "Priority Support APAC", "Select Support")
AGENT_EMAILS = ("ava.amer@example.com", "ari.amer@example.com", "emil.emea@example.com",
                "ines.emea@example.com", "aki.apac@example.com", "sol.select@example.com")


@dataclass(frozen=True)
class Option:
    id: str
    value: str


@dataclass(frozen=True)
class FieldDef:
    """One field of the site. `kind` decides how values are validated, stored and searched.

    kinds: string (one line), text (description), option (single select), datetime, labels,
    priority, status, user, issuetype, project, request_type, status_category.
    `editable` is False for fields no edit screen can carry (status, created, ...).
    """

    id: str
    name: str
    kind: str
    custom: bool = False
    options: tuple[Option, ...] = ()
    editable: bool = True

    @property
    def custom_id(self) -> int | None:
        return int(self.id.rsplit("_", 1)[1]) if self.custom else None

    def option_by_value(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def option_by_id(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


def _options(first_id: int, values: tuple[str, ...]) -> tuple[Option, ...]:
    return tuple(Option(str(first_id + i), v) for i, v in enumerate(values))


FIELDS: tuple[FieldDef, ...] = (
    FieldDef("summary", "Summary", "string"),
    FieldDef("description", "Description", "text"),
    FieldDef("priority", "Priority", "priority"),
    FieldDef("labels", "Labels", "labels"),
    FieldDef("status", "Status", "status", editable=False),
    FieldDef("statusCategory", "Status Category", "status_category", editable=False),
    FieldDef("reporter", "Reporter", "user"),
    FieldDef("created", "Created", "datetime", editable=False),
    FieldDef("updated", "Updated", "datetime", editable=False),
    FieldDef("issuetype", "Issue Type", "issuetype", editable=False),
    FieldDef("project", "Project", "project", editable=False),
    # JSM sets the request type from the portal; an edit screen cannot carry it.
    FieldDef(REQUEST_TYPE_FIELD, "Request Type", "request_type", custom=True, editable=False),
    FieldDef(SEN_FIELD, "SEN", "string", custom=True),
    FieldDef(SEVERITY_FIELD, "Severity", "option", custom=True,
             options=_options(10200, SEVERITY_OPTIONS)),
    FieldDef(PRODUCT_FIELD, "Product", "option", custom=True, options=_options(10210, PRODUCT_OPTIONS)),
    FieldDef(PRODUCT_VERSION_FIELD, "Product version", "string", custom=True),
    FieldDef(ENVIRONMENT_FIELD, "Environment", "option", custom=True,
             options=_options(10230, ENVIRONMENT_OPTIONS)),
    FieldDef(IMPACT_FIELD, "Impact", "option", custom=True, options=_options(10240, IMPACT_OPTIONS)),
    FieldDef(URGENCY_FIELD, "Urgency", "option", custom=True, options=_options(10250, URGENCY_OPTIONS)),
    FieldDef(PS_LEVEL_FIELD, "Priority Support level", "string", custom=True),
    FieldDef(PS_DUE_FIELD, "Priority Support due", "datetime", custom=True),
    FieldDef(PS_ENTITLEMENT_FIELD, "Priority Support entitlement", "string", custom=True),
    FieldDef(PS_TEAM_FIELD, "Priority Support team", "option", custom=True, options=_options(10300, TEAM_OPTIONS)),
    FieldDef("assignee", "Assignee", "user"),
)
FIELDS_BY_ID = {f.id: f for f in FIELDS}

# Fields a customer fills in on the portal; the Priority Support fields are for agents only.
REQUEST_FORM_FIELDS = ("summary", "description", SEN_FIELD, SEVERITY_FIELD, PRODUCT_FIELD,
                       PRODUCT_VERSION_FIELD, ENVIRONMENT_FIELD, IMPACT_FIELD, URGENCY_FIELD)


@dataclass(frozen=True)
class Priority:
    id: str
    name: str


PRIORITIES = (Priority("1", "Highest"), Priority("2", "High"), Priority("3", "Medium"),
              Priority("4", "Low"), Priority("5", "Lowest"))
DEFAULT_PRIORITY = PRIORITIES[2]


@dataclass(frozen=True)
class StatusCategory:
    id: int
    key: str
    name: str
    color: str


TODO = StatusCategory(2, "new", "To Do", "blue-gray")
IN_PROGRESS = StatusCategory(4, "indeterminate", "In Progress", "yellow")
DONE = StatusCategory(3, "done", "Done", "green")
STATUS_CATEGORIES = (TODO, IN_PROGRESS, DONE)


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: StatusCategory


STATUSES = (Status("10001", "Waiting for support", TODO),
            Status("10002", "Waiting for customer", IN_PROGRESS),
            Status("10003", "Resolved", DONE))
INITIAL_STATUS = STATUSES[0]


@dataclass(frozen=True)
class IssueType:
    id: str
    name: str


SERVICE_REQUEST = IssueType("10002", "Service Request")
INCIDENT = IssueType("10003", "Incident")
ISSUE_TYPES = (SERVICE_REQUEST, INCIDENT)


@dataclass(frozen=True)
class RequestType:
    id: str
    name: str
    issue_type: IssueType
    description: str


# Named like the request types the default mapping config (worker/defaults/mapping.yaml)
# lists as out of scope, plus two in-scope ones for real problems.
REQUEST_TYPES = (
    RequestType("1", "Technical support", SERVICE_REQUEST, "Get help with a problem in a product."),
    RequestType("2", "Report a production outage", INCIDENT, "A production system is down or unusable."),
    RequestType("3", "Get help with a third-party app", SERVICE_REQUEST,
                "Questions about Marketplace apps and integrations."),
    RequestType("4", "Ask a development question", SERVICE_REQUEST, "Help with code, APIs or plugins."),
    RequestType("5", "Suggest a new feature", SERVICE_REQUEST, "Suggest an improvement."),
    RequestType("6", "Report a product bug", SERVICE_REQUEST, "Report a product defect."),
    RequestType("7", "Request product training", SERVICE_REQUEST, "Learn how to use a product."),
    RequestType("8", "Request an upgrade or installation", SERVICE_REQUEST,
                "Hands-on help with an upgrade or installation."),
    RequestType("9", "Request an on-site visit", SERVICE_REQUEST, "An engineer at your site."),
    RequestType("10", "Request remote administration", SERVICE_REQUEST, "We administer your instance."),
    RequestType("11", "Request advisory services", SERVICE_REQUEST, "Architecture and planning advice."),
)

# Workflow transitions: (id, name, target status).
TRANSITIONS = (("11", "Back to support", STATUSES[0]), ("21", "Respond to customer", STATUSES[1]),
               ("31", "Resolve this issue", STATUSES[2]))


def find_request_type(name_or_id: str) -> RequestType | None:
    wanted = name_or_id.strip().casefold()
    return next((rt for rt in REQUEST_TYPES if wanted in (rt.id, rt.name.casefold())), None)


def find_priority(name: str | None = None, priority_id: str | None = None) -> Priority | None:
    return next((p for p in PRIORITIES if p.name == name or p.id == priority_id), None)


def find_status(name_or_id: str) -> Status | None:
    wanted = name_or_id.strip().casefold()
    return next((s for s in STATUSES if wanted in (s.id, s.name.casefold())), None)


def severity_option(level: str) -> str:
    """The Severity option for "L1".."L4" (or the option text itself)."""
    wanted = level.strip().upper()
    for value in SEVERITY_OPTIONS:
        if value.upper() == wanted or value.split(" - ")[0] == wanted:
            return value
    raise ValueError(f"unknown severity {level!r}; use one of L1, L2, L3, L4")


def sample_request_fields(*, summary: str, sen: str | None = None, severity: str | None = None,
                          product: str | None = None, version: str | None = None,
                          environment: str | None = None, description: str | None = None,
                          impact: str | None = None, urgency: str | None = None) -> dict:
    """`requestFieldValues` for a JSM create, in the shape the portal sends."""
    values: dict = {"summary": summary}
    if description:
        values["description"] = description
    if sen:
        values[SEN_FIELD] = sen
    if severity:
        values[SEVERITY_FIELD] = {"value": severity_option(severity)}
    for field_id, value in ((PRODUCT_FIELD, product), (ENVIRONMENT_FIELD, environment),
                            (IMPACT_FIELD, impact), (URGENCY_FIELD, urgency)):
        if value:
            values[field_id] = {"value": value}
    if version:
        values[PRODUCT_VERSION_FIELD] = version
    return values
