"""The ASGI entry point, for the live updates' streams alone.

`tribune serve --live` runs it (granian, ASGI without lifespan events) and
nginx routes only /articles/<slug>/live/ to it; discussion/live.py streams
Server-Sent Events there. Every other view is synchronous and served by
tribune.wsgi, which answers cached anonymous pages before Django runs.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tribune.settings")
application = get_asgi_application()
