"""Latency of `evidence serve` over real HTTP, alone and while 8 clients request /-/pool pages.

Run by hand, never as a test:

    .venv/bin/python bench/serve_load.py DB [--seconds 20] [--port 8765] [--out bench/out/serve_load.json]

Starts `evidence serve DB` as its own process, then measures p50/p95 of:

- every page a meta-analyst uses (index, table, facets with and without a filter, searches,
  canned queries, row page, paper viewer, pool JSON and HTML), alone, in --passes interleaved
  passes of --requests requests each (p95 per pass gives the spread), each beside its target;
- the row page while 8 clients each request pool pages in a loop, answered from the cache
  (the same 8 questions over and over);
- the row page while 8 clients each ask pool questions the server has not answered yet
  (every endpoint and outcome in the database, then made-up ones), so pooling runs;

and prints a Markdown table. The target (issue 15): the row page's p95 under pool load at
most 100 ms on the 1M-evidence-row database (bench/replicate.py grows one).
"""

import argparse
import http.client
import json
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

EVIDENCE = str(Path(sys.executable).with_name("evidence"))
CLIENTS = 8
# Every page a meta-analyst uses should answer within this (issue 16), alone and under pool load.
TARGET_P95_MS = 50.0


def _get(conn: http.client.HTTPConnection, url: str) -> tuple[float, int]:
    start = time.perf_counter()
    conn.request("GET", url)
    response = conn.getresponse()
    response.read()
    return (time.perf_counter() - start) * 1000, response.status


def _percentiles(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {"n": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1), "max_ms": round(times[-1], 1)}


def _questions(db: Path) -> list[str]:
    """Pool questions the database can answer, then made-up ones (each answered once, never from the cache)."""
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as conn:
        endpoints = [r[0] for r in conn.execute("select distinct endpoint from hazard_ratios where endpoint is not null")]
        outcomes = [r[0] for r in conn.execute("select distinct outcome from responses where outcome is not null")]
    real = [f"endpoint={quote(e)}" for e in endpoints] + [f"outcome={quote(o)}" for o in outcomes]
    return real + [f"endpoint=X{i}" for i in range(100_000)]


def _json(conn: http.client.HTTPConnection, url: str) -> Any:
    conn.request("GET", url)
    return json.loads(conn.getresponse().read())


def _pages(conn: http.client.HTTPConnection, name: str) -> dict[str, str]:
    """Every page a meta-analyst uses, with real ids and values from the database."""
    row = _json(conn, f"/{name}/adverse_events.json?_size=1&_shape=array")[0]
    drug = _json(conn, f"/{name}/regimens.json?_size=1&_shape=array&drug__notblank=1")[0]["drug"]
    return {
        "index": "/",
        "database": f"/{name}",
        "table page (HTML)": f"/{name}/responses",
        "table JSON": f"/{name}/adverse_events.json?_size=50",
        "facet, unfiltered": f"/{name}/adverse_events.json?_facet=grade&_size=0",
        "facet, filtered": f"/{name}/adverse_events.json?_facet=grade&_size=0&section=results",
        "search query": f"/{name}/search.json?q=overall+survival",
        "search page (HTML)": f"/{name}/search?q=neutropenia",
        "passages ?_search=": f"/{name}/passages.json?_search=neutropenia",
        "query: response_rates": f"/{name}/response_rates.json?drug={quote(drug)}&outcome=CR",
        "query: hazard_ratios_for_endpoint": f"/{name}/hazard_ratios_for_endpoint.json?endpoint=OS",
        "query: grade3_adverse_events_by_term": f"/{name}/grade3_adverse_events_by_term.json?term=neutropenia",
        "query: mtd_and_dlts_by_drug": f"/{name}/mtd_and_dlts_by_drug.json?drug={quote(drug)}",
        "row page": f"/{name}/adverse_events/{quote(str(row['id']))}",
        "paper viewer": f"/-/paper/{row['paper_id']}?start={row['start']}&end={row['end']}",
        "pool JSON (cached)": "/-/pool.json?endpoint=OS",
        "pool page (cached)": "/-/pool?endpoint=OS",
    }


def _alone(conn: http.client.HTTPConnection, urls: dict[str, str], passes: int, requests: int) -> dict[str, dict[str, Any]]:
    """Each page alone: ``passes`` interleaved passes of ``requests`` requests per page (after one warm-up each)."""
    times: dict[str, list[list[float]]] = {label: [] for label in urls}
    for url in urls.values():
        status = _get(conn, url)[1]
        if status != 200:
            raise SystemExit(f"{url}: HTTP {status}")
    for _ in range(passes):
        for label, url in urls.items():
            times[label].append([_get(conn, url)[0] for _ in range(requests)])
    out = {}
    for label, runs in times.items():
        every = [t for run in runs for t in run]
        out[label] = {**_percentiles(every), "p95_per_pass_ms": [_percentiles(run)["p95_ms"] for run in runs]}
    return out


def _under_load(port: int, url: str, seconds: float, next_pool: Callable[[int], str]) -> dict[str, object]:
    stop = threading.Event()
    answered: list[float] = []

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while not stop.is_set():
            ms, _ = _get(conn, f"/-/pool?{next_pool(i)}")
            answered.append(ms)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        times.append(_get(conn, url)[0])
        time.sleep(0.02)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    return {**_percentiles(times), "pool_requests_answered": len(answered),
            "pool_p50_ms": round(statistics.median(answered), 1) if answered else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", type=Path)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--passes", type=int, default=3, help="Interleaved passes over the pages (the spread).")
    parser.add_argument("--requests", type=int, default=30, help="Requests per page per pass.")
    args = parser.parse_args()
    server = subprocess.Popen([EVIDENCE, "serve", str(args.db), "--port", str(args.port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        name = args.db.stem
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
        for _ in range(300):  # a minute: a cold start on the million-row database counts its tables first
            try:
                _get(conn, "/-/versions.json")
                break
            except OSError:
                time.sleep(0.2)
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
        urls = _pages(conn, name)
        report: dict[str, object] = {}
        for label, row in _alone(conn, urls, args.passes, args.requests).items():
            report[f"{label}, alone"] = row
        cached = ["endpoint=OS", "endpoint=PFS", "endpoint=EFS", "endpoint=DFS", "outcome=ORR", "outcome=CR",
                  "outcome=PR", "endpoint=RFS"]
        report["row page, 8 clients on cached pools"] = _under_load(
            args.port, urls["row page"], args.seconds, lambda i: cached[i])
        fresh = iter(_questions(args.db))
        lock = threading.Lock()

        def next_fresh(i: int) -> str:
            with lock:
                return next(fresh)

        report["row page, 8 clients on new pool questions"] = _under_load(
            args.port, urls["row page"], args.seconds, next_fresh)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    lines = ["| measure | n | p50 ms | p95 ms | p95 per pass (spread) | max ms | target p95 | met | "
             "pool requests answered |", "|---|---|---|---|---|---|---|---|---|"]
    for label, row in report.items():
        assert isinstance(row, dict)
        spread = row.get("p95_per_pass_ms")
        met = "yes" if row["p95_ms"] <= TARGET_P95_MS else "no"
        lines.append(f"| {label} | {row['n']} | {row['p50_ms']} | {row['p95_ms']} | "
                     f"{'–'.join(str(x) for x in (min(spread), max(spread))) if spread else ''} | {row['max_ms']} | "
                     f"≤ {TARGET_P95_MS} | {met} | {row.get('pool_requests_answered', '')} |")
    print("\n".join(lines))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
