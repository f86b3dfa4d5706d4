"""Reading the mapping config: YAML with line numbers, validation, and errors that say where.

Errors read like a compiler's: `mapping.yaml:42: levels.L3.calendar: unknown calendar 'regonal'`.
The YAML is composed into nodes first so every key path keeps the line it came from; pydantic's
error locations are then mapped back onto those lines. Every problem is collected, not just the
first.
"""
from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from worker.config.checks import cross_check, warnings
from worker.config.models import MappingConfig

KeyPath = tuple[Any, ...]
Lines = dict[KeyPath, int]


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(ValueError):
    """The file cannot be used; `problems` lists everything found, in file order.

    `partial` (a mapping config's error only) holds the top-level sections that were valid on
    their own, with `valid` naming them, so a checker can still look at what they point to.
    """

    def __init__(self, problems: list[ConfigProblem], partial: "MappingConfig | None" = None,
                 valid: frozenset[str] = frozenset()):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0))
        self.partial = partial
        self.valid = valid
        super().__init__("\n".join(str(p) for p in self.problems))


def default_config_path() -> Path:
    """The shipped mapping config (encodes docs/POLICY.md)."""
    return Path(__file__).resolve().parent.parent / "defaults" / "mapping.yaml"


def load_config(path: str | Path) -> MappingConfig:
    """Read and validate the mapping config at `path`; ConfigError lists every problem."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(name, None, "", f"cannot read the file: {exc}")]) from None
    return parse_config(text, name=name, source=Path(path))


def parse_config(text: str, name: str = "<config>", source: Path | None = None) -> MappingConfig:
    """Validate config text (for instance an edit an admin wants to try); `source` anchors relative paths.

    Every problem comes in one report: field errors, and the cross-checks of every section that
    is valid on its own, so an admin does not fix the file in rounds."""
    data, lines, key_problems = _read_yaml(text, name)
    source = Path(source).resolve() if source is not None else None
    try:
        config = validate(MappingConfig, data, lines, name)
        if key_problems:
            raise ConfigError([])
    except ConfigError as exc:
        partial, valid = _valid_sections(data)
        partial._source, partial._lines = source, lines
        more = [problem(name, lines, path, message) for path, message in cross_check(partial, valid)]
        raise ConfigError(key_problems + exc.problems + more, partial, valid) from None
    config._source, config._lines = source, lines
    problems = [problem(name, lines, path, message) for path, message in cross_check(config)]
    if problems:
        raise ConfigError(problems, config, frozenset(MappingConfig.model_fields))
    try:
        config.sla_policy()  # build the calendars now: a config the SLA layer refuses never goes live
    except ValueError as exc:
        raise ConfigError([ConfigProblem(name, None, "", f"the SLA calendars cannot be built: {exc}")]) from None
    return config


def _valid_sections(data: Any) -> tuple[MappingConfig, frozenset[str]]:
    """The top-level sections of `data` that validate on their own, as an unvalidated MappingConfig."""
    values: dict[str, Any] = {}
    data = data if isinstance(data, dict) else {}
    for key, field in MappingConfig.model_fields.items():
        if key not in data:
            if not field.is_required():
                values[key] = field.get_default(call_default_factory=True)
            continue
        try:
            values[key] = TypeAdapter(field.annotation).validate_python(data[key])
        except ValidationError:
            continue
    return MappingConfig.model_construct(**values), frozenset(values)


def config_warnings(config: MappingConfig) -> list[ConfigProblem]:
    """What `psw config check` warns about in a valid config (checks.py `warnings`)."""
    name = str(config.source) if config.source else "<config>"
    return [problem(name, config.lines, path, message) for path, message in warnings(config)]


def entitlement_path_problem(config: MappingConfig) -> ConfigProblem | None:
    """The mapping file's own file:line when its entitlement file is not there."""
    if config.entitlement.source != "file" or not config.entitlement.path:
        return None
    path = config.resolve(config.entitlement.path)
    if path.is_file():
        return None
    where = "" if Path(config.entitlement.path).is_absolute() or config.source is None else (
        f" (a relative path is taken from the mapping file's folder, {config.source.parent})")
    name = str(config.source) if config.source else "<config>"
    return problem(name, config.lines, ("entitlement", "path"), f"no entitlement file at {path}{where}")


