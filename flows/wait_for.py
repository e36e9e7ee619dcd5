"""Wait until a URL answers 200 (a server started in the background is ready), or give up after a minute."""

from __future__ import annotations

import sys
import time
import urllib.request


def main(url: str, timeout_s: float = 60.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return 0
        except OSError:
            pass
        time.sleep(0.5)
    print(f"{url} did not answer within {timeout_s:.0f} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
