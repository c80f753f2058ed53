#!/usr/bin/env python3
"""Scrapes a Coyote metrics endpoint at a fixed rate until SIGTERM, then prints one JSON line:
how many scrapes, their wall time (median, max) and size, and the loop-thread time the host
reports for a scrape (coyote_metrics_scrape_loop_seconds, median and max over the run).

usage: scraper.py URL RATE_PER_SECOND LABEL"""
import json
import signal
import statistics
import sys
import time
import urllib.request

url, rate, label = sys.argv[1], float(sys.argv[2]), sys.argv[3]
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
walls, loops, sizes, errors = [], [], [], 0
next_at = time.monotonic()
while not stop:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = r.read()
        walls.append(time.monotonic() - started)
        sizes.append(len(body))
        # A byte search, not a parse: the scraper must cost the machine little next to the host.
        at = body.find(b"\ncoyote_metrics_scrape_loop_seconds ")
        if at >= 0:
            end = body.index(b"\n", at + 1)
            loops.append(float(body[at + 1:end].split()[1]))
    except OSError:
        errors += 1
    next_at += 1.0 / rate
    time.sleep(max(0.0, next_at - time.monotonic()))


def ms(values, f):
    return round(f(values) * 1000, 3) if values else None


print(json.dumps({"stage": "scrape_cost", "label": label, "scrapes": len(walls), "errors": errors,
                  "wall_ms_median": ms(walls, statistics.median), "wall_ms_max": ms(walls, max),
                  "loop_ms_median": ms(loops, statistics.median), "loop_ms_max": ms(loops, max),
                  "bytes": int(statistics.median(sizes)) if sizes else None}))
