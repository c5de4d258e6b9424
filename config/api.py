"""The JSON API root: /api/v1/, OpenAPI at /api/v1/openapi.json, interactive docs at /api/v1/docs."""

from ninja import NinjaAPI

api = NinjaAPI(title="Yizheng API", version="1", urls_namespace="api")
