"""Value classes (`@record`): what `@dataclass(frozen=True)` gives, without its start-up cost.

Every tagguard run defines some eighty value classes (operations, decisions, rules, state).
`dataclasses` writes and compiles six methods for each frozen class when the class is
defined (`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`: one
`exec` each), about 1 ms a class on the machines CI runs on: most of what importing
tagguard's own modules cost, paid before a live check sends its first request
(`docs/performance.md`, "Value classes"). Here the three methods instances run often
(`__init__`, `__eq__`, `__hash__`) are compiled, as dataclasses writes them, when a class
first calls them (a run uses a fraction of the classes, and of those fewer compare or hash;
`__init__` once a class has made SHARED_INITS instances through a shared one, below);
`repr`, ordering and the frozen guard are shared functions over each class's field names.

What a class gets is what `dataclasses` gives it, for the features tagguard uses: fields from
the class's annotations in order (a base record's first); defaults, `field(default_factory=
..., init=False, repr=False, compare=False)`; `__post_init__`; an `__init__` with the
same parameters (no keyword-only fields); `__eq__` between instances of the same class only;
`__hash__` from the compared fields when frozen (none when mutable); `order=True`
comparisons; `__match_args__`; `replace`. Assigning to a frozen record raises `FrozenError` (an `AttributeError`, like
`dataclasses.FrozenInstanceError`). mypy reads `@record` as a dataclass through
`typing.dataclass_transform`.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, dataclass_transform, overload

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

T = TypeVar("T")


class FrozenError(AttributeError):
    """An assignment to (or deletion of) an attribute of a frozen record."""


class _Missing:
    """The absence of a default (None is a default like any other)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Field:
    """One field of a record: what `field(...)` declares, named when the class is built."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Callable[[], Any] | Any = MISSING,
        init: bool = True,
        repr: bool = True,
        compare: bool = True,
    ) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("a field cannot have both a default and a default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, init={self.init})"


@overload
def field(*, default: T, init: bool = True, repr: bool = True, compare: bool = True) -> T: ...
@overload
def field(
    *, default_factory: Callable[[], T], init: bool = True, repr: bool = True, compare: bool = True
) -> T: ...
@overload
def field(*, init: bool = True, repr: bool = True, compare: bool = True) -> Any: ...
def field(
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """A field with options, as `dataclasses.field` (the options tagguard uses)."""
    return Field(default, default_factory, init, repr, compare)


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = True, order: bool = False) -> Callable[[type[T]], type[T]]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(
    cls: type[T] | None = None, /, *, frozen: bool = True, order: bool = False
) -> type[T] | Callable[[type[T]], type[T]]:
    """Makes `cls` a value class: `@record` (frozen), `@record(frozen=False)`,
    `@record(order=True)`."""

    def build(cls: type[T]) -> type[T]:
        return _build(cls, frozen=frozen, order=order)

    return build if cls is None else build(cls)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the record `obj` with `changes` (as `dataclasses.replace`)."""
    cls = type(obj)
    # A plan replaces every decision it makes (its origin): where calling the class would
    # only set each field to its argument, the copy is the instance's fields with `changes`
    # laid over them, in a third of the time (`_copies`).
    copies = cls.__dict__.get("__record_copies__")
    if copies is None:
        copies = _copies(cls)
        cls.__record_copies__ = copies  # type: ignore[attr-defined]
    if copies and changes.keys() <= cls.__record_names__:  # type: ignore[attr-defined]
        values = obj.__dict__
        if len(values) == len(cls.__record_params__):  # type: ignore[attr-defined]
            copy: T = object.__new__(cls)
            # One update from the instance's dict, which shares the class's keys (see
            # `_compile_init`), keeps the copy's shared too; `changes` replace known keys.
            copy.__dict__.update(values, **changes)
            return copy
    # Any other record is made by calling its class, as dataclasses does.
    for name in cls.__record_unset__:  # type: ignore[attr-defined]
        if name in changes:
            raise ValueError(f"field {name} is not set by __init__: it cannot be replaced")
    for name in cls.__record_params__:  # type: ignore[attr-defined]
        if name not in changes:
            changes[name] = getattr(obj, name)
    return cls(**changes)


