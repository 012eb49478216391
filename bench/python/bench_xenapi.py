"""External baseline: the official Python bindings (PyPI `XenAPI`) on the bench workloads.

Usage:
  bench_xenapi.py decode FILE          time xmlrpc.client.loads on a VM.get_all_records response
  bench_xenapi.py calls URL SECONDS    VM.get_power_state calls per second, one thread
Prints one line: `<figure> <value>`.
"""
import sys
import time
import xmlrpc.client

import XenAPI


def decode(path):
    data = open(path, "rb").read()
    xmlrpc.client.loads(data)  # warm-up
    runs = []
    deadline = time.perf_counter() + 3.0
    while len(runs) < 3 or time.perf_counter() < deadline:
        t = time.perf_counter()
        xmlrpc.client.loads(data)
        runs.append(time.perf_counter() - t)
    runs.sort()
    print(f"decode_mb_per_s {len(data) / 1e6 / runs[len(runs) // 2]:.3f}")


def calls(url, seconds):
    session = XenAPI.Session(url)
    session.xenapi.login_with_password("root", "xenroot", "1.0", "xenapi-bench")
    try:
        vm = session.xenapi.VM.get_all()[0]
        n = 0
        end = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < end:
            session.xenapi.VM.get_power_state(vm)
            n += 1
        print(f"calls_per_s {n / (time.perf_counter() - start):.1f}")
    finally:
        session.xenapi.session.logout()


if __name__ == "__main__":
    if sys.argv[1] == "decode":
        decode(sys.argv[2])
    elif sys.argv[1] == "calls":
        calls(sys.argv[2], float(sys.argv[3]))
    else:
        sys.exit(f"unknown workload {sys.argv[1]!r}")
