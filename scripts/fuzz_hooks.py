"""schemathesis hooks for scripts/fuzz-api.sh.

An Idempotency-Key is a client's promise that two requests with it are the same request:
the server answers a repeat with the first answer (201 and the todo as it was, even if it
was deleted since) and refuses a different body under a used key (422), as API.md says.
The fuzzer draws keys from a small space and reuses them across unrelated requests,
which breaks that promise, and its checks then see a "created" todo that is gone, or a
valid body refused. So every valid key it sends is replaced by a fresh one; malformed
keys are left as they are, so the header's validation is still fuzzed. Replays have
their own tests in server/tests/api/idempotency.rs.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"[\x21-\x7E]{1,255}")


@schemathesis.hook
def before_call(context, case, kwargs):
    if _leaves_out_a_parameter(case):
        # Editing the case makes schemathesis revalidate it, which loses the mark that
        # keeps its own Authorization header off a "header left out" case.
        return
    headers = case.headers or {}
    for name in list(headers):
        value = headers[name]
        if name.lower() == "idempotency-key" and isinstance(value, str) and VALID_KEY.fullmatch(value):
            headers[name] = str(uuid.uuid4())


def _leaves_out_a_parameter(case):
    meta = getattr(case, "meta", None)
    data = getattr(getattr(meta, "phase", None), "data", None)
    return "MISSING" in str(getattr(data, "scenario", "")).upper()
