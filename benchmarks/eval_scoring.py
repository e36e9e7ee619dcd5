"""Continuous evaluation throughput: score 1,000 sampled production traces with the no-model metrics.

Target: <= 2 minutes on this machine for ``run_sample`` over 1,000 traces (sample_rate 1.0,
max_per_run 1000, so every trace is scored).

Set-up (not timed): a throwaway workspace (DOCENT_DATA_DIR in a temp dir) ingests samples/acme;
~50 distinct questions about those documents are asked through the real chat service
(``ChatService.from_workspace``, the default local extractive model, answer cache off, review
policy auto), repeated to reach ``--traces`` real answers (every one generated, retrieved, grounded
and recorded; nothing cloned); about half of the questions get a golden reference in the store
(the reviewed set ``review.golden_set``, with the reference chunk ids resolved from a reference
context), so the reference-based metrics run too.

Timed: ``run_sample(ws, seed=1)``, split by its progress callback into sampling + loading (pool
query, stratified choice, loading messages/retrievals/references), scoring (embedding + metrics)
and finishing (window stats, checks, storing 1,000 score rows).

    python benchmarks/eval_scoring.py [--traces 1000] [--concurrency 16] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 120.0

# (question, reference answer, reference context) — a reference for about half of them.
QUESTIONS: list[tuple[str, str | None, str | None]] = [
    ("How many weeks of parental leave does the secondary caregiver get?",
     "The secondary caregiver gets 8 weeks of fully paid parental leave.",
     "and 8 weeks of fully paid leave to the secondary caregiver, for births, adoptions and foster placements"),
    ("How much parental leave does the primary caregiver get?",
     "The birthing parent or primary caregiver gets 16 weeks of fully paid parental leave.",
     "Acme offers 16 weeks of fully paid parental leave to the birthing parent or primary caregiver"),
    ("What is the hotel cap in New York?",
     "Hotels in New York are capped at $325 per night, excluding taxes.",
     "United States: $250 per night; New York, San Francisco and Boston: $325 per night"),
    ("What is the meal per diem in Europe?",
     "The per diem in Europe is 65 euros per day.",
     "$75 per day in the United States, 65 euros per day in Europe and SGD 110 per day in Singapore"),
    ("For how many days per year may I work from another country?",
     "You may work from another country for up to 20 working days per calendar year.",
     "You may work from another country for up to 20 working days per calendar year"),
    ("How many days of paid time off do US employees get?",
     "Employees in the United States receive 20 days of paid time off per year.",
     "Employees in the United States receive 20 days of paid time off (PTO) per year"),
    ("How large is the yearly learning budget?",
     "Each employee has a learning budget of $1,500 per calendar year.",
     "Each employee has a learning budget of $1,500 per calendar year for courses, books and conferences"),
    ("How much does Acme match on 401(k) contributions?",
     "Acme matches 100% of 401(k) contributions up to 4% of base salary, vesting immediately.",
     "Acme matches 100% of your 401(k) contributions up to 4% of your base salary. Matching contributions vest immediately."),
    ("When is a doctor's note required?",
     "A doctor's note is required after 3 consecutive sick days.",
     "A doctor's note is required after 3 consecutive sick days."),
    ("How long must passwords be?",
     "Passwords must be at least 14 characters long.",
     "Passwords must be at least 14 characters long."),
    ("When is the IT helpdesk staffed?",
     "The helpdesk is staffed from 8:00 to 18:00 Eastern Time, Monday to Friday.",
     "The helpdesk is staffed from 8:00 to 18:00 Eastern Time, Monday to Friday."),
    ("What does a replacement badge cost?",
     "A replacement badge costs $25, and the fee is waived the first time.",
     "A replacement badge costs $25; the fee is waived the first time."),
    ("When did the Lyon lab open?",
     "The Lyon lab opened on 22 September 2025.",
     "The Lyon lab opened on 22 September 2025. Its 28 engineers work on robot perception"),
    ("How much is a monthly parking permit in Pittsburgh?",
     "A monthly permit for the Smallman Street garage costs $45, deducted from salary before tax.",
     "A monthly permit costs $45 and is deducted from your salary before tax."),
    ("What was Acme's revenue in Q3 2025?",
     "Revenue in Q3 2025 was $48.2M, up 14% from $42.3M in Q3 2024.",
     "Revenue | $48.2M | $42.3M | +14% Gross margin | 41% | 38% | +3 pts"),
    ("How much payload can the Porter P2 carry?",
     "The Porter P2 carries up to 600 kg, twice the payload of the Porter P1.",
     "It carries up to 600 kg, twice the payload of the Porter P1, runs for 14 hours on one charge"),
    ("What is the list price of a Porter P2?",
     "The list price is $54,900 per robot, with fleet management through FleetView 5.4 included.",
     "The list price is $54,900 per robot, and fleet management is included through FleetView 5.4."),
    ("Which flights may be booked in business class?",
     "Business class is only allowed for flights longer than 10 hours, with written VP approval.",
     "Business class only for flights longer than 10 hours, with written VP approval."),
    ("Within how many days must expense reports be submitted?",
     "Expense reports must be submitted in Ledgerly within 30 days after the end of a trip.",
     "Submit expense reports in Ledgerly within 30 days after the end of a trip."),
    ("What is the mileage rate for private cars in the US?",
     "Private cars used for business are reimbursed at $0.70 per mile in the United States.",
     "Private cars used for business are reimbursed at $0.70 per mile in the United States"),
    ("What is the monthly limit of the corporate card?",
     "The American Express corporate card has a monthly limit of $5,000.",
     "receive an American Express corporate card with a monthly limit of $5,000"),
    ("How long does probation last in France?",
     "Probation ends after 2 months in the Netherlands and France (90 days in the US and Singapore).",
     "Probation ends after 90 days for employees in the United States and Singapore, and after 2 months in the Netherlands and France."),
    ("What is the pass mark of the RS-101 exam?",
     "The RS-101 exam has 30 questions and a practical part; the pass mark is 80%.",
     "The exam has 30 questions and a practical part; the pass mark is 80%."),
    ("What are the core working hours?",
     "Core hours are 10:00 to 15:00 local time, Monday to Friday.",
     "Core hours are 10:00 to 15:00 local time, Monday to Friday"),
    ("What is the home office stipend?",
     "Every employee receives a one-time home office stipend of $500 (or 450 euros in Rotterdam and Lyon).",
     "Every employee receives a one-time home office stipend of $500 (or €450 in Rotterdam and Lyon)"),
    # No reference for the rest: only the metrics that need none apply.
    ("How many paid sick days do US employees get?", None, None),
    ("How often are laptops replaced?", None, None),
    ("Who leads the Lyon lab?", None, None),
    ("How do I print?", None, None),
    ("What is the hotel cap in Lisbon?", None, None),
    ("Where are Acme's offices?", None, None),
    ("Which holidays are in the 2026 US calendar?", None, None),
    ("What does the Porter P2 launch announcement say?", None, None),
    ("how do i reset my password", None, None),
    ("Which Wi-Fi network should visitors use?", None, None),
    ("When do I need the VPN?", None, None),
    ("Can I ship a robot to a customer demo, and how heavy is the crate?", None, None),
    ("When is the Pittsburgh cafeteria open and is lunch free?", None, None),
    ("What are the anchor days for hybrid work?", None, None),
    ("Is Acme Day a holiday in every office?", None, None),
    ("What safety gear is required on the test floor?", None, None),
    ("Who is my onboarding buddy and how often do we meet?", None, None),
    ("Which accounts does IT create before my first day?", None, None),
    ("What happens on Monday of the first week?", None, None),
    ("Are meals at client dinners with alcohol reimbursed?", None, None),
    ("Who approves a trip costing $6,000?", None, None),
    ("What are the Q4 2025 priorities?", None, None),
    ("How many engineers work at the Lyon lab and on what?", None, None),
    ("Are spa and gym fees reimbursable on a business trip?", None, None),
    ("What's the headcount of the Austin office?", None, None),
    ("How many pre-orders does the Porter P2 have?", None, None),
    ("Should I take the train or fly from Lyon to Paris?", None, None),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--traces", type=int, default=1000, help="production answers to record and score")
    ap.add_argument("--concurrency", type=int, default=16, help="answers in flight at once while recording")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (its path is printed)")
    args = ap.parse_args()
    print("command: " + " ".join(["python", *sys.argv]))

    tmp = Path(tempfile.mkdtemp(prefix="docent-evalscore-"))
    os.environ["DOCENT_DATA_DIR"] = str(tmp)
    try:
        run(args, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp: Path) -> None:
    import sqlalchemy as sa

    from docent.chat.service import ChatService
    from docent.evaluate import production, sampling
    from docent.evaluate.golden_set import evidence_chunks
    from docent.evaluate.report import metric_table
    from docent.evaluate.results import EvalStore
    from docent.evaluate.suites import run_sample  # imports ragas: done here, not in the timed part
    from docent.review.golden import GoldenSets
    from docent.settings import load_settings
    from docent.store import models as m
    from docent.store.db import engine_for
    from docent.workspace import Workspace

    settings = load_settings(
        data_dir=tmp, state={"url": f"sqlite:///{tmp / 'docent.db'}"}, cache={"answers": False},
        review={"policy": "auto"}, evaluation={"sample_rate": 1.0, "max_per_run": args.traces, "judge_model": None},
    )
    ws = Workspace(settings)
    try:
        began = time.perf_counter()
        report = ws.ingest(str(REPO / "samples" / "acme"))
        print(f"ingested samples/acme: {len(report.new)} documents, {report.chunks} chunks, "
              f"{time.perf_counter() - began:.1f} s (not timed)")

        # Golden references, with their chunk ids resolved in this index.
        golden = GoldenSets(settings.state_url)
        with_ref, unresolved = 0, []
        for question, answer, context in QUESTIONS:
            if answer is None:
                continue
            ids = evidence_chunks(ws.index, [context])
            unresolved += [question] if not ids else []
            golden.add(set_name=settings.review.golden_set, kind="positive", question=question, reference_answer=answer,
                       reference_chunk_ids=ids, provenance={"source": "benchmarks/eval_scoring.py"})
            with_ref += 1
        print(f"golden set {settings.review.golden_set!r}: {with_ref} of {len(QUESTIONS)} distinct questions have a "
              f"reference ({with_ref - len(unresolved)} with reference chunk ids resolved)")
        for q in unresolved:
            print(f"  no reference chunk found for: {q}")

        # Real production traces through the chat service.
        service = ChatService.from_workspace(ws)
        service.warm_up()
        questions = [QUESTIONS[i % len(QUESTIONS)][0] for i in range(args.traces)]
        began = time.perf_counter()
        finals = asyncio.run(ask_all(service, questions, args.concurrency))
        service.close(300)
        asked_s = time.perf_counter() - began
        kinds = Counter(finals)
        print(f"asked {len(questions):,} questions ({len(QUESTIONS)} distinct, each ~{len(questions) / len(QUESTIONS):.0f}x) "
              f"through ChatService, model {settings.chat.model}, answer cache off, concurrency {args.concurrency}: "
              f"{asked_s:.1f} s, {len(questions) / asked_s:.1f} answers/s (not timed); final events: {dict(kinds)}")

        with engine_for(settings.state_url).connect() as conn:
            rows = conn.execute(sa.select(m.Message.state, sa.func.count(), sa.func.sum(sa.cast(m.Message.cache_hit, sa.Integer)))
                                .where(m.Message.role == "assistant").group_by(m.Message.state)).all()
            retrievals = conn.execute(sa.select(sa.func.count()).select_from(m.Retrieval)).scalar()
            queued = conn.execute(sa.select(m.ReviewItem.reason, sa.func.count()).group_by(m.ReviewItem.reason)).all()
        print("state store: assistant messages " + ", ".join(f"{s}: {n} ({h or 0} cache hits)" for s, n, h in rows)
              + f"; {retrievals} retrieval rows; review queue: {dict(queued) or 'empty'}")

        # Untimed look at the read path on its own (read-only: it marks nothing as scored).
        from datetime import datetime, timedelta, timezone

        now = datetime.now(timezone.utc)
        since = now - timedelta(hours=settings.evaluation.lookback_hours)
        t0 = time.perf_counter()
        pool = production.candidates(settings.state_url, since, now, settings.review.min_grounding)
        t1 = time.perf_counter()
        picked = sampling.choose(pool, 1.0, args.traces, 1)
        t2 = time.perf_counter()
        cases = production.load_cases(settings.state_url, picked, settings.review.golden_set)
        t3 = time.perf_counter()
        strata = Counter(c.stratum for c, _ in picked)
        reasons = Counter(r for _, rs in picked for r in rs)
        print(f"read path alone (untimed pre-check): candidates {len(pool)} in {t1 - t0:.2f} s, choose {len(picked)} in "
              f"{t2 - t1:.3f} s, load_cases {len(cases)} ({sum(bool(c.reference) for c in cases)} with a reference) "
              f"in {t3 - t2:.2f} s; strata {dict(strata)}; reasons {dict(reasons)}")
        distinct = {t for c in cases for t in (c.answer, c.reference) if t}
        del pool, picked, cases

        # The timed run.
        marks: dict[str, float] = {}
        computed = [0, 0]  # texts embedded, of texts asked for
        embed = ws.embedder.embed

        def counting_embed(texts, on_progress=None):
            out = embed(texts, on_progress)
            computed[0] += out[1]
            computed[1] += len(texts)
            return out

        ws.embedder.embed = counting_embed

        def progress(stage: str, done: int, total: int) -> None:
            marks.setdefault(f"{stage}:{'end' if done == total and total else 'start'}", time.perf_counter())

        began = time.perf_counter()
        record = run_sample(ws, seed=1, progress=progress)
        ended = time.perf_counter()
        ws.embedder.embed = embed
        total = ended - began
        s0, s1 = marks.get("scoring:start", began), marks.get("scoring:end", ended)

        print()
        print(f"run_sample: {record.n_items:,} traces scored in {total:.2f} s, {record.n_items / total:.1f} traces/s "
              f"(run {record.id[:8]}, status {record.status}, judge model {record.judge_model or 'none'})")
        print(f"  sampling + loading (pool, choice, messages/retrievals/references): {s0 - began:6.2f} s")
        print(f"  scoring (embedding + no-model metrics):                            {s1 - s0:6.2f} s  "
              f"({computed[0]} texts embedded, {computed[1]} looked up)")
        print(f"  finishing (window stats, checks, storing the scores):               {ended - s1:6.2f} s")
        print(f"  candidates in window: {record.config.get('candidates')}; findings: "
              f"{[f['message'] for f in record.findings or []] or 'none'}")

        stored = EvalStore(settings.state_url).scores([record.id])
        print(f"  score rows stored: {len(stored):,}")
        print()
        print(pd.DataFrame(metric_table(record)).to_string(index=False))

        # What the embedding cache saved: 50-odd distinct questions give few distinct answers.
        t0 = time.perf_counter()
        ws.embedder.encode(sorted(distinct))
        again = time.perf_counter() - t0
        print()
        print(f"note: the {args.traces:,} traces hold only {len(distinct)} distinct answer/reference texts, so the scoring "
              f"step embedded {computed[0]} texts. Encoding those {len(distinct)} again, uncached, takes {again:.2f} s; were all "
              f"{args.traces:,} answers distinct, the scoring step would spend roughly "
              f"{again * (args.traces + with_ref) / max(1, len(distinct)):.0f} s embedding instead (linear estimate).")

        verdict = "PASS" if total <= TARGET_S else "FAIL"
        print()
        print(f"{verdict}: {record.n_items:,} traces scored in {total:.1f} s (target <= {TARGET_S:.0f} s)")
    finally:
        ws.close()
        engine_for(settings.state_url).dispose()


async def ask_all(service, questions: list[str], concurrency: int) -> list[str]:
    from docent.access import service_account

    gate = asyncio.Semaphore(concurrency)

    async def one(question: str) -> str:
        async with gate:
            last = None
            async for event in service.ask(service_account(f"asker-{uuid.uuid4().hex[:8]}"), question):
                last = event
            return last.kind if last else "none"

    return list(await asyncio.gather(*(one(q) for q in questions)))


if __name__ == "__main__":
    main()
