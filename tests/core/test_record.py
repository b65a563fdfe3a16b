"""`@record` against the reference it replaces: each class here is built twice, once by the
standard library's `dataclasses` and once by `tagguard.core.record`, and the two must behave
alike (construction, defaults, `repr`, equality, hashing, order, freezing, `replace`,
`__match_args__`, `__post_init__`, inheritance) for every feature tagguard's classes use."""

# The classes here are built by a decorator chosen at run time, which mypy cannot follow
# (it reads `@make()` as returning the class unchanged, without the generated __init__).
# mypy: disable-error-code="call-arg, attr-defined, misc, operator, type-var, unreachable, comparison-overlap"

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tagguard.core import record as rec

Build = Callable[..., Any]


def _std(frozen: bool = True, order: bool = False) -> Build:
    return dataclasses.dataclass(frozen=frozen, order=order)


def _ours(frozen: bool = True, order: bool = False) -> Build:
    return rec.record(frozen=frozen, order=order)


BOTH: list[tuple[Build, Build, Build]] = [
    (_std, dataclasses.field, dataclasses.replace),
    (_ours, rec.field, rec.replace),
]
KINDS = [
    pytest.param(kind, id=name) for kind, name in zip(BOTH, ["dataclasses", "record"], strict=True)
]


def _point(make: Build, field: Build) -> type:
    @make()
    class Point:
        x: int
        y: str = "a"
        tags: tuple[int, ...] = field(default_factory=tuple)
        hidden: int = field(default=7, repr=False, compare=False)

    return Point