def _copies(cls: type) -> bool:
    """Whether `replace` may copy an instance's `__dict__` for calling `cls`: a frozen record
    of its own (not a plain subclass, which may hold attributes of its own) whose `__init__`
    is the record's, setting every field (none `init=False`, which `__post_init__` or a
    factory would set anew) into the instance's `__dict__` (no field a data descriptor), and
    nothing after (no `__post_init__`), made by `object.__new__`. An instance holding more
    than its fields (a cached property's value) is copied by calling the class."""
    return (
        cls.__dict__.get("__record_class__") is cls
        and cls.__dict__.get("__record_frozen__", False)
        and not cls.__dict__.get("__record_own_init__", True)
        and not cls.__record_unset__
        and not hasattr(cls, "__post_init__")
        and cls.__new__ is object.__new__
        and not _has_data_descriptor(cls, cls.__record_params__)
    )


def fields(cls: type) -> tuple[Field, ...]:
    """The fields of a record class, in `__init__` order."""
    return _fields_of(cls)


# -- building a class ----------------------------------------------------------------------


def _build(cls: type[T], *, frozen: bool, order: bool) -> type[T]:
    declared = _collect(cls)
    _check_defaults(cls, declared)
    compared = [f.name for f in declared if f.compare]
    attributes: dict[str, object] = {
        "__record_fields__": declared,
        "__record_repr__": tuple(f.name for f in declared if f.repr),
        "__record_class__": cls,
        "__record_names__": frozenset(f.name for f in declared),
        # What the shared __init__ binds arguments to (`_shared_init`).
        "__record_params__": tuple(f.name for f in declared if f.init),
        # What `replace` may not be given.
        "__record_unset__": tuple(f.name for f in declared if not f.init),
        "__record_required__": tuple(f.name for f in declared if f.init and _required(f)),
        # What `replace` may copy (`_copies`).
        "__record_frozen__": frozen,
        "__record_own_init__": "__init__" in cls.__dict__,
    }
    # What the class body defines itself wins, as with dataclasses.
    own = {
        "__match_args__": tuple(f.name for f in declared if f.init),
        "__init__": _warming_init(cls, frozen),
        "__repr__": _repr,
        "__eq__": _on_first_use(cls, "__eq__", _compile_eq),
    }
    attributes.update((name, value) for name, value in own.items() if name not in cls.__dict__)
    if not _has_explicit_hash(cls):
        # As dataclasses: a frozen value hashes by its compared fields; a mutable one that
        # compares by value must not be hashable at all.
        attributes["__hash__"] = _on_first_use(cls, "__hash__", _compile_hash) if frozen else None
    required: dict[str, Callable[..., object]] = {}
    if frozen:
        required.update(__setattr__=_frozen_setattr, __delattr__=_frozen_delattr)
    if order:
        # Only the order comparisons read the compared fields through a key: `__eq__` and
        # `__hash__` are compiled with them written out.
        attributes["__record_key__"] = attrgetter(*compared) if compared else _no_key
        required.update(__lt__=_lt, __le__=_le, __gt__=_gt, __ge__=_ge)
    for name, method in required.items():
        if name in cls.__dict__:
            raise TypeError(f"record {cls.__qualname__} cannot define {name} itself")
        attributes[name] = method
    for name, value in attributes.items():
        setattr(cls, name, value)
    return cls


def _collect(cls: type) -> tuple[Field, ...]:
    """The fields of `cls`: its bases' records' first (in reverse MRO), then its own
    annotations; a redeclared name keeps its first position, as in dataclasses."""
    found: dict[str, Field] = {}
    for base in cls.__mro__[-1:0:-1]:
        for each in base.__dict__.get("__record_fields__", ()):
            found[each.name] = each
    # The class's own annotations, read as dataclasses reads them (`inspect` is an import
    # this module avoids; with `from __future__ import annotations` they are strings).
    own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
    for name, annotation in own.items():
        if not _is_class_variable(annotation):
            found[name] = _own_field(cls, name)
    return tuple(found.values())


def _own_field(cls: type, name: str) -> Field:
    value = cls.__dict__.get(name, MISSING)
    declared = value if isinstance(value, Field) else Field(default=value)
    declared.name = name
    if isinstance(value, Field):
        # The class attribute becomes the plain default (or goes), as dataclasses leaves it.
        if value.default is MISSING:
            delattr(cls, name)
        else:
            setattr(cls, name, value.default)
    if isinstance(declared.default, list | dict | set):
        raise ValueError(
            f"mutable default {type(declared.default).__name__} for field {name} of "
            f"{cls.__qualname__}: use field(default_factory=...)"
        )
    return declared


