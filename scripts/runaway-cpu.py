#!/usr/bin/env python3
"""Measures what a runaway task costs the default single process (role all, embedded broker).

Starts taskfarm from a jar with a CPU-bound compute that ignores interruption ("spin", from the
test classes) on the class path, submits one spin task that never ends, samples the CPU of the
process and its children from /proc once a second, then submits a 50-task sha256 job and reports
whether it completed. docs/DESIGN-NOTES.md ("Runaway tasks") has the figures.

usage: scripts/runaway-cpu.py [--jar target/taskfarm.jar] [--extra-cp target/test-classes]
                              [--timeout PT5S] [--after 15] [--set key=value ...]
The HTTP port is $TASKFARM_HTTP_PORT (default 0 = any free port); the embedded broker takes any
free port. Everything runs in a temporary directory, which is removed at the end.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TICK = os.sysconf("SC_CLK_TCK")


def ticks(pid):
    """utime + stime of one process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError):
        return None


def tree(pid):
    """pid and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def sample(pid):
    return {p: t for p in tree(pid) if (t := ticks(p)) is not None}


def cores(before, after, seconds):
    """CPU of the processes present in both samples, in cores."""
    used = sum(after[p] - before[p] for p in after if p in before)
    return used / TICK / seconds


def submit(work, name, job):
    tmp = os.path.join(work, "inbox", "." + name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(job, f)
    os.rename(tmp, os.path.join(work, "inbox", name + ".json"))


def result(work, name):
    path = os.path.join(work, "outbox", name + ".result.json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", default="target/taskfarm.jar")
    ap.add_argument("--extra-cp", default="target/test-classes")
    ap.add_argument("--routes", default="routes")
    ap.add_argument("--timeout", default="PT5S")
    ap.add_argument("--after", type=int, default=15, help="seconds to sample after the task failed")
    ap.add_argument("--task", default='{"compute":"spin","tasks":[{"spin":"forever"}]}')
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="taskfarm-runaway-")
    os.makedirs(os.path.join(work, "inbox"))
    cmd = ["java", "-cp", os.path.abspath(a.jar) + os.pathsep + os.path.abspath(a.extra_cp),
           "-Dtaskfarm.routes=" + os.path.abspath(a.routes), "-Dtaskfarm.embedded.port=0",
           "-Dtaskfarm.http.port=" + os.environ.get("TASKFARM_HTTP_PORT", "0"),
           "-Dtaskfarm.task.timeout=" + a.timeout] + ["-D" + s for s in a.set] + ["dev.taskfarm.TaskfarmApp"]
    log = open(os.path.join(work, "farm.log"), "w")
    farm = subprocess.Popen(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT)
    try:
        while "(taskfarm) started in" not in open(os.path.join(work, "farm.log")).read():
            if farm.poll() is not None:
                sys.exit("taskfarm exited: " + open(os.path.join(work, "farm.log")).read()[-2000:])
            time.sleep(0.2)
        submit(work, "runaway", json.loads(a.task))
        start = time.time()
        failed_at = None
        prev, prev_t = sample(farm.pid), time.time()
        print("t(s)  cores  processes  event")
        while failed_at is None or time.time() - failed_at < a.after:
            time.sleep(1)
            now, now_t = sample(farm.pid), time.time()
            event = ""
            if failed_at is None and (r := result(work, "runaway")) is not None:
                failed_at = now_t
                event = "runaway job " + r["status"] + ": " + r["results"][0].get("error", "")
            print(f"{now_t - start:5.1f}  {cores(prev, now, now_t - prev_t):5.2f}  {len(now):9d}  {event}")
            prev, prev_t = now, now_t
        submit(work, "next", {"compute": "sha256", "tasks": [{"seed": f"task-{i}"} for i in range(50)]})
        while (r := result(work, "next")) is None:
            if time.time() - failed_at > a.after + 120:
                print("next job: no result after 120 s")
                return 1
            time.sleep(0.2)
        print(f"next job (50 sha256 tasks): {r['status']}, {r['succeeded']}/{r['total']} succeeded")
        return 0
    finally:
        farm.send_signal(signal.SIGTERM)
        try:
            farm.wait(30)
        except subprocess.TimeoutExpired:
            farm.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
