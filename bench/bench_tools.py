#!/usr/bin/env python3
"""Helpers for bench/run.sh (standard library only).

  load URL TOKEN RATE SECONDS DIR OUT     POST the files of DIR (sorted, cycled) to URL at RATE/s
                                          for SECONDS; OUT gets `issue_id send_ms http_status`
  stamp OUT KCAT...                       run KCAT (lines `key<TAB>headers`) -> OUT `key issue_id recv_ms`
  latency SENDS KAFKA_ARTICLES KAFKA_TRANSLATED ARCHIVE_DB WECHAT_STATE_URL
                                          per sink: issues seen, p50, p99, max (ms), Markdown rows
  latency-kafka NAME SENDS STAMPS         the same, one row: to one topic (a `stamp` OUT)
  count-delimited FILE DELIM              number of DELIM-terminated records in FILE
  pp-parse                                ProducerPerformance's summary line -> JSON
  gbench-parse FILE                       Google Benchmark JSON -> {case: MB/s (median)}
"""
import datetime
import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request


def now_ms() -> float:
    return time.time() * 1000.0


def cmd_load(url, token, rate, seconds, src_dir, out):
    rate, seconds = float(rate), float(seconds)
    files = sorted(os.listdir(src_dir))
    bodies = [open(os.path.join(src_dir, f), "rb").read() for f in files]
    u = urllib.parse.urlsplit(url)
    total = int(rate * seconds)
    # Two connections in turn: a slow answer on one does not hold back the schedule of the next.
    lock = threading.Lock()
    results = []
    start = time.monotonic() + 0.2
    late = [0]

    def worker(k, n_workers):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        for i in range(k, total, n_workers):
            due = start + i / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif wait < -0.005:
                with lock:
                    late[0] += 1
            sent = now_ms()
            try:
                conn.request("POST", u.path, body=bodies[i % len(bodies)],
                             headers={"Authorization": "Bearer " + token,
                                      "Content-Type": "text/plain; charset=utf-8"})
                r = conn.getresponse()
                body = r.read()
                status = r.status
                issue = json.loads(body).get("issueId", "-") if status == 202 else "-"
            except Exception as e:  # noqa: BLE001 - recorded, the run goes on
                print(f"load: request {i}: {e}", file=sys.stderr)
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                status, issue = 0, "-"
            with lock:
                results.append((issue, sent, status))

    threads = [threading.Thread(target=worker, args=(k, 4)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    with open(out, "w") as f:
        for issue, sent, status in results:
            f.write(f"{issue}\t{sent:.3f}\t{status}\n")
    ok = sum(1 for r in results if r[2] == 202)
    print(json.dumps({"sent": len(results), "accepted": ok, "seconds": round(elapsed, 2),
                      "rate": round(len(results) / elapsed, 1), "late": late[0]}))


def cmd_stamp(out, *kcat):
    """Runs kcat (its output: `key<TAB>headers` lines, unbuffered) and stamps each line on receipt;
    SIGTERM stops kcat too."""
    proc = subprocess.Popen(list(kcat), stdout=subprocess.PIPE, text=True)
    signal.signal(signal.SIGTERM, lambda *_: (proc.terminate(), sys.exit(0)))
    with open(out, "w", buffering=1) as f:
        for line in proc.stdout:
            t = now_ms()
            key, _, headers = line.rstrip("\n").partition("\t")
            m = re.search(r"(?:^|,)issue-id=([^,]*)", headers)
            f.write(f"{key}\t{m.group(1) if m else '-'}\t{t:.3f}\n")


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return round(v[k], 1)


def summarise(sends, arrivals):
    """arrivals: issue -> last arrival ms; latency of an issue = its last record's arrival - send."""
    lat = [arrivals[i] - s for i, s in sends.items() if i in arrivals]
    return {"issues": len(lat), "missing": len(sends) - len(lat), "p50": pct(lat, 50), "p99": pct(lat, 99),
            "max": round(max(lat), 1) if lat else None}


def read_stamps(path):
    out = {}
    issue_of = {}
    if os.path.exists(path):
        for line in open(path):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            key, issue, t = parts[0], parts[1], float(parts[2])
            issue_of[key] = issue
            out[issue] = max(out.get(issue, 0.0), t)
    return out, issue_of


def iso_ms(s):
    s = s.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(s).timestamp() * 1000.0


def read_sends(path):
    """issue -> when its (first accepted) HTTP request was sent, ms."""
    sends = {}
    for line in open(path):
        issue, sent, status = line.rstrip("\n").split("\t")
        if status == "202" and issue != "-":
            sends.setdefault(issue, float(sent))
    return sends


def print_row(name, v):
    print(f"| {name} | {v['issues']} | {v['missing']} | {v['p50']} | **{v['p99']}** | {v['max']} |")


def cmd_latency_kafka(name, sends_path, stamps_path):
    """One row: the latency to a topic alone (stamps of a read_committed kcat)."""
    print_row(name, summarise(read_sends(sends_path), read_stamps(stamps_path)[0]))


def cmd_latency(sends_path, articles_path, translated_path, db_path, state_url):
    sends = read_sends(sends_path)
    result = {}
    kafka_articles, issue_of = read_stamps(articles_path)
    result["kafka articles (read_committed)"] = summarise(sends, kafka_articles)
    kafka_translated, _ = read_stamps(translated_path)
    result["kafka translated (read_committed)"] = summarise(sends, kafka_translated)
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    for lang in ("zh-Hans", "zh-Hant"):
        arr = {}
        for issue, stored in db.execute(
                "SELECT issue_id, max(stored_at) FROM article_revisions WHERE language = ? GROUP BY issue_id", (lang,)):
            arr[issue] = iso_ms(stored)
        result[f"archive {lang} (stored_at)"] = summarise(sends, arr)
    state = json.load(urllib.request.urlopen(state_url, timeout=30))
    per_app = {}
    for d in state.get("drafts", []):
        arr = per_app.setdefault(d.get("app_id", "?"), {})
        for a in d.get("articles", []):
            art = a.get("content_source_url", "").rsplit("/", 1)[-1]
            base = art.split(".")[0]  # translations: <source id>.<language>
            issue = issue_of.get(base)
            if issue:
                arr[issue] = max(arr.get(issue, 0.0), float(d.get("received_ms", 0)))
    for app, arr in sorted(per_app.items()):
        result[f"feed {app} (draft received)"] = summarise(sends, arr)
    for k, v in result.items():
        print_row(k, v)


def cmd_count_delimited(path, delim):
    d = delim.encode().decode("unicode_escape").encode("latin-1")
    print(open(path, "rb").read().count(d))


def cmd_pp_parse():
    text = sys.stdin.read()
    m = re.findall(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
                   r"([\d.]+) ms max latency", text)
    if not m:
        print("{}")
        return
    n, rps, mbs, avg, mx = m[-1]
    print(json.dumps({"records": int(n), "records_per_s": float(rps), "mb_per_s": float(mbs),
                      "avg_latency_ms": float(avg), "max_latency_ms": float(mx)}))


def cmd_gbench_parse(path):
    data = json.load(open(path))
    out = {}
    for b in data.get("benchmarks", []):
        name = b.get("run_name", b["name"])
        if b.get("aggregate_name", "median") != "median" and b.get("run_type") == "aggregate":
            continue
        out[name] = round(b.get("bytes_per_second", 0) / 1e6, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"load": cmd_load, "stamp": cmd_stamp, "latency": cmd_latency, "latency-kafka": cmd_latency_kafka,
     "count-delimited": cmd_count_delimited, "pp-parse": cmd_pp_parse, "gbench-parse": cmd_gbench_parse}[cmd](*args)
