"""Personal learning (pure): events replay into verdicts, verdicts into decayed evidence,
evidence into Beta posteriors and plain words; the prompt builder Thompson-samples the
posteriors without ever overriding what was said, excluded or banned."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from designer_bff.commands.parser import parse_command
from designer_bff.garments.spec import GarmentSpec
from designer_bff.generation.prompt import Preferences, build_prompt
from designer_bff.generation.service import parsed_specs
from designer_bff.learning import core
from designer_bff.learning.core import (
    Evidence,
    GlobalRate,
    Verdict,
    describe,
    posteriors,
    replay,
    tally,
    verdict_weights,
)

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
DRESS = GarmentSpec(garment_type="dress")


@dataclass
class Ev:
    image_id: Any
    kind: str
    value: float
    created_at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# -- replay and verdicts -----------------------------------------------------------------


def test_replay_follows_taken_back_verdicts_and_ratings() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    events = [  # out of order on purpose: replay sorts by time
        Ev(a, "outlier", 0.0, _at(5), {"length": "maxi"}),
        Ev(a, "outlier", 1.0, _at(1), {"length": "mini"}),
        Ev(a, "rating", 5.0, _at(2)),
        Ev(a, "comment", 1.0, _at(9)),  # says nothing about success
        Ev(b, "like", 1.0, _at(1)),
        Ev(b, "dislike", 1.0, _at(3)),
        Ev(b, "like", 0.0, _at(4)),  # taking back a like that was replaced: no change
        Ev(c, "rating", 2.0, _at(1)),
        Ev(c, "rating", 0.0, _at(2)),
        Ev(None, "outlier", 1.0, _at(1)),  # its design was deleted
    ]
    out = replay(events)
    assert set(out) == {a, b, c}
    verdict, attrs, when = out[a]
    assert verdict == Verdict(is_outlier=False, rating=5)
    assert attrs == {"length": "maxi"}  # the latest event's credit
    assert when == _at(5)
    assert out[b][0] == Verdict(reaction="dislike")
    assert out[b][2] == _at(3)  # the no-op event does not move the change time
    assert out[c][0] == Verdict()


def test_replay_reads_naive_times_as_utc() -> None:
    a = uuid.uuid4()
    out = replay([Ev(a, "favorite", 1.0, datetime(2025, 3, 1, 12))])
    assert out[a][0].is_favorite and out[a][2] == T0


def test_verdict_weights() -> None:
    shown = (0.0, core.SHOWN_WEIGHT)
    assert verdict_weights(None) == shown
    assert verdict_weights(Verdict()) == shown
    assert verdict_weights(Verdict(rating=3)) == shown
    assert 0 < core.SHOWN_WEIGHT < 0.5
    for success in (
        Verdict(is_outlier=True),
        Verdict(is_favorite=True),
        Verdict(reaction="like"),
        Verdict(rating=4),
    ):
        assert verdict_weights(success) == (1.0, 0.0)
    assert verdict_weights(Verdict(reaction="dislike")) == (0.0, 1.0)
    assert verdict_weights(Verdict(rating=1)) == (0.0, 1.0)
    assert verdict_weights(Verdict(is_favorite=True, rating=2)) == (1.0, 1.0)


# -- tally and posteriors ----------------------------------------------------------------


def test_decay_halves_at_the_half_life() -> None:
    attrs = {"length": "maxi", "colors": ["rust", "olive"], "occasions": ["party"]}
    t = tally(
        [(attrs, 1.0, 0.0, T0), (attrs, 0.0, 1.0, T0 + timedelta(days=30))],
        now=T0 + timedelta(days=30),
        half_life_days=30,
    )
    maxi = t["length"]["maxi"]
    assert maxi.success == pytest.approx(0.5)
    assert maxi.failure == pytest.approx(1.0)
    assert (maxi.successes, maxi.failures, maxi.shown) == (1, 1, 2)
    assert set(t["colors"]) == {"rust", "olive"}
    assert "occasions" not in t  # not a learned attribute
    again = tally([(attrs, 1.0, 0.0, T0)], now=T0 + timedelta(days=60), half_life_days=30)
    assert again["length"]["maxi"].success == pytest.approx(0.25)


def test_forget_ignores_what_came_before() -> None:
    old = ({"length": "maxi", "patterns": ["floral"]}, 1.0, 0.0, T0)
    new = ({"length": "maxi", "patterns": ["floral"]}, 0.0, 1.0, T0 + timedelta(days=2))
    t = tally(
        [old, new],
        now=T0 + timedelta(days=2),
        half_life_days=30,
        forget={("length", "maxi"): T0 + timedelta(days=1)},
    )
    assert t["length"]["maxi"].shown == 1 and t["length"]["maxi"].successes == 0
    assert t["patterns"]["floral"].shown == 2  # only the value forgotten


def test_posteriors_without_and_with_a_prior() -> None:
    t = {"length": {"maxi": Evidence(3.0, 1.0, 3, 1, 4)}}
    plain = posteriors(t)
    a0, b0 = core.BASE_PRIOR
    assert plain == {"length": {"maxi": (a0 + 3.0, b0 + 1.0)}}

    prior = {
        "length": {"maxi": GlobalRate(0.5, 1000), "mini": GlobalRate(0.02, 1000)},
        "patterns": {"floral": GlobalRate(0.4, 300)},
    }
    leaned = posteriors(t, prior=prior, prior_strength=10)
    # the global rate stands in for the base prior, the designer's evidence comes on top
    ga, gb = core.prior_counts(GlobalRate(0.5, 1000), 10)
    assert leaned["length"]["maxi"] == pytest.approx((ga + 3.0, gb + 1.0))
    # values only known globally get a posterior: a new designer leans to them
    mini, floral = leaned["length"]["mini"], leaned["patterns"]["floral"]
    assert floral[0] / sum(floral) > mini[0] / sum(mini)
    assert floral[0] / sum(floral) > a0 / (a0 + b0)
    # a rate counted on few designs weighs only as much as those designs
    thin = core.prior_counts(GlobalRate(1.0, 2), 10)
    assert thin[0] < core.prior_counts(GlobalRate(1.0, 200), 10)[0]


def test_describe_says_what_stands_out_in_plain_words() -> None:
    designs: list[tuple[dict[str, Any], float, float, datetime]] = []
    for i in range(10):  # 6 of 10 maxi dresses were outliers; 0 of 10 minis
        designs.append(({"length": "maxi"}, 1.0 if i < 6 else 0.0, 0.0, T0))
        designs.append(({"length": "mini"}, 0.0, 1.0 if i < 5 else 0.0, T0))
    designs.append(({"length": "midi"}, 1.0, 0.0, T0))  # too few designs to say anything
    t = tally(designs, now=T0, half_life_days=30)
    said = describe(t, min_designs=3)
    by_value = {s.value: s for s in said}
    assert set(by_value) == {"maxi", "mini"}
    maxi, mini = by_value["maxi"], by_value["mini"]
    # Laplace-smoothed: maxi (6+1)/(10+2) against the rest (1+1)/(11+2)
    assert maxi.ratio == pytest.approx((7 / 12) / (2 / 13))
    assert maxi.direction == "more"
    assert maxi.text == "You mark maxi lengths as outliers 4× more often than other lengths"
    assert mini.direction == "less" and mini.ratio < 1
    assert mini.text == "You rarely keep mini lengths: 0 of 10 were standouts"
    # the stronger contrast first: minis (1/12 against 7/13) stand out more than maxis
    assert [s.value for s in said] == ["mini", "maxi"]
    assert describe(t, limit=1) == said[:1]

    words = describe(
        tally(
            [({"colors": ["rust"], "garment_type": "dress"}, 1.0, 0.0, T0)] * 5
            + [({"colors": ["navy"], "garment_type": "skirt"}, 0.0, 0.1, T0)] * 5,
            now=T0,
            half_life_days=30,
        )
    )
    texts = [s.text for s in words]
    assert any(t.startswith("You mark designs in rust as outliers") for t in texts)
    assert any(t.startswith("You mark dresses as outliers") for t in texts)
    assert "You rarely keep skirts: 0 of 5 were standouts" in texts


# -- Thompson sampling in the prompt builder -----------------------------------------------

STRONG_MAXI = {
    "length": {
        "maxi": (200.0, 2.0),
        **{v: (1.0, 200.0) for v in ("mini", "knee", "midi", "floor", "ankle", "cropped")},
    }
}


def test_thompson_fill_is_reproducible_per_seed_and_index() -> None:
    prefs = Preferences(
        posteriors={
            "length": {"maxi": (3.0, 2.0), "mini": (1.0, 3.0)},
            "patterns": {"floral": (2.0, 1.0)},
        }
    )
    first = [build_prompt(DRESS, preferences=prefs, seed=5, index=i).spec for i in range(12)]
    again = [build_prompt(DRESS, preferences=prefs, seed=5, index=i).spec for i in range(12)]
    assert first == again
    other = [build_prompt(DRESS, preferences=prefs, seed=6, index=i).spec for i in range(12)]
    assert other != first


def test_the_explore_share_is_honoured() -> None:
    n = 600

    def not_maxi(explore: float) -> float:
        prefs = Preferences(posteriors=STRONG_MAXI, explore=explore)
        lengths = [
            build_prompt(DRESS, preferences=prefs, seed=3, index=i).spec.length for i in range(n)
        ]
        return sum(v != "maxi" for v in lengths) / n

    assert not_maxi(0.0) == 0.0
    plain = [build_prompt(DRESS, seed=3, index=i).spec.length for i in range(n)]
    base_not_maxi = sum(v != "maxi" for v in plain) / n
    assert 0.5 < base_not_maxi < 1.0
    # an explore draw follows the style mix alone: explore * P(not maxi) of all draws
    for explore in (0.1, 0.3):
        assert not_maxi(explore) == pytest.approx(explore * base_not_maxi, abs=0.04)
    # explore 1: the posteriors are never used, the batch is the plain one
    everything = Preferences(posteriors=STRONG_MAXI, explore=1.0)
    assert [
        build_prompt(DRESS, preferences=everything, seed=3, index=i).spec.length for i in range(40)
    ] == plain[:40]


def test_excluded_and_banned_values_are_never_filled_whatever_the_posterior() -> None:
    strong = {
        "length": {"maxi": (500.0, 1.0)},
        "patterns": {"floral": (500.0, 1.0)},
        "colors": {"black": (500.0, 1.0), "rust": (500.0, 1.0)},
    }
    prefs = Preferences(posteriors=strong, banned={"patterns": frozenset({"floral"})}, explore=0.0)
    spec = (
        parse_command("dresses without maxi length, no black").specs
        or [parse_command("dresses without maxi length, no black").spec]
    )[0]
    assert "maxi" in spec.exclude.lengths and "black" in spec.exclude.colors
    for seed in range(4):
        for index in range(25):
            built = build_prompt(spec, preferences=prefs, seed=seed, index=index)
            assert built.spec.length != "maxi"
            assert "floral" not in built.spec.patterns
            assert "black" not in built.spec.colors


def test_what_was_said_wins_over_the_posterior() -> None:
    prefs = Preferences(posteriors=STRONG_MAXI, explore=0.0)
    spec = GarmentSpec(garment_type="dress", length="mini")
    for index in range(10):
        built = build_prompt(spec, preferences=prefs, seed=1, index=index)
        assert built.spec.length == "mini"
        assert "length" not in built.params["filled"]


def test_a_batch_stays_varied_with_little_evidence() -> None:
    little = Preferences(
        posteriors={"length": {"maxi": (2.0, 1.0)}, "patterns": {"solid": (1.0, 1.15)}}
    )
    batch = [build_prompt(DRESS, preferences=little, seed=11, index=i).spec for i in range(10)]
    assert len({s.length for s in batch}) >= 3
    assert len({s.silhouette for s in batch}) >= 3
    assert len({s.colors[0] for s in batch if s.colors}) >= 4


def test_params_say_when_the_posterior_changed_a_choice() -> None:
    prefs = Preferences(posteriors=STRONG_MAXI, explore=0.0)
    flags = [
        build_prompt(DRESS, preferences=prefs, seed=2, index=i).params["preferences"]
        for i in range(10)
    ]
    plain = [build_prompt(DRESS, seed=2, index=i).spec.length for i in range(10)]
    # where the plain draw was not maxi, the posterior changed it
    assert flags == [length != "maxi" for length in plain]


def test_maxi_outliers_and_mini_dislikes_lean_the_next_dresses_to_maxi() -> None:
    """Acceptance 5: 10 maxi dresses marked as outliers and 10 minis disliked, then "make
    me 10 dresses" leans measurably to maxi."""
    spec, quantity = parsed_specs(parse_command("make me 10 dresses"))[0]
    assert quantity == 10
    events: list[Ev] = []
    designs: list[tuple[dict[str, Any], float, float, datetime]] = []
    for i in range(20):
        length, kind = ("maxi", "outlier") if i < 10 else ("mini", "dislike")
        drawn = build_prompt(
            GarmentSpec(garment_type="dress", length=length), seed=40, index=i
        ).spec
        attrs: dict[str, Any] = {}
        for name, value in drawn.attribute_items():
            if isinstance(getattr(drawn, name), list):
                attrs.setdefault(name, []).append(value)
            else:
                attrs[name] = value
        events.append(Ev(uuid.uuid4(), kind, 1.0, _at(i), attrs))
    for verdict, attrs, when in replay(events).values():
        designs.append((attrs, *verdict_weights(verdict), when))
    t = tally(designs, now=_at(30), half_life_days=core.HALF_LIFE_DAYS)
    prefs = Preferences(posteriors=posteriors(t), explore=core.EXPLORE)

    def lengths(p: Preferences | None, seed: int) -> Counter[str | None]:
        return Counter(
            build_prompt(spec, preferences=p, seed=seed, index=i).spec.length
            for i in range(quantity)
        )

    learned = sum((lengths(prefs, s) for s in range(10)), Counter[str | None]())
    plain = sum((lengths(None, s) for s in range(10)), Counter[str | None]())
    # over ten batches of 10: most learned dresses are maxi, few minis
    assert learned["maxi"] >= 50 and learned["maxi"] >= 2.5 * plain["maxi"]
    assert learned["mini"] <= plain["mini"] / 2
    one = lengths(prefs, 0)
    assert one["maxi"] > lengths(None, 0)["maxi"]  # even a single batch leans
