"""``quanban run``: web server and worker together; Ctrl-C stops both."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web server and the background worker together / 同时启动网站和后台任务"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        base = [sys.executable, "-m", "quanban.cli"]
        children = [
            subprocess.Popen(
                [*base, "serve", "--host", options["host"], "--port", str(options["port"])]
            ),
            subprocess.Popen([*base, "worker"]),
        ]
        self.stdout.write(
            self.style.SUCCESS(
                f"全办 Quanban: http://{options['host']}:{options['port']}/"
                "  (Ctrl-C 停止 / to stop)"
            )
        )

        def stop(*_: Any) -> None:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
