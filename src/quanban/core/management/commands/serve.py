"""``quanban serve [--port N]``: the web server (gunicorn, static files by WhiteNoise)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections


class Command(BaseCommand):
    help = "Serve the web application / 启动网站服务"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        from quanban.config.wsgi import application

        bind = f"{options['host']}:{options['port']}"

        class Server(BaseApplication):
            def load_config(self) -> None:
                self.cfg.set("bind", bind)
                self.cfg.set("workers", options["workers"])
                self.cfg.set("accesslog", "-" if settings.DEBUG else None)
                self.cfg.set("timeout", 60)

            def load(self) -> Any:
                return application

        # The system checks ran queries in this (the master) process; a connection open now would
        # be inherited by every forked worker, which would then interleave their statements on
        # one socket. Each worker opens its own.
        connections.close_all()
        Server().run()