def _is_class_variable(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return isinstance(text, str) and text.partition("[")[0] in ("ClassVar", "typing.ClassVar")


def _check_defaults(cls: type, declared: tuple[Field, ...]) -> None:
    seen_default = False
    for each in declared:
        if not each.init:
            continue
        has_default = each.default is not MISSING or each.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(
                f"field {each.name} of {cls.__qualname__} has no default but follows one that has"
            )
        seen_default = seen_default or has_default


def _set_new(cls: type, name: str, value: object) -> None:
    # A method the class body defines itself wins, as with dataclasses.
    if name not in cls.__dict__:
        setattr(cls, name, value)


def _required(each: Field) -> bool:
    return each.default is MISSING and each.default_factory is MISSING


def _has_explicit_hash(cls: type) -> bool:
    # Python sets `__hash__ = None` in a class that defines `__eq__`: that one is implicit.
    own = cls.__dict__.get("__hash__", MISSING)
    return not (own is MISSING or (own is None and "__eq__" in cls.__dict__))


# -- the methods every instance runs, compiled on first use ------------------------------

# A class's first instances are made by a shared __init__ that reads the class's fields
# (2.7 µs an instance of five fields); the compiled one (0.6 µs, but 60-90 µs to compile)
# takes over once a class has made this many, about where the two cost the same. A live
# plan makes instances of some forty classes, most of them a few times: compiling each on
# its first instance cost ~3.5 ms a run, now ~1.3 ms for the 13 it makes many of. (Both
# are cheaper since, `_Shared` and `_compile_init`: the balance is about where it was.)
SHARED_INITS = 32


def _warming_init(cls: type, frozen: bool) -> Callable[..., None]:
    """The stand-in `__init__` of `cls`: the shared one for its first SHARED_INITS instances,
    then the compiled one, which it puts on `cls`. Arguments the shared one does not bind
    as a plain call would (too many, unknown, twice, missing) go to the compiled one, so
    every error is Python's own, as for a dataclass."""
    made = 0
    shared: _Shared | None = None  # what the shared one reads of `cls`, on its first instance

    def stand_in(self: object, *args: Any, **kwargs: Any) -> None:
        nonlocal made, shared
        made += 1
        if made <= SHARED_INITS:
            if shared is None:
                shared = _Shared(cls, frozen)
            bound = _bind(shared, args, kwargs)
            if bound is not None:
                _shared_init(self, shared, bound)
                return
        method = _compile_init(cls, frozen)
        cls.__init__ = method  # type: ignore[misc]
        method(self, *args, **kwargs)

    stand_in.__qualname__ = f"{cls.__qualname__}.__init__"
    return stand_in


class _Shared:
    """What the shared `__init__` of one class reads, worked out once (on its first
    instance, not when the class is defined: most classes of a run make none or few). A
    plan's first decisions are made through it, a dozen classes' 32 instances each: read
    field by field, a Decision took five times what the compiled `__init__` takes (about
    as long as the rest of deciding its push), now twice."""

    __slots__ = (
        "factories",
        "into_dict",
        "names",
        "params",
        "post_init",
        "put",
        "required",
        "template",
    )

    def __init__(self, cls: type, frozen: bool) -> None:
        self.params: tuple[str, ...] = cls.__record_params__  # type: ignore[attr-defined]
        self.names = frozenset(self.params)
        self.required = frozenset(cls.__record_required__)  # type: ignore[attr-defined]
        # Every field `__init__` sets, in field order, with its default (MISSING where the
        # argument or the factory gives the value); a field with neither, not set by
        # `__init__`, is left for `__post_init__`.
        self.template: dict[str, Any] = {}
        self.factories: list[tuple[str, Callable[[], Any]]] = []
        for each in _fields_of(cls):
            if each.default_factory is not MISSING:
                self.factories.append((each.name, each.default_factory))
            if each.init or each.default is not MISSING or each.default_factory is not MISSING:
                self.template[each.name] = each.default
        # As the compiled one sets them (`_compile_init`): a frozen record's into its dict.
        self.into_dict = frozen and not _has_data_descriptor(cls, self.template)
        self.put = object.__setattr__ if frozen else setattr
        self.post_init = hasattr(cls, "__post_init__")


def _bind(shared: _Shared, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The arguments of a call of the class by parameter name; None unless a plain call."""
    params = shared.params
    if len(args) > len(params):
        return None
    bound = dict(zip(params, args, strict=False))
    if kwargs:
        if not shared.names.issuperset(kwargs) or not bound.keys().isdisjoint(kwargs):
            return None  # an unknown name, or one given twice
        bound.update(kwargs)
    if len(bound) < len(params) and not bound.keys() >= shared.required:
        return None  # a required argument missing
    return bound


def _shared_init(self: object, shared: _Shared, bound: dict[str, Any]) -> None:
    """What the compiled `__init__` does: each field the argument, else the default, else
    the factory's value (called in field order), then `__post_init__`."""
    values = shared.template.copy()  # in field order, which `update` keeps
    values.update(bound)
    for name, factory in shared.factories:
        if name not in bound:
            values[name] = factory()
    if shared.into_dict:
        fields = self.__dict__
        for name, value in values.items():  # one key at a time: see `_compile_init`
            fields[name] = value
    else:
        put = shared.put
        for name, value in values.items():
            put(self, name, value)
    if shared.post_init:
        self.__post_init__()  # type: ignore[attr-defined]


def _on_first_use(
    cls: type, name: str, compile_method: Callable[[type], Callable[..., Any]]
) -> Callable[..., Any]:
    """A stand-in for method `name` that compiles the real one, puts it on `cls` (so later
    calls go straight to it) and calls it: a class no run instantiates costs no `exec`."""

    def stand_in(self: object, *args: Any, **kwargs: Any) -> Any:
        method = compile_method(cls)
        setattr(cls, name, method)
        return method(self, *args, **kwargs)

    stand_in.__qualname__ = f"{cls.__qualname__}.{name}"
    return stand_in


def _compiled(cls: type, name: str, source: str, namespace: dict[str, Any]) -> Callable[..., Any]:
    exec(source, namespace)  # the source is built here from the class's own field names
    method: Callable[..., Any] = namespace[name]
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    return method


def _compile_init(cls: type, frozen: bool) -> Callable[..., None]:
    """`cls.__init__` as dataclasses writes it: one parameter per init field, defaults
    evaluated once, factories called per instance, then `__post_init__`.

    A frozen record's fields are written into the instance's `__dict__`, one key at a time
    in field order, not one `object.__setattr__` call each as dataclasses writes it: the
    same attributes, unless a field's name is a data descriptor on the class (then `_set`),
    in a third of the time per instance (a plan makes two Decisions per tag) and less to
    compile. One key at a time, not one `dict.update`: keys written in the class's order
    keep the instance's dict sharing its keys with every other instance of the class
    (CPython's key-sharing dictionaries), where `update` gives each its own table, twice
    the memory of an instance of Decision's twenty fields (a 50,000-reference check took
    150 MB, not 126, peak)."""
    namespace: dict[str, Any] = {"_set": object.__setattr__, "_FACTORY": MISSING}
    parameters, body = ["self"], []
    values: list[str] = []  # the frozen record's `{local}[name] = value` lines
    # The instance's `__dict__`, under a name no parameter has.
    local = "__record_dict__"
    while any(each.name == local for each in _fields_of(cls)):
        local = "_" + local
    into_dict = frozen and not _has_data_descriptor(cls, (f.name for f in _fields_of(cls)))
    for each in _fields_of(cls):
        value = _field_value(each, parameters, namespace)
        if value is None:
            continue
        if into_dict:
            values.append(f"{local}[{each.name!r}] = {value}")
        elif frozen:
            body.append(f"_set(self, {each.name!r}, {value})")
        else:
            body.append(f"self.{each.name} = {value}")
    if values:
        body += [f"{local} = self.__dict__", *values]
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(parameters)}):\n " + "\n ".join(body or ["pass"])
    return _compiled(cls, "__init__", source, namespace)


