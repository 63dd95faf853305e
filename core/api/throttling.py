"""Throttling per API key (and per user for sessions), rates in settings
(``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``): ``api_key`` and ``api_user`` for every
call, ``api_bulk`` in addition for the bulk endpoints, which do 10,000 rows' work."""

from rest_framework.throttling import SimpleRateThrottle

from .authentication import api_key_of


class ApiThrottle(SimpleRateThrottle):
    def __init__(self):
        # The scope depends on who calls; the rate is chosen in allow_request.
        pass

    def get_rate(self):
        # Read at each request (not frozen at import like DRF's THROTTLE_RATES) so that
        # settings overrides apply.
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        key = api_key_of(request)
        self.scope = "api_key" if key else "api_user"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        key = api_key_of(request)
        if key is not None:
            ident = f"key{key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class BulkThrottle(ApiThrottle):
    def allow_request(self, request, view):
        self.scope = "api_bulk"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return SimpleRateThrottle.allow_request(self, request, view)
