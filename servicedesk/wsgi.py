import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
application = get_wsgi_application()

# Import WeasyPrint once per worker at start, not on the first PDF request (~1 s).
import servicedesk.pdf  # noqa: E402, F401
