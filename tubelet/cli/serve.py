"""`tubelet serve`: the library in a browser (tubelet/serve/), on uvicorn; 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import ipaddress
import sys

from .common import UsageError


def cmd_serve(args) -> int:
    from ..library.db import default_path

    if not 0 < args.port < 65536:
        raise UsageError("--port must be between 1 and 65535")
    db = args.db or default_path()
    import uvicorn

    from ..serve.app import create_app

    app = create_app(db)  # a database that cannot be opened read-only fails here, one line
    try:
        public = not ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        public = args.host != "localhost"
    if public:
        print(
            f"tubelet serve: listening on {args.host}: anyone who can reach this address can watch the library's "
            "videos (there is no login)",
            file=sys.stderr,
        )
    print(f"tubelet serve: http://{args.host}:{args.port}/  (library {db}; Ctrl-C stops)", file=sys.stderr, flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        h11_max_incomplete_event_size=16 * 1024,
        limit_concurrency=args.max_connections,
        timeout_keep_alive=5,
        server_header=False,
    )
    return 0


def add_commands(sub):
    from ..library.db import DEFAULT_DB, ENV_DB

    s = sub.add_parser("serve", help="browse and search the library in a web browser (JSON API at /api, schema /docs)")
    s.add_argument("--db", help=f"library database (default: ${ENV_DB} or ./{DEFAULT_DB}); opened read-only")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--max-connections", type=int, default=200, help="more at once are answered 503")
    s.set_defaults(func=cmd_serve)