def _has_data_descriptor(cls: type, names: Iterable[str]) -> bool:
    """Whether any of `names` is a data descriptor on `cls` (a property, a slot), which
    `object.__setattr__` would go through and writing the `__dict__` would not. Each name
    is looked up as `object.__setattr__` does: the first class of the MRO holding it."""
    left = set(names)
    for base in cls.__mro__:
        if not left:
            break
        found = left.intersection(base.__dict__)
        for name in found:
            kind = type(base.__dict__[name])
            if hasattr(kind, "__set__") or hasattr(kind, "__delete__"):
                return True
        left -= found
    return False


def _compile_eq(cls: type) -> Callable[[object, object], object]:
    """`cls.__eq__` as dataclasses writes it: the compared fields as tuples, same class only."""
    mine, theirs = _tuple_of(cls, "self"), _tuple_of(cls, "other")
    source = (
        "def __eq__(self, other):\n"
        " if other.__class__ is self.__class__:\n"
        f"  return {mine} == {theirs}\n"
        " return NotImplemented"
    )
    return _compiled(cls, "__eq__", source, {})


def _compile_hash(cls: type) -> Callable[[object], int]:
    """`cls.__hash__` of a frozen record: the hash of its compared fields."""
    source = f"def __hash__(self):\n return hash({_tuple_of(cls, 'self')})"
    return _compiled(cls, "__hash__", source, {})


