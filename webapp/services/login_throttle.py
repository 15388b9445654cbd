"""Login throttling per account and per IP, counting failed attempts only.

Storage is `limits`' (memory:// in one process; redis://… when several processes serve).
The refusal message is the same whether or not the account exists.
"""

import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class LoginThrottle:
    def __init__(self, storage_uri: str, per_account: str, per_ip: str):
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.per_account = parse(per_account)
        self.per_ip = parse(per_ip)

    def _keys(self, email: str, ip: str):
        return (
            (self.per_account, "login-account", (email or "").strip().lower()),
            (self.per_ip, "login-ip", ip or "unknown"),
        )

    def is_blocked(self, email: str, ip: str) -> bool:
        return any(not self.limiter.test(limit, ns, key) for limit, ns, key in self._keys(email, ip))

    def retry_after_seconds(self, email: str, ip: str) -> int:
        waits = []
        for limit, ns, key in self._keys(email, ip):
            if not self.limiter.test(limit, ns, key):
                reset_at, _ = self.limiter.get_window_stats(limit, ns, key)
                waits.append(reset_at)
        if not waits:
            return 0
        return max(1, int(max(waits) - time.time()))

    def record_failure(self, email: str, ip: str) -> None:
        for limit, ns, key in self._keys(email, ip):
            self.limiter.hit(limit, ns, key)

    def reset_account(self, email: str) -> None:
        limit, ns, key = self._keys(email, "")[0]
        self.limiter.clear(limit, ns, key)
