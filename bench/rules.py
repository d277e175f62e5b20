"""秒批 rules: the time the rules themselves take to decide one application.

The three demo rule sets (高龄津贴, 城乡居民养老保险待遇, 失业保险金) decide a deterministic mix of
applications — approved, refused, and ones no row matches (a person decides). ``engine_*`` is the
time inside the rules engine as each outcome records it (``RuleOutcome.elapsed_ms``); ``call_*`` is
the whole ``rule_outcome`` call (turning the inputs into JSON, the cached rule set, the checks).
The target (issue: "the rules themselves under 1 ms") is the engine's median under 1 ms.

The baseline is zen's own ``ZenDecision.evaluate`` on the same graphs and inputs: the obvious way
to call the engine, which prepares the graph again on every call; ``ratio`` is how many times
faster the compiled rule set is.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from typing import Any

from bench.harness import Result, latencies_ms

SIZES = {"quick": 1_000, "full": 20_000}
TARGET_P50_MS = 1.0


def _applications(n: int, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """(rule set key, inputs): ages, households and form answers spread around each threshold."""
    out: list[tuple[str, dict[str, Any]]] = []
    divisions = ["370102", "370112001002", "370116", "110105", "320102"]
    for i in range(n):
        applicant = {
            "kind": "person",
            "age": None if rng.random() < 0.03 else rng.randint(30, 95),  # 3 % unknown: refer
            "division_code": rng.choice(divisions),
        }
        which = i % 3
        if which == 0:
            key = "elderly-allowance-v1"
            form: dict[str, Any] = {"receiving_similar_allowance": rng.random() < 0.2}
        elif which == 1:
            key = "resident-pension-v1"
            form = {
                "contribution_years": rng.randint(5, 30),
                "receiving_other_pension": rng.random() < 0.1,
            }
        else:
            key = "unemployment-benefit-v1"
            form = {
                "contribution_months": rng.randint(3, 120),
                "separation_reason": rng.choice(
                    ["contract_expired", "employer_terminated", "employer_fault", "resigned"]
                ),
                "unemployment_registered": rng.random() < 0.9,
                "job_seeking": rng.random() < 0.95,
            }
        out.append((key, {"applicant": applicant, "form": form}))
    return out


def run(size: str) -> Result:
    import zen

    from quanban.catalogue.demo_data import demo_rule_sets_load
    from quanban.catalogue.models import InstantRuleSet
    from quanban.catalogue.rules import rule_outcome, rule_set_compiled

    n = SIZES[size]
    demo_rule_sets_load()
    applications = _applications(n, random.Random(2026))
    for key, inputs in applications[:30]:  # compile each rule set once, as the first case would
        rule_outcome(key=key, number=1, inputs=inputs)
    for key in {key for key, _ in applications}:
        rule_set_compiled(key=key, number=1)

    decisions: dict[str, int] = {"approve": 0, "reject": 0, "person": 0}
    engine_ms: list[float] = []
    pending = iter(applications)

    def decide() -> None:
        key, inputs = next(pending)
        outcome = rule_outcome(key=key, number=1, inputs=inputs)
        engine_ms.append(outcome.elapsed_ms)
        decisions[outcome.decision or "person"] += 1

    call = latencies_ms(decide, n=n)
    engine_ms.sort()

    # The baseline: ZenDecision.evaluate on the same graphs and inputs.
    zen_engine = zen.ZenEngine()
    baseline_decisions = {
        rule_set.key: zen_engine.create_decision(json.dumps(rule_set.content))
        for rule_set in InstantRuleSet.objects.filter(number=1)
    }
    baseline_ms = []
    for key, inputs in applications[: min(n, 2_000)]:
        text = json.dumps(inputs)
        start = time.perf_counter()
        baseline_decisions[key].evaluate(text)
        baseline_ms.append((time.perf_counter() - start) * 1000)

    engine_p50 = statistics.median(engine_ms)
    baseline_p50 = statistics.median(baseline_ms)
    figures = {
        "engine_p50_ms": round(engine_p50, 4),
        "engine_p95_ms": round(engine_ms[int(len(engine_ms) * 0.95) - 1], 4),
        "engine_max_ms": round(engine_ms[-1], 4),
        "call_p50_ms": round(call["p50_ms"], 4),
        "call_p95_ms": round(call["p95_ms"], 4),
        "zen_decision_evaluate_p50_ms": round(baseline_p50, 4),
        "ratio": round(baseline_p50 / engine_p50, 1),
        "target_p50_ms": TARGET_P50_MS,
        "met": float(engine_p50 < TARGET_P50_MS),
    }
    return Result(
        name="rules",
        size=size,
        figures=figures,
        data={"applications": n, "rule_sets": len(baseline_decisions), **decisions},
        summary=(
            f"{n:,} applications over {len(baseline_decisions)} rule sets "
            f"({decisions['approve']} approved, {decisions['reject']} refused, "
            f"{decisions['person']} to a person): engine p50 {engine_p50 * 1000:.0f} µs, "
            f"p95 {figures['engine_p95_ms'] * 1000:.0f} µs (target p50 < {TARGET_P50_MS:.0f} ms); "
            f"whole call p50 {call['p50_ms'] * 1000:.0f} µs; "
            f"ZenDecision.evaluate p50 {baseline_p50 * 1000:.0f} µs ({figures['ratio']}× slower)"
        ),
    )
