# Exercises: a request-handling loop with a slow leak. For each of SCALE
# requests (default 200): parse a JSON-like payload into nested dicts,
# lists and strings, build a response string, drop everything, and leak one
# small object per request into a module-level list (the classic "cache that
# never expires"). Between requests almost every block is freed again, so
# pools cycle between used and empty while the leak slowly fills new ones.
# Writes "# mark request N" every 100 requests when run under pytrace.
#
#   pytrace requests.py [SCALE]
import json
import random
import sys

try:
    import _pytrace
except ImportError:
    _pytrace = None

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 200
random.seed(20240101)

LEAKED = []
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
         "hotel", "india", "juliett", "kilo", "lima", "mike", "november"]


def make_body(n):
    """The request body a client would send: JSON text."""
    items = []
    for j in range(random.randint(1, 5)):
        items.append({
            "sku": "SKU-%06d" % random.randint(0, 999999),
            "qty": random.randint(1, 5),
            "price": round(random.uniform(0.5, 500.0), 2),
            "tags": random.sample(WORDS, random.randint(0, 4)),
        })
    return json.dumps({
        "id": n,
        "user": {"name": random.choice(WORDS).title() + " " + random.choice(WORDS),
                 "email": "user%d@example.com" % random.randint(1, 10 ** 6)},
        "items": items,
        "note": " ".join(random.choice(WORDS) for _ in range(random.randint(0, 20))),
    })


def handle(n, body):
    payload = json.loads(body)
    total = 0.0
    lines = []
    for item in payload["items"]:
        subtotal = item["qty"] * item["price"]
        total += subtotal
        lines.append("%s x%d = %.2f [%s]" % (item["sku"], item["qty"], subtotal,
                                              ",".join(item["tags"])))
    response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" \
        + "order %d for %s\n" % (payload["id"], payload["user"]["name"]) \
        + "\n".join(lines) + "\ntotal %.2f\n" % total
    LEAKED.append((n, len(response)))      # the leak: one small tuple per request
    return len(response)


sent = 0
for n in range(1, SCALE + 1):
    sent += handle(n, make_body(n))
    if n % 100 == 0 and _pytrace is not None:
        _pytrace.mark("request %d" % n)