def _tuple_of(cls: type, owner: str) -> str:
    names = [each.name for each in _fields_of(cls) if each.compare]
    return "(" + "".join(f"{owner}.{name}," for name in names) + ")"


def _fields_of(cls: type) -> tuple[Field, ...]:
    found: tuple[Field, ...] = cls.__record_fields__  # type: ignore[attr-defined]
    return found


def _field_value(each: Field, parameters: list[str], namespace: dict[str, Any]) -> str | None:
    """The expression `__init__` assigns to `each` (None: left unset), adding its parameter."""
    name = each.name
    if each.default_factory is not MISSING:
        namespace[f"_factory_{name}"] = each.default_factory
        if not each.init:
            return f"_factory_{name}()"
        parameters.append(f"{name}=_FACTORY")
        return f"_factory_{name}() if {name} is _FACTORY else {name}"
    if each.default is not MISSING:
        namespace[f"_default_{name}"] = each.default
        if not each.init:
            return f"_default_{name}"
        parameters.append(f"{name}=_default_{name}")
        return name
    if not each.init:
        return None  # set by __post_init__, as a dataclass leaves it
    parameters.append(name)
    return name


# -- the shared methods ------------------------------------------------------------------


def _no_key(_: object) -> tuple[()]:
    return ()


def _key(obj: object) -> Any:
    # The class's attrgetter (not a function, so reading it through the class binds nothing).
    return type(obj).__record_key__(obj)  # type: ignore[attr-defined]


def _repr(self: object) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).__record_repr__)  # type: ignore[attr-defined]
    return f"{type(self).__qualname__}({shown})"


# The order comparisons (one class uses them) return NotImplemented for another class, as
# a dataclass's do, so Python tries the other operand.
def _lt(self: object, other: object) -> object:
    if other.__class__ is self.__class__:
        return _key(self) < _key(other)
    return NotImplemented


def _le(self: object, other: object) -> object:
    if other.__class__ is self.__class__:
        return _key(self) <= _key(other)
    return NotImplemented


def _gt(self: object, other: object) -> object:
    if other.__class__ is self.__class__:
        return _key(self) > _key(other)
    return NotImplemented


def _ge(self: object, other: object) -> object:
    if other.__class__ is self.__class__:
        return _key(self) >= _key(other)
    return NotImplemented


# As dataclasses: the record's own instances are frozen whole; a plain subclass (one not
# made a record itself) may add attributes of its own but not assign the record's fields.
def _frozen_setattr(self: object, name: str, value: object) -> None:
    cls = type(self)
    if cls is cls.__record_class__ or name in cls.__record_names__:  # type: ignore[attr-defined]
        raise FrozenError(f"cannot assign to field {name!r} of a frozen {cls.__qualname__}")
    object.__setattr__(self, name, value)


def _frozen_delattr(self: object, name: str) -> None:
    cls = type(self)
    if cls is cls.__record_class__ or name in cls.__record_names__:  # type: ignore[attr-defined]
        raise FrozenError(f"cannot delete field {name!r} of a frozen {cls.__qualname__}")
    object.__delattr__(self, name)
