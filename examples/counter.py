"""A GenServer counter: state in init, calls, casts, infos, a registered name.

python examples/counter.py
"""

from __future__ import annotations

from typing import Any

import actors


class Counter(actors.GenServer):
    def init(self, start: int = 0) -> None:
        self.count = start

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("get",):
                return self.count
            case ("add", n):
                self.count += n
                return self.count
            case _:
                return super().handle_call(request, caller)

    def handle_cast(self, request: Any) -> None:
        match request:
            case ("add", n):
                self.count += n
            case ("reset",):
                self.count = 0
            case _:
                super().handle_cast(request)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("tick",):
                self.count += 1

    def terminate(self, reason: Any) -> None:
        print(f"counter stopping ({reason}) at {self.count}")


def main() -> None:
    with actors.ActorSystem():  # the current system inside the block
        Counter.start(10, name="counter")

        actors.cast("counter", ("add", 5))  # fire and forget
        actors.send("counter", ("tick",))  # arrives in handle_info
        print("count:", actors.call("counter", ("get",)))  # 16

        print("after add:", actors.call("counter", ("add", 4)))  # 20
        actors.stop("counter")
        print("registered afterwards:", actors.whereis("counter"))  # None


if __name__ == "__main__":
    main()
