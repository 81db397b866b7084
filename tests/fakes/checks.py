"""The ok/FAIL lines of the Python end-to-end tests, counted.

    from checks import check, finish
    check(cond, "what must hold", detail)   # prints "ok: ..." or "FAIL: ...: detail"
    sys.exit(finish())                       # prints the counts; 1 if any failed or none ran
"""

passed = failed = 0


def check(cond, what, detail=None):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok: {what}")
    else:
        failed += 1
        print(f"FAIL: {what}" + (f": {detail!r}" if detail is not None else ""))


def finish():
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0
