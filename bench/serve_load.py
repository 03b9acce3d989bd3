"""Latency of `evidence serve` over real HTTP, alone and while 8 clients request /-/pool pages.

Run by hand, never as a test:

    .venv/bin/python bench/serve_load.py DB [--seconds 20] [--port 8765] [--out bench/out/serve_load.json]

Starts `evidence serve DB` as its own process, then measures p50/p95 of:

- a row page, the search query, a facet, alone (100 requests each);
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
from urllib.parse import quote

EVIDENCE = str(Path(sys.executable).with_name("evidence"))
CLIENTS = 8


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
    args = parser.parse_args()
    server = subprocess.Popen([EVIDENCE, "serve", str(args.db), "--port", str(args.port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        name = args.db.stem
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
        for _ in range(100):
            try:
                _get(conn, "/-/versions.json")
                break
            except OSError:
                time.sleep(0.2)
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
        conn.request("GET", f"/{name}/adverse_events.json?_size=1&_shape=array")
        row_id = json.loads(conn.getresponse().read())[0]["id"]
        urls = {"row page": f"/{name}/adverse_events/{quote(str(row_id))}",
                "search query": f"/{name}/search.json?q=overall+survival",
                "facet, unfiltered": f"/{name}/adverse_events.json?_facet=grade&_size=0"}
        report: dict[str, object] = {}
        for label, url in urls.items():
            _get(conn, url)
            report[f"{label}, alone"] = _percentiles([_get(conn, url)[0] for _ in range(100)])
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
    lines = ["| measure | n | p50 ms | p95 ms | max ms | pool requests answered |", "|---|---|---|---|---|---|"]
    for label, row in report.items():
        assert isinstance(row, dict)
        lines.append(f"| {label} | {row['n']} | {row['p50_ms']} | {row['p95_ms']} | {row['max_ms']} | "
                     f"{row.get('pool_requests_answered', '')} |")
    print("\n".join(lines))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
