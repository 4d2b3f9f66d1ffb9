import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tribune.settings")
django_application = get_wsgi_application()

# Imported once Django is set up.
from newsroom.pagecache import WSGIPageCache  # noqa: E402

# Anonymous article pages already rendered are answered before Django's
# request cycle (see WSGIPageCache).
application = WSGIPageCache(django_application)
