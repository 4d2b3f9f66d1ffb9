from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site


def site(request):
    return {
        "site_name": get_current_site(request).name,
        "collapse_score": settings.TRIBUNE_COLLAPSE_SCORE,
    }