@pytest.fixture(autouse=True, params=[rec.SHARED_INITS, 0], ids=["shared-init", "compiled-init"])
def init_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Every test twice: a record's first instances are made by the shared __init__, later
    ones by the compiled one (with 0, every instance is)."""
    shared: int = request.param
    monkeypatch.setattr(rec, "SHARED_INITS", shared)
    return shared


@pytest.fixture(params=KINDS)
def kit(request: pytest.FixtureRequest) -> tuple[Build, Build, Build]:
    made: tuple[Build, Build, Build] = request.param
    return made


def test_the_two_builders_agree_on_construction_repr_and_equality() -> None:
    seen = []
    for make, field, _ in BOTH:
        point = _point(make, field)
        first, second = point(1), point(1, "b", (2,), hidden=9)
        seen.append(
            (
                repr(first),
                repr(second),
                first == point(1),
                first == point(1, hidden=8),  # `hidden` is not compared
                first == point(2),
                hash(first) == hash(point(1, hidden=3)),
                first.tags,
                point.__match_args__,
                point.y,  # the class attribute is the plain default
            )
        )
    assert seen[0] == seen[1]
    assert seen[1][0] == "_point.<locals>.Point(x=1, y='a', tags=())"  # as dataclasses: qualname


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), ((1, "b", (), 3, 4), {}), ((1,), {"x": 2}), ((1,), {"z": 1})],
    ids=["missing", "too many", "twice", "unknown"],
)
def test_bad_arguments_fail_as_a_dataclass_fails(args: tuple[Any], kwargs: dict[str, Any]) -> None:
    for make, field, _ in BOTH:
        with pytest.raises(TypeError):
            _point(make, field)(*args, **kwargs)


def test_a_frozen_record_refuses_assignment_and_deletion(kit: tuple[Build, Build, Build]) -> None:
    make, field, _ = kit
    point = _point(make, field)(1)
    with pytest.raises(AttributeError):
        point.x = 2
    with pytest.raises(AttributeError):
        del point.x
    with pytest.raises(AttributeError):
        point.other = 1  # not a field either: the record's own instances are frozen whole


def test_records_raise_their_own_frozen_error() -> None:
    point = _point(rec.record, rec.field)(1)
    with pytest.raises(rec.FrozenError, match=r"cannot assign to field 'x' of a frozen .*Point$"):
        point.x = 2


def test_a_plain_subclass_may_add_attributes_but_not_assign_fields(
    kit: tuple[Build, Build, Build],
) -> None:
    make, field, _ = kit

    class Sub(_point(make, field)):
        def __init__(self) -> None:
            super().__init__(5)
            self.note = "mine"

    sub = Sub()
    assert (sub.x, sub.note) == (5, "mine")
    with pytest.raises(AttributeError):
        sub.x = 6


def test_a_mutable_record_assigns_and_is_not_hashable(kit: tuple[Build, Build, Build]) -> None:
    make, field, _ = kit

    @make(frozen=False)
    class Box:
        items: list[int] = field(default_factory=list)
        count: int = field(default=0, init=False)

    box = Box()
    box.count += 1
    box.items.append(1)
    assert (box.count, box.items) == (1, [1])
    assert Box() == Box()
    assert Box() != box
    assert Box.__hash__ is None
    with pytest.raises(TypeError):
        Box(count=1)  # not an __init__ parameter


def test_order_compares_by_the_fields_in_order(kit: tuple[Build, Build, Build]) -> None:
    make, _, _ = kit

    @make(order=True)
    class Version:
        major: int
        minor: int

    assert sorted([Version(1, 2), Version(0, 9), Version(1, 0)]) == [
        Version(0, 9),
        Version(1, 0),
        Version(1, 2),
    ]
    assert Version(1, 0) <= Version(1, 0) < Version(1, 1)
    assert Version(2, 0) > Version(1, 9) >= Version(1, 9)


def test_instances_of_different_classes_are_never_equal(kit: tuple[Build, Build, Build]) -> None:
    make, _, _ = kit

    @make()
    class A:
        x: int

    @make()
    class B:
        x: int

    assert A(1) != B(1)
    assert A(1) != (1,)
    assert A(1) == A(1)


def test_a_sub_record_inherits_fields_first_and_keeps_the_post_init(
    kit: tuple[Build, Build, Build],
) -> None:
    make, field, replace = kit

    @make()
    class Base:
        line: int
        targets: tuple[str, ...]
        derived: int = field(init=False, repr=False, compare=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "derived", self.line * 10)

    @make()
    class Child(Base):
        """A base with another field."""

        note: str = ""

    child = Child(3, ("a",), note="n")
    assert (child.line, child.targets, child.note, child.derived) == (3, ("a",), "n", 30)
    assert repr(child).endswith(".Child(line=3, targets=('a',), note='n')")
    assert Child.__match_args__ == ("line", "targets", "note")
    moved = replace(child, line=4)
    assert (moved.line, moved.note, moved.derived) == (4, "n", 40)
    assert Base(3, ("a",)) != child
    # Not an __init__ parameter: dataclasses refuses it too, with ValueError before Python
    # 3.13 and TypeError from 3.13 on (seen on 3.11.7, 3.12.1 and 3.13.0);
    # a record refuses it with ValueError on every Python.
    newer = replace is dataclasses.replace and sys.version_info >= (3, 13)
    with pytest.raises(TypeError if newer else ValueError, match="derived"):
        replace(child, derived=1)
    match child:
        case Child(line=3, note=note):
            assert note == "n"
        case _:
            pytest.fail("keyword patterns match a record")


def test_definition_errors_match_dataclasses(kit: tuple[Build, Build, Build]) -> None:
    make, field, _ = kit
    with pytest.raises(ValueError, match="mutable default"):

        @make()
        class Shared:
            items: list[int] = []  # noqa: RUF012 - the mistake under test

    with pytest.raises(TypeError):

        @make()
        class Ordered:
            first: int = 0
            second: int

    with pytest.raises(ValueError, match="both"):
        field(default=1, default_factory=int)


def test_a_method_the_class_defines_wins(kit: tuple[Build, Build, Build]) -> None:
    make, _, _ = kit

    @make()
    class Named:
        name: str

        def __repr__(self) -> str:
            return f"<{self.name}>"

    assert repr(Named("x")) == "<x>"


def test_init_is_compiled_once_a_class_has_made_its_share_of_instances(init_path: int) -> None:
    posted: list[int] = []

    @rec.record
    class Lazy:
        x: int
        y: tuple[int, ...] = rec.field(default_factory=tuple)

        def __post_init__(self) -> None:
            posted.append(self.x)

    stand_in = Lazy.__dict__["__init__"]
    for number in range(init_path):
        assert Lazy(number).y == ()
        assert Lazy.__dict__["__init__"] is stand_in  # within the class's share
    Lazy(init_path)  # one more than the share
    compiled = Lazy.__dict__["__init__"]
    assert compiled is not stand_in
    assert compiled.__qualname__.endswith("Lazy.__init__")
    assert Lazy(7, (1,)) == Lazy(x=7, y=(1,))
    assert Lazy.__dict__["__init__"] is compiled
    assert posted == [*range(init_path + 1), 7, 7]  # __post_init__ ran on both paths


def test_a_call_the_shared_init_cannot_bind_gets_pythons_own_error() -> None:
    """Too many, unknown, repeated or missing arguments go to the compiled __init__ at once:
    the error is the one Python (and a dataclass) gives."""

    @rec.record
    class Ours:
        alpha: int
        beta: str = "b"

    @dataclasses.dataclass(frozen=True)
    class Theirs:
        alpha: int
        beta: str = "b"

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((), {}),
        ((1, "a", 3), {}),
        ((1,), {"gamma": 1}),
        ((1,), {"alpha": 2}),
        ((), {"beta": "x"}),
    ]
    for args, keywords in calls:
        with pytest.raises(TypeError) as ours:
            Ours(*args, **keywords)
        with pytest.raises(TypeError) as theirs:
            Theirs(*args, **keywords)
        assert str(ours.value).split("()", 1)[1] == str(theirs.value).split("()", 1)[1]
    assert Ours(1, beta="c") == Ours(alpha=1, beta="c")


@pytest.mark.parametrize("method", ["__eq__", "__hash__"])
def test_the_hot_methods_are_compiled_once_on_first_use(method: str) -> None:
    @rec.record
    class Lazy:
        x: int
        y: int = 0

    def use() -> None:
        first = Lazy(1)
        assert first == Lazy(1, 0)
        assert first != Lazy(1, 2)
        assert hash(first) == hash(Lazy(1)) == hash((1, 0))  # the tuple dataclasses hashes

    stand_in = Lazy.__dict__[method]
    use()
    compiled = Lazy.__dict__[method]
    assert compiled is not stand_in  # the stand-in replaced itself
    use()
    assert Lazy.__dict__[method] is compiled
    assert compiled.__qualname__.endswith(f"Lazy.{method}")


def test_fields_lists_them_in_init_order() -> None:
    point = _point(rec.record, rec.field)
    assert [each.name for each in rec.fields(point)] == ["x", "y", "tags", "hidden"]


def test_a_field_a_base_class_makes_a_property_is_set_through_it(init_path: int) -> None:
    """A frozen record's __init__ writes its fields into the instance's __dict__ at once,
    except a field whose name is a data descriptor on the class: that one is set as
    `object.__setattr__` sets it (as dataclasses does), through the descriptor."""
    seen = []

    class Base:
        @property
        def x(self) -> int:
            value: int = self.__dict__["_x"]
            return value

        @x.setter
        def x(self, value: int) -> None:
            seen.append(value)
            self.__dict__["_x"] = value

    @rec.record
    class Point(Base):
        x: int
        y: int = 0

    made = [Point(n, y=n) for n in range(init_path + 2)]  # the shared and the compiled init
    assert seen == list(range(init_path + 2))
    assert [(p.x, p.y) for p in made] == [(n, n) for n in range(init_path + 2)]
    assert "x" not in made[-1].__dict__


def test_instances_share_their_keys_as_a_dataclass_does(init_path: int) -> None:
    """Each instance's `__dict__` is as small as a dataclass instance's: the fields are
    written in field order, so CPython's key-sharing dictionaries keep one table of keys
    for the whole class (one `dict.update` gave every instance its own, on 3.11 and 3.12:
    a 50,000-reference check then took 150 MB, not 126). Made by the shared `__init__`, the
    compiled one and `replace` alike."""
    names = [f"field{n}" for n in range(20)]
    annotations = dict.fromkeys(names, "int")

    def built(make: Build) -> Any:
        namespace = {"__annotations__": annotations, **dict.fromkeys(names[10:], 0)}
        return make()(type("Wide", (), namespace))

    ours, theirs = built(_ours), built(_std)
    # On 3.11 a class's first instances take more room while its table of keys settles
    # (nine here, dataclass or not): the sizes compared are those after it, of instances
    # made by the shared __init__, by the compiled one and by `replace`.
    made = [ours(*range(10)) for _ in range(rec.SHARED_INITS + 16)]
    made.append(rec.replace(made[0], field3=7, field15=8))
    baseline = [theirs(*range(10)) for _ in range(16)][-1]
    settled = [*made[10 : rec.SHARED_INITS], *made[-8:]]
    assert {sys.getsizeof(instance.__dict__) for instance in settled} == {
        sys.getsizeof(baseline.__dict__)
    }
    assert list(vars(made[-1])) == names  # in field order
    assert (made[-1].field3, made[-1].field15, made[-1].field9) == (7, 8, 9)


def test_replace_copies_as_calling_the_class_would(kit: tuple[Build, Build, Build]) -> None:
    """`replace` copies a plain record's fields without calling it; wherever calling the
    class does more than set each field (its own `__init__`, a field it sets itself, a plain
    subclass's attributes, a cached value) or refuses (a name it does not take), the result
    is what calling it gives, as with dataclasses."""
    make, field, replace = kit
    point = _point(make, field)
    first = point(1, "b", (2,), hidden=9)
    moved = replace(first, y="c")
    assert (moved.x, moved.y, moved.tags, moved.hidden, first.y) == (1, "c", (2,), 9, "b")
    assert type(moved) is point
    assert list(vars(moved)) == ["x", "y", "tags", "hidden"]  # in field order, as made
    with pytest.raises(TypeError):
        replace(first, z=1)

    class Sub(_point(make, field)):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.note = "mine"

    sub = Sub(5)
    object.__setattr__(sub, "note", "changed")
    assert replace(sub, y="c").note == "mine"  # made by Sub's __init__, not copied

    @make()
    class Own:
        x: int

        def __init__(self, x: int) -> None:
            object.__setattr__(self, "x", x * 2)

    assert replace(Own(1), x=3).x == 6

    @make()
    class Cached:
        x: int

        @functools.cached_property
        def double(self) -> int:
            return self.x * 2

    cached = Cached(1)
    assert cached.double == 2
    assert replace(cached, x=5).double == 10  # the cached value is not carried over

    @make()
    class Counted:
        x: int
        made: list[int] = field(default_factory=list, init=False, compare=False)

    counted = Counted(1)
    counted.made.append(1)
    assert replace(counted, x=2).made == []  # init=False: the factory's anew
