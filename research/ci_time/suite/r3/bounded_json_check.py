"""The surrogate-escape scan of actions/bounded_json.py before and after this round: the same
text out for 300,000 random strings, and the cost per MB of each. Run from the repository's
root: .venv/bin/python research/ci_time/suite/r3/bounded_json_check.py"""

import json
import random
import re
import time

OLD = re.compile(
    r"(?<!\\)((?:\\\\)*)\\u([dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|[dD][89a-fA-F][0-9a-fA-F]{2})"
)
NEW = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|[dD][89a-fA-F][0-9a-fA-F]{2})|\\)"
)


def old(text: str) -> str:
    return OLD.sub(lambda m: m.group(0) if len(m.group(2)) > 4 else f"{m.group(1)}\\ufffd", text)


def new(text: str) -> str:
    def rep(m: re.Match[str]) -> str:
        escaped = m.group(1)
        return m.group(0) if escaped is None or len(escaped) > 4 else "\\ufffd"

    return NEW.sub(rep, text)


rnd = random.Random(1)
alpha = ["\\", "\\", "u", "d", "D", "8", "9", "a", "b", "B", "c", "C", "f", "0", "e", "x", '"',
         "\\u", "\\ud83d", "\\ude00", "\\udbff"]
for _ in range(300_000):
    text = "".join(rnd.choice(alpha) for _ in range(rnd.randint(0, 30)))
    assert old(text) == new(text), repr(text)
print("300,000 random texts: the same out")
plain = json.dumps({f"k{i}": f'a value with "quotes" and \n lines in path\\to\\file.py:{i}'
                    for i in range(20000)})
sur = json.dumps(["".join(chr(rnd.choice([0xD800 + rnd.randint(0, 2047), 0x41, 0xE9, 0x1F600]))
                          for _ in range(50)) for _ in range(5000)])
for name, text in (("escaped backslashes", plain), ("surrogates", sur)):
    for scan in (old, new):
        start = time.process_time()
        for _ in range(5):
            scan(text)
        cost = (time.process_time() - start) / 5 / len(text) * 1e9
        print(f"{name}: {scan.__name__} {cost:.1f} ms per MB")