def validate(model: type[BaseModel], data: Any, lines: Lines, name: str, prefix: KeyPath = ()):
    """`model.model_validate(data)`, with every pydantic error turned into a ConfigProblem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_problems(exc, model, lines, name, prefix)) from None


def validation_problems(exc: ValidationError, model: type[BaseModel], lines: Lines, name: str,
                        prefix: KeyPath = ()) -> list[ConfigProblem]:
    errors = [(tuple(part for part in e["loc"] if part != "[key]"), e) for e in exc.errors(include_url=False)]
    # A misspelt required key shows up twice, as unknown and as missing; the "did you mean"
    # on the unknown one says it all.
    meant = {loc[:-1] + (_suggestion(model, loc),) for loc, e in errors if e["type"] == "extra_forbidden"}
    return [problem(name, lines, _as_in_file(prefix, loc, lines), _message(e, model, loc))
            for loc, e in errors if not (e["type"] == "missing" and loc in meant)]


def _as_in_file(prefix: KeyPath, loc: KeyPath, lines: Lines) -> KeyPath:
    """pydantic reports dict keys as text; find the key as the file wrote it (8.2, true, 7)."""
    path = prefix
    for part in loc:
        step = path + (part,)
        if step not in lines and isinstance(part, str):
            step = next((k for k in lines if len(k) == len(step) and k[:-1] == path and str(k[-1]) == part), step)
        path = step
    return path


def problem(name: str, lines: Lines, path: KeyPath, message: str) -> ConfigProblem:
    return ConfigProblem(name, _line_of(lines, path), format_path(path), message)


def format_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and part.replace("_", "").replace("-", "").isalnum():
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def _line_of(lines: Lines, path: KeyPath) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


# --- YAML with line numbers -------------------------------------------------------------

# An alias repeats its anchor's whole value, and nested aliases multiply: a 276-byte file can
# stand for 672k values ("billion laughs"). A real config repeats a calendar or a list a few
# times; past this many repeated values the file is refused.
MAX_ALIAS_VALUES = 10_000


class _AliasBudget:
    """Counts values built a second time (through an alias), and stops the build past the limit."""

    def __init__(self, name: str):
        self.name = name
        self.seen: set[int] = set()
        self.repeated = 0

    def spend(self, node: yaml.Node) -> None:
        if id(node) not in self.seen:
            self.seen.add(id(node))
            return
        self.repeated += 1
        if self.repeated > MAX_ALIAS_VALUES:
            raise ConfigError([ConfigProblem(
                self.name, node.start_mark.line + 1, "",
                f"aliases repeat more than {MAX_ALIAS_VALUES:,} values (this anchor, through nested "
                f"aliases): write the values out or repeat fewer")])


def read_yaml(text: str, name: str) -> tuple[Any, Lines]:
    """Parse YAML into plain data plus the line of every key path; ConfigError on bad YAML."""
    data, lines, problems = _read_yaml(text, name)
    if problems:
        raise ConfigError(problems)
    return data, lines


def _read_yaml(text: str, name: str) -> tuple[Any, Lines, list[ConfigProblem]]:
    """read_yaml, with a repeated or non-plain key returned as a problem (the first value kept)
    rather than raised, so validation can report the rest of the file beside it."""
    try:
        loader = yaml.SafeLoader(text)  # refuses control characters (a binary file) at once
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise ConfigError([ConfigProblem(name, line, "", f"invalid YAML: {exc.reason} ({char}): "
                                         "is this a text file?")]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError([ConfigProblem(name, None, "", "the file is empty")])
        lines: Lines = {}
        problems: list[ConfigProblem] = []
        data = _build(loader, node, (), lines, problems, name, _AliasBudget(name))
        return data, lines, problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = ": ".join(part for part in (exc.context, exc.problem) if part)
        raise ConfigError([ConfigProblem(name, line, "", f"invalid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(name, None, "", f"invalid YAML: {exc}")]) from None
    except RecursionError:
        # PyYAML composes nested collections recursively: hundreds of levels (a hostile file)
        # exhaust the stack long before any real config would.
        raise ConfigError([ConfigProblem(name, None, "", "invalid YAML: nested too deeply to read "
                                         "(a mapping config nests a few levels)")]) from None
    finally:
        loader.dispose()


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, lines: Lines,
           problems: list[ConfigProblem], name: str, budget: _AliasBudget) -> Any:
    budget.spend(node)
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<: *anchor` merges
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                problems.append(ConfigProblem(name, key_line, format_path(path), "a key must be a plain value"))
                continue
            if key in result:
                problems.append(ConfigProblem(name, key_line, format_path(path + (key,)),
                                              f"key {key!r} is given more than once"))
                continue
            lines[path + (key,)] = key_line  # a key's problems point at the key's own line
            result[key] = _build(loader, value_node, path + (key,), lines, problems, name, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), lines, problems, name, budget)
                for i, item in enumerate(node.value)]
    return _scalar(loader, node)


def _scalar(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:
        # PyYAML raises plain ValueError for timestamp-shaped scalars that are not dates
        # (2027-13-01); keep the text so validation reports it at its key and line.
        return node.value


# --- pydantic errors in words an admin understands ----------------------------------------


def _message(error: dict[str, Any], model: type[BaseModel], loc: KeyPath) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        hint = _suggestion(model, loc)
        return f"unknown key {loc[-1]!r}" + (f" (did you mean {hint!r}?)" if hint else "")
    if kind == "missing":
        return f"missing required key {loc[-1]!r}" if loc else "missing required key"
    if kind in ("value_error", "assertion_error"):
        return str(error["ctx"]["error"])
    if kind == "string_type":
        if isinstance(value, bool):
            return f"expected text, got {value!r}: YAML reads yes/no/on/off as true/false, so quote it"
        if isinstance(value, (int, float)):
            return f"expected text, got the number {value!r}: quote it"
        return f"expected text, got {_describe(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of keys to values, got {_describe(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {_describe(value)}"
    if kind.startswith("bool"):
        return f"expected true or false, got {value!r}"
    if kind.startswith(("int", "float")):
        return f"expected a number, got {value!r}"
    if kind.startswith("date"):
        return f"expected a date such as 2026-01-31, got {value!r}"
    return error["msg"]


def _suggestion(model: type[BaseModel], loc: KeyPath) -> str | None:
    """The declared key closest to the unknown key at `loc`, if one is close."""
    hint = difflib.get_close_matches(str(loc[-1]), _allowed_keys(model, loc[:-1]) or [], n=1)
    return hint[0] if hint else None


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _allowed_keys(model: type[BaseModel], loc: KeyPath) -> list[str] | None:
    """The keys the model accepts at `loc`, to suggest the intended one for a typo."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            annotation = field.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        elif typing.get_origin(annotation) in (list, tuple):
            annotation = typing.get_args(annotation)[0]
        else:
            return None
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            models = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = models[0] if len(models) == 1 else annotation
            if len(models) != 1:
                return annotation
        else:
            return annotation
