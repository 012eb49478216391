"""Drives the simulator with the official Python bindings (PyPI package XenAPI).

usage: honesty.py URL [--ignore-ssl]
Prints "ok" and exits 0 when everything behaved as on xapi; raises otherwise.
"""
import sys
import time
import xmlrpc.client

import XenAPI


def expect_failure(details, call, *args):
    try:
        call(*args)
    except XenAPI.Failure as f:
        assert f.details == details, "expected %r, got %r" % (details, f.details)
        return
    raise AssertionError("expected the failure %r" % (details,))


def wait(x, task):
    deadline = time.time() + 10
    while x.task.get_status(task) == "pending":
        assert time.time() < deadline, "task still pending"
        time.sleep(0.01)
    return x.task.get_status(task)


def main():
    url = sys.argv[1]
    session = XenAPI.Session(url, ignore_ssl="--ignore-ssl" in sys.argv)
    session.xenapi.login_with_password("root", "xenroot", "2.23", "honesty.py")
    x = session.xenapi

    records = x.VM.get_all_records()
    assert len(records) > 0
    guests = [r for r, v in records.items() if not v["is_a_template"] and not v["is_control_domain"]]
    halted = next(r for r in guests if records[r]["power_state"] == "Halted")
    rec = records[halted]
    # Value shapes as xapi sends them: ints as strings, real booleans, floats, maps.
    assert isinstance(rec["memory_static_max"], str) and int(rec["memory_static_max"]) > 0
    assert isinstance(rec["is_a_template"], bool)
    assert isinstance(rec["HVM_shadow_multiplier"], float)
    assert isinstance(rec["other_config"], dict) and isinstance(rec["VBDs"], list)
    assert isinstance(rec["snapshot_time"], xmlrpc.client.DateTime)

    pool = x.pool.get_all()[0]
    master = x.pool.get_master(pool)
    assert x.host.get_API_version_major(master) == "2"
    assert x.host.get_API_version_minor(master) == "23"

    # The lifecycle, with xapi's failure details.
    x.VM.start(halted, False, False)
    assert x.VM.get_power_state(halted) == "Running"
    expect_failure(["VM_BAD_POWER_STATE", halted, "halted", "running"], x.VM.start, halted, False, False)
    x.VM.clean_shutdown(halted)
    assert x.VM.get_power_state(halted) == "Halted"
    expect_failure(["HANDLE_INVALID", "VM", "OpaqueRef:nope"], x.VM.get_name_label, "OpaqueRef:nope")

    # An Async call and its task; the result is XML-RPC-encoded.
    task = x.Async.VM.clone(halted, "python-clone")
    assert wait(x, task) == "success"
    result = x.task.get_result(task)
    clone, = xmlrpc.client.loads(
        "<methodResponse><params><param>%s</param></params></methodResponse>" % result)[0]
    assert x.VM.get_name_label(clone) == "python-clone"
    x.task.destroy(task)

    # event.from: from the start, then a modification.
    event_from = getattr(x.event, "from")
    batch = event_from(["vm"], "", 0.0)
    assert len(batch["events"]) == len(x.VM.get_all())
    token = batch["token"]
    x.VM.set_name_label(halted, "renamed-by-python")
    batch = event_from(["vm"], token, 5.0)
    assert any(e["ref"] == halted and e["operation"] == "mod"
               and e["snapshot"]["name_label"] == "renamed-by-python" for e in batch["events"]), batch

    session.xenapi.session.logout()
    print("ok")


if __name__ == "__main__":
    main()
